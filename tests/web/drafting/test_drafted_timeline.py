"""The initial timeline drafted at resolution from the incident's stored paging events and
recorded changes: facts with their source and link, decided one by one, accepted as the
postmortem's timeline, which completes the IC's T+24h milestone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from followthrough.core.calendar import MilestoneKey
from followthrough.web.drafting import operations
from followthrough.web.drafting.models import DraftEvent, TimelineDraft
from followthrough.web.history.models import Change
from followthrough.web.ingest.models import IngestSource
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import Refused

from .conftest import pd

if TYPE_CHECKING:
    from conftest import Cast
    from web.ingest.conftest import Sender

pytestmark = pytest.mark.django_db


def drafted(postmortem: Postmortem) -> list[DraftEvent]:
    draft = operations.draft_for(postmortem)
    assert draft is not None
    return list(draft.events.all())


def test_every_paging_event_of_the_incident_is_a_drafted_fact_with_its_source_and_link(
    resolved_postmortem: Postmortem,
) -> None:
    events = drafted(resolved_postmortem)
    texts = [e.description for e in events if e.source == "PagerDuty"]
    assert texts == [
        "PagerDuty incident #1042 triggered on Checkout API: Checkout API error rate above 5%",
        "PagerDuty incident #1042 acknowledged by Ivan Petrov.",
        "PagerDuty incident #1042 priority set to P1 by Ivan Petrov.",
        "PagerDuty incident #1042 escalated to Rita Gomez.",
        "Frank Osei added as a responder to PagerDuty incident by Ivan Petrov.",
        "Note on PagerDuty incident: Ivan Petrov wrote: Rolled back the 13:55 deploy.",
        "PagerDuty incident #1042 resolved by Ivan Petrov.",
    ]
    link = "https://acme.pagerduty.com/incidents/Q2ABC3DEF45GHI"
    assert {e.link for e in events if e.source == "PagerDuty"} == {link}
    assert all(e.state == DraftEvent.State.PROPOSED for e in events)


def test_the_incident_field_changes_are_drafted_from_its_history(
    resolved_postmortem: Postmortem,
) -> None:
    changes = [e for e in drafted(resolved_postmortem) if e.source == "Incident record"]
    assert [e.description for e in changes] == [
        "Severity changed from P1 to P0 (by pagerduty webhook)."
    ]
    assert changes[0].link == f"/history/incidents/{resolved_postmortem.incident_id}/"


def test_nothing_is_drafted_before_the_incident_is_resolved(
    cast: Cast, pagerduty: IngestSource, send: Sender
) -> None:
    from followthrough.web.ingest.models import IngestedIncident
    from followthrough.web.postmortems.operations import start_postmortem

    send.pagerduty(pagerduty, pd("incident_triggered"))
    incident = IngestedIncident.objects.get(external_id="Q2ABC3DEF45GHI").incident
    assert operations.draft_for(start_postmortem(incident, cast.alice)) is None
    assert not TimelineDraft.objects.exists()


def test_a_late_event_joins_the_draft_and_decisions_already_made_stay(
    resolved_postmortem: Postmortem, pagerduty: IngestSource, send: Sender
) -> None:
    first = drafted(resolved_postmortem)
    operations.decide(first[0], DraftEvent.State.DROPPED)
    late = pd(
        "incident_annotated",
        id="01EVT0LATE",
        occurred_at="2026-03-02T14:40:00.000Z",
    )
    late["event"]["data"]["content"] = "Error rate back under 1%."
    send.pagerduty(pagerduty, late)
    again = drafted(resolved_postmortem)
    assert len(again) == len(first) + 1
    assert again[0].state == DraftEvent.State.DROPPED
    assert any("Error rate back under 1%." in e.description for e in again)


def test_accepting_the_timeline_puts_the_accepted_facts_on_it_and_completes_the_milestone(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    events = drafted(resolved_postmortem)
    for event in events:
        operations.decide(event, DraftEvent.State.ACCEPTED)
    operations.decide(events[3], DraftEvent.State.DROPPED)
    draft = TimelineDraft.objects.get()
    created = operations.accept_timeline(draft, cast.bob)

    postmortem = Postmortem.objects.get(pk=resolved_postmortem.pk)
    kept = [e for e in events if e.pk != events[3].pk]
    assert [t.description for t in postmortem.timeline_events.all()] == [
        e.description for e in kept
    ]
    assert len(created) == len(kept)
    assert postmortem.timeline_documented_at is not None
    done = {m.key: m for m in postmortem.milestones()}[MilestoneKey.INITIAL_TIMELINE]
    assert done.completed_at == postmortem.timeline_documented_at
    draft.refresh_from_db()
    assert draft.accepted_by == cast.bob and draft.accepted_at is not None
    # The history names who accepted, and the milestone's completion is recorded.
    milestone = Change.objects.filter(
        object_id=str(postmortem.pk), after__timeline_documented_at__isnull=False
    )
    assert milestone.exists()
    accepted = Change.objects.filter(
        incident_id=postmortem.incident_id, after__accepted_by=cast.bob.pk
    )
    assert accepted.count() == 1
    # Once accepted, the draft is closed: nothing more is decided or accepted.
    with pytest.raises(Refused, match="accepted already"):
        operations.decide(events[0], DraftEvent.State.DROPPED)
    with pytest.raises(Refused, match="accepted already"):
        operations.accept_timeline(draft, cast.bob)


def test_the_timeline_is_not_accepted_while_an_event_is_undecided(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    events = drafted(resolved_postmortem)
    operations.decide(events[0], DraftEvent.State.ACCEPTED)
    with pytest.raises(Refused, match=r"\d+ drafted event\(s\) are not decided yet"):
        operations.accept_timeline(TimelineDraft.objects.get(), cast.bob)
    assert not resolved_postmortem.timeline_events.exists()
    assert Postmortem.objects.get(pk=resolved_postmortem.pk).timeline_documented_at is None


def test_an_accepted_note_with_analysis_in_it_is_refused_until_edited_to_the_fact(
    cast: Cast, resolved_postmortem: Postmortem, pagerduty: IngestSource, send: Sender
) -> None:
    """The linter's timeline rules hold for the draft: PM403 "No analysis yet. Just facts."."""
    note = pd("incident_annotated", id="01EVT0BLAME", occurred_at="2026-03-02T14:00:00.000Z")
    note["event"]["data"]["content"] = "Rolled back, which was a mistake because nobody checked."
    send.pagerduty(pagerduty, note)
    events = drafted(resolved_postmortem)
    for event in events:
        operations.decide(event, DraftEvent.State.ACCEPTED)
    with pytest.raises(Refused) as refused:
        operations.accept_timeline(TimelineDraft.objects.get(), cast.bob)
    assert any("PM403" in r and "mistake" in r for r in refused.value.reasons)
    assert not resolved_postmortem.timeline_events.exists()

    blamed = next(e for e in events if "mistake" in e.description)
    operations.decide(blamed, DraftEvent.State.ACCEPTED, "Ivan Petrov rolled back the deploy.")
    operations.accept_timeline(TimelineDraft.objects.get(), cast.bob)
    assert resolved_postmortem.timeline_events.filter(
        description="Ivan Petrov rolled back the deploy."
    ).exists()
    assert DraftEvent.objects.get(pk=blamed.pk).edited


def test_a_final_postmortem_takes_no_drafted_timeline(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    for event in drafted(resolved_postmortem):
        operations.decide(event, DraftEvent.State.ACCEPTED)
    Postmortem.objects.filter(pk=resolved_postmortem.pk).update(status=Status.FINAL)
    with pytest.raises(Refused, match="final"):
        operations.accept_timeline(TimelineDraft.objects.get(), cast.bob)


def test_a_link_that_is_not_a_web_address_is_not_shown(
    cast: Cast, pagerduty: IngestSource, send: Sender
) -> None:
    """A signed payload can still carry "javascript:" in html_url: it never becomes a link."""
    from followthrough.web.ingest.models import IngestedIncident
    from followthrough.web.postmortems.operations import start_postmortem

    for name in ("incident_triggered", "incident_resolved"):
        payload = pd(name)
        payload["event"]["data"]["html_url"] = "javascript:alert(document.cookie)"
        send.pagerduty(pagerduty, payload)
    incident = IngestedIncident.objects.get(external_id="Q2ABC3DEF45GHI").incident
    events = drafted(start_postmortem(incident, cast.alice))
    assert events and all(e.link == "" for e in events if e.source == "PagerDuty")


def test_an_opsgenie_alert_and_its_note_are_drafted(
    cast: Cast, opsgenie: IngestSource, send: Sender
) -> None:
    """Opsgenie alert callbacks (Opsgenie docs, "Webhook integration": Create, AddNote, Close)."""
    from followthrough.web.ingest.models import IngestedIncident
    from followthrough.web.postmortems.operations import start_postmortem
    from web.ingest.conftest import fixture

    for name in ("create", "add_note", "close"):
        assert send.opsgenie(opsgenie, fixture("opsgenie", name)).status_code in (200, 201)
    incident = IngestedIncident.objects.get(source=opsgenie).incident
    events = [e for e in drafted(start_postmortem(incident, cast.alice)) if e.source == "Opsgenie"]
    texts = [e.description for e in events]
    assert texts[0] == "Opsgenie alert #1791 created: Checkout API error rate above 5%"
    assert "Note on Opsgenie alert #1791: ivan@example.com wrote: Rolled back." in texts
    assert any(t.startswith("Opsgenie alert #1791 closed") for t in texts)
    assert all(e.link.startswith("https://app.opsgenie.com/alert/detail/") for e in events)


def test_a_note_with_a_nul_character_is_stored_and_drafted_without_it(
    resolved_postmortem: Postmortem, pagerduty: IngestSource, send: Sender
) -> None:
    """PostgreSQL's jsonb refuses \\u0000; a signed payload may still carry one."""
    note = pd("incident_annotated", id="01EVT0NUL", occurred_at="2026-03-02T14:10:00.000Z")
    note["event"]["data"]["content"] = "Cache\x00 flushed."
    assert send.pagerduty(pagerduty, note).status_code == 200
    assert any(
        e.description.endswith("wrote: Cache flushed.") for e in drafted(resolved_postmortem)
    )
