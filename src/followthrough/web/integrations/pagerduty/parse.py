"""A PagerDuty v3 webhook body -> an IncidentEvent.

Body: ``{"event": {"id", "event_type", "resource_type", "occurred_at", "agent", "data":
{"id", "number", "status", "title", "html_url", "created_at", "service": {"id", "summary"},
"teams": [{"id"}], "priority": {"summary"} | null, "urgency"}}}``. There is no resolution
time in ``data``: an ``incident.resolved`` resolves at its ``occurred_at``.
"""

from __future__ import annotations

from collections.abc import Mapping

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

# The events we act on, and what each means for the incident.
SUPPORTED_EVENTS: dict[str, EventStatus] = {
    "incident.triggered": EventStatus.TRIGGERED,
    "incident.acknowledged": EventStatus.ACKNOWLEDGED,
    "incident.resolved": EventStatus.RESOLVED,
    "incident.priority_updated": EventStatus.UPDATED,
    "incident.reopened": EventStatus.REOPENED,
    # Kept for the drafted timeline; they change nothing on the incident but its history.
    "incident.escalated": EventStatus.UPDATED,
    "incident.responder.added": EventStatus.UPDATED,
    "incident.annotated": EventStatus.UPDATED,
}
# Events whose ``data`` is not the incident but a thing about it (a note, a responder
# request) naming it in ``data.incident``: they cannot start an incident.
ABOUT_AN_INCIDENT = frozenset({"incident.responder.added", "incident.annotated"})
# On an incident we already have, these events set these fields (the rest only fill blanks).
OVERWRITES: dict[str, frozenset[str]] = {"incident.priority_updated": frozenset({"severity"})}


def parse(body: bytes, headers: Mapping[str, str], received_at: float) -> IncidentEvent:
    payload = load_json(body)
    event = obj(obj(payload, "The body").get("event"), "event")
    event_type = text(event, "event_type", "event", required=True)
    if event_type not in SUPPORTED_EVENTS:
        supported = ", ".join(SUPPORTED_EVENTS)
        raise Unsupported(f"{event_type} is not acted on; supported events: {supported}.")
    event_id = text(event, "id", "event", required=True)
    occurred_at = iso_time(event.get("occurred_at"), "event.occurred_at")
    data = obj(event.get("data"), "event.data")
    if event_type in ABOUT_AN_INCIDENT:
        incident = obj(data.get("incident"), "event.data.incident")
        return IncidentEvent(
            event_id=event_id,
            event_type=event_type,
            external_id=text(incident, "id", "event.data.incident", required=True),
            status=SUPPORTED_EVENTS[event_type],
            occurred_at=occurred_at,
            url=text(incident, "html_url", "event.data.incident"),
            payload=event,
            needs_existing=True,
        )
    incident_id = text(data, "id", "event.data", required=True)
    service = data.get("service") or {}
    service = obj(service, "event.data.service")
    teams = data.get("teams") or []
    if not isinstance(teams, list):
        raise Malformed("event.data.teams must be a list.")
    priority = data.get("priority") or {}
    priority = obj(priority, "event.data.priority")
    severity_values = tuple(
        v
        for v in (
            text(priority, "summary", "event.data.priority"),
            text(data, "urgency", "event.data"),
        )
        if v
    )
    route_keys = [("service", text(service, "id", "event.data.service"))]
    route_keys += [
        ("team", text(obj(t, "event.data.teams[]"), "id", "event.data.teams[]")) for t in teams
    ]
    return IncidentEvent(
        event_id=event_id,
        event_type=event_type,
        external_id=incident_id,
        status=SUPPORTED_EVENTS[event_type],
        occurred_at=occurred_at,
        title=text(data, "title", "event.data"),
        severity_values=severity_values,
        started_at=optional_iso_time(data, "created_at", "event.data"),
        url=text(data, "html_url", "event.data"),
        route_keys=tuple((f, v) for f, v in route_keys if v),
        overwrite=OVERWRITES.get(event_type, frozenset()),
        payload=event,
    )
