"""PM41x: the timeline. Seed, "The Postmortem Meeting / Agenda": "Timeline review (15 min):
Walk through what happened, when. No analysis yet. Just facts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind, TimelineEvent
from followthrough.core.parsing.dates import DATE_ANYWHERE
from followthrough.core.regex import lazy
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import CaseBlind, Finding, Rule, Severity, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_ANALYSIS = W.Phrases(W.TIMELINE_ANALYSIS)
_HAS_DATE = CaseBlind(
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\bday\s*\d"
)


# "11:10 6th Nov 2023 - ...": the day written after the clock time, left in the entry's text
_DAY_AFTER_CLOCK = lazy(r"[\s*_(\[,-]*" + DATE_ANYWHERE.pattern, re.IGNORECASE)
_CLOCK = CaseBlind(r"\b(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?")


def _when(event: TimelineEvent) -> datetime | timedelta | None:
    """The event's resolved time, else its clock time as an offset into a day."""
    if event.at is not None:
        return event.at
    if _HAS_DATE.search(event.time_text) or _DAY_AFTER_CLOCK.match(event.text) is not None:
        return None  # a date we cannot resolve: do not compare its clock time
    match = _CLOCK.search(event.time_text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    meridiem = (match.group(4) or "").lower()
    if meridiem.startswith("p") and hours < 12:
        hours += 12
    elif meridiem.startswith("a") and hours == 12:
        hours = 0
    if hours > 23 or minutes > 59:
        return None
    return timedelta(hours=hours, minutes=minutes, seconds=int(match.group(3) or 0))


# a line that reads as a timeline entry although the reader found no time in it: a list item,
# a table row, or a line that starts with a date or a clock time the reader cannot resolve
_ENTRY_START = lazy(r"\s*(?:[-*+]\s|\d+[.)]\s|\||[*_(\[]*\d{1,4}[-/.:]\d{1,2})")


def _timeline_lines(doc: Document) -> list[int]:
    """The timeline's entries; when the reader found none, the lines of the timeline
    sections that read as entries. A story told in paragraphs under a "Timeline" heading
    ("On 3 May we moved ... Unfortunately this required ...") is a narrative, not a list of
    facts to keep analysis out of."""
    if doc.timeline:
        return [event.line for event in doc.timeline]
    view = view_of(doc)
    lines: list[int] = []
    for section in doc.sections_of(SectionKind.TIMELINE):
        lines.extend(
            n
            for n in range(section.body_line, section.end_line + 1)
            if _ENTRY_START.match(view.line_text(n)) is not None
        )
    return lines


class TimelineAnalysis(Rule):
    """Finds judgement and explanation inside timeline entries: "mistake", "should have",
    "unfortunately", "obviously", "in hindsight", "turned out", "finally", "nobody noticed",
    and a clause that explains with what the analysis found later ("meaning ...", "this is
    due to ...", "which might indicate ...", "since the previous attempt failed"). Facts
    that mention a cause are not analysis: "Root cause investigation started", "re-triggered
    due to an API timeout", "terminated, because they were development servers". A story
    told in paragraphs under a "Timeline" heading is a narrative, not entries, and is not
    checked.

    Why: the seed's meeting agenda opens with the timeline: "Walk through what happened,
    when. No analysis yet. Just facts." Analysis in the timeline decides the root cause
    before the meeting has looked for it, and hindsight in a timeline reads as blame.

    Bad:
        - 14:05 Deploy 4812 went out, which was a mistake because nobody checked the diff.

    Good:
        - 14:05 Deploy 4812 went out.
        - 14:09 Error rate on /checkout reached 12%.
    """

    code = "PM403"
    name = "timeline.analysis"
    category = "timeline_analysis"
    severity = Severity.WARNING
    summary = (
        "A timeline entry contains analysis or judgement ('because', 'should have', 'mistake')."
    )

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        lines = _timeline_lines(doc)
        if not lines:
            return
        view = view_of(doc)
        wanted = set(lines)
        start, end = view.span(min(lines), max(lines))
        flagged: set[int] = set()
        for match in _ANALYSIS.finditer(view.low, start, end, words=view.words):
            line = view.line_of(match.start())
            if line not in wanted or line in flagged:
                continue
            flagged.add(line)
            phrase = view.masked[match.start() : match.end()]
            yield self.finding(
                config,
                line,
                f"Analysis in the timeline ({phrase!r}): keep the timeline to facts",
                view.excerpt(line, match.start()),
                fix="Keep what happened and when; move the why to the root cause analysis.",
                section=SectionKind.TIMELINE,
            )


class TimelineOutOfOrder(Rule):
    """Finds timeline entries whose times go backwards. Only comparable times are compared
    (both with a zone, or both without); a time-only entry after a late-evening one is read
    as the next day.

    Why: the seed's timeline review walks "through what happened, when". An entry out of
    order is a typo in the time or a misplaced event, and either corrupts the detection and
    response times the meeting is about to discuss.

    Bad:
        - 14:05 Deploy started.
        - 13:58 Alerts fired.

    Good:
        - 13:58 Alerts fired.
        - 14:05 Deploy started.
    """

    code = "PM404"
    name = "timeline.out-of-order"
    category = "timeline_analysis"
    severity = Severity.WARNING
    summary = "Timeline entries go backwards in time."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        previous = None
        view = view_of(doc)
        stamps = [(event, _when(event)) for event in doc.timeline]
        for event, when in stamps:
            if when is None:
                continue
            if previous is not None:
                before, a = previous
                b = when
                comparable = isinstance(a, datetime) == isinstance(b, datetime) and (
                    not isinstance(a, datetime)
                    or not isinstance(b, datetime)
                    or (a.tzinfo is None) == (b.tzinfo is None)
                )
                if comparable and b < a:  # type: ignore[operator]
                    time_only = not _HAS_DATE.search(event.time_text) and not _HAS_DATE.search(
                        before.time_text
                    )
                    gap: timedelta = a - b  # type: ignore[operator,assignment]
                    if not (time_only and gap > timedelta(hours=12)):
                        previous_event = before
                        yield self.finding(
                            config,
                            event.line,
                            f"Timeline goes backwards: {event.time_text.strip()!r} comes after {previous_event.time_text.strip()!r} (line {previous_event.line})",
                            view.excerpt(event.line),
                            fix="Check the time, or move the entry to where it belongs.",
                            section=SectionKind.TIMELINE,
                        )
            previous = (event, when)
