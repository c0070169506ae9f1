"""The dashboard's numbers, stored per incident and summed per team and day.

Counting a cohort live means joining its incidents to their postmortems, meetings,
deadlines and action-item counts on every view: at 100,000 incidents a 12-quarter report
reads all of them. Instead each incident's contribution to every number is computed once
(:class:`CohortFact`, by the same expressions the live count uses, see
:func:`fact_values`) and the facts of one team and UTC day are summed
(:class:`DailyCohort`). A report then sums at most a row per team and day of its range;
the only thing that depends on the moment of the view, whether a milestone not done yet
is overdue or still pending, is decided from the few facts that still have a deadline
ahead (``open_due_max``).

Facts follow the rows they come from: a saved incident or postmortem, a recounted
postmortem (:mod:`rollups`) and recomputed deadlines (:mod:`deadlines`) refresh them once
committed; meetings, and edits made by conditional UPDATEs (which send no signal), are
caught up from ``updated_at`` (:func:`catch_up`, at most every
``INSIGHTS_CATCH_UP_SECONDS``); a change of the organisation's postmortem policy (which
incidents require one) rebuilds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone

from followthrough.core import effectiveness as eff
from followthrough.web.accounts.models import Organisation
from followthrough.web.followup.models import Escalation
from followthrough.web.incidents.models import Incident
from followthrough.web.insights.models import (
    CohortFact,
    DailyCohort,
    DailyEscalations,
    IndexState,
)
from followthrough.web.postmortems.models import Meeting, Postmortem

NAME = "facts"
ESCALATIONS = "escalations"
#: escalations read again at each catch-up below the last id seen (commits out of order)
ESCALATION_MARGIN = 200
#: from an escalation to the team of the escalated action item
ESCALATION_TEAM = "item__postmortem__incident__team_id"
BATCH = 2000
CATCH_UP_MARGIN = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: milestone key -> where its completion time is read, relative to an incident
COMPLETED_AT: dict[str, str] = {
    "initial_timeline": "postmortem__timeline_documented_at",
    "meeting_scheduled": "postmortem__meeting__scheduled_at",
    "meeting_held": "postmortem__meeting__held_at",
    "document_final": "postmortem__finalized_at",
    "actions_tracked": "postmortem__actions_tracked_at",
}
#: the summed columns shared by CohortFact and DailyCohort
SUMMED = (
    "repeat",
    "required",
    "postmortem",
    "closed",
    "required_closed",
    "close_timed",
    "close_time",
    "actions",
    "deprioritised",
    "done",
    "done_dated",
    "done_on_time",
    "open",
    "open_created",
    *(f"{key}_{part}" for key in COMPLETED_AT for part in ("on_time", "late")),
)


def policy_key() -> str:
    """What the stored ``required`` flags were computed under: the policy's "required"
    rule (:func:`followthrough.core.effectiveness.required_when`)."""
    when = eff.required_when(Organisation.current().policy_config())
    return repr(
        (
            sorted(when.severities),
            sorted(when.with_significant_impact),
            sorted(when.flags),
        )
    )[:200]


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0))


def fact_values(incidents: QuerySet[Incident]) -> QuerySet[Any]:
    """One row per incident of ``incidents``: its :class:`CohortFact` columns, named
    ``f_<column>`` (what the live count in :mod:`queries` counts, per incident)."""
    from followthrough.web.insights.queries import required_q

    required = required_q()
    closed = Q(postmortem__status="closed")
    timed = closed & Q(resolved_at__isnull=False, postmortem__closed_at__isnull=False)
    rollup = "postmortem__action_rollup__"
    duration = models.ExpressionWrapper(
        F("postmortem__closed_at") - F("resolved_at"), output_field=models.DurationField()
    )
    columns: dict[str, Any] = {
        "f_incident_id": F("pk"),
        "f_team_id": F("team_id"),
        "f_day": TruncDate(Coalesce("started_at", "created_at"), tzinfo=UTC),
        "f_repeat": _flag(Q(repeat_of__isnull=False)),
        "f_required": _flag(required),
        "f_postmortem": _flag(Q(postmortem__isnull=False)),
        "f_closed": _flag(closed),
        "f_required_closed": _flag(required & closed),
        "f_close_timed": _flag(timed),
        "f_close_time": Case(When(timed, then=duration), default=None),
        "f_actions": Coalesce(F(f"{rollup}total"), 0),
        "f_deprioritised": Coalesce(F(f"{rollup}deprioritised"), 0),
        "f_done": Coalesce(F(f"{rollup}done"), 0),
        "f_done_dated": Coalesce(F(f"{rollup}done_dated"), 0),
        "f_done_on_time": Coalesce(F(f"{rollup}done_on_time"), 0),
        "f_open": Coalesce(F(f"{rollup}open"), 0),
        "f_open_created": Coalesce(F(f"{rollup}open_created"), Value(0.0)),
    }
    latest = []
    for key, completed in COMPLETED_AT.items():
        due = f"postmortem__deadlines__{key}"
        columns[f"f_{key}_on_time"] = _flag(Q(**{f"{completed}__lte": F(due)}))
        columns[f"f_{key}_late"] = _flag(Q(**{f"{completed}__gt": F(due)}))
        columns[f"f_{key}_due"] = Case(
            When(Q(**{f"{completed}__isnull": True}), then=F(due)),
            default=None,
            output_field=models.DateTimeField(),
        )
        latest.append(Coalesce(F(f"f_{key}_due"), Value(EPOCH)))
    qs = incidents.annotate(**columns)
    qs = qs.annotate(f_open_due_max=Greatest(*latest, output_field=models.DateTimeField()))
    return qs.values(*columns, "f_open_due_max").order_by()


_FACT_COLUMNS = (
    "incident_id",
    "team_id",
    "day",
    *SUMMED,
    *(f"{key}_due" for key in COMPLETED_AT),
    "open_due_max",
)


def _insert_select(table: str, columns: Iterable[str], qs: QuerySet[Any], prefix: str) -> None:
    """``INSERT INTO table (columns) SELECT ...`` from a values() queryset whose output
    columns are the table's columns with ``prefix``: the rows never come to Python."""
    names = list(columns)
    sql, params = qs.query.sql_with_params()
    quote = connection.ops.quote_name
    target = ", ".join(quote(n) for n in names)
    source = ", ".join(quote(f"{prefix}{n}") for n in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table)} ({target}) SELECT {source} FROM ({sql}) AS src", params
        )


def _daily_values(facts: QuerySet[CohortFact]) -> QuerySet[Any]:
    sums: dict[str, Any] = {"d_incidents": Count("pk")}
    for name in SUMMED:
        sums[f"d_{name}"] = Sum(name)
    for key in COMPLETED_AT:
        sums[f"d_{key}_open"] = Count("pk", filter=Q(**{f"{key}_due__isnull": False}))
    return (
        facts.values("team_id", "day")
        .order_by()
        .annotate(d_team_id=F("team_id"), d_day=F("day"), **sums)
    )


_DAILY_COLUMNS = (
    "team_id",
    "day",
    "incidents",
    *SUMMED,
    *(f"{key}_open" for key in COMPLETED_AT),
)


def day_of(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


def resum(keys: Iterable[tuple[int, date]]) -> None:
    """Recompute the :class:`DailyCohort` rows of these (team, day) keys from the facts."""
    by_team: dict[int, set[date]] = {}
    for team_id, day in keys:
        by_team.setdefault(team_id, set()).add(day_of(day))
    with transaction.atomic():
        _lock()
        _resum(by_team)


def _resum(by_team: dict[int, set[date]]) -> None:
    for team_id, days in by_team.items():
        ordered = sorted(days)
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            DailyCohort.objects.filter(team_id=team_id, day__in=chunk).delete()
            _insert_select(
                DailyCohort._meta.db_table,
                _DAILY_COLUMNS,
                _daily_values(CohortFact.objects.filter(team_id=team_id, day__in=chunk)),
                "d_",
            )


def _lock() -> IndexState:
    """The facts' state row, locked until the transaction ends (one writer at a time, so
    two refreshes of the same day cannot both insert its sum)."""
    IndexState.objects.get_or_create(name=NAME)
    return IndexState.objects.select_for_update().get(name=NAME)


def refresh(incident_ids: Iterable[int]) -> int:
    """Recompute the facts of these incidents (an incident deleted since loses its facts)
    and the daily sums they fall in, before and after. Returns how many were written."""
    wanted = sorted(set(incident_ids))
    written = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        with transaction.atomic():
            _lock()
            old = CohortFact.objects.filter(incident_id__in=chunk)
            teams = dict(old.values_list("incident_id", "team_id"))
            keys = set(old.values_list("team_id", "day"))
            old.delete()
            _insert_select(
                CohortFact._meta.db_table,
                _FACT_COLUMNS,
                fact_values(Incident.objects.filter(pk__in=chunk)),
                "f_",
            )
            new = CohortFact.objects.filter(incident_id__in=chunk)
            keys.update(new.values_list("team_id", "day"))
            moved = [
                pk
                for pk, team in new.values_list("incident_id", "team_id")
                if teams.get(pk, team) != team
            ]
            written += new.count()
            resum(keys)
            if moved:
                # an incident changed team: its items' escalations count for the new one
                recount_escalations(
                    Escalation.objects.filter(item__postmortem__incident_id__in=moved).values_list(
                        "at", flat=True
                    )
                )
    return written


def refresh_postmortems(postmortem_ids: Iterable[int]) -> int:
    """Recompute the facts of these postmortems' incidents (deleted ones included)."""
    ids = set(postmortem_ids)
    if not ids:
        return 0
    incidents = Postmortem._base_manager.filter(pk__in=ids).values_list("incident_id", flat=True)
    return refresh(incidents)


def _escalation_values(escalations: QuerySet[Escalation]) -> QuerySet[Any]:
    return (
        escalations.annotate(e_team_id=F(ESCALATION_TEAM), e_day=TruncDate("at", tzinfo=UTC))
        .values("e_team_id", "e_day")
        .order_by()
        .annotate(e_escalations=Count("pk"))
    )


def recount_escalations(moments: Iterable[datetime]) -> None:
    """Count again the escalations of every team on the UTC days of these moments."""
    days = sorted({m.astimezone(UTC).date() for m in moments})
    with transaction.atomic():
        _lock()
        for start in range(0, len(days), BATCH):
            chunk = days[start : start + BATCH]
            DailyEscalations.objects.filter(day__in=chunk).delete()
            _insert_select(
                DailyEscalations._meta.db_table,
                ("team_id", "day", "escalations"),
                _escalation_values(
                    Escalation.objects.annotate(day=TruncDate("at", tzinfo=UTC)).filter(
                        day__in=chunk
                    )
                ),
                "e_",
            )


def _catch_up_escalations() -> None:
    """Recount the days of escalations recorded since the last catch-up: those with a
    higher id than any counted, and the recent ones among the last ids counted (an
    escalation whose transaction committed after a higher id had been counted)."""
    state, _ = IndexState.objects.get_or_create(name=ESCALATIONS)
    seen = int(state.detail or 0)
    since = (state.synced_until or EPOCH) - CATCH_UP_MARGIN
    recent = list(
        Escalation.objects.filter(
            Q(pk__gt=seen) | Q(pk__gt=seen - ESCALATION_MARGIN, at__gt=since)
        ).values_list("pk", "at")
    )
    if recent:
        recount_escalations(at for _, at in recent)
        seen = max(seen, max(pk for pk, _ in recent))
    IndexState.objects.filter(pk=state.pk).update(synced_until=timezone.now(), detail=str(seen))


def invalidate() -> None:
    """Have the next catch-up rebuild every fact (after the rows they come from were
    rebuilt in bulk, without refreshing facts one by one)."""
    IndexState.objects.update_or_create(name=NAME, defaults={"synced_until": None})


def rebuild() -> int:
    """Every incident's facts and every daily sum, from scratch (two INSERT ... SELECT).
    Returns how many incidents have facts."""
    started = timezone.now()
    with transaction.atomic():
        state = _lock()
        DailyCohort.objects.all().delete()
        CohortFact.objects.all().delete()
        _insert_select(
            CohortFact._meta.db_table, _FACT_COLUMNS, fact_values(Incident.objects.all()), "f_"
        )
        _insert_select(
            DailyCohort._meta.db_table,
            _DAILY_COLUMNS,
            _daily_values(CohortFact.objects.all()),
            "d_",
        )
        IndexState.objects.filter(pk=state.pk).update(synced_until=started, detail=policy_key())
        count = CohortFact.objects.count()
        DailyEscalations.objects.all().delete()
        last = Escalation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        _insert_select(
            DailyEscalations._meta.db_table,
            ("team_id", "day", "escalations"),
            _escalation_values(Escalation.objects.filter(pk__lte=last)),
            "e_",
        )
        IndexState.objects.update_or_create(
            name=ESCALATIONS, defaults={"synced_until": started, "detail": str(last)}
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {CohortFact._meta.db_table}, {DailyCohort._meta.db_table}, "
                f"{DailyEscalations._meta.db_table}"
            )
    return count


def catch_up(*, every: float = 0.0) -> int:
    """Bring the facts up to date: a first build (or a rebuild when the policy's rule for
    a required postmortem changed), then the incidents whose incident, postmortem or
    meeting row moved since the last catch-up (deleted or restored ones included), and,
    when the numbers of facts and incidents differ, those without facts and the facts of
    incidents no longer there. With ``every``: not again within ``every`` seconds of the last one.
    Returns how many incidents were refreshed."""
    policy = policy_key()
    state = IndexState.due(NAME, every, detail=policy)  # a changed policy is always due
    if state is None:
        return 0
    started = timezone.now()
    if state.synced_until is None or state.detail != policy:
        return rebuild()
    if every and (started - state.synced_until).total_seconds() < every:
        return 0
    since = state.synced_until - CATCH_UP_MARGIN
    # every row, deleted or not: a soft delete or a restore moves updated_at too
    stale = set(Incident._base_manager.filter(updated_at__gt=since).values_list("pk", flat=True))
    stale.update(
        Postmortem._base_manager.filter(updated_at__gt=since).values_list("incident_id", flat=True)
    )
    stale.update(
        Meeting._base_manager.filter(updated_at__gt=since).values_list(
            "postmortem__incident_id", flat=True
        )
    )
    count = refresh(stale) if stale else 0
    if CohortFact.objects.count() != Incident.objects.count():
        # rows that came in or went without moving updated_at (a bulk load, a raw
        # delete): incidents without facts, and facts of incidents no longer there (an
        # anti-join each, only then)
        missing = set(
            Incident.objects.filter(cohort_fact__isnull=True).values_list("pk", flat=True)
        )
        live = Incident.objects.filter(pk=OuterRef("incident_id"))
        missing.update(
            CohortFact.objects.filter(~Exists(live)).values_list("incident_id", flat=True)
        )
        count += refresh(missing)
    _catch_up_escalations()
    IndexState.objects.filter(pk=state.pk).update(synced_until=started)
    return count


# --- reading -----------------------------------------------------------------------------


def summed(team_ids: list[int], first: date, end: date, bucket: Any) -> QuerySet[Any]:
    """The daily sums of these teams from ``first`` to before ``end``, added up per
    (``bucket`` of the day, team)."""
    sums: dict[str, Any] = {"s_incidents": Sum("incidents")}
    for name in (*SUMMED, *(f"{key}_open" for key in COMPLETED_AT)):
        sums[f"s_{name}"] = Sum(name)
    return (
        DailyCohort.objects.filter(team_id__in=team_ids, day__gte=first, day__lt=end)
        .annotate(bucket=bucket)
        .values("bucket", "team_id")
        .order_by()
        .annotate(**sums)
    )


def pending(team_ids: list[int], first: date, end: date, now: datetime) -> QuerySet[Any]:
    """The facts of these teams' incidents from ``first`` to before ``end`` with a
    milestone not done yet and due at or after ``now``."""
    return CohortFact.objects.filter(
        team_id__in=team_ids, day__gte=first, day__lt=end, open_due_max__gte=now
    ).values("team_id", "day", *(f"{key}_due" for key in COMPLETED_AT))


def escalations(team_ids: list[int], first: date, end: date, bucket: Any) -> QuerySet[Any]:
    """The escalations of these teams' items from ``first`` to before ``end``, per
    (``bucket`` of the day, team)."""
    return (
        DailyEscalations.objects.filter(team_id__in=team_ids, day__gte=first, day__lt=end)
        .annotate(bucket=bucket)
        .values("bucket", "team_id")
        .order_by()
        .annotate(n=Sum("escalations"))
    )
