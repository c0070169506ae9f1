"""Grafana OnCall (and Grafana Cloud IRM) outgoing webhooks: alert groups in.

An outgoing webhook with "Forward whole payload" POSTs ``{"event": {"type", "time"},
"alert_group": {"id", "state", "title", "created_at", "resolved_at", "permalinks": {"web"}},
"alert_payload": {...}, "integration": {"name", "team"}}`` to ``/ingest/grafana_oncall/<source
id>/``. It cannot sign: its Headers add ``X-Followthrough-Token: <secret>`` (or its
Authorization header carries the secret); ``event.time`` older than a day is refused as a replay.
"""
