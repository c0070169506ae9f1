"""PagerDuty Webhooks v3: incidents in.

A webhook subscription posts ``{"event": {"id", "event_type", "occurred_at", "data": {...}}}``
to ``/ingest/pagerduty/<source id>/``, signed ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of
the raw body>`` (several ``v1=`` while PagerDuty rotates the secret).
"""
