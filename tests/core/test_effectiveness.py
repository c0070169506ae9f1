"""Measuring effectiveness (seed): definitions over plain rows, numbers checked by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from followthrough.core import effectiveness as eff
from followthrough.core.effectiveness import (
    ActionRow,
    Counts,
    EscalationRow,
    IncidentRow,
    MilestoneRow,
    Period,
)
from followthrough.core.policy import (
    SEVERITIES,
    Decision,
    IncidentFacts,
    PolicyConfig,
    decide,
)

T = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
PAY, SEC = 1, 2


def test_periods_start_on_monday_on_the_first_of_the_month_and_of_the_quarter() -> None:
    day = date(2026, 3, 4)  # a Wednesday
    assert eff.period_start(day, Period.WEEK) == date(2026, 3, 2)
    assert eff.period_start(day, Period.MONTH) == date(2026, 3, 1)
    assert eff.period_start(day, Period.QUARTER) == date(2026, 1, 1)
    assert eff.period_start(date(2026, 12, 31), Period.QUARTER) == date(2026, 10, 1)
    assert eff.next_period(date(2026, 12, 1), Period.MONTH) == date(2027, 1, 1)
    assert eff.next_period(date(2026, 10, 1), Period.QUARTER) == date(2027, 1, 1)
    assert eff.period_label(date(2026, 3, 2), Period.WEEK) == "2026-W10"
    assert eff.period_label(date(2026, 3, 1), Period.MONTH) == "2026-03"
    assert eff.period_label(date(2026, 4, 1), Period.QUARTER) == "2026-Q2"


def test_a_moment_is_put_in_its_utc_period() -> None:
    late_evening_in_new_york = datetime(2026, 3, 31, 23, 30, tzinfo=UTC) + timedelta(hours=4)
    assert eff.period_start(late_evening_in_new_york, Period.MONTH) == date(2026, 4, 1)
    with pytest.raises(ValueError, match="timezone"):
        eff.period_start(datetime(2026, 3, 1), Period.MONTH)


def test_the_periods_between_two_days_include_both_ends() -> None:
    assert eff.periods_between(date(2026, 1, 15), date(2026, 3, 2), Period.MONTH) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    with pytest.raises(ValueError, match="before"):
        eff.periods_between(date(2026, 3, 1), date(2026, 1, 1), Period.MONTH)


def _march() -> dict[eff.Key, Counts]:
    incidents = [
        IncidentRow(1, PAY, T, False, True, "closed", T, T + timedelta(hours=48)),
        IncidentRow(2, PAY, T, True, True, "draft", T),
        IncidentRow(3, PAY, T, False, False),
        IncidentRow(4, PAY, T, False, True, "final", T),
        IncidentRow(5, SEC, T, False, True, "closed", T, T + timedelta(hours=24)),
    ]
    due = date(2026, 3, 10)
    actions = [
        ActionRow(1, PAY, T, "done", T, due, datetime(2026, 3, 10, 23, 0, tzinfo=UTC)),
        ActionRow(2, PAY, T, "done", T, due, datetime(2026, 3, 11, 0, 30, tzinfo=UTC)),
        ActionRow(3, PAY, T, "deprioritised", T, due),
        ActionRow(4, PAY, T, "open", NOW - timedelta(days=10), due),
        ActionRow(5, PAY, T, "in_progress", NOW - timedelta(days=20)),
        ActionRow(6, PAY, T, "done", T, None, T + timedelta(days=1)),
    ]
    deadline = T + timedelta(days=7)
    milestones = [
        MilestoneRow(1, PAY, T, "document_final", deadline, deadline),
        MilestoneRow(2, PAY, T, "document_final", deadline, None),
        MilestoneRow(4, PAY, T, "document_final", deadline, deadline + timedelta(seconds=1)),
        MilestoneRow(9, PAY, T, "document_final", NOW + timedelta(days=1), None),
    ]
    escalations = [EscalationRow(1, PAY, datetime(2026, 4, 2, tzinfo=UTC))]
    return eff.count_rows(Period.MONTH, NOW, incidents, actions, milestones, escalations)


def test_the_metrics_of_a_month_checked_by_hand() -> None:
    counts = _march()
    pay = counts[(date(2026, 3, 1), PAY)]
    values = eff.values(pay)
    assert values["repeat_rate"] == 1 / 4
    assert values["postmortem_completion_rate"] == 1 / 3  # 1 closed of 3 required
    # done 3 of 6 items, the deprioritised one left out: 3 / 5
    assert values["action_completion_rate"] == 3 / 5
    # on time: done on 10 March (UTC) for a 10 March due date; 11 March is late; the
    # item without a due date is not counted either way
    assert values["actions_on_time"] == 1 / 2
    assert values["time_to_close"] == 48.0
    assert values["open_action_age"] == 15.0  # (10 + 20) / 2 days
    # on time at the deadline itself, late one second after, overdue once past, pending not counted
    assert pay.milestones["document_final"] == eff.MilestoneCounts(1, 1, 1, 1)
    assert values["milestone_document_final"] == 1 / 3
    assert values["escalations"] == 0.0
    assert counts[(date(2026, 4, 1), PAY)].escalations == 1


def test_teams_add_up_to_the_organisation() -> None:
    counts = _march()
    starts = [date(2026, 3, 1), date(2026, 4, 1)]
    org = eff.series(counts, starts, Period.MONTH, None, "Org", [PAY, SEC])
    assert org.periods[0].counts.incidents == 5
    assert org.periods[0].values["postmortem_completion_rate"] == 2 / 4
    assert org.periods[0].values["time_to_close"] == 36.0  # (48 + 24) / 2
    assert org.total.escalations == 1
    pay = eff.series(counts, starts, Period.MONTH, PAY, "Payments", [PAY, SEC])
    assert pay.periods[1].counts.incidents == 0
    assert pay.periods[1].values["repeat_rate"] is None  # nothing to divide: no rate


def test_untracked_escalations_are_none_not_zero() -> None:
    counts = eff.count_rows(
        Period.MONTH, NOW, [IncidentRow(1, PAY, T, False, False)], escalations=None
    )
    assert counts[(date(2026, 3, 1), PAY)].escalations is None
    s = eff.series(
        counts, [date(2026, 3, 1)], Period.MONTH, None, "Org", [PAY], escalations_tracked=False
    )
    assert s.total_values["escalations"] is None


def test_every_metric_has_a_label_a_unit_and_a_description() -> None:
    keys = [m.key for m in eff.METRICS]
    assert len(keys) == len(set(keys))
    for metric in eff.METRICS:
        assert metric.label and metric.description.endswith(".")
        assert metric.unit in ("ratio", "hours", "days", "count")
        assert metric.compute(Counts()) is None or metric.unit == "count"


@pytest.mark.parametrize(
    "config",
    [
        PolicyConfig(),
        PolicyConfig.from_mapping(
            {
                "required_severities": ["P0", "P1"],
                "security": "required",
                "repeat": "recommended",
                "customer_facing": "required",
            }
        ),
    ],
)
def test_required_when_gives_the_policy_decision_for_every_combination(
    config: PolicyConfig,
) -> None:
    when = eff.required_when(config)
    flags = [fact for fact, _ in eff.POLICY_FLAGS]
    for severity in SEVERITIES:
        for significant in (False, True):
            for values in itertools.product((False, True), repeat=len(flags)):
                set_flags = dict(zip(flags, values, strict=True))
                facts = IncidentFacts(
                    severity=severity, significant_impact=significant, **set_flags
                )
                expected = decide(facts, config).decision is Decision.REQUIRED
                assert when.applies(severity, significant, set_flags) == expected, facts
