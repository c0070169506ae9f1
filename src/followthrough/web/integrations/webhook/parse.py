"""The generic webhook's JSON (documented in docs/webhook.md) -> an IncidentEvent.

The payload carries the incident's whole state as the sender knows it, so every field it
sends is authoritative over what we have, as long as it is newer than the last one applied.
Unknown fields are an error: a misspelt field is refused, not silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from followthrough.web.incidents.models import FLAGS
from followthrough.web.ingest.events import (
    EventStatus,
    IncidentEvent,
    Malformed,
    load_json,
    obj,
    optional_iso_time,
    text,
)

from .verify import signed_timestamp

if TYPE_CHECKING:
    from followthrough.web.ingest.models import IngestSource

# status field -> what it means for the incident.
STATUSES: dict[str, EventStatus] = {
    "open": EventStatus.TRIGGERED,
    "acknowledged": EventStatus.ACKNOWLEDGED,
    "resolved": EventStatus.RESOLVED,
}
FIELDS = {
    "event_id": "Your id for this delivery; a redelivery with the same id changes nothing.",
    "external_id": "Your id for the incident (required); events with the same one update it.",
    "title": "What happened (required).",
    "severity": "P0..P3, or a name in the source's severity mapping (required).",
    "status": "open, acknowledged or resolved (required).",
    "occurred_at": "When this state was true (ISO 8601); orders late deliveries.",
    "started_at": "When the impact began (ISO 8601 with a zone).",
    "mitigated_at": "When the impact was mitigated.",
    "resolved_at": "When it was resolved; defaults to occurred_at for status resolved.",
    "team": "The slug of the team it belongs to (the source's team or a routed one).",
    "commander_email": "The incident commander's e-mail address.",
    "summary": "A few sentences of what happened.",
    "failure_mode": "The failure mode in words (repeat detection).",
    "failure_tags": "Tags of the failure mode, a list of strings.",
    "flags": f"Any of: {', '.join(FLAGS)}.",
    "url": "A link back to the incident in your tool.",
}
REQUIRED = ("external_id", "title", "severity", "status")
LIMITS = {"external_id": 200, "event_id": 255, "title": 200, "failure_mode": 300, "url": 500}


def parse(body: bytes, headers: Mapping[str, str], received_at: float) -> IncidentEvent:
    payload = load_json(body)
    payload = obj(payload, "The body")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise Malformed(
            f"unknown field(s) {', '.join(unknown)}; the fields are: {', '.join(FIELDS)}."
        )
    values = {key: text(payload, key, "body", required=key in REQUIRED) for key in LIMITS}
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            raise Malformed(f"body.{key} is longer than {limit} characters.")
    status_name = text(payload, "status", "body", required=True)
    if status_name not in STATUSES:
        raise Malformed(f"body.status is {status_name!r}; use one of: {', '.join(STATUSES)}.")
    status = STATUSES[status_name]
    resolved_at = optional_iso_time(payload, "resolved_at", "body")
    if resolved_at is not None and status is not EventStatus.RESOLVED:
        raise Malformed("body.resolved_at is given but body.status is not resolved.")
    occurred_at = optional_iso_time(payload, "occurred_at", "body") or datetime.fromtimestamp(
        signed_timestamp(headers), tz=UTC
    )
    flags = payload.get("flags") or []
    if not isinstance(flags, list) or any(f not in FLAGS for f in flags):
        raise Malformed(f"body.flags must be a list of: {', '.join(FLAGS)}.")
    tags = payload.get("failure_tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise Malformed("body.failure_tags must be a list of non-empty strings.")
    email = text(payload, "commander_email", "body")
    present = {key for key, value in payload.items() if value not in (None, "", [])}
    overwrite = set(present) | ({"commander"} if email else set())
    if resolved_at is not None:
        overwrite.add("resolved_at")
    team = text(payload, "team", "body")
    return IncidentEvent(
        # No id given: the body itself is the identity, so resending it is a no-op.
        event_id=values["event_id"] or "sha256:" + hashlib.sha256(body).hexdigest(),
        event_type=f"webhook.{status_name}",
        external_id=values["external_id"],
        status=status,
        occurred_at=occurred_at,
        title=values["title"],
        severity_values=(text(payload, "severity", "body", required=True),),
        started_at=optional_iso_time(payload, "started_at", "body"),
        mitigated_at=optional_iso_time(payload, "mitigated_at", "body"),
        resolved_at=resolved_at,
        url=values["url"],
        route_keys=(("team", team),) if team else (),
        team=team,
        summary=text(payload, "summary", "body"),
        commander_email=email,
        failure_mode=values["failure_mode"],
        failure_tags=tuple(t.strip() for t in tags),
        flags=frozenset(flags),
        overwrite=frozenset(overwrite),
    )


def check_severity(source: IngestSource, event: IncidentEvent) -> None:
    """Our own payload names a severity: one the mapping does not know is a mistake, not P2."""
    for value in event.severity_values:
        if not source.vendor_settings().knows_severity(value):
            raise Malformed(
                f"body.severity is {value!r}; use P0..P3 or a name in this source's severity "
                "mapping."
            )
