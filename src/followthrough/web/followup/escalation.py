"""Escalating stalled or overdue items (seed: "Escalate stalled items").

An open item is stuck when it is overdue and has not moved since it became overdue, or when
it has not moved for the team's ``stalled_after_days``. A stuck item goes to its owner's
manager (the team lead when the owner has no manager), then, ``escalate_after_days`` later
and still unmoved, one level up: the manager's manager. Each step is an ``Escalation`` row
plus a history entry and a message. Any change to the item (its last activity moves) stops
the chain; a later standstill starts a new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.web.accounts.models import Person
from followthrough.web.accounts.visibility import is_restricted
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.followup.digest import zone_of
from followthrough.web.followup.models import Escalation, TeamSettings
from followthrough.web.followup.notifications import RESTRICTED, Message, notify
from followthrough.web.history.context import acting_as
from followthrough.web.history.models import Change
from followthrough.web.history.recording import record

MAX_LEVEL = 2


def stuck_reason(item: ActionItem, conf: TeamSettings, now: datetime) -> str:
    """Why the item counts as stuck now, in words; "" when it does not."""
    if item.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
        return ""
    zone = zone_of(item.postmortem.incident.team)
    today = now.astimezone(zone).date()
    if item.due_date is not None and item.due_date < today:
        overdue_since = datetime.combine(
            item.due_date + timedelta(days=1), datetime.min.time(), tzinfo=zone
        )
        if item.last_activity_at < overdue_since:
            return f"overdue since {item.due_date:%a %d %b %Y} and not updated since"
    if item.is_stalled(now, conf.stalled_after_days):
        days = (now - item.last_activity_at).days
        return f"no activity for {days} days"
    return ""


def _target(item: ActionItem, level: int, previous: Escalation | None) -> Person | None:
    if level == 1:
        assert item.owner is not None
        target = item.owner.manager or item.postmortem.incident.team.lead
    else:
        target = previous.to_person.manager if previous is not None else None
    if target is None or target.pk == item.owner_id:
        return None
    return target


def escalate_stuck_items(now: datetime | None = None) -> str:
    """Take every stuck item one step up its chain when the step is due. Idempotent."""
    now = now or timezone.now()
    candidates = (
        ActionItem.objects.filter(status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS))
        .exclude(owner=None)
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
        reason = stuck_reason(item, conf, now)
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
    subject = f"Escalated: “{item.title}” ({incident.key}) is stuck"
    intro = (
        f"An action item owned by {owner}, {whose}, is {reason}. It came out of the "
        f"postmortem of {incident.key} ({incident.title}). Please help it move: unblock it, "
        "give it a realistic date, or deprioritise it with a written reason."
    )
    message = Message(subject, intro, item.get_absolute_url())
    if is_restricted(incident):
        # Read by a manager who may not see the incident (notify decides): no title, no key.
        message.secret_incident = incident.pk
        message.restricted_subject = f"Escalated: an action item of {RESTRICTED} is stuck"
        message.restricted_intro = (
            f"An action item owned by {owner}, {whose}, is {reason}. It came out of the "
            f"postmortem of {RESTRICTED}; ask {owner} or the team's lead for what it needs."
        )
    return message
