"""The timeline: entries that start with a time stamp, as list items, lines or table rows.

A date on a line of its own or in a sub-heading applies to the times after it; a time with
no date takes the incident date (else the first full date of the timeline). When such an
undated time falls before 06:00 right after one at 18:00 or later, the day is taken to have
rolled over. Recognised by its heading, or by its content wherever it stands: a run of at
least three entries that start with a time or a date, or a table with a time and an event
column (see :mod:`followthrough.core.parsing.dates` for the stamps understood).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from followthrough.core.document import SectionKind, TimelineEvent
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.dates import (
    Stamp,
    find_day,
    find_zone,
    match_stamp,
    numeric_order,
    replaced,
    to_date,
)
from followthrough.core.parsing.text import join, strip_emphasis
from followthrough.core.parsing.vocabulary import normalize_label
from followthrough.core.reading.context import Reading, Region
from followthrough.core.regex import lazy

# Timeline roll-over: a time before 06:00 after one from 18:00 on is the next day.
_NO_DAYS = timedelta(0)
_ONE_DAY = timedelta(days=1)
_EVENING = time(18)
_EARLY_MORNING = time(6)
_ZONE_NOTE = lazy(r"\b(?:times?|timestamps?)\b", re.IGNORECASE)

_PLACEHOLDER_TIME = lazy(r"\b(?:HH|hh)[:.]?(?:MM|mm)\b|\bYYYY\b|\b(?:19|20)xx\b", re.IGNORECASE)
_PLACEHOLDER_EVENT = lazy(r"^\W*(?:short\s+)?(?:event\s+)?description\W*$", re.IGNORECASE)
_PLACEHOLDER_DAY = lazy(r"\bYYYY\b|\b(?:19|20)xx\b", re.IGNORECASE)
#: entries that make a run of lines a timeline wherever it stands
MIN_ENTRIES: Final = 3
_TIME_WORDS: Final = frozenset(
    {"time", "timestamp", "when", "date", "datetime", "hour", "utc", "clock"}
)
_EVENT_WORDS: Final = frozenset(
    {
        "event",
        "events",
        "description",
        "what",
        "happened",
        "action",
        "details",
        "activity",
        "note",
        "notes",
        "update",
        "summary",
        "message",
        "entry",
    }
)


def _placeholder_time(stamp: str) -> bool:
    """``_PLACEHOLDER_TIME.search(stamp)``, asked only of a stamp that holds "hh", "yyyy" or
    "xx" in any case (every match does; most stamps hold none)."""
    low = stamp.lower()
    if "hh" not in low and "yyyy" not in low and "xx" not in low:
        return False
    return _PLACEHOLDER_TIME.search(stamp) is not None


def time_column(name: str) -> bool:
    return not _TIME_WORDS.isdisjoint(name.split())


def event_column(name: str) -> bool:
    return not _EVENT_WORDS.isdisjoint(name.split())


def _stamped(text: str) -> bool:
    """Does ``text`` open with a time of day, or a full date followed by an event?"""
    stamp = match_stamp(text.strip())
    if stamp is None:
        return False
    dated = stamp.day is not None or stamp.ambiguous is not None
    return stamp.clock is not None or (dated and bool(stamp.rest.strip(" *_:")))


def is_date_heading(heading: str) -> bool:
    """ "2023-07-20", "Tuesday, March 3": a heading that is only a date (or date and time)."""
    stamp = match_stamp(heading.strip())
    return (
        stamp is not None
        and (stamp.day is not None or stamp.ambiguous is not None)
        and not stamp.rest.strip(" *_:.()")
    )


def recognise(blocks: list[bl.Block]) -> str | None:
    """Why these blocks read as a timeline (a run of stamped entries, a time/event table),
    or None."""
    stamped = total = 0
    for block in blocks:
        if isinstance(block, bl.Table):
            header = [normalize_label(c) for c in block.header or []]
            if any(time_column(c) for c in header) and any(event_column(c) for c in header):
                return "a table with a time and an event column"
            for _, cells in block.rows:
                total += 1
                stamped += bool(cells) and _stamped(cells[0])
        elif isinstance(block, bl.Item):
            total += 1
            stamped += _stamped(strip_emphasis(block.text))
        else:
            for _, line in block.lines:
                total += 1
                stamped += _stamped(strip_emphasis(line))
    if stamped >= MIN_ENTRIES and stamped * 5 >= total * 3:
        return f"{stamped} entries that start with a time or a date"
    return None


class TimelineReader:
    """Reads timeline regions in document order; :meth:`finish` resolves every time once
    all dates in the document are known."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.day: date | None = None
        # after a numeric date of unknown order, times have no day until a known date
        self.day_unknown = False
        self.zone: tzinfo | None = None
        self.pending: list[tuple[TimelineEvent, Stamp | None, date | None]] = []
        self.order: str | None = None
        self.order_known = False

    def read(self, region: Region) -> None:
        zone = find_zone(region.heading)
        if zone is not None:
            self.zone = zone
        day = find_day(region.heading)
        if day is not None:
            self._set_day(day)
        for block in self.reading.blocks(region):
            if isinstance(block, bl.Item):
                for item in bl.walk([block]):
                    text = join(item.text, item.cont) if item.parent is None else item.text
                    self._entry(item.line, text, list_item=item.parent is None)
            elif isinstance(block, bl.Para):
                for number, line in block.lines:
                    self._entry(number, line, list_item=False)
            else:
                self._table(block)

    def _stamp(self, text: str) -> Stamp | None:
        """The stamp ``text`` opens with; a numeric date with both parts 12 or under is read
        in the order the document shows (looked for once, only when such a date is met)."""
        stamp = match_stamp(text)
        if stamp is None or stamp.ambiguous is None:
            return stamp
        if not self.order_known:
            reading = self.reading
            told = "\n".join(
                line
                for region in reading.regions
                if region.kind is SectionKind.TIMELINE
                for _, line in reading.lines(region)
            )
            self.order, self.order_known = numeric_order(reading.doc.text, told), True
        return match_stamp(text, self.order) if self.order is not None else stamp

    def _set_day(self, day: tuple[int | None, int, int] | None) -> None:
        if day is None:  # a numeric date of unknown order
            self.day, self.day_unknown = None, True
            return
        year = day[0] if day[0] is not None else self.reading.default_year
        if year is None and self.day is not None:
            year = self.day.year
        found = to_date((year, day[1], day[2]), None)
        if found is not None:
            self.day = found
            self.day_unknown = False

    def _entry(self, number: int, text: str, *, list_item: bool) -> None:
        plain = text.strip()
        stamp = self._stamp(plain)
        if stamp is None:
            if not list_item:
                if _ZONE_NOTE.search(plain):
                    z = find_zone(plain)
                    if z is not None:
                        self.zone = z
                return
            if plain:
                self.pending.append((TimelineEvent(number, strip_emphasis(plain), ""), None, None))
            return
        rest = stamp.rest.strip(" *_:()")
        if (
            stamp.clock is None
            and (stamp.day is not None or stamp.ambiguous is not None)
            and (not rest or _ZONE_NOTE.search(rest))
        ):
            # "2015-10-21 (all times UTC)": a day (and zone) for the entries below.
            self._set_day(stamp.day)
            z = find_zone(rest) if rest else None
            if z is not None:
                self.zone = z
            return
        self._push(TimelineEvent(number, strip_emphasis(stamp.rest), stamp.text), stamp, None)

    def _push(self, event: TimelineEvent, stamp: Stamp, zone: tzinfo | None) -> None:
        """Queue an event; its ``at`` is resolved once every date in the document is known."""
        if stamp.day is not None or stamp.ambiguous is not None:
            self._set_day(stamp.day)
        zone = stamp.zone or zone or self.zone
        ambiguous = stamp.ambiguous
        if self.day_unknown and ambiguous is None:
            ambiguous = (0, 0, 0)  # its day is that unknown date
        if zone is not stamp.zone or ambiguous is not stamp.ambiguous:
            stamp = replaced(stamp, zone, ambiguous)
        self.pending.append((event, stamp, self.day if stamp.day is None else None))

    def _table(self, table: bl.Table) -> None:
        header = [normalize_label(c) for c in table.header] if table.header else None
        raw_header = table.header
        rows = list(table.rows)
        if header is None and rows:
            guess = [normalize_label(c) for c in rows[0][1]]
            if (
                any(time_column(c) or event_column(c) for c in guess)
                and match_stamp(rows[0][1][0] if rows[0][1] else "") is None
            ):
                header, raw_header = guess, rows[0][1]
                rows = rows[1:]
        time_col, date_col, event_cols = 0, None, None
        zone: tzinfo | None = None
        if header:
            times = [k for k, c in enumerate(header) if time_column(c)]
            dates = [k for k, c in enumerate(header) if c in ("date", "day")]
            events = [k for k, c in enumerate(header) if event_column(c)]
            if dates and times and dates[0] != times[-1]:
                date_col = dates[0]
                time_col = next((t for t in times if t != date_col), times[0])
            elif times:
                time_col = times[0]
            event_cols = events or None
            if raw_header:
                for k, c in enumerate(raw_header):
                    if k in (time_col, date_col) and find_zone(c) is not None:
                        zone = find_zone(c)
        skip = {time_col} | ({date_col} if date_col is not None else set())
        chosen_by_width: dict[int, list[int]] = {}
        for number, cells in rows:
            stamp_text = cells[time_col] if time_col < len(cells) else ""
            if date_col is not None and date_col < len(cells) and cells[date_col]:
                stamp_text = f"{cells[date_col]} {stamp_text}".strip()
            chosen = event_cols or chosen_by_width.get(len(cells))
            if chosen is None:
                chosen = [k for k in range(len(cells)) if k not in skip]
                chosen_by_width[len(cells)] = chosen
            words = [cells[k] for k in chosen if k < len(cells) and cells[k]]
            text = " — ".join(words)
            if not stamp_text and not text:
                continue
            if _placeholder_time(stamp_text) and (
                not words or _PLACEHOLDER_EVENT.search(text) or _PLACEHOLDER_DAY.search(stamp_text)
            ):
                continue  # the template's example row ("20xx-MM-DD HH:mm | Short event description")
            stamp = self._stamp(stamp_text) if stamp_text else None
            if stamp is not None and stamp.clock is None and not text:
                if stamp.day is not None or stamp.ambiguous is not None:
                    self._set_day(stamp.day)
                continue
            if stamp is None:
                self.pending.append(
                    (TimelineEvent(number, strip_emphasis(text), stamp_text), None, None)
                )
                continue
            body = " — ".join(w for w in (stamp.rest, text) if w)
            self._push(TimelineEvent(number, strip_emphasis(body), stamp_text), stamp, zone)

    def finish(self) -> None:
        pending = self.pending
        doc = self.reading.doc
        fallback = doc.incident_date
        if fallback is None:
            for _, stamp, _ in pending:
                if stamp is not None and stamp.day is not None and stamp.day[0] is not None:
                    fallback = to_date(stamp.day, None)
                    if fallback is not None:
                        break
        year = fallback.year if fallback else None
        previous: datetime | None = None
        rolled = _NO_DAYS
        last_day: date | None = None
        # A zone, once written, holds for later times; the first one written also holds for
        # the times before it ("23:58 ..." then "00:05 UTC ..."), so that a timeline never
        # mixes naive and zoned times.
        last_zone = next(
            (s.zone for _, s, _ in pending if s is not None and s.clock is not None and s.zone),
            None,
        )
        timeline = doc.timeline
        for event, stamp, context_day in pending:
            timeline.append(event)
            if stamp is None or stamp.clock is None:
                continue
            if stamp.ambiguous is not None:
                continue  # its day is not known: no date is made up, nor compared by clock
            event.clock = stamp.clock
            zone = stamp.zone if stamp.zone is not None else last_zone
            last_zone = zone
            if context_day != last_day:
                rolled, last_day = _NO_DAYS, context_day
            try:
                if stamp.day is not None:
                    when = to_date(stamp.day, year)
                    rolled = _NO_DAYS
                    if when is None:
                        continue
                    at = datetime.combine(when, stamp.clock, zone)
                else:
                    base = context_day or fallback
                    if base is None:
                        continue
                    at = datetime.combine(base, stamp.clock, zone)
                    if rolled:
                        at += rolled
                    # Naive and zoned times do not compare: only roll over between alike.
                    if (
                        previous is not None
                        and (previous.tzinfo is None) == (at.tzinfo is None)
                        and previous.time() >= _EVENING
                        and stamp.clock < _EARLY_MORNING
                        and at < previous
                    ):
                        rolled += _ONE_DAY
                        at += _ONE_DAY
            except OverflowError:  # a day rolled past 9999-12-31
                continue
            event.at = at
            previous = at
