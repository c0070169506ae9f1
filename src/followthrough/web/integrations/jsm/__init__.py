"""Jira Service Management (Operations) alert webhooks: alerts in; the successor of Opsgenie's.

JSM's outgoing Webhook integration posts Opsgenie's "alert action data" (``{"action", "alert":
{"alertId", "message", "priority", "createdAt", "updatedAt", ...}}``) to
``/ingest/jsm/<source id>/``. It cannot sign: the integration adds the custom header
``X-Followthrough-Token: <secret>``, compared in constant time; ``alert.updatedAt`` older than
a day is refused as a replay. Like Opsgenie, an authentic delivery is always answered 2xx.
"""
