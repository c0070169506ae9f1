"""The effectiveness numbers, counted in SQL and turned into metrics by the core.

:mod:`followthrough.core.effectiveness` defines every metric over plain counts; here the
counts come from a few GROUP BY queries (incidents, action items, milestones,
escalations), one row per (period, team), so the dashboard costs the same whether a team
has a hundred incidents or a hundred thousand. The drill-down lists the rows behind a
number with the same filters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from followthrough.core import effectiveness as eff
from followthrough.core.effectiveness import Counts, MilestoneCounts, Period
from followthrough.web.accounts.models import Organisation, Team
from followthrough.web.actions.models import OPEN_STATES, ActionItem
from followthrough.web.followup.models import Escalation
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import deadlines, facts, rollups
from followthrough.web.insights.models import MilestoneDeadlines
from followthrough.web.lib import dates
from followthrough.web.visibility import incident_q, visible_teams

_TRUNC = {Period.WEEK: TruncWeek, Period.MONTH: TruncMonth, Period.QUARTER: TruncQuarter}
#: how many periods the dashboard shows when no range is given
DEFAULT_SPAN = {Period.WEEK: 12, Period.MONTH: 12, Period.QUARTER: 8}
#: from an escalation to the team of the escalated action item
ESCALATION_TEAM = "item__postmortem__incident__team_id"
#: the longest range a request may ask for, in periods (keeps a typo from costing minutes)
MAX_PERIODS = 400


def catch_up_every() -> float:
    """Seconds between two catch-ups of the stored rollups and deadlines (setting
    ``INSIGHTS_CATCH_UP_SECONDS``, default 30): the dashboard reflects edits made by
    conditional UPDATEs within that time; saves and deletions are seen at once."""
    return float(getattr(settings, "INSIGHTS_CATCH_UP_SECONDS", 30.0))


class BadRequest(ValueError):
    """A filter that cannot be applied; the message says why, ``field`` which one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Scope:
    """Whose numbers, over which periods."""

    teams: list[Team]  # the teams counted (visible to the user, maybe narrowed to one)
    team: Team | None  # the one asked for, if any
    period: Period
    first: date  # first day of the first period
    end: date  # first day after the last period
    starts: list[date]
    # Who asks: the counts include security incidents (numbers reveal no content), the
    # drill-down rows only those the viewer may see (followthrough.web.visibility).
    viewer: AbstractBaseUser | AnonymousUser | None = None

    def readable(self, path: str = "") -> Q:
        """Rows whose incident (at ``path``) the viewer may see; none without a viewer."""
        return incident_q(self.viewer or AnonymousUser(), path)

    @property
    def team_ids(self) -> list[int]:
        return [t.pk for t in self.teams]

    def begin_at(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(0), tzinfo=UTC)


def _parse_day(value: str | date | None, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return dates.check_day(value) if isinstance(value, date) else dates.parse_day(value)
    except ValueError as e:
        raise BadRequest(f"{name}: {e}", name) from e


def scope(
    user: AbstractBaseUser | AnonymousUser,
    *,
    team: int | str | None = None,
    period: str | None = None,
    start: str | date | None = None,
    until: str | date | None = None,
    today: date | None = None,
) -> Scope:
    """The scope of a request; an unknown period, a bad date or a team the user cannot see
    raises :class:`BadRequest` (a team that is not visible reads as one that does not exist)."""
    try:
        kind = Period(period or Period.MONTH)
    except ValueError as e:
        raise BadRequest(f"period must be week, month or quarter; got {period!r}.", "period") from e
    visible = list(visible_teams(user).order_by("name"))
    chosen: Team | None = None
    if team not in (None, ""):
        try:
            team_id = int(str(team))
        except ValueError as e:
            raise BadRequest(f"team must be a team id; got {team!r}.", "team") from e
        chosen = next((t for t in visible if t.pk == team_id), None)
        if chosen is None:
            raise BadRequest(f"There is no team with id {team_id}.", "team")
    today = today or timezone.now().astimezone(UTC).date()
    last = _parse_day(until, "to") or today
    first = _parse_day(start, "from")
    if first is None:
        first = eff.period_start(last, kind)
        for _ in range(DEFAULT_SPAN[kind] - 1):
            first = eff.period_start(first - timedelta(days=1), kind)
    if last < first:
        raise BadRequest(f"to ({last}) is before from ({first}).", "to")
    starts = eff.periods_between(first, last, kind)
    if len(starts) > MAX_PERIODS:
        raise BadRequest(
            f"That range has {len(starts)} {kind.value}s; at most {MAX_PERIODS}.", "from"
        )
    return Scope(
        teams=[chosen] if chosen else visible,
        team=chosen,
        period=kind,
        first=starts[0],
        end=eff.next_period(starts[-1], kind),
        starts=starts,
        viewer=user,
    )


# --- which incidents require a postmortem, in SQL ----------------------------------------

#: IncidentFacts flag -> (Incident lookup, value)
_FACT_FIELDS: dict[str, tuple[str, bool]] = {
    "data_loss": ("data_loss", True),
    "near_miss": ("near_miss", True),
    "is_repeat": ("repeat_of__isnull", False),
    "process_failure": ("process_failure", True),
    "security": ("security", True),
    "customer_facing": ("customer_facing", True),
}


def required_q(prefix: str = "") -> Q:
    """Incidents the organisation's policy requires a postmortem for (core.policy, as a
    filter: :func:`followthrough.core.effectiveness.required_when`)."""
    when = eff.required_when(Organisation.current().policy_config())

    def q(**kwargs: Any) -> Q:
        return Q(**{f"{prefix}{k}": v for k, v in kwargs.items()})

    out = q(pk__in=[])
    if when.severities:
        out |= q(severity__in=sorted(when.severities))
    if when.with_significant_impact:
        out |= q(severity__in=sorted(when.with_significant_impact), significant_impact=True)
    for flag in when.flags:
        lookup, value = _FACT_FIELDS[flag]
        out |= q(**{lookup: value})
    return out


# --- counts ------------------------------------------------------------------------------


def _occurred(prefix: str = "") -> Coalesce:
    return Coalesce(f"{prefix}started_at", f"{prefix}created_at")


def _cohort(qs: QuerySet[Any], s: Scope, prefix: str = "") -> QuerySet[Any]:
    """The rows of incidents that started in the scope's range (recorded, if the start is
    not known). Written as two plain ranges rather than one on COALESCE so the planner can
    estimate them from its column statistics (and pick hash joins at scale)."""
    begin, end = s.begin_at(), s.end_at()
    started = Q(**{f"{prefix}started_at__gte": begin, f"{prefix}started_at__lt": end})
    recorded = Q(
        **{
            f"{prefix}started_at__isnull": True,
            f"{prefix}created_at__gte": begin,
            f"{prefix}created_at__lt": end,
        }
    )
    return (
        qs.filter(**{f"{prefix}team_id__in": s.team_ids})
        .filter(started | recorded)
        .annotate(occurred=_occurred(prefix))
    )


def _bucket(s: Scope) -> Any:
    return _TRUNC[s.period]("occurred", tzinfo=UTC)


def _key(value: Any, team_id: int) -> eff.Key:
    day = value.date() if isinstance(value, datetime) else value
    return (day, team_id)


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # a backend that sums durations as microseconds


def _bool(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=models.BooleanField())


def _duration(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


def _catch_up() -> None:
    every = catch_up_every()
    rollups.catch_up(every=every)
    deadlines.catch_up(every=every)
    facts.catch_up(every=every)


def counts(s: Scope, now: datetime | None = None) -> dict[eff.Key, Counts]:
    """Counts per (period start, team id) of the scope: the stored daily sums of the
    cohort's facts (:mod:`followthrough.web.insights.facts`), the milestones still due
    decided at ``now``, and the escalations. The same numbers as :func:`counts_live`."""
    now = now or timezone.now()
    out: dict[eff.Key, Counts] = {}

    def at(key: eff.Key) -> Counts:
        found = out.get(key)
        if found is None:
            found = out[key] = Counts()
        return found

    _catch_up()
    now_ts = (now - rollups.EPOCH).total_seconds()
    for row in facts.summed(s.team_ids, s.first, s.end, _TRUNC[s.period]("day")):
        c = at(_key(row["bucket"], row["team_id"]))
        _fill(c, row, "s_", now_ts)
        for key in deadlines.COMPLETED_AT:
            # every milestone not done yet is overdue, but for those still due (below)
            c.milestones[key] = MilestoneCounts(
                row[f"s_{key}_on_time"], row[f"s_{key}_late"], row[f"s_{key}_open"], 0
            )
    for row in facts.pending(s.team_ids, s.first, s.end, now):
        c = at(_key(eff.period_start(facts.day_of(row["day"]), s.period), row["team_id"]))
        for key in deadlines.COMPLETED_AT:
            due = row[f"{key}_due"]
            if due is not None and due >= now:
                c.milestones[key].overdue -= 1
                c.milestones[key].pending += 1
    for row in facts.escalations(s.team_ids, s.first, s.end, _TRUNC[s.period]("day")):
        at(_key(row["bucket"], row["team_id"])).escalations = row["n"]
    return out


def _fill(c: Counts, row: dict[str, Any], prefix: str, now_ts: float) -> None:
    """One row's cohort sums into ``c`` (milestones aside); the row's columns are named as
    the stored facts' (``facts.SUMMED``), behind ``prefix``."""

    def v(name: str) -> Any:
        return row[prefix + name]

    c.incidents = v("incidents")
    c.repeats = v("repeat")
    c.required = v("required")
    c.postmortems = v("postmortem")
    c.closed = v("closed")
    c.required_closed = v("required_closed")
    c.close_timed = v("close_timed")
    c.close_hours = _seconds(v("close_time")) / 3600
    c.actions = v("actions") or 0
    c.actions_deprioritised = v("deprioritised") or 0
    c.actions_done = v("done") or 0
    c.actions_done_dated = v("done_dated") or 0
    c.actions_done_on_time = v("done_on_time") or 0
    c.actions_open = v("open") or 0
    c.open_age_days = (c.actions_open * now_ts - (v("open_created") or 0.0)) / 86400


def counts_live(s: Scope, now: datetime | None = None) -> dict[eff.Key, Counts]:
    """Counts per (period start, team id) of the scope, straight from the incidents and
    what hangs off them (one GROUP BY over the cohort): what :func:`counts` must equal."""
    now = now or timezone.now()
    out: dict[eff.Key, Counts] = {}

    def at(key: eff.Key) -> Counts:
        found = out.get(key)
        if found is None:
            found = out[key] = Counts()
        return found

    _catch_up()
    # One pass over the cohort's incidents: postmortem, action counts, deadlines and
    # meeting are one-to-one with it, so nothing is counted twice.
    required = required_q()
    closed = Q(postmortem__status="closed")
    timed = closed & Q(resolved_at__isnull=False, postmortem__closed_at__isnull=False)
    rollup = "postmortem__action_rollup__"
    # named as the stored facts' columns (behind "c_": some names are fields of Incident)
    aggregates: dict[str, Any] = {
        "c_incidents": Count("pk"),
        "c_repeat": Count("pk", filter=Q(repeat_of__isnull=False)),
        "c_required": Count("pk", filter=required),
        "c_postmortem": Count("postmortem"),
        "c_closed": Count("pk", filter=closed),
        "c_required_closed": Count("pk", filter=required & closed),
        "c_close_timed": Count("pk", filter=timed),
        "c_close_time": Sum(_duration(F("postmortem__closed_at") - F("resolved_at")), filter=timed),
        "c_actions": Sum(f"{rollup}total"),
        "c_deprioritised": Sum(f"{rollup}deprioritised"),
        "c_done": Sum(f"{rollup}done"),
        "c_done_dated": Sum(f"{rollup}done_dated"),
        "c_done_on_time": Sum(f"{rollup}done_on_time"),
        "c_open": Sum(f"{rollup}open"),
        "c_open_created": Sum(f"{rollup}open_created"),
    }
    for key, completed in deadlines.COMPLETED_AT.items():
        due = f"postmortem__deadlines__{key}"
        aggregates[f"{key}__on_time"] = Count("pk", filter=Q(**{f"{completed}__lte": F(due)}))
        aggregates[f"{key}__late"] = Count("pk", filter=Q(**{f"{completed}__gt": F(due)}))
        aggregates[f"{key}__overdue"] = Count(
            "pk", filter=Q(**{f"{completed}__isnull": True, f"{due}__lt": now})
        )
        aggregates[f"{key}__pending"] = Count(
            "pk", filter=Q(**{f"{completed}__isnull": True, f"{due}__gte": now})
        )
    rows = (
        _cohort(Incident.objects.all(), s)
        .annotate(bucket=_bucket(s))
        .values("bucket", "team_id")
        .order_by()
        .annotate(**aggregates)
    )
    now_ts = (now - rollups.EPOCH).total_seconds()
    for row in rows:
        c = at(_key(row["bucket"], row["team_id"]))
        _fill(c, row, "c_", now_ts)
        for key in deadlines.COMPLETED_AT:
            c.milestones[key] = MilestoneCounts(
                row[f"{key}__on_time"],
                row[f"{key}__late"],
                row[f"{key}__overdue"],
                row[f"{key}__pending"],
            )
    _escalations(s, at)
    return out


def _escalations(s: Scope, at: Callable[[eff.Key], Counts]) -> None:
    escalations = (
        Escalation.objects.filter(
            **{f"{ESCALATION_TEAM}__in": s.team_ids}, at__gte=s.begin_at(), at__lt=s.end_at()
        )
        .annotate(bucket=_TRUNC[s.period]("at", tzinfo=UTC))
        .values("bucket", ESCALATION_TEAM)
        .order_by()
        .annotate(n=Count("pk"))
    )
    for row in escalations:
        at(_key(row["bucket"], row[ESCALATION_TEAM])).escalations = row["n"]


# --- the report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    scope: Scope
    organisation: eff.Series
    teams: list[eff.Series]
    generated_at: datetime


def report(s: Scope, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    found = counts(s, now)
    org_name = Organisation.current().name if s.team is None else s.team.name
    organisation = eff.series(found, s.starts, s.period, None, org_name, s.team_ids)
    teams = [eff.series(found, s.starts, s.period, t.pk, t.name, s.team_ids) for t in s.teams]
    return Report(s, organisation, teams, now)


# --- drill-down: the rows behind a number ------------------------------------------------


@dataclass(frozen=True)
class Drill:
    """The rows behind one metric of one period (or of the whole range)."""

    metric: eff.Metric
    kind: str  # incidents, postmortems, actions, milestones, escalations
    rows: list[Any]
    start: date | None
    milestone: str | None = None


def _narrow(s: Scope, start: date | None) -> Scope:
    if start is None:
        return s
    first = eff.period_start(start, s.period)
    if first not in s.starts:
        raise BadRequest(
            f"{start} is not in the range {s.first} to {s.end - timedelta(days=1)}.", "start"
        )
    return Scope(
        s.teams, s.team, s.period, first, eff.next_period(first, s.period), [first], s.viewer
    )


DRILL_LIMIT = 500


def drill(
    s: Scope, metric: str, start: date | str | None = None, now: datetime | None = None
) -> Drill:
    """The incidents, postmortems, action items, milestones or escalations a metric of
    the scope counts (at most ``DRILL_LIMIT`` rows, the ones that count against it first)."""
    now = now or timezone.now()
    spec = eff.METRICS_BY_KEY.get(metric)
    if spec is None:
        known = ", ".join(m.key for m in eff.METRICS)
        raise BadRequest(f"Unknown metric {metric!r}; known: {known}.", "metric")
    day = _parse_day(start, "start") if not isinstance(start, date) else start
    narrow = _narrow(s, day)
    kind = spec.drill.split(":")[0]
    if kind == "incidents":
        rows: list[Any] = list(
            _cohort(Incident.objects.select_related("team", "repeat_of", "postmortem"), narrow)
            .filter(s.readable())
            .annotate(marked_repeat=_bool(Q(repeat_of__isnull=False)))
            .order_by("-marked_repeat", "-occurred", "-pk")[:DRILL_LIMIT]
        )
        return Drill(spec, kind, rows, day)
    if kind == "postmortems":
        rows = list(
            _cohort(Incident.objects.select_related("team", "postmortem"), narrow)
            .filter(s.readable())
            .filter(required_q() | Q(postmortem__isnull=False))
            .annotate(
                is_required=_bool(required_q()),
                close_time=_duration(F("postmortem__closed_at") - F("resolved_at")),
            )
            .order_by("postmortem__closed_at", "-occurred", "-pk")[:DRILL_LIMIT]
        )
        return Drill(spec, kind, rows, day)
    if kind == "actions":
        open_first = spec.key in ("action_completion_rate", "open_action_age")
        rows = list(
            _cohort(
                ActionItem.objects.select_related("postmortem__incident__team", "owner"),
                narrow,
                "postmortem__incident__",
            )
            .filter(s.readable("postmortem__incident"))
            .annotate(
                is_open=_bool(Q(status__in=OPEN_STATES)),
                done_day=TruncDate("done_at", tzinfo=UTC),
            )
            .order_by(*(["-is_open", "created_at"] if open_first else ["-done_at"]), "pk")[
                :DRILL_LIMIT
            ]
        )
        return Drill(spec, kind, rows, day)
    if kind == "milestone":
        key = spec.drill.split(":")[1]
        deadlines.catch_up(every=catch_up_every())
        completed = deadlines.COMPLETED_AT[key]
        qs = (
            _cohort(
                MilestoneDeadlines.objects.select_related("postmortem__incident__team"),
                narrow,
                "postmortem__incident__",
            )
            .filter(s.readable("postmortem__incident"))
            .annotate(due=F(key), completed=F(completed))
        )
        rows = []
        for row in qs.order_by(F("completed").desc(nulls_first=True), "due")[:DRILL_LIMIT]:
            rows.append(
                {
                    "postmortem": row.postmortem,
                    "incident": row.postmortem.incident,
                    "due_at": row.due,
                    "completed_at": row.completed,
                    "state": eff.milestone_state(row.due, row.completed, now),
                }
            )
        return Drill(spec, "milestones", rows, day, milestone=key)
    rows = list(
        Escalation.objects.filter(
            s.readable("item__postmortem__incident"),
            **{f"{ESCALATION_TEAM}__in": narrow.team_ids},
            at__gte=narrow.begin_at(),
            at__lt=narrow.end_at(),
        )
        .select_related("item__postmortem__incident__team", "to_person")
        .order_by("-at", "-pk")[:DRILL_LIMIT]
    )
    return Drill(spec, "escalations", rows, day)
