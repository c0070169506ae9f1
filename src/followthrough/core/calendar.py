"""The seed's Timeline: milestone deadlines in the team's own calendar.

| Milestone                         | Timing            | Owner                  |
|-----------------------------------|-------------------|------------------------|
| Incident resolved                 | T+0               | IC                     |
| Initial timeline documented       | T+24 hours        | IC or designee         |
| Postmortem meeting scheduled      | T+48 hours        | IC                     |
| Postmortem meeting held           | T+5 business days | Postmortem facilitator |
| Postmortem document finalized     | T+7 business days | Postmortem facilitator |
| Action items assigned and tracked | T+7 business days | Engineering manager    |

How deadlines are computed (T = the moment the incident was resolved):

- ``resolved_at`` must be timezone-aware; a naive datetime raises ValueError, because
  "when" is meaningless without "where".
- Hour offsets are elapsed hours: T+24 hours is ``resolved_at + 24h`` of real time, so
  across a DST change the local clock shows 23:00 or 01:00 rather than the same time.
- Business-day offsets count the team's business days (Monday to Friday, minus the
  public holidays of the team's country and subdivision, observed days included). Take
  the local date of T in the team's timezone; the deadline is the end of the n-th
  business day after that date. The resolution day itself never counts, whatever the
  hour: resolved Friday 23:30 local, T+5 business days is the end of the next Friday;
  resolved on a Saturday, the first business day is Monday.
- The end of a day is the next local midnight minus one microsecond (23:59:59.999999
  local), computed through UTC so it is right on 23- and 25-hour DST days. A milestone
  completed at or before that instant is on time.
- :func:`due_at` and :func:`milestones` return datetimes in UTC; :meth:`BusinessCalendar.end_of_day`
  returns the team's local time. Both are aware, so they compare correctly with each other.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

import holidays

__all__ = [
    "MILESTONES",
    "BusinessCalendar",
    "CalendarError",
    "Milestone",
    "MilestoneKey",
    "MilestoneSpec",
    "MilestoneState",
    "due_at",
    "milestone_state",
    "milestones",
]

_SATURDAY = 5


class CalendarError(ValueError):
    """A team calendar names an unknown timezone, country or subdivision."""


@functools.lru_cache(maxsize=1024)
def _holidays_for_year(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    """Public holidays (observed days included) of one year, computed once per process."""
    year_holidays = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType(dict(year_holidays.items()))


def _zone(name: str) -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(
            f"Unknown timezone {name!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'."
        )
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        known = zoneinfo.available_timezones()
        by_lower = {k.lower(): k for k in known}
        suggestion = by_lower.get(name.strip().lower()) or next(
            iter(difflib.get_close_matches(name.strip(), known, n=1)), None
        )
        hint = (
            f"did you mean {suggestion!r}?"
            if suggestion
            else "use an IANA name such as 'Europe/Berlin' or 'UTC'."
        )
        raise CalendarError(f"Unknown timezone {name!r}; {hint}") from None


def _country(code: str) -> str:
    supported = holidays.list_supported_countries()
    normalised = code.strip().upper() if isinstance(code, str) else ""
    if normalised not in supported:
        raise CalendarError(
            f"Unknown country {code!r}; use an ISO 3166-1 alpha-2 code with a holiday "
            "calendar, such as 'US', 'GB' or 'DE'."
        )
    return normalised


def _subdivision(country: str, code: str) -> str:
    known: list[str] = list(holidays.list_supported_countries()[country])
    normalised = code.strip() if isinstance(code, str) else ""
    if normalised.upper().startswith(f"{country}-"):  # ISO 3166-2 spelling: "DE-BY"
        normalised = normalised[len(country) + 1 :]
    for candidate in known:
        if candidate.lower() == normalised.lower():
            return candidate
    if not known:
        raise CalendarError(f"Country {country!r} has no subdivisions; got {code!r}.")
    raise CalendarError(
        f"Unknown subdivision {code!r} for {country}; expected one of {', '.join(known)}."
    )


class BusinessCalendar:
    """A team's working calendar: its timezone and the public holidays it observes.

    ``country`` is an ISO 3166-1 alpha-2 code (case-insensitive) and ``subdivision`` a
    state, province or region code of that country (``"BY"`` or ``"DE-BY"``), both as the
    ``holidays`` package knows them. Without a country only weekends are days off. A blank
    country or subdivision counts as none. Anything unknown raises :class:`CalendarError`.
    """

    timezone: zoneinfo.ZoneInfo
    country: str | None
    subdivision: str | None

    def __init__(
        self,
        timezone: str = "UTC",
        country: str | None = None,
        subdivision: str | None = None,
    ) -> None:
        self.timezone = _zone(timezone)
        self.country = _country(country) if country and country.strip() else None
        if subdivision and subdivision.strip():
            if self.country is None:
                raise CalendarError(
                    f"Subdivision {subdivision!r} needs a country; set the country too."
                )
            self.subdivision = _subdivision(self.country, subdivision)
        else:
            self.subdivision = None

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar(timezone={self.timezone.key!r}, country={self.country!r}, "
            f"subdivision={self.subdivision!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[str, str | None, str | None]:
        return (self.timezone.key, self.country, self.subdivision)

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday on ``day``, or None (also without a country)."""
        if self.country is None:
            return None
        return _holidays_for_year(self.country, self.subdivision, day.year).get(_as_date(day))

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday of the team's country/subdivision."""
        return day.weekday() < _SATURDAY and self.holiday_name(day) is None

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after ``day``; ``day`` itself never counts.

        ``n == 0`` gives ``day`` back unchanged; a negative ``n`` raises ValueError.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"Business days to add must be a whole number >= 0; got {n!r}.")
        current = _as_date(day)
        remaining = n
        while remaining:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a business day, else the next business day after it."""
        current = _as_date(day)
        while not self.is_business_day(current):
            current += timedelta(days=1)
        return current

    def subtract_business_days(self, day: date, n: int) -> date:
        """The n-th business day before ``day``; ``day`` itself never counts.

        ``n == 0`` gives ``day`` back unchanged; a negative ``n`` raises ValueError.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"Business days to subtract must be a whole number >= 0; got {n!r}.")
        current = _as_date(day)
        remaining = n
        while remaining:
            current -= timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def start_of_day(self, day: date) -> datetime:
        """The first instant of the local day, in the team's timezone.

        Where a DST gap swallows midnight, the day starts at the first instant that exists.
        """
        naive_midnight = datetime.combine(_as_date(day), time(0))
        # fold=0 reads a skipped midnight with the offset in force before the gap, which
        # lands exactly on the transition: the first instant of the new day.
        first = naive_midnight.replace(tzinfo=self.timezone).astimezone(UTC)
        return first.astimezone(self.timezone)

    def end_of_day(self, day: date) -> datetime:
        """The last instant of the local day: next local midnight minus one microsecond.

        Returned in the team's timezone. Computed in UTC, so a 23- or 25-hour DST day
        ends exactly one microsecond before the next day starts.
        """
        next_start = self.start_of_day(_as_date(day) + timedelta(days=1)).astimezone(UTC)
        return (next_start - timedelta(microseconds=1)).astimezone(self.timezone)

    def local_date(self, moment: datetime) -> date:
        """The team's calendar date at an aware instant."""
        _require_aware(moment, "moment")
        return moment.astimezone(self.timezone).date()


def _as_date(day: date) -> date:
    # A datetime is a date too; use only its calendar date.
    return day.date() if isinstance(day, datetime) else day


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime; got {type(moment).__name__}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (e.g. 2025-03-28T23:30:00+00:00); got {moment!r}."
        )


class MilestoneKey(StrEnum):
    """The seed's six Timeline milestones."""

    INCIDENT_RESOLVED = "incident_resolved"
    INITIAL_TIMELINE = "initial_timeline"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_HELD = "meeting_held"
    DOCUMENT_FINAL = "document_final"
    ACTIONS_TRACKED = "actions_tracked"


class MilestoneState(StrEnum):
    """Where a milestone stands against its deadline."""

    PENDING = "pending"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class MilestoneSpec:
    """One row of the seed's Timeline table: exactly one of ``hours``/``business_days``."""

    key: MilestoneKey
    name: str
    owner_role: str
    hours: int | None = None
    business_days: int | None = None

    def __post_init__(self) -> None:
        if (self.hours is None) == (self.business_days is None):
            raise ValueError(f"Milestone {self.key!s} needs exactly one of hours or business_days.")
        offset = self.hours if self.hours is not None else self.business_days
        if offset is not None and offset < 0:
            raise ValueError(f"Milestone {self.key!s} cannot be due before the resolution.")

    @property
    def timing(self) -> str:
        """The seed's spelling of the offset: "T+0", "T+24 hours", "T+5 business days"."""
        if self.hours == 0:
            return "T+0"
        if self.hours is not None:
            return f"T+{self.hours} hour{'s' if self.hours != 1 else ''}"
        days = self.business_days
        return f"T+{days} business day{'s' if days != 1 else ''}"


MILESTONES: tuple[MilestoneSpec, ...] = (
    MilestoneSpec(MilestoneKey.INCIDENT_RESOLVED, "Incident resolved", "IC", hours=0),
    MilestoneSpec(
        MilestoneKey.INITIAL_TIMELINE, "Initial timeline documented", "IC or designee", hours=24
    ),
    MilestoneSpec(MilestoneKey.MEETING_SCHEDULED, "Postmortem meeting scheduled", "IC", hours=48),
    MilestoneSpec(
        MilestoneKey.MEETING_HELD,
        "Postmortem meeting held",
        "Postmortem facilitator",
        business_days=5,
    ),
    MilestoneSpec(
        MilestoneKey.DOCUMENT_FINAL,
        "Postmortem document finalized",
        "Postmortem facilitator",
        business_days=7,
    ),
    MilestoneSpec(
        MilestoneKey.ACTIONS_TRACKED,
        "Action items assigned and tracked",
        "Engineering manager",
        business_days=7,
    ),
)


@dataclass(frozen=True)
class Milestone:
    """A milestone of one incident: its deadline, completion and state (datetimes in UTC)."""

    key: MilestoneKey
    name: str
    owner_role: str
    due_at: datetime
    completed_at: datetime | None
    state: MilestoneState


def due_at(spec: MilestoneSpec, resolved_at: datetime, calendar: BusinessCalendar) -> datetime:
    """When ``spec`` is due for an incident resolved at ``resolved_at``, in UTC.

    Hour offsets add elapsed time; business-day offsets end at the end of the n-th
    business day after the resolution's local date (see the module docstring).
    """
    _require_aware(resolved_at, "resolved_at")
    resolved_utc = resolved_at.astimezone(UTC)
    if spec.hours is not None:
        return resolved_utc + timedelta(hours=spec.hours)
    assert spec.business_days is not None  # guaranteed by MilestoneSpec.__post_init__
    day = calendar.add_business_days(calendar.local_date(resolved_utc), spec.business_days)
    return calendar.end_of_day(day).astimezone(UTC)


def milestone_state(due: datetime, completed_at: datetime | None, now: datetime) -> MilestoneState:
    """Done on time (at or before the deadline), done late, overdue, or pending."""
    _require_aware(due, "due")
    _require_aware(now, "now")
    if completed_at is not None:
        _require_aware(completed_at, "completed_at")
        # Compare in UTC: two datetimes sharing one ZoneInfo compare by wall clock.
        if completed_at.astimezone(UTC) <= due.astimezone(UTC):
            return MilestoneState.DONE_ON_TIME
        return MilestoneState.DONE_LATE
    if now.astimezone(UTC) > due.astimezone(UTC):
        return MilestoneState.OVERDUE
    return MilestoneState.PENDING


def milestones(
    resolved_at: datetime,
    calendar: BusinessCalendar,
    completed: Mapping[MilestoneKey, datetime | None],
    now: datetime,
) -> list[Milestone]:
    """Every milestone of the seed's Timeline, in order, with deadline and state.

    ``completed`` maps a milestone to when it was done (missing or None: not yet).
    "Incident resolved" is due at, and completed at, ``resolved_at`` whatever
    ``completed`` says. All datetimes in the result are in UTC.
    """
    _require_aware(resolved_at, "resolved_at")
    _require_aware(now, "now")
    resolved_utc = resolved_at.astimezone(UTC)
    result: list[Milestone] = []
    for spec in MILESTONES:
        due = due_at(spec, resolved_utc, calendar)
        if spec.key is MilestoneKey.INCIDENT_RESOLVED:
            done: datetime | None = resolved_utc
        else:
            done = completed.get(spec.key)
            if done is not None:
                _require_aware(done, f"completed[{spec.key.value!r}]")
                done = done.astimezone(UTC)
        result.append(
            Milestone(
                key=spec.key,
                name=spec.name,
                owner_role=spec.owner_role,
                due_at=due,
                completed_at=done,
                state=milestone_state(due, done, now),
            )
        )
    return result
