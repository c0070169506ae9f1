"""My work: everything one person has to do next, across every team they may see.

Three kinds of entries, each with a due moment, whether it is overdue, and a link:

- action items they own that are still open or in progress;
- milestones they own that are not done yet (seed: Timeline): the incident commander's
  initial timeline and meeting scheduling, the facilitator's meeting held and document
  final, the engineering manager's (team lead's) items assigned and tracked. Who owns a
  milestone is ``reminders.owner_of``, the same rule that decides who is reminded;
- postmortem meetings they facilitate that have not been held yet.

Entries sort by priority, then due date (``sort="due_date"``: due date first). Overdue
entries come first either way: they are the ones already late. Milestones and meetings
are deadlines of the process itself and rank with "do it now" items.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from followthrough.core.calendar import MilestoneKey, MilestoneState
from followthrough.core.priority import Bucket
from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import OPEN_STATES, ActionItem
from followthrough.web.followup.digest import zone_of
from followthrough.web.followup.reminders import owner_of
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Meeting, Postmortem, Status
from followthrough.web.visibility import incident_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SORTS = {"priority": "priority", "due_date": "due date"}
DEADLINE = "deadline"
DEADLINE_RANK = Bucket.DO_NOW.rank
KIND_ORDER = {"milestone": 0, "meeting": 1, "action_item": 2}


@dataclass
class WorkEntry:
    """One thing to do: an action item, a milestone or a meeting."""

    kind: str  # "action_item", "milestone" or "meeting"
    id: int  # the action item's, postmortem's or meeting's id
    title: str
    role: str  # why it is theirs: "owner", "incident commander", "facilitator", ...
    incident: Incident
    team: Team
    due_at: datetime | None  # the moment it is due (an item: the end of its due date)
    due_date: date | None  # the due moment's date in the team's timezone
    overdue: bool
    priority: str  # an item's bucket, or "deadline" for milestones and meetings
    priority_rank: int
    status: str
    path: str
    milestone: str = ""  # the milestone's key, for milestones

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.team)

    @property
    def due_local(self) -> datetime | None:
        return self.due_at.astimezone(self.zone) if self.due_at is not None else None

    @property
    def due_label(self) -> str:
        """The due moment in words, in the team's timezone with its zone named (an item's
        due date is a day: no time)."""
        if self.kind == "action_item":
            return f"{self.due_date:%a %d %b %Y}" if self.due_date else "no due date"
        local = self.due_local
        return f"{local:%a %d %b %Y %H:%M %Z}" if local is not None else "not scheduled yet"

    def sort_key(self, by: str) -> tuple[Any, ...]:
        due = self.due_at or datetime.max.replace(tzinfo=ZoneInfo("UTC"))
        if by == "due_date":
            return (not self.overdue, due, -self.priority_rank, KIND_ORDER[self.kind], self.id)
        return (not self.overdue, -self.priority_rank, due, KIND_ORDER[self.kind], self.id)


def my_work(
    viewer: AbstractBaseUser | AnonymousUser,
    person: Person,
    now: datetime | None = None,
    sort: str = "priority",
) -> list[WorkEntry]:
    """Everything ``person`` has to do, among what ``viewer`` may see (they are the same
    person on the page and in the API)."""
    now = now or timezone.now()
    entries = _items(viewer, person, now) + _milestones(viewer, person, now)
    entries += _meetings(viewer, person, now)
    entries.sort(key=lambda e: e.sort_key(sort if sort in SORTS else "priority"))
    return entries


def _items(viewer: Any, person: Person, now: datetime) -> list[WorkEntry]:
    items = ActionItem.objects.filter(
        incident_q(viewer, "postmortem__incident"),
        owner=person,
        status__in=OPEN_STATES,
    ).select_related("postmortem__incident__team")
    out = []
    for item in items:
        incident = item.postmortem.incident
        zone = zone_of(incident.team)
        today = now.astimezone(zone).date()
        due_at = (
            datetime.combine(item.due_date, time.max, tzinfo=zone)
            if item.due_date is not None
            else None
        )
        p = item.priority()
        out.append(
            WorkEntry(
                kind="action_item",
                id=item.pk,
                title=item.title,
                role="owner",
                incident=incident,
                team=incident.team,
                due_at=due_at,
                due_date=item.due_date,
                overdue=item.is_overdue(today),
                priority=p.bucket.value,
                priority_rank=p.bucket.rank,
                status=item.get_status_display(),
                path=item.get_absolute_url(),
            )
        )
    return out


def _open_postmortems(viewer: Any) -> Any:
    return Postmortem.objects.filter(incident_q(viewer, "incident")).exclude(status=Status.CLOSED)


def _milestones(viewer: Any, person: Person, now: datetime) -> list[WorkEntry]:
    postmortems = (
        _open_postmortems(viewer)
        .filter(incident__resolved_at__isnull=False)
        .filter(
            Q(incident__commander=person)
            | Q(meeting__facilitator=person)
            | Q(incident__team__lead=person)
        )
        .select_related("incident__team__lead", "incident__commander", "meeting__facilitator")
    )
    out = []
    for postmortem in postmortems:
        incident = postmortem.incident
        zone = zone_of(incident.team)
        for milestone in postmortem.milestones(now):
            if milestone.key is MilestoneKey.INCIDENT_RESOLVED or milestone.state not in (
                MilestoneState.PENDING,
                MilestoneState.OVERDUE,
            ):
                continue
            owner = owner_of(postmortem, milestone)
            if owner is None or owner.pk != person.pk:
                continue
            out.append(
                WorkEntry(
                    kind="milestone",
                    id=postmortem.pk,
                    title=f"{milestone.name}",
                    role=_role(postmortem, milestone.key),
                    incident=incident,
                    team=incident.team,
                    due_at=milestone.due_at,
                    due_date=milestone.due_at.astimezone(zone).date(),
                    overdue=milestone.state is MilestoneState.OVERDUE,
                    priority=DEADLINE,
                    priority_rank=DEADLINE_RANK,
                    status=milestone.state.value.replace("_", " "),
                    path=reverse("postmortem", args=[incident.pk]),
                    milestone=milestone.key.value,
                )
            )
    return out


ROLES = {
    MilestoneKey.INITIAL_TIMELINE: "incident commander",
    MilestoneKey.MEETING_SCHEDULED: "incident commander",
    MilestoneKey.MEETING_HELD: "facilitator",
    MilestoneKey.DOCUMENT_FINAL: "facilitator",
    MilestoneKey.ACTIONS_TRACKED: "engineering manager",
}


def _role(postmortem: Postmortem, key: MilestoneKey) -> str:
    """The role that owns the milestone; the team lead stands in when nobody holds it."""
    role = ROLES[key]
    if role == "incident commander":
        holder = postmortem.incident.commander_id
    elif role == "facilitator":
        meeting = getattr(postmortem, "meeting", None)
        holder = meeting.facilitator_id if meeting is not None else None
    else:
        return role
    return role if holder is not None else f"team lead, standing in for the {role}"


def _meetings(viewer: Any, person: Person, now: datetime) -> list[WorkEntry]:
    meetings = (
        Meeting.objects.filter(
            incident_q(viewer, "postmortem__incident"), facilitator=person, held_at__isnull=True
        )
        .exclude(postmortem__status=Status.CLOSED)
        .select_related("postmortem__incident__team")
    )
    out = []
    for meeting in meetings:
        incident = meeting.postmortem.incident
        zone = zone_of(incident.team)
        when = meeting.scheduled_for
        out.append(
            WorkEntry(
                kind="meeting",
                id=meeting.pk,
                title=f"Postmortem meeting of {incident.key}",
                role="facilitator",
                incident=incident,
                team=incident.team,
                due_at=when,
                due_date=when.astimezone(zone).date() if when is not None else None,
                # It ended and nobody recorded it as held.
                overdue=when is not None
                and when + timedelta(minutes=meeting.duration_minutes) < now,
                priority=DEADLINE,
                priority_rank=DEADLINE_RANK,
                status="scheduled" if when is not None else "not scheduled yet",
                path=reverse("postmortem", args=[incident.pk]) + "?section=meeting#meeting",
            )
        )
    return out
