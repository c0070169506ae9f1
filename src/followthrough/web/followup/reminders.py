"""Reminders: milestone owners hear before a deadline and when it is missed; action-item
owners hear before their item is due and when it becomes overdue.

Owners follow the seed's Timeline table: the incident commander for the timeline and the
meeting's scheduling, the facilitator for the meeting and the document, the engineering
manager (the team lead) for assigning and tracking the action items. Nobody in a role
(no facilitator picked yet) means the team lead hears instead.

An action item's owner is reminded ``remind_owner_business_days`` business days (of the
team's calendar) before the due date, once per item and due date (a new date, a new
reminder), and when it is overdue: on the first overdue day, then once a week while it
stays open. Never for done, deprioritised or deleted items, never to someone who turned
reminders off (``Preferences.reminders_enabled``), and only from ``REMIND_FROM_HOUR`` on the
team's clock, so nobody is woken by a reminder. Everything goes through the outbox, whose
dedupe keys make every run idempotent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from followthrough.core.calendar import Milestone, MilestoneKey, MilestoneState
from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import OPEN_STATES, ActionItem
from followthrough.web.followup.models import Preferences, TeamSettings
from followthrough.web.followup.notifications import RESTRICTED, Message, notify
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.visibility import is_restricted

# A missed deadline older than this gets no reminder: a first run over an old database
# must not flood people about last year's milestones.
MISSED_WINDOW = timedelta(days=7)
# Milestones all fall within ~7 business days of resolution (plus holidays).
RESOLVED_WINDOW = timedelta(days=45)
# Owner reminders go out from this hour of the team's day on.
REMIND_FROM_HOUR = 8
# The furthest a reminder can be ahead of its due date: 20 business days plus holidays.
AHEAD_WINDOW = timedelta(days=40)


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


def remind_owners(now: datetime | None = None) -> str:
    """Queue each open item's reminder that is due now: before the due date, or overdue
    (first overdue day, then weekly). Idempotent per item, due date and week."""
    now = now or timezone.now()
    items = (
        ActionItem.objects.filter(
            status__in=OPEN_STATES,
            owner__isnull=False,
            due_date__isnull=False,
            due_date__lte=(now + AHEAD_WINDOW).date(),
            postmortem__deleted_at__isnull=True,
            postmortem__incident__deleted_at__isnull=True,
        )
        .select_related("owner", "postmortem__incident__team")
        .order_by("pk")
    )
    settings_of: dict[int, TeamSettings] = {}
    wants: dict[int, bool] = {}
    queued = 0
    for item in items:
        team = item.postmortem.incident.team
        if team.pk not in settings_of:
            settings_of[team.pk] = TeamSettings.of(team)
        conf = settings_of[team.pk]
        occasion = owner_occasion(item, conf, now)
        if occasion is None:
            continue
        owner = item.owner
        assert owner is not None
        if owner.pk not in wants:
            wants[owner.pk] = Preferences.of(owner).reminders_enabled
        if not wants[owner.pk]:
            continue
        kind, key = occasion
        queued += notify(
            owner,
            team,
            kind,
            key,
            _item_message(item, kind),
            action_item=item,
            team_settings=conf,
        )
    return f"queued {queued}"


def owner_occasion(item: ActionItem, conf: TeamSettings, now: datetime) -> tuple[str, str] | None:
    """(kind, key) of the reminder the item's owner is due now, or None.

    ``item-due`` once per item and due date, from ``remind_owner_business_days`` business
    days before it; ``item-overdue`` once per overdue week (week 0 is the first day after
    the due date).
    """
    if item.is_closed() or item.due_date is None:
        return None
    calendar = item.postmortem.incident.team.calendar()
    local = now.astimezone(calendar.timezone)
    if local.hour < REMIND_FROM_HOUR:
        return None
    today = local.date()
    due: date = item.due_date
    if today > due:
        week = (today - due - timedelta(days=1)).days // 7
        return "item-overdue", f"{item.pk}:{due.isoformat()}:{week}"
    if today >= calendar.subtract_business_days(due, conf.remind_owner_business_days):
        return "item-due", f"{item.pk}:{due.isoformat()}"
    return None


def _item_message(item: ActionItem, kind: str) -> Message:
    incident = item.postmortem.incident
    due = f"{item.due_date:%a %d %b %Y}"
    if kind == "item-due":
        subject = f"Due {due}: “{item.title}” ({incident.key})"
        lead = f"Your action item “{item.title}” is due {due}."
    else:
        subject = f"Overdue since {due}: “{item.title}” ({incident.key})"
        lead = f"Your action item “{item.title}” was due {due} and is not done yet."
    advice = (
        " Mark it done with its evidence, give it a realistic date, or deprioritise it with "
        "a written reason."
    )
    done_when = f" Done when: {item.done_condition}" if item.done_condition else ""
    intro = f"{lead} It came out of the postmortem of {incident.key} ({incident.title}).{done_when}{advice}"
    message = Message(subject, intro, item.get_absolute_url())
    if is_restricted(incident):
        message.secret_incident = incident.pk
        message.restricted_subject = (
            f"An action item of {RESTRICTED} is "
            + ("due " if kind == "item-due" else "overdue since ")
            + due
        )
        message.restricted_intro = (
            f"An action item you own, from the postmortem of {RESTRICTED}, "
            + ("is due " if kind == "item-due" else "was due ")
            + f"{due}.{advice}"
        )
    return message
