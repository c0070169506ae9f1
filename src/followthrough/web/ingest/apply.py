"""Turning a normalised event into an incident: created once, updated in order, never twice.

- Idempotent: the delivery's event id is stored in ``Delivery`` (unique per source) in the
  same transaction as the change, so a redelivered event changes nothing.
- Keyed on (source, vendor incident id) through ``IngestedIncident``.
- Ordered: an event older than the newest one applied (``occurred_at``) may fill blanks but
  never changes the status, so a late "triggered" or "reopened" cannot un-resolve.
- Resolution sets ``resolved_at``, which starts the postmortem's milestone clock.
- Every change is recorded in the history with the source as the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from followthrough.web.accounts.models import Person, Team
from followthrough.web.history.context import acting_as
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.events import EventStatus, IncidentEvent, Malformed
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.versioning import save_versioned


@dataclass(frozen=True)
class Outcome:
    """What an event did: created, updated, unchanged (nothing new), stale (older than what we
    have; blanks filled at most) or duplicate (seen before; nothing done)."""

    status: str
    incident: Incident | None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "detail": self.detail}
        if self.incident is not None:
            body["incident"] = self.incident.key
            body["incident_id"] = self.incident.pk
        return body


def storable(value: Any) -> Any:
    """JSON without NUL characters (PostgreSQL's jsonb refuses ``\u0000`` in a string)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def actor_label(source: IngestSource) -> str:
    """Who the history names for what a source's deliveries change (the vendor's label)."""
    return source.vendor.actor_label or f"{source.kind} webhook"


def apply_event(source: IngestSource, event: IncidentEvent) -> Outcome:
    """Apply one event once. Raises ``Malformed`` (nothing stored) when it names a team or
    severity this source cannot use."""
    if len(event.external_id) > 200:
        raise Malformed("the incident id is longer than 200 characters.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    source=source,
                    event_id=event.event_id[:255],
                    event_type=event.event_type[:64],
                    occurred_at=event.occurred_at,
                    payload=storable(event.payload),
                )
        except IntegrityError:
            previous = Delivery.objects.filter(source=source, event_id=event.event_id[:255]).first()
            incident = previous.incident if previous is not None else None
            return Outcome(
                "duplicate",
                incident,
                f"Event {event.event_id} was delivered before; nothing changed.",
            )
        link = (
            IngestedIncident.objects.select_for_update()
            .select_related("incident")
            .filter(source=source, external_id=event.external_id)
            .first()
        )
        if link is None and event.needs_existing:
            delivery.outcome = "ignored"
            delivery.detail = f"{event.event_type} names an incident not received before."
            delivery.save(update_fields=["outcome", "detail"])
            return Outcome("ignored", None, delivery.detail)
        if link is None:
            try:
                with transaction.atomic():
                    outcome = _create(source, event)
            except IntegrityError:
                # Another delivery about the same vendor incident created it a moment ago.
                link = (
                    IngestedIncident.objects.select_for_update()
                    .select_related("incident")
                    .get(source=source, external_id=event.external_id)
                )
                outcome = _update(source, link, event)
        else:
            outcome = _update(source, link, event)
        delivery.incident = outcome.incident
        delivery.outcome = outcome.status
        delivery.save(update_fields=["incident", "outcome"])
        return outcome


def _team(source: IngestSource, event: IncidentEvent) -> Team:
    team_id = source.route(event.route_keys)
    if event.team and team_id == source.team_id:
        # A payload naming a team directly: it must be one this source may post to.
        named = Team.objects.filter(slug=event.team, pk__in=source.team_ids()).first()
        if named is None:
            raise Malformed(
                f"team “{event.team}” is not a team this source posts to: use the slug of its "
                "default team or add a routing rule for it."
            )
        return named
    return Team.objects.get(pk=team_id)


def _commander(email: str) -> Person | None:
    if not email:
        return None
    return Person.objects.filter(email__iexact=email).order_by("pk").first()


def _create(source: IngestSource, event: IncidentEvent) -> Outcome:
    team = _team(source, event)
    started = event.started_at
    if started is None and event.status is EventStatus.TRIGGERED:
        started = event.occurred_at
    resolved = None
    if event.status is EventStatus.RESOLVED:
        resolved = event.resolved_at or event.occurred_at
    fields: dict[str, Any] = {
        "team": team,
        "title": (event.title or f"{source.get_kind_display()} incident {event.external_id}")[:200],
        "severity": source.severity_for(event.severity_values),
        "summary": event.summary,
        "started_at": started,
        "detected_at": started,
        "mitigated_at": event.mitigated_at,
        "resolved_at": _not_before(resolved, started),
        "source": source.kind,
        # Unique across sources of one kind (a generic webhook's ids are the sender's own).
        "external_id": f"{source.pk}/{event.external_id}"[:200],
        "failure_mode": event.failure_mode[:300],
        "failure_tags": list(event.failure_tags),
        "commander": _commander(event.commander_email),
        **{flag: True for flag in event.flags},
    }
    with acting_as(actor_label(source), note=f"{event.event_type} {event.event_id}"):
        incident = Incident.objects.create(**fields)
    IngestedIncident.objects.create(
        source=source,
        external_id=event.external_id,
        incident=incident,
        vendor_status=_vendor_status(event, ""),
        url=event.url[:500],
        last_event_at=event.occurred_at,
    )
    return Outcome("created", incident, f"{incident.key} created from {event.event_type}.")


def _vendor_status(event: IncidentEvent, current: str) -> str:
    return current if event.status is EventStatus.UPDATED else event.status.value


def _not_before(moment: datetime | None, floor: datetime | None) -> datetime | None:
    """A resolution cannot precede the start (vendor clocks disagree by seconds)."""
    if moment is None or floor is None:
        return moment
    return max(moment, floor)


def _update(source: IngestSource, link: IngestedIncident, event: IncidentEvent) -> Outcome:
    incident = Incident.all_objects.select_for_update().get(pk=link.incident_id)
    if incident.deleted_at is not None:
        # Deleted on purpose: later events neither bring it back nor record it again.
        return Outcome(
            "deleted",
            incident,
            f"{incident.key} was deleted, so {event.event_type} was not applied "
            "(an admin can restore it from the trash).",
        )
    changes: dict[str, Any] = {}

    # Blanks any event may fill, however late it arrives.
    started = event.started_at or (
        event.occurred_at if event.status is EventStatus.TRIGGERED else None
    )
    if incident.started_at is None and started is not None:
        changes["started_at"] = started
    if incident.detected_at is None and started is not None:
        changes["detected_at"] = started
    if not link.url and event.url:
        link.url = event.url[:500]

    stale = event.occurred_at < link.last_event_at
    if not stale:
        changes.update(_authoritative(source, incident, event))
        if event.status is EventStatus.RESOLVED:
            resolved = event.resolved_at or event.occurred_at
            if incident.resolved_at is None or "resolved_at" in event.overwrite:
                changes["resolved_at"] = resolved
        elif (
            event.status in (EventStatus.REOPENED, EventStatus.TRIGGERED)
            and incident.resolved_at is not None
        ):
            changes["resolved_at"] = None
        link.vendor_status = _vendor_status(event, link.vendor_status)
        link.last_event_at = event.occurred_at
    if "resolved_at" in changes:
        floor = changes.get("started_at", incident.started_at)
        changes["resolved_at"] = _not_before(changes["resolved_at"], floor)
    changes = {k: v for k, v in changes.items() if getattr(incident, k) != v}
    link.save(update_fields=["url", "vendor_status", "last_event_at"])

    if not changes:
        status = "stale" if stale else "unchanged"
        why = (
            f"{event.event_type} is older than the last event applied; the status stays."
            if stale
            else f"{event.event_type} changes nothing on {incident.key}."
        )
        return Outcome(status, incident, why)
    with acting_as(actor_label(source), note=f"{event.event_type} {event.event_id}"):
        save_versioned(incident, incident.version, changes)
    detail = f"{incident.key} updated from {event.event_type}: {', '.join(sorted(changes))}."
    if stale:
        detail += " The event was older than the last one applied, so only blanks were filled."
    return Outcome("updated", incident, detail)


def _authoritative(
    source: IngestSource, incident: Incident, event: IncidentEvent
) -> dict[str, Any]:
    """The fields a newer event sets on an existing incident."""
    out: dict[str, Any] = {}
    wanted = event.overwrite
    if "title" in wanted and event.title:
        out["title"] = event.title[:200]
    if "severity" in wanted and event.severity_values:
        out["severity"] = source.severity_for(event.severity_values)
    if "summary" in wanted and event.summary:
        out["summary"] = event.summary
    if "started_at" in wanted and event.started_at is not None:
        out["started_at"] = event.started_at
    if "mitigated_at" in wanted and event.mitigated_at is not None:
        out["mitigated_at"] = event.mitigated_at
    if "failure_mode" in wanted and event.failure_mode:
        out["failure_mode"] = event.failure_mode[:300]
    if "failure_tags" in wanted and event.failure_tags:
        out["failure_tags"] = list(event.failure_tags)
    if "commander" in wanted and event.commander_email:
        commander = _commander(event.commander_email)
        if commander is not None:
            out["commander"] = commander
    if "flags" in wanted:
        for flag in event.flags:
            out[flag] = True
    return out
