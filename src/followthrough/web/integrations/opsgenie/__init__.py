"""Opsgenie alert webhooks: alerts in (Opsgenie ends in April 2027: kept small).

The Webhook integration posts ``{"action", "alert": {"alertId", "message", "priority",
"createdAt", "updatedAt", ...}}`` to ``/ingest/opsgenie/<source id>/``. Opsgenie cannot sign,
so the integration adds a custom header ``X-Followthrough-Token: <secret>``. Opsgenie drops a
delivery answered 4xx, so an authentic one is always answered 2xx (``ignored`` and recorded
when it cannot be used).
"""
