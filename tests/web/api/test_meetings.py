"""The meeting: facilitated by someone not involved, 60 to 90 minutes, on the seed's agenda."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def url(postmortem: Postmortem) -> str:
    return f"{API}/postmortems/{postmortem.pk}/meeting"


def test_the_meeting_comes_with_the_five_part_agenda(cast: Cast, postmortem: Postmortem) -> None:
    body = ok(cast.api("vera").get(url(postmortem)))
    agenda = body["agenda"]
    assert [part["title"] for part in agenda] == [
        "Timeline review",
        "Impact review",
        "Root cause analysis",
        "Contributing factors",
        "Action items",
    ]
    assert sum(part["minutes"] for part in agenda) == 60
    assert agenda[1]["starts_at_minute"] == agenda[0]["minutes"]
    assert "Just facts" in agenda[0]["guidance"]


def test_a_facilitator_who_was_the_incident_commander_is_refused(
    cast: Cast, postmortem: Postmortem
) -> None:
    response = cast.api("alice").patch_json(
        url(postmortem), {"facilitator_id": cast.ivan.pk, "version": 1}
    )
    message = field_errors(response)["facilitator_id"]
    assert message == (
        "Ivan Petrov was the incident commander; the facilitator must be someone not directly "
        "involved in the incident."
    )
    meeting = Meeting.objects.get(postmortem=postmortem)
    assert meeting.facilitator_id is None and meeting.version == 1


def test_a_facilitator_who_was_a_responder_is_refused(cast: Cast, postmortem: Postmortem) -> None:
    response = cast.api("alice").patch_json(
        url(postmortem), {"facilitator_id": cast.rita.pk, "location": "Room 4", "version": 1}
    )
    assert "was a responder" in field_errors(response)["facilitator_id"]
    assert Meeting.objects.get(postmortem=postmortem).location == ""


def test_an_uninvolved_facilitator_schedules_a_ninety_minute_meeting(
    cast: Cast, postmortem: Postmortem
) -> None:
    body = ok(
        cast.api("bob").patch_json(
            url(postmortem),
            {
                "facilitator_id": cast.frank.pk,
                "attendee_ids": [cast.ivan.pk, cast.rita.pk, cast.alice.person.pk],
                "duration_minutes": 90,
                "scheduled_for": "2026-03-05T10:00:00+01:00",
                "location": "Room 4",
                "version": 1,
            },
        )
    )
    assert body["facilitator"] == {"id": cast.frank.pk, "name": "Frank Osei"}
    # Everyone involved, the team lead, and the facilitator (always an attendee).
    assert {a["name"] for a in body["attendees"]} == {
        "Ivan Petrov",
        "Rita Gomez",
        "Alice",
        "Frank Osei",
    }
    assert sum(part["minutes"] for part in body["agenda"]) == 90
    assert body["scheduled_at"] is not None and body["version"] == 2
    detail = ok(cast.api("bob").get(f"{API}/postmortems/{postmortem.pk}"))
    scheduled = next(m for m in detail["milestones"] if m["key"] == "meeting_scheduled")
    assert scheduled["completed_at"] is not None
    stale = ok(cast.api("bob").patch_json(url(postmortem), {"notes": "x", "version": 1}), 409)
    assert stale["current"]["location"] == "Room 4"


def test_a_meeting_shorter_than_an_hour_is_refused(cast: Cast, postmortem: Postmortem) -> None:
    response = cast.api("alice").patch_json(url(postmortem), {"duration_minutes": 45, "version": 1})
    assert (
        field_errors(response)["duration_minutes"]
        == "A postmortem meeting runs 60 to 90 minutes; got 45."
    )


def test_meeting_times_must_be_timezone_aware(cast: Cast, postmortem: Postmortem) -> None:
    response = cast.api("alice").patch_json(
        url(postmortem), {"held_at": "2026-03-05T11:30:00", "version": 1}
    )
    assert "timezone" in field_errors(response)["held_at"]


def test_a_viewer_cannot_change_the_meeting_and_an_outsider_cannot_see_a_private_one(
    cast: Cast, postmortem: Postmortem
) -> None:
    assert ok(cast.api("vera").patch_json(url(postmortem), {"notes": "x", "version": 1}), 403)
    secret = start_postmortem(cast.incident(team=cast.security), cast.dana)
    assert ok(cast.api("charlie").get(url(secret)), 404)
    assert ok(cast.api("dana").get(url(secret)))["postmortem_id"] == secret.pk
