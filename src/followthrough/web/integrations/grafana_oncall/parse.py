"""A Grafana OnCall outgoing webhook body -> an IncidentEvent.

Body (Grafana OnCall, "Outgoing webhooks", the context of every webhook, sent whole with
"Forward whole payload"): ``{"event": {"type", "time"}, "user", "alert_group": {"id",
"integration_id", "route_id", "alerts_count", "state", "created_at", "resolved_at",
"acknowledged_at", "title", "permalinks": {"web", "slack", "telegram"}}, "alert_group_id",
"alert_payload": <the first alert as its source sent it>, "integration": {"id", "type", "name",
"team"}}``.

``event.type`` is the trigger: ``alert group created`` (``firing`` in Grafana Cloud IRM),
``acknowledge``, ``resolve``, ``unacknowledge``, ``unresolve``; ``silence``, ``unsilence`` and
``escalation`` are not acted on. OnCall sends no delivery id: a delivery is the alert group +
event type + ``event.time`` (the same event on the same group at the same moment is the same
delivery).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from followthrough.web.ingest.events import (
    EventStatus,
    IncidentEvent,
    Malformed,
    Unsupported,
    iso_time,
    load_json,
    obj,
    optional_iso_time,
    text,
)

# The event types we act on, and what each means for the incident.
SUPPORTED_EVENTS: dict[str, EventStatus] = {
    "alert group created": EventStatus.TRIGGERED,
    "firing": EventStatus.TRIGGERED,
    "acknowledge": EventStatus.ACKNOWLEDGED,
    "unacknowledge": EventStatus.TRIGGERED,
    "resolve": EventStatus.RESOLVED,
    "unresolve": EventStatus.REOPENED,
}
# Labels of the first alert that carry a severity (Alertmanager and Grafana alerting).
SEVERITY_LABELS = ("severity", "priority")


def _labels(payload: dict[str, Any]) -> dict[str, str]:
    alert = payload.get("alert_payload")
    labels = alert.get("labels") if isinstance(alert, dict) else None
    if not isinstance(labels, dict):
        return {}
    return {str(k): v.strip() for k, v in labels.items() if isinstance(v, str) and v.strip()}


def parse(body: bytes, headers: Mapping[str, str], received_at: float) -> IncidentEvent:
    payload = obj(load_json(body), "The body")
    event = obj(payload.get("event"), "event")
    event_type = text(event, "type", "event", required=True).lower()
    if event_type not in SUPPORTED_EVENTS:
        supported = ", ".join(SUPPORTED_EVENTS)
        raise Unsupported(f"The {event_type} event is not acted on; supported: {supported}.")
    raw_time = text(event, "time", "event", required=True)
    occurred_at = iso_time(raw_time, "event.time")
    group = obj(payload.get("alert_group"), "alert_group")
    group_id = text(group, "id", "alert_group", required=True)
    permalinks = group.get("permalinks") or {}
    permalinks = obj(permalinks, "alert_group.permalinks")
    url = text(permalinks, "web", "alert_group.permalinks")
    if url and not url.startswith("https://"):
        raise Malformed("alert_group.permalinks.web must be an https:// link.")
    integration = obj(payload.get("integration") or {}, "integration")
    labels = _labels(payload)
    status = SUPPORTED_EVENTS[event_type]
    resolved_at = optional_iso_time(group, "resolved_at", "alert_group")
    return IncidentEvent(
        event_id=f"{group_id}:{event_type}:{raw_time}",
        event_type=event_type,
        external_id=group_id,
        status=status,
        occurred_at=occurred_at,
        title=text(group, "title", "alert_group"),
        severity_values=tuple(labels[k] for k in SEVERITY_LABELS if k in labels),
        started_at=optional_iso_time(group, "created_at", "alert_group"),
        resolved_at=(resolved_at or occurred_at) if status is EventStatus.RESOLVED else None,
        url=url,
        route_keys=tuple(
            (field, value)
            for field, value in (
                ("team", text(integration, "team", "integration")),
                ("integration", text(integration, "name", "integration")),
                ("alertname", labels.get("alertname", "")),
            )
            if value
        ),
    )
