"""The dashboard's stored sums (insights.facts) give the numbers a count from the rows gives.

``queries.counts`` sums a row per team and day (``DailyCohort``, ``DailyEscalations``)
and decides overdue or pending at the moment of the view; ``queries.counts_live`` counts
the same cohort straight from incidents, postmortems, meetings, deadlines, action-item
counts and escalations. Both run on SQLite and on PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from followthrough.core import effectiveness as eff
from followthrough.web.accounts.models import Organisation
from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.models import Escalation
from followthrough.web.followup.worker import run_tasks
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import facts, queries
from followthrough.web.insights.models import (
    CohortFact,
    DailyCohort,
    DailyEscalations,
    IndexState,
)
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.versioning import save_versioned

if TYPE_CHECKING:
    from conftest import Cast

FIRST = datetime(2026, 1, 1, tzinfo=UTC)
MOMENTS = (
    datetime(2026, 3, 4, 12, tzinfo=UTC),  # some milestones still pending
    datetime(2026, 7, 1, tzinfo=UTC),
)


def _varied(cast: Cast, seed: int = 11) -> list[Incident]:
    """Forty incidents over half a year in two teams: every severity, repeats, no start
    (counted by when recorded), unresolved, postmortems in every state with and without
    meetings, milestones on time, late and not done, action items in every status, and
    escalations."""
    rng = random.Random(seed)
    teams = [cast.payments, cast.security]
    incidents: list[Incident] = []
    for n in range(40):
        started = FIRST + timedelta(days=rng.uniform(0, 180), hours=rng.uniform(0, 23))
        resolved = started + timedelta(hours=rng.uniform(1, 30)) if rng.random() < 0.9 else None
        incident = cast.incident(
            rng.choice(teams),
            title=f"Incident {n}",
            severity=rng.choice(["P0", "P1", "P2", "P3"]),
            significant_impact=rng.random() < 0.4,
            data_loss=rng.random() < 0.1,
            repeat_of=rng.choice(incidents) if incidents and rng.random() < 0.2 else None,
            started_at=None if n % 13 == 5 else started,
            resolved_at=resolved,
        )
        incidents.append(incident)
        if rng.random() < 0.3:
            continue
        pm = start_postmortem(incident, cast.alice)
        base = resolved or started
        status = rng.choice(["draft", "final", "closed"])
        fields: dict[str, Any] = {"status": status}
        if rng.random() < 0.7:
            fields["timeline_documented_at"] = base + timedelta(hours=rng.uniform(2, 60))
        if status in ("final", "closed"):
            fields["finalized_at"] = base + timedelta(days=rng.uniform(1, 20))
            fields["actions_tracked_at"] = base + timedelta(days=rng.uniform(1, 40))
        if status == "closed" and rng.random() < 0.8:
            fields["closed_at"] = base + timedelta(days=rng.uniform(2, 40))
        Postmortem.objects.filter(pk=pm.pk).update(**fields)
        if rng.random() < 0.8:
            scheduled = base + timedelta(hours=rng.uniform(1, 100))
            Meeting.objects.filter(postmortem=pm).update(
                scheduled_at=scheduled,
                held_at=scheduled + timedelta(days=rng.uniform(0.5, 9))
                if rng.random() < 0.6
                else None,
            )
        for k in range(rng.randrange(0, 5)):
            item_status = rng.choice(["open", "in_progress", "done", "deprioritised", "blocked"])
            due = (base + timedelta(days=rng.uniform(1, 30))).date() if rng.random() < 0.8 else None
            item = ActionItem.objects.create(
                postmortem=pm,
                title=f"Item {n}.{k}",
                owner=rng.choice([cast.ivan, cast.rita]),
                due_date=due,
                status=item_status,
                done_at=base + timedelta(days=rng.uniform(1, 40))
                if item_status == "done"
                else None,
                deprioritised_reason="Not worth it." if item_status == "deprioritised" else "",
            )
            ActionItem.objects.filter(pk=item.pk).update(
                created_at=base + timedelta(hours=rng.uniform(1, 48))
            )
            if item_status in ("open", "in_progress") and rng.random() < 0.5:
                Escalation.objects.create(
                    item=item,
                    episode=base,
                    level=1,
                    to_person=cast.frank,
                    reason="Stalled",
                    at=base + timedelta(days=rng.uniform(5, 60)),
                )
    return incidents


def _compare(user: Any, now: datetime, **scope: Any) -> dict[eff.Key, eff.Counts]:
    s = queries.scope(user, **scope)
    fast = queries.counts(s, now)
    live = queries.counts_live(s, now)
    assert set(fast) == set(live), scope
    for key, expected in live.items():
        got = fast[key]
        assert got.open_age_days == pytest.approx(expected.open_age_days), (scope, key)
        assert got.close_hours == pytest.approx(expected.close_hours), (scope, key)
        got.open_age_days = expected.open_age_days
        got.close_hours = expected.close_hours
        assert got == expected, (scope, key)
    return fast


RANGES: tuple[dict[str, Any], ...] = (
    {"period": "month", "start": "2026-01-01", "until": "2026-12-31"},
    {"period": "week", "start": "2026-01-01", "until": "2026-07-31"},
    {"period": "quarter", "start": "2025-10-01", "until": "2026-12-31"},
    {"period": "month", "start": "2026-02-10", "until": "2026-04-20"},
)


def test_the_stored_sums_give_the_counts_of_the_rows(cast: Cast) -> None:
    _varied(cast)
    for now in MOMENTS:
        for rng in RANGES:
            found = _compare(cast.admin, now, **rng)
            _compare(cast.admin, now, team=cast.payments.pk, **rng)
            _compare(cast.alice, now, **rng)  # Security is not visible to alice
    assert sum(c.incidents for c in found.values()) > 0
    pending = _compare(cast.admin, MOMENTS[0], **RANGES[0])
    assert sum(m.pending for c in pending.values() for m in c.milestones.values()) > 0
    assert sum(m.overdue for c in pending.values() for m in c.milestones.values()) > 0
    assert sum(c.escalations or 0 for c in pending.values()) > 0
    assert CohortFact.objects.count() == Incident.objects.count()
    assert DailyEscalations.objects.exists()


def test_the_sums_follow_edits_made_by_conditional_updates(cast: Cast) -> None:
    incidents = _varied(cast, seed=3)
    _compare(cast.admin, MOMENTS[1], **RANGES[0])
    moved = incidents[4]
    save_versioned(moved, moved.version, {"team": cast.security, "severity": "P0"})
    closing = Postmortem.objects.exclude(status="closed").first()
    assert closing is not None
    save_versioned(
        closing,
        closing.version,
        {"status": "closed", "closed_at": datetime(2026, 7, 1, tzinfo=UTC)},
    )
    meeting = Meeting.objects.filter(held_at__isnull=True).first()
    assert meeting is not None
    save_versioned(meeting, meeting.version, {"held_at": datetime(2026, 6, 1, tzinfo=UTC)})
    item = ActionItem.objects.filter(status="open").first()
    assert item is not None
    save_versioned(item, item.version, {"status": "done", "done_at": timezone.now()})
    for rng in RANGES:
        _compare(cast.admin, MOMENTS[1], **rng)


def test_a_new_escalation_and_a_new_incident_are_counted(cast: Cast) -> None:
    _varied(cast, seed=5)
    before = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    item = ActionItem.objects.filter(status="open").first()
    assert item is not None
    Escalation.objects.create(
        item=item,
        episode=datetime(2026, 2, 1, tzinfo=UTC),
        level=2,
        to_person=cast.frank,
        reason="Still stalled",
        at=datetime(2026, 2, 3, 10, tzinfo=UTC),
    )
    cast.incident(title="Late addition", started_at=datetime(2026, 2, 3, 9, tzinfo=UTC))
    after = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    february = (date(2026, 2, 1), cast.payments.pk)
    assert after[february].incidents == before.get(february, eff.Counts()).incidents + 1


def test_a_policy_change_recounts_which_postmortems_are_required(cast: Cast) -> None:
    _varied(cast, seed=8)
    first = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    organisation = Organisation.current()
    organisation.policy = {
        **(organisation.policy or {}),
        "required_severities": ["P0", "P1", "P2"],
        "data_loss": "not_required",
    }
    organisation.save()
    second = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    assert sum(c.required for c in second.values()) != sum(c.required for c in first.values())


def test_an_incident_deleted_for_good_leaves_the_sums(cast: Cast) -> None:
    incidents = _varied(cast, seed=9)
    _compare(cast.admin, MOMENTS[1], **RANGES[0])
    gone = next(i for i in incidents if i.started_at is not None)
    Incident._base_manager.filter(pk=gone.pk).delete()
    run_tasks("test-worker")  # the sums are recounted by the worker (lib.deferred)
    assert not CohortFact.objects.filter(incident_id=gone.pk).exists()
    _compare(cast.admin, MOMENTS[1], **RANGES[0])
    day = gone.started_at.astimezone(UTC).date()
    total = sum(
        DailyCohort.objects.filter(team=gone.team, day=day).values_list("incidents", flat=True)
    )
    assert total == CohortFact.objects.filter(team=gone.team, day=day).count()


def test_a_rebuild_gives_the_same_sums_as_refreshes(cast: Cast) -> None:
    _varied(cast, seed=13)
    _compare(cast.admin, MOMENTS[0], **RANGES[0])
    refreshed = sorted(DailyCohort.objects.values_list("team_id", "day", "incidents", "open"))
    facts.rebuild()
    rebuilt = sorted(DailyCohort.objects.values_list("team_id", "day", "incidents", "open"))
    assert rebuilt == refreshed
    assert len(rebuilt) == len({(t, d) for t, d, _, _ in rebuilt})


def test_a_deleted_incident_leaves_the_sums_and_a_restored_one_comes_back(cast: Cast) -> None:
    from followthrough.web import recovery

    incidents = _varied(cast, seed=21)
    gone = next(i for i in incidents if i.started_at is not None and hasattr(i, "postmortem"))
    month = (date(gone.started_at.year, gone.started_at.month, 1), gone.team_id)
    before = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    deletion = recovery.delete(gone, cast.admin)
    during = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    assert during[month].incidents == before[month].incidents - 1
    recovery.restore(deletion.batch, cast.admin)
    after = _compare(cast.admin, MOMENTS[1], **RANGES[0])
    assert after[month] == before[month]


def test_deadlines_follow_a_team_calendar_change_and_an_incident_moved_between_calendars(
    cast: Cast,
) -> None:
    from followthrough.web.accounts.models import Team
    from followthrough.web.insights import deadlines
    from followthrough.web.insights.models import MilestoneDeadlines

    incidents = _varied(cast, seed=17)
    tokyo = Team.objects.create(name="Tokyo", slug="tokyo", timezone="Asia/Tokyo")
    _compare(cast.admin, MOMENTS[0], **RANGES[0])  # first catch-up: every postmortem
    state = IndexState.objects.get(name=deadlines.NAME)
    assert state.detail  # the calendars' fingerprint: later catch-ups read moved rows only
    moved = next(
        i
        for i in incidents
        if i.team_id == cast.payments.pk and i.resolved_at and hasattr(i, "postmortem")
    )
    save_versioned(moved, moved.version, {"team": tokyo})
    deadlines.catch_up()
    assert IndexState.objects.get(name=deadlines.NAME).detail == state.detail
    row = MilestoneDeadlines.objects.get(postmortem=moved.postmortem)
    assert row.calendar == deadlines.calendar_key(tokyo)

    Team.objects.filter(pk=cast.security.pk).update(timezone="Pacific/Auckland")
    security = Team.objects.get(pk=cast.security.pk)
    deadlines.catch_up()
    kept = MilestoneDeadlines.objects.filter(postmortem__incident__team=security)
    assert kept.exists()
    assert set(kept.values_list("calendar", flat=True)) == {deadlines.calendar_key(security)}
    _compare(cast.admin, MOMENTS[0], **RANGES[0])
