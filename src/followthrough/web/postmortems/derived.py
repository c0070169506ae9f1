"""What every incident list shows, stored on the incident when its inputs change.

Stored on :class:`~followthrough.web.incidents.models.Incident` (columns ``policy_decision``,
``policy_reasons``, ``next_milestone``, ``next_milestone_due``, ``overdue_from``):

- the postmortem policy's decision and reasons, under the organisation's policy;
- the next milestone not yet done and its deadline (none without a postmortem);
- ``overdue_from``: the earliest deadline among the milestones not yet done. With no
  postmortem started it is set only when the policy requires one (its first deadlines
  then run from the resolution anyway); unresolved incidents have none.

Their inputs are the incident's severity, flags, repeat link and resolution, its team's
calendar, the organisation's policy, and the postmortem's and meeting's completion times.
:mod:`followthrough.web.postmortems.signals` recomputes on every save of those rows;
writes that go around ``save()`` (a ``QuerySet.update``) call :func:`refresh` themselves,
and ``followthrough manage refresh_derived`` recomputes every incident (after a change of
the holiday data, say).

"Overdue" depends on the clock, so it is not stored: :func:`overdue_q` is the one rule, in
SQL, and :func:`incident_is_overdue` the same rule for a row already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from followthrough.core.calendar import (
    BusinessCalendar,
    CalendarError,
    Milestone,
    MilestoneKey,
    milestones,
)
from followthrough.core.policy import Decision, IncidentFacts, PolicyConfig, decide

#: the stored columns, in the order :class:`Derived` holds them
FIELDS = (
    "policy_decision",
    "policy_reasons",
    "next_milestone",
    "next_milestone_due",
    "overdue_from",
)


@dataclass(frozen=True)
class Derived:
    """The stored values of one incident."""

    policy_decision: str
    policy_reasons: list[str]
    next_milestone: str
    next_milestone_due: datetime | None
    overdue_from: datetime | None

    def as_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def derive(
    facts: IncidentFacts,
    config: PolicyConfig,
    resolved_at: datetime | None,
    calendar: BusinessCalendar | None,
    completions: Mapping[MilestoneKey, datetime | None] | None,
) -> Derived:
    """The stored values from their inputs. ``completions`` is None without a postmortem;
    ``calendar`` None when the team's calendar is invalid (no deadlines then)."""
    policy = decide(facts, config)
    upcoming: list[Milestone] = []
    if resolved_at is not None and calendar is not None:
        required = policy.decision is Decision.REQUIRED
        if completions is not None or required:
            # ``now`` only sets each milestone's state, which nothing stored reads
            stones = milestones(resolved_at, calendar, completions or {}, resolved_at)
            upcoming = [m for m in stones if m.completed_at is None]
    shown = upcoming[0] if upcoming and completions is not None else None
    return Derived(
        policy_decision=policy.decision.value,
        policy_reasons=list(policy.reasons),
        next_milestone=shown.key.value if shown else "",
        next_milestone_due=shown.due_at if shown else None,
        overdue_from=min(m.due_at for m in upcoming) if upcoming else None,
    )


def calendar_or_none(timezone_name: str, country: str, subdivision: str) -> BusinessCalendar | None:
    try:
        return BusinessCalendar(timezone_name, country or None, subdivision or None)
    except CalendarError:
        return None


def derive_incident(incident: Any, config: PolicyConfig) -> Derived:
    """The stored values of ``incident`` as it is in memory (team, postmortem and meeting
    read through it)."""
    from followthrough.web.postmortems.models import Postmortem

    # every row, deleted or not: a postmortem is deleted only with its incident (recovery),
    # whose values then stay what they were, ready for a restore
    postmortem = Postmortem.all_objects.filter(incident=incident).select_related("meeting").first()
    team = incident.team
    return derive(
        incident.facts(),
        config,
        incident.resolved_at,
        calendar_or_none(team.timezone, team.holiday_country, team.holiday_subdivision),
        postmortem.milestone_completions() if postmortem is not None else None,
    )


def refresh(incidents: Iterable[int] | None = None) -> int:
    """Recompute and store the values of these incidents (every one with ``None``, deleted
    ones included). Returns how many rows changed."""
    from followthrough.web.accounts.models import Organisation
    from followthrough.web.incidents.models import Incident

    config = Organisation.current().policy_config()
    rows = Incident.all_objects.select_related("team").order_by("pk")
    if incidents is not None:
        rows = rows.filter(pk__in=list(incidents))
    changed = 0
    for incident in rows:
        values = derive_incident(incident, config).as_fields()
        if any(getattr(incident, name) != value for name, value in values.items()):
            Incident.all_objects.filter(pk=incident.pk).update(**values)
            changed += 1
    return changed


def overdue_q(now: datetime | None = None) -> Q:
    """Incidents that are overdue at ``now``: a milestone not yet done is past its deadline
    (``overdue_from``; with no postmortem, only when one is required), or an open action
    item of its postmortem is past its due date (in the server's zone, as
    ``ActionItem.is_overdue``). The one rule: the API, the incident list's filter and
    every other reader use it or :func:`incident_is_overdue`."""
    from followthrough.web.postmortems.loop import CLOSED_STATUSES
    from followthrough.web.postmortems.models import Postmortem

    now = now or timezone.now()
    # action items sit above postmortems (the layering): reached through the relation
    items = Postmortem._meta.get_field("action_items").related_model
    late_item = items.objects.filter(
        postmortem__incident=OuterRef("pk"),
        postmortem__deleted_at__isnull=True,
        due_date__lt=timezone.localdate(now),
    ).exclude(status__in=CLOSED_STATUSES)
    return Q(overdue_from__lt=now) | Q(Exists(late_item))
