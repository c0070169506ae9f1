"""PagerDuty Webhooks v3 in: fixture payloads from PagerDuty's documentation.

``fixtures/pagerduty/*.json`` are PagerDuty's published webhook payload example (the
``incident.priority_updated`` event of "Webhooks Overview", developer.pagerduty.com/docs/
webhooks-overview; PagerDuty/developer-docs ``docs/webhooks/01-Overview.md``), trimmed:
its envelope and reference ids are kept (service ``PF9KMXH``, assignee ``PTUXL6G``,
escalation policy ``PUS0KTE``, team ``PFCVPS0``); the event type, incident id, title,
names and times are varied for each event we act on, and ``pagey_ping`` is the ping event
of the same page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.integrations.pagerduty.parse import SUPPORTED_EVENTS
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import FIXTURES, Sender, fixture, pd_signature

if TYPE_CHECKING:
    from conftest import Cast

# The events we act on; each has a fixture named after it.
SUPPORTED = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.priority_updated",
    "incident.reopened",
]
# Kept for the drafted timeline (docs/drafted-timeline.md); a fixture each too.
FOR_THE_TIMELINE = ["incident.escalated", "incident.responder.added", "incident.annotated"]


LATER = "2026-03-02T17:00:00.000Z"


def event(name: str, **changes: Any) -> dict[str, Any]:
    payload = fixture("pagerduty", name.replace(".", "_"))
    payload["event"].update(changes)
    return payload


def the_incident() -> Incident:
    return IngestedIncident.objects.get(external_id="Q2ABC3DEF45GHI").incident


def test_the_supported_events_are_listed_and_each_has_a_fixture() -> None:
    assert list(SUPPORTED_EVENTS) == SUPPORTED + FOR_THE_TIMELINE
    for name in SUPPORTED + FOR_THE_TIMELINE:
        path = FIXTURES / "pagerduty" / f"{name.replace('.', '_')}.json"
        assert path.exists(), path


@pytest.mark.parametrize("name", SUPPORTED)
def test_each_supported_event_alone_creates_the_incident_once(
    cast: Cast, pagerduty: IngestSource, send: Sender, name: str
) -> None:
    response = send.pagerduty(pagerduty, event(name))
    assert response.status_code == 201, response.content
    incident = the_incident()
    assert response.json()["incident"] == incident.key
    assert incident.team == cast.payments
    assert incident.title == "Checkout API error rate above 5%"
    assert incident.source == "pagerduty"
    assert (incident.resolved_at is not None) == (name == "incident.resolved")


def test_triggered_then_resolved_makes_one_incident_and_resolution_starts_the_clock(
    cast: Cast, pagerduty: IngestSource, send: Sender
) -> None:
    assert send.pagerduty(pagerduty, event("incident.triggered")).status_code == 201
    incident = the_incident()
    assert incident.severity == "P1"  # PagerDuty P2 -> our P1 by default
    assert incident.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert incident.resolved_at is None
    for name in ("incident.acknowledged", "incident.priority_updated", "incident.resolved"):
        response = send.pagerduty(pagerduty, event(name))
        assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert Incident.objects.count() == 1
    assert incident.severity == "P0"  # priority_updated to P1
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert incident.ingested.vendor_status == "resolved"
    postmortem = start_postmortem(incident, cast.alice)
    assert postmortem.milestones()[0].completed_at == incident.resolved_at


def test_a_redelivered_event_changes_nothing(pagerduty: IngestSource, send: Sender) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    send.pagerduty(pagerduty, event("incident.resolved"))
    incident = the_incident()
    version = incident.version
    changes = history_of(incident).count()

    response = send.pagerduty(pagerduty, event("incident.resolved"))

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert "delivered before" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.version == version
    assert history_of(incident).count() == changes
    assert Delivery.objects.filter(source=pagerduty).count() == 2


def test_an_older_event_arriving_late_does_not_unresolve(
    pagerduty: IngestSource, send: Sender
) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    send.pagerduty(pagerduty, event("incident.resolved"))
    # A reopen that happened before the resolution, delivered after it.
    late = event("incident.reopened", occurred_at="2026-03-02T14:00:00Z")
    response = send.pagerduty(pagerduty, late)
    assert response.status_code == 200
    assert response.json()["status"] == "stale"
    incident = the_incident()
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert incident.ingested.vendor_status == "resolved"


def test_a_resolution_delivered_before_the_trigger_still_ends_resolved(
    pagerduty: IngestSource, send: Sender
) -> None:
    assert send.pagerduty(pagerduty, event("incident.resolved")).status_code == 201
    response = send.pagerduty(pagerduty, event("incident.triggered"))
    assert response.status_code == 200
    incident = the_incident()
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert incident.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def test_a_newer_reopen_clears_the_resolution_and_a_new_resolve_sets_it_again(
    pagerduty: IngestSource, send: Sender
) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    send.pagerduty(pagerduty, event("incident.resolved"))
    send.pagerduty(pagerduty, event("incident.reopened"))
    assert the_incident().resolved_at is None
    again = event("incident.resolved", id="01EVT0RESOLVEDAGAIN0000008")
    again["event"]["occurred_at"] = "2026-03-02T16:00:00Z"
    send.pagerduty(pagerduty, again)
    assert the_incident().resolved_at == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def test_every_accepted_event_is_in_the_history_as_the_pagerduty_webhook(
    pagerduty: IngestSource, send: Sender
) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    send.pagerduty(pagerduty, event("incident.resolved"))
    changes = list(history_of(the_incident()))
    assert [c.action for c in changes] == ["update", "create"]
    assert {c.who for c in changes} == {"pagerduty webhook"}
    assert "incident.resolved" in changes[0].note
    assert "resolved_at" in changes[0].changed_fields()


def test_a_service_routing_rule_sends_the_incident_to_its_team(
    cast: Cast, pagerduty: IngestSource, send: Sender
) -> None:
    payload = event("incident.triggered")
    payload["event"]["data"]["service"]["id"] = "PSECURE1"
    send.pagerduty(pagerduty, payload)
    assert the_incident().team == cast.security


def test_a_bad_signature_gets_401_and_stores_nothing(pagerduty: IngestSource, send: Sender) -> None:
    payload = event("incident.triggered")
    for signature in ("", "v1=" + "0" * 64, pd_signature(b"other body")):
        response = send.pagerduty(pagerduty, payload, signature=signature)
        assert response.status_code == 401, response.content
    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_a_secret_rotation_header_with_the_right_signature_second_passes(
    pagerduty: IngestSource, send: Sender
) -> None:
    payload = event("incident.triggered")
    from .conftest import body_of

    body = body_of(payload)
    header = pd_signature(body, "the-old-secret") + "," + pd_signature(body)
    assert send.pagerduty(pagerduty, body, signature=header).status_code == 201


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"event": {"event_type": "incident.triggered"}}', "event.id is required"),
        (
            b'{"event": {"id": "x", "event_type": "incident.triggered", "occurred_at": "yesterday"}}',
            "ISO 8601",
        ),
        (
            b'{"event": {"id": "x", "event_type": "incident.triggered", '
            b'"occurred_at": "2026-03-02T13:00:00Z", "data": {"title": "no id"}}}',
            "event.data.id is required",
        ),
    ],
)
def test_a_malformed_payload_gets_400_with_the_reason(
    pagerduty: IngestSource, send: Sender, body: bytes, reason: str
) -> None:
    response = send.pagerduty(pagerduty, body)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_events_we_do_not_act_on_are_acknowledged_and_ignored(
    pagerduty: IngestSource, send: Sender
) -> None:
    response = send.pagerduty(pagerduty, fixture("pagerduty", "pagey_ping"))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert "incident.triggered" in response.json()["detail"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("name", ["incident_annotated", "incident_responder_added"])
def test_a_note_or_responder_about_an_incident_never_received_starts_none(
    pagerduty: IngestSource, send: Sender, name: str
) -> None:
    response = send.pagerduty(pagerduty, fixture("pagerduty", name))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert "not received before" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_every_event_on_an_incident_is_kept_with_its_payload_for_the_drafted_timeline(
    pagerduty: IngestSource, send: Sender
) -> None:
    """PagerDuty developer docs, Webhooks v3 "Event Types": triggered, acknowledged,
    escalated, responder.added, annotated, priority_updated, resolved."""
    names = [
        "incident_triggered",
        "incident_acknowledged",
        "incident_priority_updated",
        "incident_escalated",
        "incident_responder_added",
        "incident_annotated",
        "incident_resolved",
    ]
    for name in names:
        assert send.pagerduty(pagerduty, fixture("pagerduty", name)).status_code in (200, 201)
    incident = the_incident()
    kept = Delivery.objects.filter(incident=incident).order_by("occurred_at")
    assert [d.event_type for d in kept] == [
        fixture("pagerduty", n)["event"]["event_type"] for n in names
    ]
    assert all(d.payload["id"] == d.event_id for d in kept)
    # A note changes nothing on the incident but is kept.
    assert kept.get(event_type="incident.annotated").payload["data"]["content"]


# --- the replay window on the signed occurred_at (PagerDuty signs no timestamp header) ---------


def test_a_captured_resolution_replayed_more_than_a_day_later_is_refused_as_a_replay(
    pagerduty: IngestSource, send: Sender
) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    send.pagerduty(pagerduty, event("incident.resolved"))
    send.pagerduty(pagerduty, event("incident.reopened", id="01REOPEN", occurred_at=LATER))
    with time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=UTC)):
        replayed = send.pagerduty(pagerduty, event("incident.resolved", id="01REPLAYED"))
    assert replayed.status_code == 401
    assert "more than 24 hours is refused" in replayed.json()["detail"]
    assert the_incident().resolved_at is None
    assert not Delivery.objects.filter(event_id="01REPLAYED").exists()


def test_within_the_day_a_replay_under_the_same_signed_event_id_is_a_duplicate(
    pagerduty: IngestSource, send: Sender
) -> None:
    send.pagerduty(pagerduty, event("incident.triggered"))
    assert send.pagerduty(pagerduty, event("incident.triggered")).json()["status"] == "duplicate"


def test_an_event_dated_more_than_five_minutes_ahead_is_refused(
    pagerduty: IngestSource, send: Sender
) -> None:
    ahead = send.pagerduty(
        pagerduty, event("incident.triggered", occurred_at="2026-03-02T18:30:00Z")
    )
    assert ahead.status_code == 401
    assert "in the future" in ahead.json()["detail"]
    assert Incident.objects.count() == 0
