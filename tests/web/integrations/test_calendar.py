"""The meeting's invite: "The postmortem meeting gets an RFC 5545 invite ... rescheduling
sends an update with the same UID"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from followthrough.web.integrations.calendar import current_ics, send_invite
from followthrough.web.integrations.models import MeetingInvite
from followthrough.web.integrations.sync import catch_up
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import update_meeting

if TYPE_CHECKING:
    from conftest import Cast


@pytest.fixture
def meeting(cast: Cast, postmortem: Postmortem) -> Meeting:
    """Facilitated by frank (not involved), in two days at 14:00 UTC, 90 minutes."""
    meeting = postmortem.meeting
    start = (timezone.now() + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
    update_meeting(
        meeting,
        meeting.version,
        {
            "facilitator": cast.frank,
            "scheduled_for": start,
            "duration_minutes": 90,
            "location": "Room 4",
        },
    )
    return Meeting.objects.get(pk=meeting.pk)


def event_of(ics: bytes) -> tuple[Calendar, Any]:
    cal = Calendar.from_ical(ics)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def calendar_part(message: Any, method: str = "REQUEST") -> Any:
    """The inline text/calendar part of a message, checked to carry ``method``."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == method
    return parts[0]


def test_the_invite_is_a_request_from_the_facilitator_to_the_attendees_with_the_agenda(
    meeting: Meeting,
) -> None:
    cal, event = event_of(current_ics(meeting))
    assert str(cal["METHOD"]) == "REQUEST" and str(cal["VERSION"]) == "2.0"
    assert str(event["ORGANIZER"]) == "mailto:frank@example.com"
    assert event["ORGANIZER"].params["CN"] == "Frank Osei"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    # Everyone involved and the team lead, asked to reply; the facilitator chairs.
    assert set(attendees) == {
        "mailto:ivan@example.com",
        "mailto:rita@example.com",
        "mailto:alice@example.com",
        "mailto:frank@example.com",
    }
    assert attendees["mailto:ivan@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    assert attendees["mailto:ivan@example.com"]["RSVP"] == "TRUE"
    assert attendees["mailto:frank@example.com"]["ROLE"] == "CHAIR"
    start = event.decoded("DTSTART")
    assert start == meeting.scheduled_for and start.tzinfo is not None
    assert start.utcoffset() == timedelta(0)
    assert event.decoded("DTEND") - start == timedelta(minutes=90)
    assert event.decoded("SEQUENCE") == 0
    assert str(event["SUMMARY"]).startswith(f"Postmortem: INC-{meeting.postmortem.incident_id}")
    description = str(event["DESCRIPTION"])
    for part in ("Timeline review", "Impact review", "Root cause analysis", "Action items"):
        assert part in description
    assert "(30 min" in description  # root cause analysis in a 90 minute meeting
    assert (
        f"https://followthrough.example.com/incidents/{meeting.postmortem.incident_id}/postmortem/"
        in description
    )
    assert str(event["LOCATION"]) == "Room 4"


def test_the_invite_downloads_as_text_calendar_for_anyone_who_can_see_the_incident(
    cast: Cast, meeting: Meeting
) -> None:
    incident_id = meeting.postmortem.incident_id
    url = f"/incidents/{incident_id}/postmortem/meeting.ics"
    answer = cast.browser(cast.vera).get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert f'filename="INC-{incident_id}-postmortem.ics"' in answer["Content-Disposition"]
    _, event = event_of(answer.content)
    assert str(event["UID"]) == MeetingInvite.objects.get(meeting=meeting).uid
    assert cast.browser(cast.vera).get(url).content.count(b"UID:") == 1
    # Not signed in: to the login page. No time yet: 404.
    assert cast.api("vera").get(url).status_code == 302
    update_meeting(meeting, meeting.version, {"scheduled_for": None})
    assert cast.browser(cast.vera).get(url).status_code == 404


def test_a_private_teams_invite_is_404_to_outsiders(cast: Cast) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    incident = cast.incident(team=cast.security, commander=None)
    start_postmortem(incident, cast.dana)
    answer = cast.browser(cast.charlie).get(f"/incidents/{incident.pk}/postmortem/meeting.ics")
    assert answer.status_code == 404


def test_the_invitation_mail_carries_the_invite_and_a_reschedule_keeps_the_uid_with_a_higher_sequence(
    meeting: Meeting,
) -> None:
    assert send_invite(meeting.pk)
    assert not send_invite(meeting.pk)  # the same time is not announced twice
    first = mail.outbox[0]
    assert sorted(first.to) == ["alice@example.com", "ivan@example.com", "rita@example.com"]
    assert first.subject.startswith("Invitation: Postmortem: INC-")
    assert first.reply_to == ["frank@example.com"]
    _, sent = event_of(calendar_part(first.message()).get_payload(decode=True))

    later = meeting.scheduled_for + timedelta(days=1)
    update_meeting(meeting, meeting.version, {"scheduled_for": later})
    assert send_invite(meeting.pk)
    update = mail.outbox[1]
    assert update.subject.startswith("Updated invitation:")
    _, moved = event_of(calendar_part(update.message()).get_payload(decode=True))
    assert str(moved["UID"]) == str(sent["UID"])
    assert (sent.decoded("SEQUENCE"), moved.decoded("SEQUENCE")) == (0, 1)
    assert moved.decoded("DTSTART") == later.astimezone(UTC)
    _, downloaded = event_of(current_ics(Meeting.objects.get(pk=meeting.pk)))
    assert downloaded.decoded("SEQUENCE") == 1


def test_the_invitation_goes_from_a_task_after_commit_never_from_the_request(
    cast: Cast, postmortem: Postmortem, django_capture_on_commit_callbacks: Any
) -> None:
    meeting = postmortem.meeting
    meeting.facilitator = cast.frank
    meeting.scheduled_for = datetime.now(UTC) + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        meeting.save()
        assert mail.outbox == []
    assert len(callbacks) == 1 and mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_a_meeting_scheduled_through_the_api_is_announced_by_the_catch_up(
    cast: Cast, postmortem: Postmortem
) -> None:
    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    answer = cast.api("alice").patch_json(
        f"/api/v1/postmortems/{postmortem.pk}/meeting",
        {
            "version": postmortem.meeting.version,
            "facilitator_id": cast.frank.pk,
            "scheduled_for": when.isoformat(),
        },
    )
    assert answer.status_code == 200, answer.content
    assert mail.outbox == []  # nothing is sent from the request
    assert catch_up(timezone.now())["invites_sent"] == 1
    assert len(mail.outbox) == 1
    assert catch_up(timezone.now())["invites_sent"] == 0
