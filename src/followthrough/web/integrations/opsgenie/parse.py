"""An Opsgenie alert webhook body -> an IncidentEvent.

Body (Opsgenie "alert action data"): ``{"action": "Create|Acknowledge|Close|...", "alert":
{"alertId", "message", "alias", "tinyId", "tags", "teams", "priority", "createdAt" (ms),
"updatedAt" (ns in Opsgenie's samples, ms elsewhere: both are read), "source", "description"},
"source": {"name", "type"}, "integrationId", "integrationName"}``.

Atlassian's "alert callbacks" example of a Create carries neither ``createdAt`` nor
``updatedAt`` nor ``priority``: such an alert happened when it was received, and takes the
source's severity for alerts without a priority (``*``).

Opsgenie sends no delivery id, so a delivery is identified by alert id + action + updatedAt
(the same action on the same alert at the same moment is the same delivery) or, without a
time, by the body itself: the same body again is the same delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from followthrough.web.ingest.events import (
    EventStatus,
    IncidentEvent,
    Malformed,
    Unsupported,
    epoch_time,
    load_json,
    obj,
    text,
)
from followthrough.web.lib.signatures import content_key

# The actions we act on, and what each means for the incident.
SUPPORTED_ACTIONS: dict[str, EventStatus] = {
    "Create": EventStatus.TRIGGERED,
    "Acknowledge": EventStatus.ACKNOWLEDGED,
    "UnAcknowledge": EventStatus.TRIGGERED,
    "Close": EventStatus.RESOLVED,
    "EscalateNext": EventStatus.UPDATED,
    "UpdatePriority": EventStatus.UPDATED,
    "UpdateMessage": EventStatus.UPDATED,
    "UpdateDescription": EventStatus.UPDATED,
    # Kept for the drafted timeline: they change nothing on the incident.
    "AddNote": EventStatus.UPDATED,
}
# Actions that say something about an alert but cannot start one.
ABOUT_AN_ALERT = frozenset({"AddNote"})
OVERWRITES: dict[str, frozenset[str]] = {
    "UpdatePriority": frozenset({"severity"}),
    "UpdateMessage": frozenset({"title"}),
    "UpdateDescription": frozenset({"summary"}),
}


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Malformed(f"{where} must be a list of strings.")
    return [v.strip() for v in value if v.strip()]


def parse(body: bytes, headers: Mapping[str, str], received_at: float) -> IncidentEvent:
    payload = load_json(body)
    payload = obj(payload, "The body")
    action = text(payload, "action", "body", required=True)
    if action not in SUPPORTED_ACTIONS:
        supported = ", ".join(SUPPORTED_ACTIONS)
        raise Unsupported(f"The {action} action is not acted on; supported actions: {supported}.")
    alert = obj(payload.get("alert"), "alert")
    alert_id = text(alert, "alertId", "alert", required=True)
    created_raw = alert.get("createdAt")
    updated_raw = alert.get("updatedAt", created_raw)
    if updated_raw is None:
        occurred_at = datetime.fromtimestamp(received_at, tz=UTC)
        event_id = content_key(body)
    else:
        occurred_at = epoch_time(updated_raw, "alert.updatedAt")
        event_id = f"{alert_id}:{action}:{updated_raw}"
    started_at = epoch_time(created_raw, "alert.createdAt") if created_raw is not None else None
    priority = text(alert, "priority", "alert")
    tags = _strings(alert.get("tags"), "alert.tags")
    teams = _strings(alert.get("teams"), "alert.teams")
    tiny = text(alert, "tinyId", "alert")
    return IncidentEvent(
        event_id=event_id,
        event_type=action,
        external_id=alert_id,
        status=SUPPORTED_ACTIONS[action],
        occurred_at=occurred_at,
        title=text(alert, "message", "alert"),
        severity_values=(priority,) if priority else (),
        started_at=started_at,
        summary=text(alert, "description", "alert") or (f"Opsgenie alert #{tiny}" if tiny else ""),
        route_keys=tuple([("team", t) for t in teams] + [("tag", t) for t in tags]),
        overwrite=OVERWRITES.get(action, frozenset()),
        payload=payload,
        needs_existing=action in ABOUT_AN_ALERT,
    )
