"""Milestone deadlines, stored so that adherence is counted in SQL.

A deadline depends on the incident's resolution and the team's calendar (timezone and
public holidays, business days): :mod:`followthrough.core.calendar` computes it once per
postmortem and :class:`MilestoneDeadlines` keeps it. Completion times are read live from
the postmortem and its meeting, so only a new resolution time or a changed team calendar
makes a row stale, and :func:`catch_up` finds those.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from followthrough.core.calendar import MILESTONES, BusinessCalendar, CalendarError, due_at
from followthrough.web.accounts.models import Team
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import facts
from followthrough.web.insights.models import IndexState, MilestoneDeadlines
from followthrough.web.postmortems.models import Postmortem

NAME = "deadlines"
#: how far back a catch-up looks again, for edits whose transaction committed late
CATCH_UP_MARGIN = timedelta(minutes=5)
BATCH = 2000

#: milestone key -> where its completion time is read; a MilestoneDeadlines row reaches its
#: postmortem through ``postmortem`` just as an incident does, so the paths are the facts'
COMPLETED_AT: dict[str, str] = facts.COMPLETED_AT


def calendar_key(team: Team) -> str:
    return f"{team.timezone}|{team.holiday_country}|{team.holiday_subdivision}"


def _calendar(team: Team) -> BusinessCalendar:
    try:
        return team.calendar()
    except CalendarError:
        return BusinessCalendar("UTC")


def refresh(postmortem_ids: Iterable[int] | None = None) -> int:
    """(Re)compute the deadlines of these postmortems (all of them with ``None``); those
    of unresolved incidents are removed. Returns how many rows were written."""
    calendars: dict[int, tuple[str, BusinessCalendar]] = {}
    # a business-day deadline depends only on the local date of resolution: compute each
    # (team, date, milestone) once, not once per postmortem
    memo: dict[tuple[int, object, str], datetime] = {}

    def dues(team: Team, resolved: datetime) -> tuple[str, dict[str, datetime]]:
        if team.pk not in calendars:
            calendars[team.pk] = (calendar_key(team), _calendar(team))
        key, calendar = calendars[team.pk]
        local = calendar.local_date(resolved)
        out = {}
        for spec in MILESTONES:
            if spec.hours is not None:
                out[spec.key.value] = due_at(spec, resolved, calendar)
                continue
            cache_key = (team.pk, local, spec.key.value)
            if cache_key not in memo:
                memo[cache_key] = due_at(spec, resolved, calendar)
            out[spec.key.value] = memo[cache_key]
        return key, out

    def rows_of(pms: Iterable[Postmortem]) -> list[MilestoneDeadlines]:
        rows = []
        for pm in pms:
            resolved = pm.incident.resolved_at
            if resolved is None:
                continue
            key, due = dues(pm.incident.team, resolved)
            rows.append(
                MilestoneDeadlines(
                    postmortem_id=pm.pk,
                    resolved_at=resolved,
                    calendar=key,
                    **{name: due[name] for name in COMPLETED_AT},
                )
            )
        return rows

    base = Postmortem.objects.select_related("incident__team").only(
        "pk",
        "incident__resolved_at",
        "incident__team__timezone",
        "incident__team__holiday_country",
        "incident__team__holiday_subdivision",
    )
    written = 0
    if postmortem_ids is None:
        last = 0
        while True:
            page = list(base.filter(pk__gt=last).order_by("pk")[:BATCH])
            if not page:
                break
            last = page[-1].pk
            rows = rows_of(page)
            MilestoneDeadlines.objects.bulk_create(rows, batch_size=1000)
            written += len(rows)
        return written
    wanted = sorted(set(postmortem_ids))
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = rows_of(base.filter(pk__in=chunk))
        with transaction.atomic():
            MilestoneDeadlines.objects.filter(postmortem_id__in=chunk).delete()
            MilestoneDeadlines.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    if wanted:
        facts.refresh_postmortems(wanted)
    return written


def _calendars_key(keys: dict[int, str]) -> str:
    """One short fingerprint of every team's calendar."""
    return hashlib.sha1(repr(sorted(keys.items())).encode()).hexdigest()


def catch_up(*, every: float = 0.0) -> int:
    """Bring stale rows up to date: postmortems without deadlines, incidents resolved at a
    different time since, deleted postmortems, teams whose calendar changed. Returns how
    many were refreshed. With ``every``: not again within ``every`` seconds of the last one.

    While no team's calendar changed, only the postmortems whose row or incident row moved
    since the last catch-up (``updated_at``, deleted rows included) are checked; otherwise,
    and the first time, every postmortem."""
    state = IndexState.due(NAME, every)
    if state is None:
        return 0
    started = timezone.now()
    if every and state.synced_until and (started - state.synced_until).total_seconds() < every:
        return 0
    keys = {team.pk: calendar_key(team) for team in Team.objects.all()}
    fingerprint = _calendars_key(keys)
    postmortems = Postmortem.objects.all()
    deadlines = MilestoneDeadlines.objects.all()
    stale: set[int] = set()
    if state.synced_until is not None and state.detail == fingerprint:
        since = state.synced_until - CATCH_UP_MARGIN
        touched = set(
            Postmortem._base_manager.filter(updated_at__gt=since).values_list("pk", flat=True)
        )
        touched.update(
            Postmortem._base_manager.filter(
                incident__in=Incident._base_manager.filter(updated_at__gt=since).values("pk")
            ).values_list("pk", flat=True)
        )
        postmortems = postmortems.filter(pk__in=touched)
        deadlines = deadlines.filter(postmortem_id__in=touched)
        # an incident moved to a team with another calendar
        for pk, team_id, key in deadlines.values_list(
            "postmortem_id", "postmortem__incident__team_id", "calendar"
        ):
            if keys.get(team_id) != key:
                stale.add(pk)
    stale.update(
        postmortems.filter(deadlines__isnull=True, incident__resolved_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    # soft-deleted postmortems (and incidents) drop out
    stale.update(
        deadlines.filter(postmortem__deleted_at__isnull=False).values_list(
            "postmortem_id", flat=True
        )
    )
    stale.update(
        deadlines.exclude(resolved_at=F("postmortem__incident__resolved_at")).values_list(
            "postmortem_id", flat=True
        )
    )
    if state.detail != fingerprint:
        for team_id, key in (
            MilestoneDeadlines.objects.values_list("postmortem__incident__team_id", "calendar")
            .order_by()
            .distinct()
        ):
            if keys.get(team_id) != key:
                stale.update(
                    MilestoneDeadlines.objects.filter(postmortem__incident__team_id=team_id)
                    .exclude(calendar=keys.get(team_id, ""))
                    .values_list("postmortem_id", flat=True)
                )
    count = refresh(stale) if stale else 0
    IndexState.objects.filter(pk=state.pk).update(synced_until=started, detail=fingerprint)
    return count


def rebuild() -> int:
    started = timezone.now()
    MilestoneDeadlines.objects.all().delete()
    count = refresh(None)
    IndexState.objects.update_or_create(name=NAME, defaults={"synced_until": started})
    facts.invalidate()
    return count
