"""Milestone reminders: the owner hears before a deadline, and again when it is missed.

Owners follow the seed's Timeline table: the incident commander for the timeline and the
meeting's scheduling, the facilitator for the meeting and the document, the engineering
manager (the team lead) for assigning and tracking the action items. Nobody in a role
(no facilitator picked yet) means the team lead hears instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from followthrough.core.calendar import Milestone, MilestoneKey, MilestoneState
from followthrough.web.accounts.models import Person
from followthrough.web.accounts.visibility import is_restricted
from followthrough.web.followup.models import TeamSettings
from followthrough.web.followup.notifications import RESTRICTED, Message, notify
from followthrough.web.postmortems.models import Postmortem, Status

# A missed deadline older than this gets no reminder: a first run over an old database
# must not flood people about last year's milestones.
MISSED_WINDOW = timedelta(days=7)
# Milestones all fall within ~7 business days of resolution (plus holidays).
RESOLVED_WINDOW = timedelta(days=45)


def owner_of(postmortem: Postmortem, milestone: Milestone) -> Person | None:
    incident = postmortem.incident
    person: Person | None
    if milestone.key in (MilestoneKey.INITIAL_TIMELINE, MilestoneKey.MEETING_SCHEDULED):
        person = incident.commander
    elif milestone.key in (MilestoneKey.MEETING_HELD, MilestoneKey.DOCUMENT_FINAL):
        meeting = getattr(postmortem, "meeting", None)
        person = meeting.facilitator if meeting is not None else None
    else:
        person = None
    return person or incident.team.lead


def check_milestones(now: datetime | None = None) -> str:
    """Queue a reminder for every milestone coming due within the team's reminder time, and
    one for every milestone missed in the last ``MISSED_WINDOW``. Idempotent."""
    now = now or timezone.now()
    postmortems = (
        Postmortem.objects.exclude(status=Status.CLOSED)
        .filter(incident__resolved_at__gte=now - RESOLVED_WINDOW)
        .select_related("incident__team__lead", "incident__commander", "meeting__facilitator")
    )
    settings_of: dict[int, TeamSettings] = {}
    queued = 0
    for postmortem in postmortems:
        team = postmortem.incident.team
        if team.pk not in settings_of:
            settings_of[team.pk] = TeamSettings.of(team)
        conf = settings_of[team.pk]
        before = timedelta(hours=conf.remind_before_hours)
        for milestone in postmortem.milestones(now):
            if milestone.key is MilestoneKey.INCIDENT_RESOLVED:
                continue
            if milestone.state is MilestoneState.PENDING and now >= milestone.due_at - before:
                occasion = "due"
            elif (
                milestone.state is MilestoneState.OVERDUE
                and now - milestone.due_at <= MISSED_WINDOW
            ):
                occasion = "missed"
            else:
                continue
            person = owner_of(postmortem, milestone)
            if person is None:
                continue
            queued += notify(
                person,
                team,
                f"milestone-{occasion}",
                f"{postmortem.pk}:{milestone.key.value}",
                _message(postmortem, milestone, occasion),
                postmortem=postmortem,
                team_settings=conf,
            )
    return f"queued {queued}"


def _message(postmortem: Postmortem, milestone: Milestone, occasion: str) -> Message:
    incident = postmortem.incident
    with timezone.override(incident.team.timezone):
        deadline = timezone.localtime(milestone.due_at).strftime("%a %d %b %Y %H:%M %Z")
    if occasion == "due":
        subject = f"{incident.key}: “{milestone.name}” is due {deadline}"
        intro = (
            f"{milestone.name} for {incident.key} ({incident.title}) is due {deadline}. "
            f"You are its owner ({milestone.owner_role})."
        )
    else:
        subject = f"{incident.key}: “{milestone.name}” missed its deadline ({deadline})"
        intro = (
            f"{milestone.name} for {incident.key} ({incident.title}) was due {deadline} and "
            f"is not done yet. You are its owner ({milestone.owner_role})."
        )
    message = Message(subject, intro, reverse("postmortem", args=[incident.pk]))
    if is_restricted(incident):
        # The team lead may be outside the team; notify names the incident only to readers.
        message.secret_incident = incident.pk
        message.restricted_subject = f"“{milestone.name}” of {RESTRICTED}: {occasion}"
        message.restricted_intro = (
            f"{milestone.name} of the postmortem of {RESTRICTED} "
            + ("is due " if occasion == "due" else "was due ")
            + f"{deadline}. You are its owner ({milestone.owner_role})."
        )
    return message
