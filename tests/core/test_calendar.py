"""The seed's Timeline: deadlines in business days of the team's own calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.calendar import (
    MILESTONES,
    BusinessCalendar,
    CalendarError,
    MilestoneKey,
    MilestoneSpec,
    MilestoneState,
    due_at,
    milestone_state,
    milestones,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SPEC = {spec.key: spec for spec in MILESTONES}
MEETING_HELD = SPEC[MilestoneKey.MEETING_HELD]
DOCUMENT_FINAL = SPEC[MilestoneKey.DOCUMENT_FINAL]
INITIAL_TIMELINE = SPEC[MilestoneKey.INITIAL_TIMELINE]
MEETING_SCHEDULED = SPEC[MilestoneKey.MEETING_SCHEDULED]


def end_of(day: date, zone: str) -> datetime:
    """23:59:59.999999 local on ``day``, in UTC, written out by hand for the assertions."""
    return datetime(
        day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=ZoneInfo(zone)
    ).astimezone(UTC)


# -- the Timeline table ------------------------------------------------------------------


def test_the_timeline_has_the_seeds_six_milestones_in_order() -> None:
    rows = [(s.key, s.name, s.timing, s.owner_role) for s in MILESTONES]
    assert rows == [
        (MilestoneKey.INCIDENT_RESOLVED, "Incident resolved", "T+0", "IC"),
        (
            MilestoneKey.INITIAL_TIMELINE,
            "Initial timeline documented",
            "T+24 hours",
            "IC or designee",
        ),
        (MilestoneKey.MEETING_SCHEDULED, "Postmortem meeting scheduled", "T+48 hours", "IC"),
        (
            MilestoneKey.MEETING_HELD,
            "Postmortem meeting held",
            "T+5 business days",
            "Postmortem facilitator",
        ),
        (
            MilestoneKey.DOCUMENT_FINAL,
            "Postmortem document finalized",
            "T+7 business days",
            "Postmortem facilitator",
        ),
        (
            MilestoneKey.ACTIONS_TRACKED,
            "Action items assigned and tracked",
            "T+7 business days",
            "Engineering manager",
        ),
    ]


def test_a_milestone_spec_needs_exactly_one_kind_of_offset() -> None:
    with pytest.raises(ValueError, match="exactly one of hours or business_days"):
        MilestoneSpec(MilestoneKey.MEETING_HELD, "x", "y")
    with pytest.raises(ValueError, match="exactly one of hours or business_days"):
        MilestoneSpec(MilestoneKey.MEETING_HELD, "x", "y", hours=1, business_days=1)
    with pytest.raises(ValueError, match="cannot be due before the resolution"):
        MilestoneSpec(MilestoneKey.MEETING_HELD, "x", "y", hours=-1)


# -- weekends and business days ----------------------------------------------------------


def test_weekends_are_not_business_days() -> None:
    calendar = BusinessCalendar()
    assert [calendar.is_business_day(date(2025, 6, d)) for d in range(2, 9)] == [
        True, True, True, True, True, False, False,
    ]  # fmt: skip


def test_adding_business_days_skips_the_weekend_and_never_counts_the_start_day() -> None:
    calendar = BusinessCalendar()
    friday = date(2025, 6, 6)
    assert calendar.add_business_days(friday, 0) == friday
    assert calendar.add_business_days(friday, 1) == date(2025, 6, 9)  # Monday
    assert calendar.add_business_days(friday, 5) == date(2025, 6, 13)  # next Friday


def test_an_incident_resolved_on_a_saturday_starts_counting_on_monday() -> None:
    calendar = BusinessCalendar()
    saturday = date(2025, 6, 7)
    assert calendar.add_business_days(saturday, 1) == date(2025, 6, 9)
    resolved = datetime(2025, 6, 7, 10, 0, tzinfo=UTC)
    assert due_at(MEETING_HELD, resolved, calendar) == end_of(date(2025, 6, 13), "UTC")


def test_business_days_to_add_must_be_a_whole_number_from_zero() -> None:
    calendar = BusinessCalendar()
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="whole number >= 0"):
            calendar.add_business_days(date(2025, 6, 6), bad)  # type: ignore[arg-type]


def test_an_incident_resolved_late_on_a_friday_is_due_at_the_end_of_the_next_friday() -> None:
    calendar = BusinessCalendar("Europe/Berlin", "DE")
    resolved = datetime(2025, 5, 16, 23, 30, tzinfo=BERLIN)  # Friday, 21:30 UTC
    assert due_at(MEETING_HELD, resolved, calendar) == end_of(date(2025, 5, 23), "Europe/Berlin")
    assert due_at(DOCUMENT_FINAL, resolved, calendar) == end_of(date(2025, 5, 27), "Europe/Berlin")


# -- public holidays ---------------------------------------------------------------------


def test_us_thanksgiving_is_not_a_business_day() -> None:
    calendar = BusinessCalendar("America/New_York", "US")
    assert calendar.holiday_name(date(2025, 11, 27)) == "Thanksgiving Day"
    assert not calendar.is_business_day(date(2025, 11, 27))
    assert calendar.is_business_day(date(2025, 11, 28))
    resolved = datetime(2025, 11, 24, 10, 0, tzinfo=NEW_YORK)  # Monday of Thanksgiving week
    assert due_at(MEETING_HELD, resolved, calendar) == end_of(date(2025, 12, 2), "America/New_York")


def test_without_a_country_only_weekends_are_days_off() -> None:
    calendar = BusinessCalendar("America/New_York")
    assert calendar.holiday_name(date(2025, 11, 27)) is None
    resolved = datetime(2025, 11, 24, 10, 0, tzinfo=NEW_YORK)
    assert due_at(MEETING_HELD, resolved, calendar) == end_of(date(2025, 12, 1), "America/New_York")


def test_uk_bank_holidays_push_the_deadline_back() -> None:
    england = BusinessCalendar("Europe/London", "GB", "ENG")
    assert england.holiday_name(date(2025, 4, 18)) == "Good Friday"
    assert england.holiday_name(date(2025, 4, 21)) == "Easter Monday"
    resolved = datetime(2025, 4, 17, 15, 0, tzinfo=ZoneInfo("Europe/London"))  # Thursday
    assert england.add_business_days(date(2025, 4, 17), 5) == date(2025, 4, 28)
    assert due_at(MEETING_HELD, resolved, england) == end_of(date(2025, 4, 28), "Europe/London")


def test_scotland_works_on_easter_monday_but_not_on_the_second_of_january() -> None:
    scotland = BusinessCalendar("Europe/London", "GB", "SCT")
    assert scotland.is_business_day(date(2025, 4, 21))
    assert scotland.holiday_name(date(2025, 1, 2)) is not None
    assert BusinessCalendar("Europe/London", "GB", "ENG").is_business_day(date(2025, 1, 2))


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin() -> None:
    bavaria = BusinessCalendar("Europe/Berlin", "DE", "BY")
    berlin = BusinessCalendar("Europe/Berlin", "DE", "BE")
    epiphany = date(2025, 1, 6)  # a Monday
    assert bavaria.holiday_name(epiphany) == "Epiphany"
    assert berlin.holiday_name(epiphany) is None
    resolved = datetime(2025, 1, 3, 16, 0, tzinfo=BERLIN)  # Friday
    assert due_at(MEETING_HELD, resolved, bavaria) == end_of(date(2025, 1, 13), "Europe/Berlin")
    assert due_at(MEETING_HELD, resolved, berlin) == end_of(date(2025, 1, 10), "Europe/Berlin")


def test_an_observed_holiday_in_the_previous_year_is_a_day_off() -> None:
    # New Year's Day 2022 fell on a Saturday; the US observed it on Friday 31 December 2021.
    calendar = BusinessCalendar("America/New_York", "US")
    assert calendar.holiday_name(date(2021, 12, 31)) == "New Year's Day (observed)"
    assert calendar.add_business_days(date(2021, 12, 30), 1) == date(2022, 1, 3)


def test_country_and_subdivision_are_read_case_insensitively_and_in_iso_3166_2_form() -> None:
    assert BusinessCalendar("Europe/Berlin", "de", "by") == BusinessCalendar(
        "Europe/Berlin", "DE", "BY"
    )
    assert BusinessCalendar("Europe/Berlin", "DE", "DE-BY").subdivision == "BY"
    assert BusinessCalendar("UTC", "", "").country is None


# -- timezones ---------------------------------------------------------------------------


def test_a_resolution_late_in_utc_is_already_the_next_day_in_tokyo() -> None:
    resolved = datetime(2025, 6, 5, 23, 30, tzinfo=UTC)  # Thursday in UTC, Friday 08:30 in Tokyo
    tokyo = BusinessCalendar("Asia/Tokyo", "JP")
    assert tokyo.local_date(resolved) == date(2025, 6, 6)
    assert due_at(MEETING_HELD, resolved, tokyo) == end_of(date(2025, 6, 13), "Asia/Tokyo")
    assert due_at(MEETING_HELD, resolved, tokyo) == datetime(
        2025, 6, 13, 14, 59, 59, 999999, tzinfo=UTC
    )
    assert due_at(MEETING_HELD, resolved, BusinessCalendar()) == end_of(date(2025, 6, 12), "UTC")


def test_a_resolution_late_on_friday_in_utc_is_still_friday_in_los_angeles() -> None:
    resolved = datetime(2025, 6, 6, 23, 30, tzinfo=UTC)  # Friday 16:30 in Los Angeles
    los_angeles = BusinessCalendar("America/Los_Angeles", "US", "CA")
    assert los_angeles.local_date(resolved) == date(2025, 6, 6)
    assert due_at(MEETING_HELD, resolved, los_angeles) == datetime(
        2025, 6, 14, 6, 59, 59, 999999, tzinfo=UTC
    )


def test_deadlines_are_returned_in_utc() -> None:
    resolved = datetime(2025, 6, 6, 12, 0, tzinfo=BERLIN)
    calendar = BusinessCalendar("Europe/Berlin", "DE")
    for spec in MILESTONES:
        assert due_at(spec, resolved, calendar).tzinfo is UTC


def test_a_naive_resolution_time_is_refused() -> None:
    with pytest.raises(ValueError, match="resolved_at must be timezone-aware"):
        due_at(MEETING_HELD, datetime(2025, 6, 6, 12, 0), BusinessCalendar())
    with pytest.raises(ValueError, match="resolved_at must be timezone-aware"):
        milestones(datetime(2025, 6, 6, 12, 0), BusinessCalendar(), {}, datetime.now(UTC))


# -- daylight saving time ----------------------------------------------------------------


def test_the_end_of_a_day_is_the_last_microsecond_before_local_midnight() -> None:
    calendar = BusinessCalendar("Europe/Berlin")
    end = calendar.end_of_day(date(2025, 6, 6))
    assert end == datetime(2025, 6, 6, 23, 59, 59, 999999, tzinfo=BERLIN)
    assert end.tzinfo == BERLIN
    assert end + timedelta(microseconds=1) == calendar.start_of_day(date(2025, 6, 7))


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2025, 3, 30), 23),
        ("Europe/Berlin", date(2025, 10, 26), 25),
        ("America/New_York", date(2025, 3, 9), 23),
        ("America/New_York", date(2025, 11, 2), 25),
        ("Europe/Berlin", date(2025, 6, 6), 24),
    ],
)
def test_the_end_of_a_dst_day_is_right_whatever_the_day_length(
    zone: str, day: date, hours: int
) -> None:
    calendar = BusinessCalendar(zone)
    start = calendar.start_of_day(day).astimezone(UTC)
    end = calendar.end_of_day(day).astimezone(UTC)
    assert end - start == timedelta(hours=hours, microseconds=-1)
    local_end = calendar.end_of_day(day)
    assert (local_end.date(), local_end.hour, local_end.minute) == (day, 23, 59)


def test_the_end_of_the_spring_forward_day_in_berlin_is_in_summer_time() -> None:
    end = BusinessCalendar("Europe/Berlin").end_of_day(date(2025, 3, 30))
    assert end.utcoffset() == timedelta(hours=2)
    assert end.astimezone(UTC) == datetime(2025, 3, 30, 21, 59, 59, 999999, tzinfo=UTC)


def test_the_end_of_the_fall_back_day_in_new_york_is_in_standard_time() -> None:
    end = BusinessCalendar("America/New_York").end_of_day(date(2025, 11, 2))
    assert end.utcoffset() == timedelta(hours=-5)
    assert end.astimezone(UTC) == datetime(2025, 11, 3, 4, 59, 59, 999999, tzinfo=UTC)


def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps() -> None:
    # Chile springs forward at midnight: 2024-09-08 begins at 01:00 local.
    santiago = BusinessCalendar("America/Santiago")
    assert santiago.start_of_day(date(2024, 9, 8)).astimezone(UTC) == datetime(
        2024, 9, 8, 4, 0, tzinfo=UTC
    )
    assert santiago.end_of_day(date(2024, 9, 7)).astimezone(UTC) == datetime(
        2024, 9, 8, 3, 59, 59, 999999, tzinfo=UTC
    )


def test_hour_offsets_are_elapsed_hours_across_the_spring_change_in_berlin() -> None:
    resolved = datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN)  # CET, 11:00 UTC
    due = due_at(INITIAL_TIMELINE, resolved, BusinessCalendar("Europe/Berlin"))
    assert due == datetime(2025, 3, 30, 11, 0, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 13  # the clock moved forward an hour
    assert due.astimezone(UTC) - resolved.astimezone(UTC) == timedelta(hours=24)


def test_hour_offsets_are_elapsed_hours_across_the_autumn_change_in_berlin() -> None:
    resolved = datetime(2025, 10, 25, 12, 0, tzinfo=BERLIN)  # CEST, 10:00 UTC
    due = due_at(MEETING_SCHEDULED, resolved, BusinessCalendar("Europe/Berlin"))
    assert due == datetime(2025, 10, 27, 10, 0, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 11


def test_hour_offsets_are_elapsed_hours_across_the_november_change_in_new_york() -> None:
    resolved = datetime(2025, 11, 1, 12, 0, tzinfo=NEW_YORK)  # EDT, 16:00 UTC
    due = due_at(INITIAL_TIMELINE, resolved, BusinessCalendar("America/New_York", "US"))
    assert due == datetime(2025, 11, 2, 16, 0, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).hour == 11


def test_hour_offsets_are_elapsed_hours_across_the_march_change_in_new_york() -> None:
    resolved = datetime(2025, 3, 8, 12, 0, tzinfo=NEW_YORK)  # EST, 17:00 UTC
    due = due_at(INITIAL_TIMELINE, resolved, BusinessCalendar("America/New_York", "US"))
    assert due == datetime(2025, 3, 9, 17, 0, tzinfo=UTC)
    assert due.astimezone(NEW_YORK).hour == 13


def test_a_business_day_deadline_after_the_clocks_change_ends_at_local_midnight() -> None:
    resolved = datetime(2025, 3, 24, 9, 0, tzinfo=BERLIN)  # Monday, winter time
    due = due_at(MEETING_HELD, resolved, BusinessCalendar("Europe/Berlin", "DE", "BE"))
    assert due == datetime(2025, 3, 31, 21, 59, 59, 999999, tzinfo=UTC)  # Monday, summer time


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)),
    zone=st.sampled_from(
        [
            "Europe/Berlin",
            "America/New_York",
            "America/Santiago",
            "Australia/Lord_Howe",
            "Asia/Tokyo",
        ]
    ),
)
def test_every_local_day_ends_one_microsecond_before_the_next_begins(day: date, zone: str) -> None:
    calendar = BusinessCalendar(zone)
    end = calendar.end_of_day(day)
    next_start = calendar.start_of_day(day + timedelta(days=1))
    assert next_start.astimezone(UTC) - end.astimezone(UTC) == timedelta(microseconds=1)
    assert end.date() == day


# -- milestone states --------------------------------------------------------------------

RESOLVED = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # Monday
CALENDAR = BusinessCalendar()


def by_key(
    completed: dict[MilestoneKey, datetime | None], now: datetime
) -> dict[MilestoneKey, MilestoneState]:
    return {m.key: m.state for m in milestones(RESOLVED, CALENDAR, completed, now)}


def test_the_incident_resolved_milestone_is_done_on_time_at_the_resolution() -> None:
    first = milestones(RESOLVED, CALENDAR, {}, RESOLVED)[0]
    assert first.key is MilestoneKey.INCIDENT_RESOLVED
    assert first.due_at == first.completed_at == RESOLVED
    assert first.state is MilestoneState.DONE_ON_TIME


def test_a_milestone_not_yet_due_is_pending() -> None:
    states = by_key({}, RESOLVED + timedelta(hours=1))
    assert states[MilestoneKey.INITIAL_TIMELINE] is MilestoneState.PENDING


def test_a_milestone_past_its_deadline_and_not_done_is_overdue() -> None:
    states = by_key({}, RESOLVED + timedelta(hours=25))
    assert states[MilestoneKey.INITIAL_TIMELINE] is MilestoneState.OVERDUE
    assert states[MilestoneKey.MEETING_SCHEDULED] is MilestoneState.PENDING


def test_a_milestone_done_by_its_deadline_is_on_time_even_at_the_last_microsecond() -> None:
    deadline = due_at(MEETING_HELD, RESOLVED, CALENDAR)
    assert deadline == end_of(date(2025, 6, 9), "UTC")
    states = by_key({MilestoneKey.MEETING_HELD: deadline}, deadline + timedelta(days=3))
    assert states[MilestoneKey.MEETING_HELD] is MilestoneState.DONE_ON_TIME


def test_a_milestone_done_after_its_deadline_is_late() -> None:
    deadline = due_at(MEETING_HELD, RESOLVED, CALENDAR)
    states = by_key({MilestoneKey.MEETING_HELD: deadline + timedelta(microseconds=1)}, deadline)
    assert states[MilestoneKey.MEETING_HELD] is MilestoneState.DONE_LATE


def test_a_milestone_marked_none_is_not_done() -> None:
    states = by_key({MilestoneKey.INITIAL_TIMELINE: None}, RESOLVED + timedelta(days=2))
    assert states[MilestoneKey.INITIAL_TIMELINE] is MilestoneState.OVERDUE


def test_completion_times_in_another_timezone_are_compared_as_instants() -> None:
    deadline = due_at(INITIAL_TIMELINE, RESOLVED, CALENDAR)  # 2025-06-03 15:00 UTC
    just_in_time = deadline.astimezone(ZoneInfo("Asia/Tokyo"))  # 2025-06-04 00:00 in Tokyo
    result = milestones(RESOLVED, CALENDAR, {MilestoneKey.INITIAL_TIMELINE: just_in_time}, deadline)
    timeline = result[1]
    assert timeline.state is MilestoneState.DONE_ON_TIME
    assert timeline.completed_at == deadline and timeline.completed_at.tzinfo is UTC


def test_the_state_compares_instants_even_when_both_share_a_zone_across_the_fall_back() -> None:
    # 01:30 EDT and 01:30 EST on 2 November 2025 share a wall clock but are an hour apart.
    first = datetime(2025, 11, 2, 1, 30, tzinfo=NEW_YORK, fold=0)
    second = datetime(2025, 11, 2, 1, 30, tzinfo=NEW_YORK, fold=1)
    assert milestone_state(first, second, second) is MilestoneState.DONE_LATE


def test_milestones_are_listed_in_the_seeds_order_with_their_owners() -> None:
    result = milestones(RESOLVED, CALENDAR, {}, RESOLVED)
    assert [m.key for m in result] == [spec.key for spec in MILESTONES]
    assert [m.owner_role for m in result] == [spec.owner_role for spec in MILESTONES]
    assert all(m.due_at.tzinfo is UTC for m in result)


def test_a_naive_completion_or_now_is_refused() -> None:
    with pytest.raises(ValueError, match=r"completed\['meeting_held'\] must be timezone-aware"):
        milestones(RESOLVED, CALENDAR, {MilestoneKey.MEETING_HELD: datetime(2025, 6, 3)}, RESOLVED)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        milestones(RESOLVED, CALENDAR, {}, datetime(2025, 6, 3))


# -- bad calendars -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Mars/Olympus_Mons",), r"Unknown timezone 'Mars/Olympus_Mons'; use an IANA name"),
        (("Europe/berlin",), r"Unknown timezone 'Europe/berlin'; did you mean 'Europe/Berlin'\?"),
        (("",), r"Unknown timezone ''"),
        (("../../etc/passwd",), r"Unknown timezone '../../etc/passwd'"),
        (("UTC", "XX"), r"Unknown country 'XX'; use an ISO 3166-1 alpha-2 code"),
        (("UTC", "DE", "XX"), r"Unknown subdivision 'XX' for DE; expected one of BB, BE, BW, BY"),
        (("UTC", None, "BY"), r"Subdivision 'BY' needs a country"),
    ],
)
def test_a_bad_timezone_country_or_subdivision_is_a_clear_error(
    args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(*args)


def test_a_calendar_error_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


def test_a_calendar_describes_itself() -> None:
    calendar = BusinessCalendar("Europe/Berlin", "DE", "BY")
    assert (
        repr(calendar)
        == "BusinessCalendar(timezone='Europe/Berlin', country='DE', subdivision='BY')"
    )
    assert calendar.timezone == BERLIN
    assert hash(calendar) == hash(BusinessCalendar("Europe/Berlin", "de", "BY"))
