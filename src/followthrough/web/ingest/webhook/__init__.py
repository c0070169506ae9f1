"""The generic JSON webhook: any script or tool can send incidents (docs/webhook.md)."""
