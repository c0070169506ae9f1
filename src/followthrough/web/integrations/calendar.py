"""The postmortem meeting's calendar invite (RFC 5545 and 5546, with the icalendar package).

``METHOD:REQUEST``, one VEVENT with a UID that never changes for the meeting, a SEQUENCE
that goes up each time the meeting moves or someone is uninvited, times in UTC, the
facilitator as ORGANIZER (and CHAIR), the attendees as ATTENDEEs asked to reply, and the
agenda with the editor link as DESCRIPTION.

``send_invite`` brings every attendee's calendar in line with the meeting, from a task,
never from the request that changed it. What each attendee was last sent is an
``InviteCopy``; comparing those with the meeting decides:

- the meeting has a time in the future: each attendee without an invitation for that time
  gets one (the first invitation, a late attendee, or everyone when it moved, with
  SEQUENCE + 1);
- an attendee removed, or the time removed (or moved into the past, or the meeting
  deleted): whoever holds an invitation to a time still to come gets ``METHOD:CANCEL``,
  same UID, SEQUENCE + 1;
- nothing is ever sent about a meeting whose time has passed: a first worker run over an
  old database mails nobody.

Each message is ``multipart/mixed``: a ``multipart/alternative`` of the text, an HTML
version and the invite inline as ``text/calendar; method=REQUEST`` (or ``CANCEL``), which
Outlook and Gmail need for their RSVP buttons, then the same invite as an ``invite.ics``
attachment (``application/ics``, as Google Calendar sends it) for clients that want a file.
The facilitator organises: replies go to them, and they are not mailed their own invite.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from icalendar import Calendar, Event, vCalAddress, vText

from followthrough.web.accounts.models import Person
from followthrough.web.followup.models import InviteCopy, InviteMethod
from followthrough.web.lib import dates
from followthrough.web.postmortems.models import Meeting

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; method=REQUEST; charset=utf-8"
ATTACHMENT_TYPE = "application/ics"
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


def ics(
    meeting: Meeting,
    uid: str,
    sequence: int,
    now: datetime,
    *,
    method: str = InviteMethod.REQUEST,
    start: datetime | None = None,
    people: Iterable[Person] | None = None,
) -> bytes:
    """The invite (or, with ``method="CANCEL"``, the cancellation) as bytes.

    ``start`` is the meeting's time unless given (a cancellation names the time it
    withdraws); ``people`` are the attendees unless given (an uninvitation names only those
    it concerns, RFC 5546 3.2.5).
    """
    when = start if start is not None else meeting.scheduled_for
    if when is None:
        raise ValueError("The meeting has no time yet; give it one before sending an invite.")
    if not dates.in_range(when):
        raise ValueError(OUT_OF_RANGE)
    when = when.astimezone(UTC)
    cancel = method == InviteMethod.CANCEL
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", str(method))
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", when)
    event.add("dtend", when + timedelta(minutes=meeting.duration_minutes))
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
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
    if facilitator is not None and facilitator.email and not cancel:
        chair = _address(facilitator)
        chair.params.update({"ROLE": "CHAIR", "PARTSTAT": "ACCEPTED", "CUTYPE": "INDIVIDUAL"})
        event.add("attendee", chair, encode=False)
    for person in attendees(meeting) if people is None else people:
        attendee = _address(person)
        attendee.params.update({"ROLE": "REQ-PARTICIPANT", "CUTYPE": "INDIVIDUAL"})
        if not cancel:
            attendee.params.update({"PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})
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


def _sequence(invite: Any, time: datetime | None) -> int:
    """The SEQUENCE an invitation for ``time`` carries: one more than the last one sent
    once anything was sent for another time (or cancelled)."""
    if invite.sent_at is not None and time is not None and invite.sent_for != time:
        return int(invite.sequence) + 1
    return int(invite.sequence)


def current_ics(meeting: Meeting, now: datetime | None = None) -> bytes:
    """The invite as it stands: same UID, and the next SEQUENCE if the time moved since sending."""
    from followthrough.web.integrations.models import MeetingInvite

    invite = MeetingInvite.of(meeting)
    return ics(meeting, invite.uid, _sequence(invite, meeting.scheduled_for), now or timezone.now())


@dataclass
class Plan:
    """What a meeting's attendees are to be sent now."""

    time: datetime | None  # the time to announce (None: none, or in the past)
    invite: list[Person] = field(default_factory=list)
    cancel: list[InviteCopy] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.invite or self.cancel)


def plan(meeting: Meeting, now: datetime) -> Plan:
    """Compare each attendee's last copy with the meeting as it is now (module docstring)."""
    live = meeting.deleted_at is None and meeting.postmortem.deleted_at is None
    when = meeting.scheduled_for
    time = when if live and when is not None and when > now else None
    people = attendees(meeting) if time is not None else []
    copies = {
        c.person_id: c for c in InviteCopy.objects.filter(meeting=meeting).select_related("person")
    }
    wanted = {p.pk for p in people}
    out = Plan(time)
    for person in people:
        copy = copies.get(person.pk)
        if copy is None or copy.method != InviteMethod.REQUEST or copy.sent_for != time:
            out.invite.append(person)
    for person_id, copy in copies.items():
        # An attendee still wanted at a new time gets the new invitation, which replaces
        # the old one (same UID, higher SEQUENCE); anyone else holding one is cancelled,
        # except an attendee who became the facilitator: they organise it now.
        organiser = time is not None and person_id == meeting.facilitator_id
        if copy.is_live(now) and person_id not in wanted and not organiser:
            out.cancel.append(copy)
    return out


def _meeting(meeting_id: int) -> Meeting | None:
    return (
        Meeting.all_objects.select_related("postmortem__incident__team", "facilitator")
        .filter(pk=meeting_id)
        .first()
    )


def invites_due(now: datetime) -> list[int]:
    """Meetings some attendee's calendar disagrees with: an invitation or a cancellation to
    send. Only meetings still to come, or holding invitations to a time still to come."""
    candidates = set(
        Meeting.objects.filter(
            scheduled_for__gt=now, scheduled_for__lte=dates.LATEST_MOMENT
        ).values_list("pk", flat=True)
    ) | set(
        InviteCopy.objects.filter(method=InviteMethod.REQUEST, sent_for__gt=now).values_list(
            "meeting_id", flat=True
        )
    )
    due = []
    for pk in sorted(candidates):
        meeting = _meeting(pk)
        if meeting is not None and plan(meeting, now):
            due.append(pk)
        if len(due) >= 50:
            break
    return due


def send_invite(meeting_id: int, now: datetime | None = None) -> bool:
    """Send what the meeting's attendees are owed (``plan``). True when something went out.

    The meeting's ``MeetingInvite`` row is claimed by a conditional update, in the same
    transaction that records the copies about to be sent; a worker reads the invite row
    before the copies, so it either fails the same claim or finds nothing left to send. A
    failed send puts back the copies it did not deliver (and the invite row, when nothing
    went out) for the next try.
    """
    from followthrough.web.integrations.models import MeetingInvite

    now = now or timezone.now()
    meeting = _meeting(meeting_id)
    if meeting is None:
        return False
    if meeting.scheduled_for is not None and not dates.in_range(meeting.scheduled_for):
        log.warning("Meeting %s: %s", meeting.pk, OUT_OF_RANGE)
        return False  # stored before the range was enforced: nothing to announce
    invite = MeetingInvite.of(meeting)  # before the copies (see above)
    todo = plan(meeting, now)
    if not todo:
        return False
    moved = _sequence(invite, todo.time)
    sequence = moved + 1 if todo.cancel and moved == invite.sequence else moved
    parts: list[tuple[str, datetime, list[Person]]] = []
    if todo.invite and todo.time is not None:
        parts.append((InviteMethod.REQUEST, todo.time, todo.invite))
    for time, copies in _by_time(todo.cancel).items():
        parts.append((InviteMethod.CANCEL, time, [c.person for c in copies]))
    previous = {c.person_id: c for c in InviteCopy.objects.filter(meeting=meeting)}
    with transaction.atomic():
        claimed = MeetingInvite.objects.filter(
            pk=invite.pk,
            sequence=invite.sequence,
            sent_for=invite.sent_for,
            sent_at=invite.sent_at,
        ).update(sequence=sequence, sent_for=todo.time, sent_at=now, last_error="")
        if claimed != 1:
            return False
        for method, time, people in parts:
            _record(meeting, people, method, sequence, time, now)
    for n, (method, time, people) in enumerate(parts):
        try:
            if method == InviteMethod.REQUEST:
                # Everyone is listed (RFC 5546 3.2.2); only those who lack it are mailed.
                body = ics(meeting, invite.uid, sequence, now)
            else:
                body = ics(
                    meeting, invite.uid, sequence, now, method=method, start=time, people=people
                )
            # An update when it re-announces; a cancellation of one person when the meeting
            # keeps a time.
            update = sequence > 0 if method == InviteMethod.REQUEST else todo.time is not None
            _mail(meeting, people, body, method, time, update=update)
        except Exception as e:
            log.exception("Sending the invite of meeting %s failed", meeting.pk)
            with transaction.atomic():
                for _, _, unsent in parts[n:]:
                    _undo(meeting, unsent, previous)
                fields: dict[str, Any] = {
                    "last_error": f"Sending failed ({type(e).__name__}); it will be tried again."
                }
                if n == 0:
                    fields.update(
                        sequence=invite.sequence, sent_for=invite.sent_for, sent_at=invite.sent_at
                    )
                MeetingInvite.objects.filter(pk=invite.pk).update(**fields)
            return n > 0
    MeetingInvite.objects.filter(pk=invite.pk).update(recipients=len(todo.invite))
    return True


def _undo(meeting: Meeting, people: list[Person], previous: dict[int, InviteCopy]) -> None:
    """Put these people's copies back as they were before an unsent message."""
    for person in people:
        before = previous.get(person.pk)
        if before is None:
            InviteCopy.objects.filter(meeting=meeting, person=person).delete()
        else:
            before.save()


def _by_time(copies: list[InviteCopy]) -> dict[datetime, list[InviteCopy]]:
    groups: dict[datetime, list[InviteCopy]] = {}
    for copy in sorted(copies, key=lambda c: (c.sent_for, c.email)):
        groups.setdefault(copy.sent_for, []).append(copy)
    return groups


def _record(
    meeting: Meeting,
    people: list[Person],
    method: str,
    sequence: int,
    time: datetime,
    now: datetime,
) -> None:
    for person in people:
        InviteCopy.objects.update_or_create(
            meeting=meeting,
            person=person,
            defaults={
                "email": person.email,
                "method": method,
                "sequence": sequence,
                "sent_for": time,
                "sent_at": now,
            },
        )


class CalendarMessage(EmailMultiAlternatives):
    """An e-mail whose ``text/calendar`` alternative carries its iTIP ``method``."""

    def __init__(self, *args: Any, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.itip_method = method

    def message(self, *args: Any, **kwargs: Any) -> Any:
        msg = super().message(*args, **kwargs)
        for part in msg.walk():
            if part.get_content_type() == "text/calendar":
                part.set_param("method", self.itip_method)
        return msg


def _mail(
    meeting: Meeting,
    people: list[Person],
    invite: bytes,
    method: str,
    time: datetime,
    update: bool,
) -> None:
    if not people:
        return
    start = timezone.localtime(time, _zone(meeting))
    when = start.strftime("%a %d %b %Y %H:%M %Z")
    where = f", {meeting.location}" if meeting.location else ""
    if method == InviteMethod.CANCEL:
        subject = f"Cancelled: {summary(meeting)} ({when})"
        why = (
            "You are no longer on the attendee list of this postmortem meeting."
            if update
            else "This postmortem meeting no longer has this time; a new invitation follows "
            "when it gets one."
        )
        text = f"{why}\n\n{summary(meeting)}\n{when}{where}.\n\nPostmortem: {editor_url(meeting)}\n"
    else:
        subject = f"{'Updated invitation' if update else 'Invitation'}: {summary(meeting)} ({when})"
        text = (
            f"{summary(meeting)}\n{when}, {meeting.duration_minutes} minutes{where}.\n\n"
            f"{agenda_text(meeting)}\n"
        )
    facilitator = meeting.facilitator
    message = CalendarMessage(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[p.email for p in people],
        reply_to=[facilitator.email] if facilitator is not None and facilitator.email else None,
        method=str(method),
    )
    message.attach_alternative(f"<html><body>{linebreaks(escape(text))}</body></html>", "text/html")
    message.attach_alternative(invite.decode("utf-8"), "text/calendar")
    message.attach("invite.ics", invite, ATTACHMENT_TYPE)
    message.send()


def _zone(meeting: Meeting) -> ZoneInfo:
    try:
        return ZoneInfo(meeting.postmortem.incident.team.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")
