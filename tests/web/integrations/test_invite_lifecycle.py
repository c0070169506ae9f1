"""The meeting's invitations follow the meeting (issues 13 and 14): "the first worker run
e-mailed invites for six meetings already in the past; an attendee added later never gets
the invite; removing the time or an attendee sends no cancellation (METHOD:CANCEL)", and
"the .ics rides as an attachment of multipart/mixed, where Outlook and Gmail show RSVP
buttons more reliably for an inline text/calendar alternative part".

Mail goes through a real SMTP server on loopback (aiosmtpd); each test parses what arrived
and checks the RFC 5545/5546 fields.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from icalendar import Calendar

from followthrough.web.followup.models import InviteCopy
from followthrough.web.followup.worker import one_pass
from followthrough.web.integrations.calendar import send_invite
from followthrough.web.integrations.models import MeetingInvite
from followthrough.web.integrations.sync import catch_up
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import update_meeting
from followthrough.web.recovery import delete

if TYPE_CHECKING:
    from conftest import Cast


class Inbox:
    """What the SMTP server accepted: each message parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((sorted(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def take(self) -> list[tuple[list[str], EmailMessage]]:
        taken, self.messages = self.messages, []
        return taken


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    yield inbox
    controller.stop()


def in_two_days() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.fixture
def meeting(cast: Cast, postmortem: Postmortem) -> Meeting:
    """Facilitated by frank; ivan, rita and alice attend (and frank, who organises)."""
    meeting = postmortem.meeting
    update_meeting(
        meeting,
        meeting.version,
        {"facilitator": cast.frank, "scheduled_for": in_two_days(), "location": "Room 4"},
    )
    return Meeting.objects.get(pk=meeting.pk)


def calendars(message: EmailMessage) -> tuple[Any, Any]:
    """The inline text/calendar alternative and the .ics attachment, both parsed."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in alternative.get_payload()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    inline = alternative.get_payload()[2]
    assert inline.get_content_disposition() is None  # inline, not an attachment
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    return inline, attachment


def event(part: Any) -> tuple[Any, Any]:
    cal = Calendar.from_ical(part.get_payload(decode=True))
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


def attendees_of(ev: Any) -> set[str]:
    found = ev.get("ATTENDEE", [])
    return {str(a) for a in (found if isinstance(found, list) else [found])}


def test_the_invitation_arrives_as_an_inline_request_alternative_with_the_ics_attached(
    meeting: Meeting, smtp: Inbox
) -> None:
    assert send_invite(meeting.pk)
    [(rcpt, message)] = smtp.take()
    assert rcpt == ["alice@example.com", "ivan@example.com", "rita@example.com"]
    assert message["Reply-To"] == "frank@example.com"
    assert message["Subject"].startswith("Invitation: Postmortem: INC-")
    inline, attachment = calendars(message)
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    cal, ev = event(inline)
    assert event(attachment)[1].to_ical() == ev.to_ical()  # the same invite twice
    # RFC 5545: VERSION, PRODID; RFC 5546 REQUEST: METHOD, ORGANIZER, ATTENDEE, UID,
    # DTSTAMP, DTSTART, SEQUENCE, SUMMARY.
    assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "REQUEST"
    assert "followthrough" in str(cal["PRODID"])
    assert str(ev["UID"]) == MeetingInvite.objects.get(meeting=meeting).uid
    assert ev.decoded("SEQUENCE") == 0 and str(ev["STATUS"]) == "CONFIRMED"
    assert ev.decoded("DTSTART") == meeting.scheduled_for
    assert ev.decoded("DTSTAMP").tzinfo is not None
    assert str(ev["ORGANIZER"]) == "mailto:frank@example.com"
    invited = {str(a): a.params for a in ev["ATTENDEE"]}
    assert set(invited) == {
        "mailto:alice@example.com",
        "mailto:ivan@example.com",
        "mailto:rita@example.com",
        "mailto:frank@example.com",
    }
    assert invited["mailto:frank@example.com"]["ROLE"] == "CHAIR"
    assert invited["mailto:rita@example.com"]["RSVP"] == "TRUE"
    assert invited["mailto:rita@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    assert not send_invite(meeting.pk) and smtp.take() == []  # nothing twice


def test_a_mail_server_that_is_down_loses_nothing_the_next_try_sends_the_same_invitation(
    meeting: Meeting, smtp: Inbox, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = s.getsockname()[1]  # nobody listens there
    assert not send_invite(meeting.pk)
    invite = MeetingInvite.objects.get(meeting=meeting)
    assert invite.sent_at is None and "Sending failed" in invite.last_error
    assert not InviteCopy.objects.filter(meeting=meeting).exists()
    settings.EMAIL_PORT = port
    assert send_invite(meeting.pk)
    [(rcpt, message)] = smtp.take()
    assert len(rcpt) == 3
    assert event(calendars(message)[0])[1].decoded("SEQUENCE") == 0


def test_an_attendee_added_later_gets_the_same_invitation_and_nobody_else_is_mailed(
    cast: Cast, meeting: Meeting, smtp: Inbox
) -> None:
    send_invite(meeting.pk)
    [(_, first)] = smtp.take()
    meeting.attendees.add(cast.bob.person)  # type: ignore[attr-defined]
    assert send_invite(meeting.pk)
    [(rcpt, message)] = smtp.take()
    assert rcpt == ["bob@example.com"]
    _, ev = event(calendars(message)[0])
    _, original = event(calendars(first)[0])
    assert str(ev["UID"]) == str(original["UID"]) and ev.decoded("SEQUENCE") == 0
    assert "mailto:bob@example.com" in attendees_of(ev)


def test_an_attendee_removed_gets_a_cancel_with_the_same_uid_and_the_next_sequence(
    cast: Cast, meeting: Meeting, smtp: Inbox
) -> None:
    send_invite(meeting.pk)
    [(_, first)] = smtp.take()
    meeting.attendees.remove(cast.rita)
    assert send_invite(meeting.pk)
    [(rcpt, message)] = smtp.take()
    assert rcpt == ["rita@example.com"]
    assert message["Subject"].startswith("Cancelled: Postmortem: INC-")
    inline, attachment = calendars(message)
    assert inline.get_param("method") == "CANCEL"
    cal, ev = event(inline)
    _, original = event(calendars(first)[0])
    assert str(cal["METHOD"]) == "CANCEL" and str(ev["STATUS"]) == "CANCELLED"
    assert str(ev["UID"]) == str(original["UID"])
    assert ev.decoded("SEQUENCE") == original.decoded("SEQUENCE") + 1
    assert ev.decoded("DTSTART") == original.decoded("DTSTART")
    assert attendees_of(ev) == {"mailto:rita@example.com"}  # RFC 5546 3.2.5: only her
    assert not send_invite(meeting.pk) and smtp.take() == []
    # Added back: invited again, with a sequence above the cancellation's.
    meeting.attendees.add(cast.rita)
    assert send_invite(meeting.pk)
    [(rcpt, again)] = smtp.take()
    assert rcpt == ["rita@example.com"]
    assert event(calendars(again)[0])[1].decoded("SEQUENCE") >= ev.decoded("SEQUENCE")


def test_an_attendee_who_becomes_the_facilitator_gets_no_cancellation(
    cast: Cast, meeting: Meeting, smtp: Inbox
) -> None:
    send_invite(meeting.pk)
    smtp.take()
    meeting.refresh_from_db()
    update_meeting(meeting, meeting.version, {"facilitator": cast.alice.person})  # type: ignore[attr-defined]
    # Frank, no longer organising, is an attendee now and gets the invitation; Alice, who
    # organises it now, is not told it is cancelled.
    assert send_invite(meeting.pk)
    assert [rcpt for rcpt, _ in smtp.take()] == [["frank@example.com"]]


def test_removing_the_time_cancels_it_for_everyone_and_a_new_time_invites_them_again(
    meeting: Meeting, smtp: Inbox
) -> None:
    send_invite(meeting.pk)
    smtp.take()
    update_meeting(meeting, meeting.version, {"scheduled_for": None})
    assert send_invite(meeting.pk)
    [(rcpt, message)] = smtp.take()
    assert rcpt == ["alice@example.com", "ivan@example.com", "rita@example.com"]
    inline, _ = calendars(message)
    assert inline.get_param("method") == "CANCEL"
    _, cancelled = event(inline)
    assert cancelled.decoded("SEQUENCE") == 1
    update_meeting(meeting, meeting.version, {"scheduled_for": in_two_days() + timedelta(days=1)})
    assert send_invite(meeting.pk)
    [(_, again)] = smtp.take()
    inline, _ = calendars(again)
    assert inline.get_param("method") == "REQUEST"
    assert event(inline)[1].decoded("SEQUENCE") == 2


def test_deleting_the_incident_cancels_its_meeting(
    cast: Cast, meeting: Meeting, smtp: Inbox
) -> None:
    send_invite(meeting.pk)
    smtp.take()
    delete(meeting.postmortem.incident, cast.alice)
    assert catch_up(timezone.now())["invites_sent"] == 1
    [(_, message)] = smtp.take()
    assert calendars(message)[0].get_param("method") == "CANCEL"


@pytest.mark.usefixtures("no_weekly_review_today")  # the worker runs on the real clock
def test_the_first_worker_run_never_mails_invitations_for_meetings_in_the_past(
    cast: Cast,
    postmortem: Postmortem,
    smtp: Inbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    meeting = postmortem.meeting
    with django_capture_on_commit_callbacks(execute=True):
        update_meeting(
            meeting,
            meeting.version,
            {"facilitator": cast.frank, "scheduled_for": datetime(2026, 3, 4, 14, tzinfo=UTC)},
        )
    one_pass("w1")
    assert catch_up(timezone.now())["invites_sent"] == 0
    assert not send_invite(meeting.pk)
    assert smtp.take() == []


def test_a_meeting_saved_or_given_an_attendee_is_announced_from_a_task_after_commit(
    cast: Cast, meeting: Meeting, smtp: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        meeting.save()
    assert len(smtp.take()) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meeting.attendees.add(cast.vera.person)  # type: ignore[attr-defined]
        assert smtp.take() == []  # nothing from the request itself
    assert callbacks
    assert [rcpt for rcpt, _ in smtp.take()] == [["vera@example.com"]]


def test_the_facilitator_is_always_an_attendee_through_the_api(
    cast: Cast, postmortem: Postmortem
) -> None:
    meeting = postmortem.meeting
    answer = cast.api("alice").patch_json(
        f"/api/v1/postmortems/{postmortem.pk}/meeting",
        {
            "version": meeting.version,
            "facilitator_id": cast.frank.pk,
            "attendee_ids": [cast.ivan.pk],
        },
    )
    assert answer.status_code == 200, answer.content
    assert {a["id"] for a in answer.json()["attendees"]} == {cast.ivan.pk, cast.frank.pk}


def test_held_at_in_the_future_is_refused_in_the_api_with_a_clear_error(
    cast: Cast, postmortem: Postmortem
) -> None:
    meeting = postmortem.meeting
    url = f"/api/v1/postmortems/{postmortem.pk}/meeting"
    later = (timezone.now() + timedelta(days=2)).isoformat()
    answer = cast.api("alice").patch_json(url, {"version": meeting.version, "held_at": later})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "held_at"]
    assert "in the future" in error["msg"]
    assert Meeting.objects.get(pk=meeting.pk).held_at is None
    now = timezone.now().isoformat()
    assert (
        cast.api("alice").patch_json(url, {"version": meeting.version, "held_at": now}).status_code
        == 200
    )


def test_held_at_in_the_future_is_refused_on_the_page_beside_the_field(
    cast: Cast, postmortem: Postmortem
) -> None:
    meeting = postmortem.meeting
    later = timezone.localtime(
        timezone.now() + timedelta(days=2), timezone.get_fixed_timezone(60)
    ).strftime("%Y-%m-%dT%H:%M")
    answer = cast.browser(cast.alice).post(
        f"/incidents/{postmortem.incident_id}/postmortem/meeting/",
        {
            "meeting-version": meeting.version,
            "meeting-duration_minutes": 60,
            "meeting-attendees": [p.pk for p in meeting.attendees.all()],
            "meeting-held_at": later,
        },
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 422
    body = answer.content.decode()
    assert 'id="id_meeting-held_at_error"' in body and "in the future" in body
    assert Meeting.objects.get(pk=meeting.pk).held_at is None


def test_the_meeting_panel_links_the_invite_once_the_meeting_has_a_time(
    cast: Cast, meeting: Meeting
) -> None:
    incident_id = meeting.postmortem.incident_id
    link = f'href="/incidents/{incident_id}/postmortem/meeting.ics"'
    for user in (cast.alice, cast.vera):  # an editor and a reader
        page = (
            cast.browser(user)
            .get(f"/incidents/{incident_id}/postmortem/?section=meeting")
            .content.decode()
        )
        assert link in page and "Add the meeting to your calendar (.ics)" in page
    update_meeting(meeting, meeting.version, {"scheduled_for": None})
    page = (
        cast.browser(cast.alice)
        .get(f"/incidents/{incident_id}/postmortem/?section=meeting")
        .content.decode()
    )
    assert link not in page
