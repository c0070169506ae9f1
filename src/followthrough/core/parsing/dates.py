"""Dates, times and zones as postmortems write them.

Understood dates: ISO ``2026-03-04`` (also ``2026/03/04``, ``2026.03.04``), ``Mar 4``,
``March 4, 2026``, ``4 March 2026``, ``4th of March``, with an optional weekday in front.
Numeric dates are read only at the start of a timeline entry and only with a four-digit
year (``10/14/2022``, ``27-05-2025``, ``03.04.2024``): day-first and month-first writers
both exist, so a date is read when a part over 12 shows the order, or when the document
shows it (:func:`numeric_order`); otherwise its day stays unknown, never guessed. A date
without a year takes the caller's default year (the incident's), or stays unknown.

Times: 24h ``14:02``, ``14:02:31``, 12h ``2:02 PM``, ``2pm``, ``2:02 p.m.``. Zones:
``UTC``/``GMT``/``Z``, ``UTC+1``, ``+01:00``, and the abbreviations in :data:`ZONES`
(fixed offsets: ``PST`` is always -08:00, ``PDT`` always -07:00).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Final, NamedTuple

from followthrough.core.regex import lazy

ZONES: Final[dict[str, int]] = {  # minutes east of UTC
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "IST": 330,
    "SGT": 480,
    "HKT": 480,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "HST": -600,
    "AKST": -540,
    "AKDT": -480,
    "PST": -480,
    "PDT": -420,
    "MST": -420,
    "MDT": -360,
    "CST": -360,
    "CDT": -300,
    "EST": -300,
    "EDT": -240,
}

MONTHS: Final[dict[str, int]] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?!\d)"
    rf"|(?P<mn>{_MONTH})\s*(?P<md>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])(?:,?\s+(?P<my>\d{{4}})(?!\d))?"
    rf"|(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dm>{_MONTH})(?![a-z])(?:,?\s+(?P<dy>\d{{4}})(?!\d))?)"
)
_NUMERIC = r"(?P<na>\d{1,2})(?P<nsep>[-/.])(?P<nb>\d{1,2})(?P=nsep)(?P<ny>(?:19|20)\d{2})(?!\d)"
_ZONE = (
    r"(?P<zone>(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?(?!\d)|[+-]\d{2}:?\d{2}(?!\d)|(?:"
    + "|".join(sorted((z for z in ZONES if z != "Z"), key=len, reverse=True))
    + r"|(?-i:Z)"
    + r")(?![a-z]))"
)
_TIME = (
    r"(?:(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?(?!\d)"
    r"(?:\s*(?P<ap>[ap]\.?m\.?)(?![a-z]))?"
    r"|(?P<h2>\d{1,2})\s*(?P<ap2>[ap]\.?m\.?)(?![a-z]))"
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"

# A time stamp at the start of a timeline entry: date, time, zone, in any useful mix.
STAMP: Final = lazy(
    r"^[\s*_`\[(]*"
    + _WEEKDAY
    + rf"(?P<stamp>(?:{_DATE}|{_NUMERIC})?(?:(?:\s*,?\s*(?:T|at|@|-)?\s*)?{_TIME}(?:\s*\(?{_ZONE}\)?)?)?)"
    + r"[*_`\])]*",
    re.IGNORECASE,
)
#: what may part a stamp from the entry after it (blanks around it): a run of these, or a "."
#: before a blank. Read by str methods in :func:`after_separator`, not by a regex
_SEPARATOR_CHARS: Final = "-–—:|>~"
DATE_ANYWHERE: Final = lazy(r"(?<![\w/-])" + _DATE, re.IGNORECASE)
ZONE_ANYWHERE: Final = lazy(r"(?<![\w])" + _ZONE, re.IGNORECASE)
NUMERIC_ANYWHERE: Final = lazy(r"(?<![\w/.-])" + _NUMERIC)

#: the order of a document's numeric dates: day first ("27-05-2025") or month first
DAY_FIRST: Final = "day first"
_MONTH_DAYS: Final = 31
MONTH_FIRST: Final = "month first"


class Stamp(NamedTuple):
    """A date and/or time found at the start of a line."""

    text: str  # as written: "Mar 4, 14:02 UTC"
    rest: str  # the line after the stamp and its separator
    day: tuple[int | None, int, int] | None  # (year or None, month, day)
    clock: time | None
    zone: tzinfo | None
    #: a numeric date whose order is unknown: (year, first number, second number)
    ambiguous: tuple[int, int, int] | None = None


#: ``Stamp``'s fields in order, without the Python-level ``__new__`` a NamedTuple's call runs
_new_stamp: Final[Callable[[type[Stamp], tuple[object, ...]], Stamp]] = tuple.__new__  # type: ignore[assignment]


def zone_from(text: str) -> tzinfo | None:
    """The fixed-offset zone a token such as ``UTC``, ``+01:00`` or ``PDT`` names."""
    token = text.strip().upper().replace(" ", "")
    if token in ZONES:
        return _fixed(ZONES[token])
    sign_at = max(token.find("+"), token.find("-"))
    if sign_at < 0:
        return None
    sign = 1 if token[sign_at] == "+" else -1
    digits = token[sign_at + 1 :].replace(":", "")
    if not digits.isdigit():
        return None
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 14 or minutes > 59:
        return None
    return _fixed(sign * (hours * 60 + minutes))


_ZONE_CACHE: dict[int, tzinfo] = {}


def _fixed(minutes: int) -> tzinfo:
    zone = _ZONE_CACHE.get(minutes)
    if zone is None:
        zone = UTC if minutes == 0 else timezone(timedelta(minutes=minutes))
        _ZONE_CACHE[minutes] = zone
    return zone


_GROUPS: Final = (
    "iy",
    "im",
    "id",
    "mn",
    "md",
    "my",
    "dd",
    "dm",
    "dy",
    "h",
    "mi",
    "s",
    "ap",
    "h2",
    "ap2",
    "zone",
)


def _day(g: tuple[str | None, ...]) -> tuple[int | None, int, int] | None:
    iy, im, id_, mn, md, my, dd, dm, dy = g[:9]
    if iy:
        return int(iy), int(im or 0), int(id_ or 0)
    if mn:
        return (int(my) if my else None), MONTHS[mn.lower().rstrip(".")], int(md or 0)
    if dm:
        return (int(dy) if dy else None), MONTHS[dm.lower().rstrip(".")], int(dd or 0)
    return None


def _clock(g: tuple[str | None, ...]) -> time | None:
    h, mi, sec, ap, h2, ap2 = g[9:15]
    if h is not None:
        hour, minute, second, ampm = int(h), int(mi or 0), int(sec or 0), ap
    elif h2 is not None:
        hour, minute, second, ampm = int(h2), 0, 0, ap2
    else:
        return None
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = (hour % 12) + (12 if ampm[0] in "pP" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


@lru_cache(maxsize=4096)
def to_date(day: tuple[int | None, int, int] | None, default_year: int | None) -> date | None:
    """A calendar date, taking ``default_year`` when the year was not written. Kept (dates
    are immutable): a timeline asks for each entry's day again and again."""
    if day is None:
        return None
    year, month, dom = day
    year = year if year is not None else default_year
    if year is None:
        return None
    try:
        return date(year, month, dom)
    except ValueError:
        return None


# The common case, "14:02 Deploy starts", read without the full STAMP pattern: a bare
# 24-hour clock at the very start, followed by something that cannot continue a stamp.
_BARE_CLOCK = lazy(
    r"(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})[ ]|(?P<dd>\d{1,2})[ ](?P<dm>[A-Za-z]{3,9})[ ])?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?![\d:])[ \t]*"
)
_ASCII_WORD = lazy(r"[A-Za-z]+")
_DIGIT = lazy(r"\d")
_AMPM_WORDS: Final = frozenset({"a", "p", "am", "pm"})


def _zone_or_ampm(text: str, at: int) -> bool:
    """Is the word of ASCII letters at ``at`` a zone ("UTC", "PDT", "UTC+1" starts with one)
    or an am/pm marker? A word of five letters or more is one only when it starts with UTC
    or GMT, so the common case ("14:02 Deploy starts") is told without a regex."""
    five = text[at : at + 5]
    if len(five) == 5 and five.isascii() and five.isalpha():
        return five[:3].upper() in ("UTC", "GMT")
    word = _ASCII_WORD.match(text, at).group()  # type: ignore[union-attr]
    upper = word.upper()
    return upper in ZONES or upper[:3] in ("UTC", "GMT") or word.lower() in _AMPM_WORDS


def _bare_clock(text: str) -> Stamp | None:
    """A Stamp for text that starts with a bare ``HH:MM``, when nothing after it could be
    an am/pm marker, a zone or emphasis (then None, and STAMP decides)."""
    m = _BARE_CLOCK.match(text)
    if m is None:
        return None
    # what follows the clock first: a "PM" or a zone after it (12-hour and zoned timelines)
    # is left to STAMP before any number is read
    end = m.end()
    clock_end = m.end("mi")
    c = text[end : end + 1]
    if c and c not in "—–|:" and not ("0" <= c <= "9"):
        if c == "-":
            if text[end + 1 : end + 2].isdigit():  # "-0500": a zone
                return None
        elif ("a" <= c <= "z") or ("A" <= c <= "Z"):
            if end == clock_end:  # "14:02foo": STAMP decides (it is no stamp)
                return None
            if _zone_or_ampm(text, end):
                return None
        else:
            return None
    iy, im, id_, dd, dm, h, mi = m.groups()
    hour, minute = int(h), int(mi)
    if hour > 23 or minute > 59:
        return None
    day: tuple[int | None, int, int] | None = None
    if iy is not None:
        day = (int(iy), int(im), int(id_))
    elif dm is not None:
        month = MONTHS.get(dm.lower())
        if month is None:
            return None
        day = (None, month, int(dd))
    if day is not None and to_date(day, 2000) is None:
        return None
    rest = after_separator(text[clock_end:])
    return _new_stamp(Stamp, (text[:clock_end], rest, day, time(hour, minute), None, None))


def after_separator(text: str) -> str:
    """``text`` after the separator it opens with (blanks, then a run of "-", "–", "—", ":",
    "|", ">" or "~", or a "." before a blank, then blanks), stripped. str methods instead of
    a regex: every entry of a timeline asks, and a regex call costs more than the scan."""
    rest = text.lstrip()
    if rest and rest[0] in _SEPARATOR_CHARS:
        rest = rest.lstrip(_SEPARATOR_CHARS)
    elif rest[:1] == "." and rest[1:2].isspace():
        rest = rest[1:]
    return rest.strip()


def _numeric_day(
    year: int, first: int, second: int, order: str | None
) -> tuple[int, int, int] | None:
    """The (year, month, day) of a numeric date, or None when its order is unknown."""
    if first == second or second > 12 or order == MONTH_FIRST and first <= 12:
        day = (year, first, second)
    elif first > 12 or order == DAY_FIRST:
        day = (year, second, first)
    else:
        return None
    return day if to_date(day, None) is not None else None


def _numeric_dates(text: str) -> list[tuple[int, int, int]]:
    return [(int(m["ny"]), int(m["na"]), int(m["nb"])) for m in NUMERIC_ANYWHERE.finditer(text)]


def numeric_order(text: str, sequence: str = "") -> str | None:
    """How a document writes its numeric dates. A part over 12 anywhere in ``text`` shows
    it (when every such date agrees). Else the dates of ``sequence`` (a timeline) decide:
    the one order that keeps them in sequence, or when both do, the one order that keeps
    them within a month (an incident's story, "08-01 … 11-01 … 12-01", is not told over
    four months). Else None: the dates stay unknown."""
    found = _numeric_dates(text)
    if not found:
        return None
    day_first = any(a > 12 for _, a, _ in found)
    month_first = any(b > 12 for _, _, b in found)
    if day_first != month_first:
        return DAY_FIRST if day_first else MONTH_FIRST
    if day_first:
        return None  # both orders are written: each date is read on its own
    told = _numeric_dates(sequence)
    readings: dict[str, list[date]] = {}
    for order in (DAY_FIRST, MONTH_FIRST):
        days = [to_date(_numeric_day(y, a, b, order), None) for y, a, b in told]
        known = [d for d in days if d is not None]
        if known and len(known) == len(days) and known == sorted(known):
            readings[order] = known
    if len(readings) == 2:
        readings = {o: d for o, d in readings.items() if (d[-1] - d[0]).days <= _MONTH_DAYS}
    return next(iter(readings)) if len(readings) == 1 else None


def match_stamp(text: str, order: str | None = None) -> Stamp | None:
    """The date/time a line starts with, or None when it starts with neither. ``order``
    reads numeric dates whose parts are both 12 or under (see :func:`numeric_order`)."""
    first = text[:1]
    if "0" <= first <= "9":
        fast = _bare_clock(text)
        if fast is not None:
            return fast
    head = text[:160]
    if not ("0" <= first <= "9") and _DIGIT.search(head) is None:
        return None  # every date and every time holds a digit (headings, prose: most lines)
    m = STAMP.match(head)
    if m is None or not m.group("stamp"):
        return None
    g = m.group(*_GROUPS)
    day = _day(g)
    ambiguous: tuple[int, int, int] | None = None
    if day is None and m.group("ny"):
        year, one, two = int(m.group("ny")), int(m.group("na")), int(m.group("nb"))
        if not (1 <= one <= 31 and 1 <= two <= 31) or one > 12 and two > 12:
            return None
        day = _numeric_day(year, one, two, order)
        if day is None:
            if one <= 12 and two <= 12:
                ambiguous = (year, one, two)
            else:
                return None  # "02-30-2024": no date in either order
    clock = _clock(g)
    if clock is None and day is None and ambiguous is None:
        return None
    if day is not None and to_date(day, 2000) is None:  # 2000: a leap year, so Feb 29 passes
        return None
    zone = zone_from(g[15]) if g[15] else None
    after = text[m.end() :]
    if after[:1].isalnum():  # "14:02foo", "2026-03-04abc": not a stamp
        return None
    rest = after_separator(after)
    return _new_stamp(Stamp, (m.group("stamp").strip(), rest, day, clock, zone, ambiguous))


def find_date(text: str, default_year: int | None) -> date | None:
    """The first date written anywhere in ``text``."""
    for m in DATE_ANYWHERE.finditer(text[:400]):
        found = to_date(_day(m.group(*_GROUPS[:9])), default_year)
        if found is not None:
            return found
    return None


def find_day(text: str) -> tuple[int | None, int, int] | None:
    """The first date written in ``text``, year possibly unknown."""
    for m in DATE_ANYWHERE.finditer(text[:400]):
        day = _day(m.group(*_GROUPS[:9]))
        if day is not None and to_date(day, 2000) is not None:
            return day
    return None


def find_zone(text: str) -> tzinfo | None:
    """A zone named anywhere in ``text`` ("Timeline (all times UTC)")."""
    m = ZONE_ANYWHERE.search(text[:400])
    if m is None:
        return None
    token = m.group("zone")
    # "Z" alone and lower-case words ("est") are too easy to hit by accident in prose.
    if token.upper() == "Z" or not token.isupper() and token[0].isalpha():
        return None
    return zone_from(token)


def replaced(stamp: Stamp, zone: tzinfo | None, ambiguous: tuple[int, int, int] | None) -> Stamp:
    """``stamp._replace(zone=zone, ambiguous=ambiguous)`` without the Python-level
    ``_replace`` and ``_make`` (every entry of a zoned timeline asks)."""
    text, rest, day, clock, _, _ = stamp
    return _new_stamp(Stamp, (text, rest, day, clock, zone, ambiguous))


# A named period: a deadline a reader can put in a calendar without a day ("end of Q3",
# "H2 2026", "March", "end of the year", "the 2.4 release"). Relative wishes ("next sprint",
# "soon", "later this year") are not: they move with whoever reads them.
_PERIOD = (
    r"(?:q[1-4]|h[12])(?:\s*(?:fy\s*)?'?\d{2,4})?|fy\s*'?\d{2,4}(?:\s*(?:q[1-4]|h[12]))?"
    rf"|{_MONTH}(?:\s+\d{{4}})?|\d{{4}}"
    r"|(?:the\s+)?(?:end|close)\s+of\s+(?:the\s+|this\s+|next\s+)?(?:year|quarter|month|week)"
    r"|eo[ymq]|eow"
)
_RELEASE = (
    r"(?:the\s+)?(?:(?:release|version)\s+v?\d+(?:\.\d+)+\w*|v?\d+(?:\.\d+)+\w*\s+(?:release|version))"
    r"|v\d+(?:\.\d+)+\w*"
)
NAMED_PERIOD: Final = lazy(
    r"^(?:(?:by|before|until|in|during|for|due|due\s+by)\s+)?(?:(?:the\s+)?(?:end|close|start|middle)\s+of\s+)?"
    rf"(?:the\s+)?(?:{_PERIOD}|{_RELEASE})\.?$",
    re.IGNORECASE,
)
# Inside running text: "Ship the fix by the 2.4 release", "... before end of Q3".
NAMED_PERIOD_AFTER_BY: Final = lazy(
    r"(?:^|(?<=[\s,;(\[—–-]))(?:by|before|until|no later than)[ \t]+(?P<v>"
    r"(?:(?:the\s+)?(?:end|close|start|middle)\s+of\s+)?(?:the\s+)?"
    rf"(?:(?:q[1-4]|h[12])(?:\s*'?\d{{2,4}})?|{_MONTH}(?:\s+\d{{4}})?(?![\w])|{_RELEASE}))"
    r"(?![\w.])",
    re.IGNORECASE,
)


def named_period(text: str) -> bool:
    """ "end of Q3", "Q3 2026", "H2", "March 2026", "by the 2.4 release": a period a reader
    can put in a calendar. "next sprint", "soon", "later this year" are not."""
    plain = " ".join(text.split())[:80]
    # every match ends with a word that holds a digit or is one of _PERIOD_ENDS: a last word
    # of ASCII letters alone that is none of them rules the text out without the regex
    last = plain[plain.rfind(" ") + 1 :].rstrip(".")
    if last.isascii() and last.isalpha() and last.lower() not in _PERIOD_ENDS:
        return False
    return NAMED_PERIOD.match(plain) is not None


#: the words a named period can end with ("March", "end of the year", "the 2.4 release")
_PERIOD_ENDS: Final = frozenset(
    [*MONTHS, "year", "quarter", "month", "week", "eoy", "eom", "eoq", "eow", "release", "version"]
)
