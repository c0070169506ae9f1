"""Escalating stalled items (seed: "Escalate stalled items").

What counts as stalled is ``ActionItem.stalled_reason`` (overdue and untouched since, or
untouched for the team's ``stalled_after_days``): the weekly review lists the same items.
A stalled item goes to its owner's manager (the team lead when the owner has no manager,
or the item no owner), then, ``escalate_after_days`` later and still unmoved, one level
up: the manager's manager. Each step is an ``Escalation`` row
plus a history entry and a message. Any change to the item (its last activity moves) stops
the chain; a later standstill starts a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.models import Escalation, TeamSettings
from followthrough.web.followup.notifications import RESTRICTED, Message, notify
from followthrough.web.history.context import acting_as
from followthrough.web.history.models import Change
from followthrough.web.history.recording import record
from followthrough.web.visibility import is_restricted

MAX_LEVEL = 2


def _target(item: ActionItem, level: int, previous: Escalation | None) -> Person | None:
    if level == 1:
        manager = item.owner.manager if item.owner is not None else None
        target = manager or item.postmortem.incident.team.lead
    else:
        target = previous.to_person.manager if previous is not None else None
    if target is None or target.pk == item.owner_id:
        return None
    return target


def escalate_stuck_items(now: datetime | None = None) -> str:
    """Take every stalled item one step up its chain when the step is due. Idempotent."""
    now = now or timezone.now()
    # A cheap superset of the stalled items (due by tomorrow anywhere on earth, or untouched
    # for a day); ``stalled_reason`` decides.
    candidates = (
        ActionItem.objects.open()
        .filter(
            Q(due_date__lt=now.date() + timedelta(days=1))
            | Q(last_activity_at__lte=now - timedelta(days=1))
        )
        .select_related("owner__manager", "postmortem__incident__team__lead")
        .prefetch_related("escalations__to_person__manager")
    )
    settings_of: dict[int, TeamSettings] = {}
    steps = 0
    for item in candidates:
        team = item.postmortem.incident.team
        if team.pk not in settings_of:
            settings_of[team.pk] = TeamSettings.of(team)
        conf = settings_of[team.pk]
        reason = item.stalled_reason(now, conf.stalled_after_days)
        if not reason:
            continue
        chain = sorted(
            (e for e in item.escalations.all() if e.episode == item.last_activity_at),
            key=lambda e: e.level,
        )
        previous = chain[-1] if chain else None
        if previous is not None and (
            previous.level >= MAX_LEVEL or now < previous.next_step_at(conf)
        ):
            continue
        level = previous.level + 1 if previous is not None else 1
        target = _target(item, level, previous)
        if target is None:
            continue
        steps += _escalate(item, level, target, reason, now, conf)
    return f"escalated {steps}"


def _escalate(
    item: ActionItem, level: int, target: Person, reason: str, now: datetime, conf: TeamSettings
) -> int:
    try:
        note = f"Escalated to {target.name} (level {level}): {reason}."
        with transaction.atomic(), acting_as("worker", note=note):
            Escalation.objects.create(
                item=item,
                episode=item.last_activity_at,
                level=level,
                to_person=target,
                reason=reason[:300],
                at=now,
            )
            # The step is a row of its own (recorded as created); the item's history says
            # it climbed a level, which no field of the item holds.
            record(
                item,
                Change.Action.UPDATE,
                before={"escalation_level": level - 1},
                after={"escalation_level": level, "escalated_to": target.name},
            )
            notify(
                target,
                item.postmortem.incident.team,
                "escalation",
                f"{item.pk}:{item.last_activity_at.isoformat()}:{level}",
                _message(item, level, target, reason),
                action_item=item,
                team_settings=conf,
            )
    except IntegrityError:
        return 0  # another worker took this step at the same moment
    return 1


def _message(item: ActionItem, level: int, target: Person, reason: str) -> Message:
    incident = item.postmortem.incident
    owner = item.owner.name if item.owner else "nobody"
    whose = "one of your reports" if level == 1 else "someone two levels below you"
    owned = f"owned by {owner}, {whose}," if item.owner else "with no owner"
    subject = f"Escalated: “{item.title}” ({incident.key}) is stuck"
    intro = (
        f"An action item {owned} is {reason}. It came out of the "
        f"postmortem of {incident.key} ({incident.title}). Please help it move: unblock it, "
        "give it a realistic date, or deprioritise it with a written reason."
    )
    message = Message(subject, intro, item.get_absolute_url())
    if is_restricted(incident):
        # Read by a manager who may not see the incident (notify decides): no title, no key.
        message.secret_incident = incident.pk
        message.restricted_subject = f"Escalated: an action item of {RESTRICTED} is stuck"
        message.restricted_intro = (
            f"An action item {owned} is {reason}. It came out of the postmortem of "
            f"{RESTRICTED}; ask {owner if item.owner else 'the team'} or the team's lead for "
            "what it needs."
        )
    return message
