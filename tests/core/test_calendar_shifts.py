"""Date shifts land on business days: "push due date a week" and reminders "two business
days before" use the team's calendar, never a weekend or a public holiday."""

from __future__ import annotations

from datetime import date

import pytest

from followthrough.core.calendar import BusinessCalendar

BERLIN = BusinessCalendar("Europe/Berlin", "DE", "BE")


def test_a_business_day_is_its_own_first_business_day() -> None:
    assert BERLIN.on_or_after(date(2026, 3, 4)) == date(2026, 3, 4)  # a Wednesday


def test_a_sunday_moves_to_monday() -> None:
    assert BERLIN.on_or_after(date(2026, 3, 8)) == date(2026, 3, 9)


def test_easter_in_berlin_moves_past_good_friday_the_weekend_and_easter_monday() -> None:
    assert BERLIN.on_or_after(date(2026, 4, 3)) == date(2026, 4, 7)


def test_two_business_days_before_a_monday_is_the_thursday_before() -> None:
    assert BERLIN.subtract_business_days(date(2026, 3, 9), 2) == date(2026, 3, 5)


def test_two_business_days_before_the_tuesday_after_easter_skips_the_holidays() -> None:
    # Easter Monday 6 April and Good Friday 3 April are holidays in Berlin.
    assert BERLIN.subtract_business_days(date(2026, 4, 7), 2) == date(2026, 4, 1)


def test_zero_business_days_before_is_the_day_itself() -> None:
    assert BERLIN.subtract_business_days(date(2026, 3, 8), 0) == date(2026, 3, 8)


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_a_negative_or_non_whole_count_is_refused(n: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        BERLIN.subtract_business_days(date(2026, 3, 9), n)  # type: ignore[arg-type]
