"""Are postmortems working? The seed's "Measuring Effectiveness", as numbers over time.

    "Track repeat incidents. If the same failure mode recurs, the postmortem failed."
    "Review postmortem completion rate. If action items are not getting done, fix the
    process."

Every number belongs to a **cohort**: the incidents that started in a period (a week, a
month or a quarter, in UTC) and everything that hangs off them (their postmortems, action
items and milestones). "March: 12% repeats, 80% of required postmortems closed, 70% of
their action items done" reads as a statement about March's incidents, and the items
behind each number are exactly that cohort (the drill-down lists them). Escalations are
counted in the period they happened.

The metrics, each a ratio of two counts so that teams add up to the organisation:

- repeat-incident rate: incidents marked a repeat of an earlier one / incidents;
- postmortem completion rate: closed postmortems of incidents the policy requires one
  for / incidents that require one;
- action items completed: done / action items (deprioritised ones, which need a written
  reason, are left out of both);
- completed on time: done on or before the due date (the date it was done, in UTC) /
  done items that had a due date;
- milestone adherence, per milestone: done on time / (done on time + done late +
  overdue); milestones still pending count in neither;
- time from resolution to close: mean hours from the incident's resolution to its
  postmortem closing, over closed postmortems;
- open action age: mean days since creation of the action items still open or in
  progress (measured now);
- escalations: stalled items escalated to a manager (``None`` when not tracked).

This module works on plain rows and counts; the service computes the same counts in SQL
for scale and a test holds the two to the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from followthrough.core.calendar import MilestoneKey
from followthrough.core.policy import Decision, PolicyConfig


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


def _day(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a datetime without a timezone cannot be put in a period")
        return moment.astimezone(UTC).date()
    return moment


def period_start(moment: date | datetime, period: Period) -> date:
    """The first day of the period holding ``moment`` (weeks start on Monday; UTC)."""
    day = _day(moment)
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_period(start: date, period: Period) -> date:
    if period is Period.WEEK:
        return start + timedelta(days=7)
    months = 1 if period is Period.MONTH else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_label(start: date, period: Period) -> str:
    """``2026-W10``, ``2026-03`` or ``2026-Q1``."""
    if period is Period.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period is Period.MONTH:
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def periods_between(first: date, last: date, period: Period) -> list[date]:
    """Every period start from the period of ``first`` to that of ``last``, inclusive."""
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    out = []
    current = period_start(first, period)
    end = period_start(last, period)
    while current <= end:
        out.append(current)
        current = next_period(current, period)
    return out


# --- which incidents require a postmortem, in a form a database can filter on -------------

#: IncidentFacts flag -> the PolicyConfig setting that decides what it calls for
POLICY_FLAGS: tuple[tuple[str, str], ...] = (
    ("data_loss", "data_loss"),
    ("near_miss", "near_miss"),
    ("is_repeat", "repeat"),
    ("process_failure", "process_failure"),
    ("security", "security"),
    ("customer_facing", "customer_facing"),
)


@dataclass(frozen=True)
class RequiredWhen:
    """The policy's "required" decision as a disjunction: the severity is one of
    ``severities``, or it is one of ``with_significant_impact`` and the incident had
    significant impact, or any of ``flags`` (IncidentFacts names) is set.

    Same answer as :func:`followthrough.core.policy.decide` giving ``required`` (a test
    checks every combination), in a shape SQL can filter on."""

    severities: frozenset[str]
    with_significant_impact: frozenset[str]
    flags: tuple[str, ...]

    def applies(self, severity: str, significant_impact: bool, flags: Mapping[str, bool]) -> bool:
        if severity in self.severities:
            return True
        if severity in self.with_significant_impact and significant_impact:
            return True
        return any(flags.get(name, False) for name in self.flags)


def required_when(config: PolicyConfig) -> RequiredWhen:
    return RequiredWhen(
        severities=config.required_severities,
        with_significant_impact=config.required_with_significant_impact,
        flags=tuple(
            fact for fact, setting in POLICY_FLAGS if getattr(config, setting) is Decision.REQUIRED
        ),
    )


# --- counts ------------------------------------------------------------------------------

MILESTONE_KEYS: tuple[MilestoneKey, ...] = (
    MilestoneKey.INITIAL_TIMELINE,
    MilestoneKey.MEETING_SCHEDULED,
    MilestoneKey.MEETING_HELD,
    MilestoneKey.DOCUMENT_FINAL,
    MilestoneKey.ACTIONS_TRACKED,
)


@dataclass
class MilestoneCounts:
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    def __add__(self, other: MilestoneCounts) -> MilestoneCounts:
        return MilestoneCounts(
            self.on_time + other.on_time,
            self.late + other.late,
            self.overdue + other.overdue,
            self.pending + other.pending,
        )

    @property
    def adherence(self) -> float | None:
        return _ratio(self.on_time, self.on_time + self.late + self.overdue)


def _milestones() -> dict[str, MilestoneCounts]:
    return {key.value: MilestoneCounts() for key in MILESTONE_KEYS}


@dataclass
class Counts:
    """The numerators and denominators of one cohort (period x team, or any sum of them)."""

    incidents: int = 0
    repeats: int = 0
    required: int = 0
    required_closed: int = 0
    postmortems: int = 0
    closed: int = 0
    close_timed: int = 0
    close_hours: float = 0.0
    actions: int = 0
    actions_deprioritised: int = 0
    actions_done: int = 0
    actions_done_dated: int = 0
    actions_done_on_time: int = 0
    actions_open: int = 0
    open_age_days: float = 0.0
    escalations: int | None = 0
    milestones: dict[str, MilestoneCounts] = field(default_factory=_milestones)

    def __add__(self, other: Counts) -> Counts:
        out = Counts()
        out.merge(self)
        out.merge(other)
        return out

    def merge(self, other: Counts) -> None:
        """Add ``other`` into this one."""
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.escalations = (
            None
            if self.escalations is None or other.escalations is None
            else self.escalations + other.escalations
        )
        for key, theirs in other.milestones.items():
            mine = self.milestones.get(key)
            self.milestones[key] = theirs + MilestoneCounts() if mine is None else mine + theirs


_SUMMED: tuple[str, ...] = tuple(
    f.name for f in fields(Counts) if f.name not in ("milestones", "escalations")
)


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else part / whole


@dataclass(frozen=True)
class Metric:
    """One number on the dashboard: how it is computed from :class:`Counts`, in words too."""

    key: str
    label: str
    unit: str  # "ratio", "hours", "days", "count"
    description: str
    compute: Callable[[Counts], float | None]
    drill: str  # which rows are behind it: incidents, postmortems, actions, milestones, escalations
    #: for a rate: the counts it divides (numerator, denominator), shown beside it
    parts: Callable[[Counts], tuple[float, float] | None] = lambda c: None


def _milestone_metric(key: MilestoneKey, label: str) -> Metric:
    def compute(c: Counts) -> float | None:
        return c.milestones.get(key.value, MilestoneCounts()).adherence

    def parts(c: Counts) -> tuple[float, float]:
        m = c.milestones.get(key.value, MilestoneCounts())
        return m.on_time, m.on_time + m.late + m.overdue

    return Metric(
        f"milestone_{key.value}",
        f"On time: {label}",
        "ratio",
        f"{label}: done on time / (done on time + done late + overdue); pending ones are not counted.",
        compute,
        f"milestone:{key.value}",
        parts,
    )


METRICS: tuple[Metric, ...] = (
    Metric(
        "repeat_rate",
        "Repeat-incident rate",
        "ratio",
        "Incidents marked a repeat of an earlier incident / incidents. A repeat means the "
        "earlier postmortem failed to prevent it.",
        lambda c: _ratio(c.repeats, c.incidents),
        "incidents",
        lambda c: (c.repeats, c.incidents),
    ),
    Metric(
        "postmortem_completion_rate",
        "Postmortem completion rate",
        "ratio",
        "Closed postmortems of incidents that require one / incidents that require one "
        "(the organisation's policy).",
        lambda c: _ratio(c.required_closed, c.required),
        "postmortems",
        lambda c: (c.required_closed, c.required),
    ),
    Metric(
        "action_completion_rate",
        "Action items completed",
        "ratio",
        "Done / action items, deprioritised ones (with their written reason) left out.",
        lambda c: _ratio(c.actions_done, c.actions - c.actions_deprioritised),
        "actions",
        lambda c: (c.actions_done, c.actions - c.actions_deprioritised),
    ),
    Metric(
        "actions_on_time",
        "Action items completed on time",
        "ratio",
        "Done on or before the due date / done items that had a due date.",
        lambda c: _ratio(c.actions_done_on_time, c.actions_done_dated),
        "actions",
        lambda c: (c.actions_done_on_time, c.actions_done_dated),
    ),
    Metric(
        "time_to_close",
        "Resolution to close",
        "hours",
        "Mean hours from the incident's resolution to its postmortem closing (closed ones).",
        lambda c: _ratio(c.close_hours, c.close_timed),
        "postmortems",
    ),
    Metric(
        "open_action_age",
        "Open action age",
        "days",
        "Mean days since creation of the action items still open or in progress.",
        lambda c: _ratio(c.open_age_days, c.actions_open),
        "actions",
    ),
    Metric(
        "escalations",
        "Escalations",
        "count",
        "Stalled action items escalated to a manager in the period.",
        lambda c: None if c.escalations is None else float(c.escalations),
        "escalations",
    ),
    _milestone_metric(MilestoneKey.INITIAL_TIMELINE, "initial timeline (T+24h)"),
    _milestone_metric(MilestoneKey.MEETING_SCHEDULED, "meeting scheduled (T+48h)"),
    _milestone_metric(MilestoneKey.MEETING_HELD, "meeting held (T+5 business days)"),
    _milestone_metric(MilestoneKey.DOCUMENT_FINAL, "document final (T+7 business days)"),
    _milestone_metric(MilestoneKey.ACTIONS_TRACKED, "actions tracked (T+7 business days)"),
)
# Keys renamed in API 1.1 (docs/api.md), still understood by the drill-down's ?metric=.
RENAMED: dict[str, str] = {
    "completion_rate": "postmortem_completion_rate",
    "actions_completed": "action_completion_rate",
}
METRICS_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS} | {
    old: m for m in METRICS for old, new in RENAMED.items() if m.key == new
}


def values(counts: Counts) -> dict[str, float | None]:
    return {m.key: m.compute(counts) for m in METRICS}


# --- plain rows -> counts ----------------------------------------------------------------

OPEN_STATUSES = frozenset({"open", "in_progress"})


@dataclass(frozen=True)
class IncidentRow:
    id: int
    team_id: int
    occurred_at: datetime
    is_repeat: bool
    required: bool
    postmortem_status: str | None = None  # None: no postmortem
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class ActionRow:
    id: int
    team_id: int
    occurred_at: datetime  # the incident's
    status: str
    created_at: datetime
    due_date: date | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class MilestoneRow:
    postmortem_id: int
    team_id: int
    occurred_at: datetime  # the incident's
    key: str
    due_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class EscalationRow:
    id: int
    team_id: int
    at: datetime


Key = tuple[date, int]  # (period start, team id)


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def done_on_time(done_at: datetime, due_date: date) -> bool:
    return done_at.astimezone(UTC).date() <= due_date


def milestone_state(due_at: datetime, completed_at: datetime | None, now: datetime) -> str:
    if completed_at is not None:
        return "on_time" if completed_at <= due_at else "late"
    return "overdue" if now > due_at else "pending"


def count_rows(
    period: Period,
    now: datetime,
    incidents: Iterable[IncidentRow] = (),
    actions: Iterable[ActionRow] = (),
    milestones: Iterable[MilestoneRow] = (),
    escalations: Iterable[EscalationRow] | None = (),
) -> dict[Key, Counts]:
    """Counts per (period start, team id) from plain rows. ``escalations=None``: not
    tracked, so every cohort's escalation count is ``None``."""
    out: dict[Key, Counts] = {}

    def at(moment: datetime, team_id: int) -> Counts:
        key = (period_start(moment, period), team_id)
        found = out.get(key)
        if found is None:
            found = out[key] = Counts()
        return found

    for i in incidents:
        c = at(i.occurred_at, i.team_id)
        c.incidents += 1
        c.repeats += i.is_repeat
        c.required += i.required
        if i.postmortem_status is not None:
            c.postmortems += 1
            if i.postmortem_status == "closed":
                c.closed += 1
                c.required_closed += i.required
                if i.resolved_at is not None and i.closed_at is not None:
                    c.close_timed += 1
                    c.close_hours += hours_between(i.resolved_at, i.closed_at)
    for a in actions:
        c = at(a.occurred_at, a.team_id)
        c.actions += 1
        if a.status == "deprioritised":
            c.actions_deprioritised += 1
        elif a.status == "done":
            c.actions_done += 1
            if a.due_date is not None:
                c.actions_done_dated += 1
                if a.done_at is not None and done_on_time(a.done_at, a.due_date):
                    c.actions_done_on_time += 1
        elif a.status in OPEN_STATUSES:
            c.actions_open += 1
            c.open_age_days += (now - a.created_at).total_seconds() / 86400
    for m in milestones:
        c = at(m.occurred_at, m.team_id)
        counts = c.milestones.setdefault(m.key, MilestoneCounts())
        state = milestone_state(m.due_at, m.completed_at, now)
        setattr(counts, state, getattr(counts, state) + 1)
    if escalations is None:
        for c in out.values():
            c.escalations = None
    else:
        for e in escalations:
            at(e.at, e.team_id).escalations = (at(e.at, e.team_id).escalations or 0) + 1
    return out


# --- a report: periods x (organisation, teams) -------------------------------------------


@dataclass(frozen=True)
class PeriodValues:
    start: date
    label: str
    counts: Counts
    values: dict[str, float | None]


@dataclass(frozen=True)
class Series:
    """One line of the dashboard: the organisation (team_id None) or one team."""

    team_id: int | None
    name: str
    periods: list[PeriodValues]
    total: Counts
    total_values: dict[str, float | None]


def series(
    counts: Mapping[Key, Counts],
    starts: list[date],
    period: Period,
    team_id: int | None,
    name: str,
    team_ids: Iterable[int],
    escalations_tracked: bool = True,
) -> Series:
    """The periods ``starts`` of one team (or, with ``team_id`` None, of ``team_ids``
    summed), empty periods included, and the total over them."""
    wanted = {team_id} if team_id is not None else set(team_ids)
    by_start: dict[date, Counts] = {}
    for (start, team), found in counts.items():
        if team in wanted:
            if start not in by_start:
                by_start[start] = Counts()
            by_start[start].merge(found)
    rows = []
    total = Counts()
    for start in starts:
        c = by_start.get(start) or Counts()
        if not escalations_tracked:
            c.escalations = None
        total.merge(c)
        rows.append(PeriodValues(start, period_label(start, period), c, values(c)))
    if not escalations_tracked:
        total.escalations = None
    return Series(team_id, name, rows, total, values(total))
