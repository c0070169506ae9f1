"""The postmortem meeting's calendar invite (RFC 5545, with the icalendar package).

``METHOD:REQUEST``, one VEVENT with a UID that never changes for the meeting, a SEQUENCE
that goes up each time the meeting moves, times in UTC, the facilitator as ORGANIZER, the
attendees as ATTENDEEs asked to reply, and the agenda with the editor link as DESCRIPTION.

``send_invite`` mails it to the attendees (the .ics attached as ``text/calendar;
method=REQUEST``) when the meeting gets a time and again when the time changes; it runs in
a task, never in the request that scheduled the meeting.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.mime.text import MIMEText
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from followthrough.web.accounts.models import Person
from followthrough.web.lib import dates
from followthrough.web.postmortems.models import Meeting

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
PRODID = "-//followthrough//postmortem meeting//EN"
OUT_OF_RANGE = (
    "The meeting's time is outside the dates followthrough accepts "
    f"({dates.EARLIEST} to {dates.LATEST}); give it a new time."
)


def editor_url(meeting: Meeting) -> str:
    incident_id = meeting.postmortem.incident_id
    return f"{settings.BASE_URL.rstrip('/')}/incidents/{incident_id}/postmortem/"


def summary(meeting: Meeting) -> str:
    incident = meeting.postmortem.incident
    return f"Postmortem: {incident.key} {incident.title}"


def agenda_text(meeting: Meeting) -> str:
    """The five time-boxed parts, then the link to the postmortem being discussed."""
    lines = [
        f"Blameless postmortem meeting, {meeting.duration_minutes} minutes.",
        "",
        "Agenda:",
    ]
    for n, part in enumerate(meeting.agenda(), start=1):
        lines.append(
            f"{n}. {part.title} ({part.minutes} min, minute {part.starts_at_minute} to "
            f"{part.ends_at_minute}): {part.guidance}"
        )
    lines += ["", f"Postmortem: {editor_url(meeting)}"]
    return "\n".join(lines)


def _address(person: Person) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    return address


def ics(meeting: Meeting, uid: str, sequence: int, now: datetime) -> bytes:
    """The invite as bytes. The meeting must have a time."""
    if meeting.scheduled_for is None:
        raise ValueError("The meeting has no time yet; give it one before sending an invite.")
    if not dates.in_range(meeting.scheduled_for):
        raise ValueError(OUT_OF_RANGE)
    start = meeting.scheduled_for.astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("sequence", sequence)
    event.add("status", "CONFIRMED")
    event.add("summary", summary(meeting))
    event.add("description", agenda_text(meeting))
    event.add("url", editor_url(meeting))
    if meeting.location:
        event.add("location", meeting.location)
    facilitator = meeting.facilitator
    if facilitator is not None and facilitator.email:
        organizer = _address(facilitator)
    else:
        organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
        organizer.params["CN"] = vText("followthrough")
    event.add("organizer", organizer, encode=False)
    if facilitator is not None and facilitator.email:
        chair = _address(facilitator)
        chair.params.update({"ROLE": "CHAIR", "PARTSTAT": "ACCEPTED", "CUTYPE": "INDIVIDUAL"})
        event.add("attendee", chair, encode=False)
    for person in attendees(meeting):
        attendee = _address(person)
        attendee.params.update(
            {
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "TRUE",
                "CUTYPE": "INDIVIDUAL",
            }
        )
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


def attendees(meeting: Meeting) -> list[Person]:
    """Attendees with an e-mail address, the facilitator left out (they organise)."""
    return [
        p
        for p in meeting.attendees.all().order_by("name", "pk")
        if p.email and p.pk != meeting.facilitator_id
    ]


def current_ics(meeting: Meeting, now: datetime | None = None) -> bytes:
    """The invite as it stands: same UID, and the next SEQUENCE if the time moved since sending."""
    from followthrough.web.integrations.models import MeetingInvite

    invite = MeetingInvite.of(meeting)
    return ics(
        meeting, invite.uid, invite.sequence_for(meeting.scheduled_for), now or timezone.now()
    )


def invites_due(now: datetime) -> list[int]:
    """Meetings in the future whose time is not the one last announced."""
    return list(
        Meeting.objects.filter(scheduled_for__gt=now, scheduled_for__lte=dates.LATEST_MOMENT)
        .filter(Q(invite__isnull=True) | ~Q(invite__sent_for=F("scheduled_for")))
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)[:50]
    )


def send_invite(meeting_id: int, now: datetime | None = None) -> bool:
    """Mail the invite if the meeting's time is not the one last sent. True when it went out.

    The invite row is claimed by a conditional update before sending, so two workers never
    send the same update twice; a failed send puts it back for the next try.
    """
    from followthrough.web.integrations.models import MeetingInvite

    now = now or timezone.now()
    meeting = (
        Meeting.objects.select_related("postmortem__incident", "facilitator")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or meeting.scheduled_for is None:
        return False
    if not dates.in_range(meeting.scheduled_for):
        log.warning("Meeting %s: %s", meeting.pk, OUT_OF_RANGE)
        return False  # stored before the range was enforced: nothing to announce
    invite = MeetingInvite.of(meeting)
    if not invite.needs_sending(meeting.scheduled_for):
        return False
    sequence = invite.sequence_for(meeting.scheduled_for)
    claimed = MeetingInvite.objects.filter(
        pk=invite.pk, sequence=invite.sequence, sent_for=invite.sent_for
    ).update(sequence=sequence, sent_for=meeting.scheduled_for, sent_at=now, last_error="")
    if claimed != 1:
        return False
    people = attendees(meeting)
    try:
        _mail(meeting, people, ics(meeting, invite.uid, sequence, now), update=sequence > 0)
    except Exception as e:
        log.exception("Sending the invite of meeting %s failed", meeting.pk)
        MeetingInvite.objects.filter(pk=invite.pk).update(
            sequence=invite.sequence,
            sent_for=invite.sent_for,
            sent_at=invite.sent_at,
            last_error=f"Sending failed ({type(e).__name__}); it will be tried again.",
        )
        return False
    MeetingInvite.objects.filter(pk=invite.pk).update(recipients=len(people))
    return True


def _mail(meeting: Meeting, people: list[Person], invite: bytes, *, update: bool) -> None:
    if not people:
        return
    start = timezone.localtime(meeting.scheduled_for, _zone(meeting))
    when = start.strftime("%a %d %b %Y %H:%M %Z")
    subject = f"{'Updated invitation' if update else 'Invitation'}: {summary(meeting)} ({when})"
    body = (
        f"{'The postmortem meeting moved. ' if update else ''}"
        f"{summary(meeting)}\n{when}, {meeting.duration_minutes} minutes"
        f"{', ' + meeting.location if meeting.location else ''}.\n\n{agenda_text(meeting)}\n"
    )
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[p.email for p in people],
        reply_to=[meeting.facilitator.email]
        if meeting.facilitator is not None and meeting.facilitator.email
        else None,
    )
    part = MIMEText(invite.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    message.send()


def _zone(meeting: Meeting) -> ZoneInfo:
    try:
        return ZoneInfo(meeting.postmortem.incident.team.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")
