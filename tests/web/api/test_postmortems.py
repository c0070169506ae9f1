"""Postmortems through the API: six milestones on the team's calendar, versioned edits, review."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, TimelineEvent, Why
from followthrough.web.postmortems.operations import Refused, start_postmortem

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

FRIDAY_AFTERNOON = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 16:00 in Berlin
NEXT_MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def test_starting_a_postmortem_returns_the_six_milestones_on_the_teams_calendar(cast: Cast) -> None:
    incident = cast.incident(
        resolved_at=FRIDAY_AFTERNOON, started_at=FRIDAY_AFTERNOON.replace(hour=13)
    )
    with time_machine.travel(NEXT_MONDAY, tick=False):
        body = ok(cast.api("alice").post(f"{API}/incidents/{incident.pk}/postmortem"), 201)
    milestones = {m["key"]: m for m in body["milestones"]}
    assert list(milestones) == [
        "incident_resolved",
        "initial_timeline",
        "meeting_scheduled",
        "meeting_held",
        "document_final",
        "actions_tracked",
    ]
    due = {key: m["due_at"] for key, m in milestones.items()}
    assert due["incident_resolved"] == "2026-03-06T15:00:00Z"
    assert due["initial_timeline"] == "2026-03-07T15:00:00Z"  # T+24 hours
    assert due["meeting_scheduled"] == "2026-03-08T15:00:00Z"  # T+48 hours
    # T+5 business days: the next Friday, end of day in Berlin (23:59:59 CET = 22:59:59 UTC).
    assert due["meeting_held"].startswith("2026-03-13T22:59:59")
    assert due["document_final"].startswith("2026-03-17T22:59:59")  # T+7 business days
    assert due["actions_tracked"].startswith("2026-03-17T22:59:59")
    states = {key: m["state"] for key, m in milestones.items()}
    assert states == {
        "incident_resolved": "done_on_time",
        "initial_timeline": "overdue",
        "meeting_scheduled": "overdue",
        "meeting_held": "pending",
        "document_final": "pending",
        "actions_tracked": "pending",
    }
    assert milestones["meeting_held"]["owner_role"] == "Postmortem facilitator"
    assert milestones["meeting_held"]["name"] == "Postmortem meeting held"
    assert body["status"] == "draft" and body["version"] == 1
    assert body["allowed_transitions"] == ["in_review"]
    assert body["overdue"] is True
    assert {a["name"] for a in body["meeting"]["attendees"]} == {
        "Alice",
        "Ivan Petrov",
        "Rita Gomez",
    }
    assert [part["minutes"] for part in body["meeting"]["agenda"]] and body["meeting"][
        "duration_minutes"
    ] == 60
    assert body["whys"] == [] and body["timeline"] == [] and body["factors"] == []


def test_a_second_postmortem_for_the_same_incident_is_a_conflict_naming_the_first(
    cast: Cast, incident: Incident
) -> None:
    client = cast.api("alice")
    first = ok(client.post(f"{API}/incidents/{incident.pk}/postmortem"), 201)
    again = ok(client.post(f"{API}/incidents/{incident.pk}/postmortem"), 409)
    assert again["id"] == first["id"]
    assert "already has a postmortem" in again["detail"]
    assert Postmortem.objects.count() == 1
    assert ok(client.get(f"{API}/incidents/{incident.pk}/postmortem"))["id"] == first["id"]


def test_an_incident_without_a_postmortem_answers_404_for_it(
    cast: Cast, incident: Incident
) -> None:
    body = ok(cast.api("alice").get(f"{API}/incidents/{incident.pk}/postmortem"), 404)
    assert "no postmortem yet" in body["detail"]
    assert ok(cast.api("alice").get(f"{API}/postmortems/424242"), 404)
    assert ok(cast.api("alice").post(f"{API}/incidents/424242/postmortem"), 404)


def test_a_viewer_cannot_start_a_postmortem(cast: Cast, incident: Incident) -> None:
    assert ok(cast.api("vera").post(f"{API}/incidents/{incident.pk}/postmortem"), 403)
    assert Postmortem.objects.count() == 0


def test_editing_sections_with_the_current_version_saves_them(
    cast: Cast, postmortem: Postmortem
) -> None:
    body = ok(
        cast.api("bob").patch_json(
            f"{API}/postmortems/{postmortem.pk}",
            {
                "summary": "EU card payments failed for 40 minutes.",
                "users_affected": 1200,
                "revenue_impact": "18250.5",
                "root_cause": "No review gate for connection-pool settings.",
                "root_cause_category": "process",
                "version": 1,
            },
        )
    )
    assert body["version"] == 2
    assert body["summary"] == "EU card payments failed for 40 minutes."
    assert body["revenue_impact"] == "18250.50"
    assert body["root_cause_category"] == "process"


def test_a_stale_edit_is_a_conflict_that_keeps_the_newer_text(
    cast: Cast, postmortem: Postmortem
) -> None:
    ok(
        cast.api("alice").patch_json(
            f"{API}/postmortems/{postmortem.pk}", {"summary": "Alice's newer text", "version": 1}
        )
    )
    stale = cast.api("bob").patch_json(
        f"{API}/postmortems/{postmortem.pk}",
        {"summary": "Bob's older text", "lessons": "x", "version": 1},
    )
    body = ok(stale, 409)
    assert "changed by someone else" in body["detail"]
    assert body["current"]["summary"] == "Alice's newer text"
    assert body["current"]["version"] == 2
    assert len(body["current"]["milestones"]) == 6
    postmortem.refresh_from_db()
    assert (postmortem.summary, postmortem.lessons, postmortem.version) == (
        "Alice's newer text",
        "",
        2,
    )


def test_bad_section_values_are_field_errors(cast: Cast, postmortem: Postmortem) -> None:
    errors = field_errors(
        cast.api("alice").patch_json(
            f"{API}/postmortems/{postmortem.pk}",
            {
                "root_cause_category": "blame",
                "users_affected": -1,
                "revenue_impact": "1.234",
                "version": 1,
            },
        )
    )
    assert set(errors) == {"root_cause_category", "users_affected", "revenue_impact"}
    postmortem.refresh_from_db()
    assert postmortem.version == 1


def test_a_viewer_and_an_outsider_cannot_edit_a_postmortem(
    cast: Cast, postmortem: Postmortem
) -> None:
    for name in ("vera", "charlie"):
        response = cast.api(name).patch_json(
            f"{API}/postmortems/{postmortem.pk}", {"summary": "x", "version": 1}
        )
        assert ok(response, 403)["detail"]
    postmortem.refresh_from_db()
    assert postmortem.summary == "" and postmortem.version == 1


def test_a_transition_the_rules_refuse_gives_every_reason_and_changes_nothing(
    cast: Cast, postmortem: Postmortem
) -> None:
    before = Postmortem.objects.values().get(pk=postmortem.pk)
    response = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/transition", {"to": "in_review", "version": 1}
    )
    body = ok(response, 422)
    assert body["detail"].startswith("The postmortem cannot go to in review")
    assert body["reasons"] == [
        "Write a summary before asking for review.",
        "Document the timeline (at least one event) before asking for review.",
    ]
    assert Postmortem.objects.values().get(pk=postmortem.pk) == before
    skipping = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/transition", {"to": "final", "version": 1}
    )
    assert "cannot go from draft to final" in ok(skipping, 422)["reasons"][0]
    unknown = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/transition", {"to": "published", "version": 1}
    )
    assert "to" in field_errors(unknown)


def test_a_postmortem_with_a_summary_and_a_timeline_goes_to_review(
    cast: Cast, postmortem: Postmortem
) -> None:
    client = cast.api("alice")
    ok(
        client.patch_json(
            f"{API}/postmortems/{postmortem.pk}", {"summary": "Payments failed.", "version": 1}
        )
    )
    ok(
        client.post_json(
            f"{API}/postmortems/{postmortem.pk}/timeline",
            {"occurred_at": "2026-03-02T13:00:00Z", "description": "Error rate alert fired."},
        ),
        201,
    )
    stale = client.post_json(
        f"{API}/postmortems/{postmortem.pk}/transition", {"to": "in_review", "version": 1}
    )
    assert ok(stale, 409)["current"]["status"] == "draft"
    body = ok(
        client.post_json(
            f"{API}/postmortems/{postmortem.pk}/transition", {"to": "in_review", "version": 2}
        )
    )
    assert (body["status"], body["version"]) == ("in_review", 3)
    assert set(body["allowed_transitions"]) == {"draft", "final"}


def test_postmortems_list_by_team_and_status(cast: Cast, postmortem: Postmortem) -> None:
    secret = start_postmortem(cast.incident(team=cast.security, title="Phishing"), cast.dana)
    Postmortem.objects.filter(pk=postmortem.pk).update(status="in_review")
    alice = cast.api("alice")
    assert [p["id"] for p in ok(alice.get(f"{API}/postmortems"))["items"]] == [postmortem.pk]
    assert ok(alice.get(f"{API}/postmortems?status=draft"))["count"] == 0
    assert ok(alice.get(f"{API}/postmortems?status=in_review"))["items"][0]["incident"]["key"] == (
        f"INC-{postmortem.incident_id}"
    )
    assert ok(alice.get(f"{API}/postmortems/{secret.pk}"), 404)
    dana = cast.api("dana")
    assert ok(dana.get(f"{API}/postmortems?team={cast.security.pk}"))["items"][0]["id"] == secret.pk
    assert ok(dana.get(f"{API}/postmortems?limit=1"))["count"] == 2


def test_a_refused_request_leaves_nothing_it_wrote_before_the_refusal(
    cast: Cast, postmortem: Postmortem, monkeypatch: pytest.MonkeyPatch
) -> None:
    whys = [
        Why.objects.create(
            postmortem=postmortem, position=n, question=f"Why {n}?", answer="Because."
        )
        for n in range(2)
    ]

    def half_reorder(pm: Postmortem, related_name: str, ids: list[int]) -> Any:
        Why.objects.filter(pk=whys[0].pk).update(position=99)
        TimelineEvent.objects.create(
            postmortem=pm, occurred_at=FRIDAY_AFTERNOON, description="Stray"
        )
        raise Refused(["Refused after writing."], field="order")

    monkeypatch.setattr("followthrough.web.postmortems.api.sections.reorder", half_reorder)
    response = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/whys/reorder", {"order": [whys[1].pk, whys[0].pk]}
    )
    assert field_errors(response) == {"order": "Refused after writing."}
    assert list(Why.objects.order_by("pk").values_list("position", flat=True)) == [0, 1]
    assert not TimelineEvent.objects.exists()


def test_going_final_despite_linter_errors_needs_a_recorded_reason(
    cast: Cast, postmortem: Postmortem
) -> None:
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status="in_review",
        root_cause="No review gate for pool settings.",
        root_cause_category="process",
    )
    postmortem.meeting.held_at = FRIDAY_AFTERNOON
    postmortem.meeting.save()
    # A vague action item ("improve monitoring") is an error the linter reports.
    ActionItem.objects.create(
        postmortem=postmortem,
        title="Improve monitoring",
        owner=cast.frank,
        due_date=date(2026, 4, 1),
    )
    client = cast.api("alice")
    url = f"{API}/postmortems/{postmortem.pk}/transition"
    refused = ok(client.post_json(url, {"to": "final", "version": 1}), 422)
    assert any("linter" in reason for reason in refused["reasons"]), refused
    body = ok(
        client.post_json(
            url,
            {"to": "final", "version": 1, "override_reason": "Incident review board asked for it."},
        )
    )
    assert body["status"] == "final"
    assert body["final_override_reason"] == "Incident review board asked for it."
    assert body["finalized_at"] is not None
