"""Opsgenie alert webhooks: alerts in, authenticated by a shared-secret header."""
