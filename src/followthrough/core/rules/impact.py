"""PM40x: impact. Seed, "The Postmortem Meeting / Agenda": "Impact review (10 min): What
was the customer and business impact? Quantify if possible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, Genre, Section, SectionKind
from followthrough.core.reading import impact
from followthrough.core.regex import lazy
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import CaseBlind, Finding, Rule, Severity, View, view_of
from followthrough.core.rules.wordlists import lowered

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_NOT_QUANTITIES_SOURCE = (
    r"\b\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?"  # dates
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"  # clock times
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:p|sev|s|q|h)\d\b"  # P1, SEV2, Q3
    r"|\b[a-z]+-\d+\b"  # ticket keys
    r"|\b(?:19|20)\d{2}\b"  # years
    # HTTP statuses: "returning 503", "HTTP 502", "404s", "504 errors" name a failure, not a count
    r"|\b(?:http|status|code|returning|returned|returns|return)\s+[1-5]\d\d\b"
    r"|\b[45]\d\d(?:s\b|(?=\s+(?:errors?|responses?|status|messages?)\b))"
    # versions: "v2.5", "1.24.0", "version < 2.5", "versions affected: 1.7"
    r"|\bv\d+(?:\.\d+)*\w*|\b\d+\.\d+\.\d+\w*|\b(?:versions?|releases?)\b[^\n\d]{0,40}?\d+(?:\.\d+)+"
    # dates with a month's name: "30 November 2019", "Jan 5th"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTHS
    + r"|\b"
    + _MONTHS
    + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
)
_NOT_QUANTITIES = CaseBlind(_NOT_QUANTITIES_SOURCE)


def _blanked(text: str) -> str:
    """``text`` (ASCII-folded) with what only looks like a quantity blanked: dates, clock
    times, tickets, versions, HTTP statuses; for the case-blind number patterns."""
    return _NOT_QUANTITIES.sub(" ", text)


# a number standing alone ("3.7M", "18%", "47", "1,240"), not one inside a name ("k8s",
# "ip-10-0-32-54", "/24")
_NUMBER = lazy(r"(?<![\w./:#@-])\d[\d,.]*(?:%|[kmb]\b)?(?![\w/@-]|\.\d)", re.IGNORECASE)
_NUMBER_WORDS = CaseBlind(
    r"\b(?:none of the|no|half|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|dozens|hundreds|thousands|millions)\s+(?:of\s+)?(?:our\s+|the\s+)?(?:\w+\s+)?(?:users|customers|requests|orders|"
    r"merchants|clients|accounts|tenants|regions|transactions|payments|calls|minutes|hours|"
    r"seconds|days|emails|messages|jobs|sessions|pages|errors)\b",
)
_DIGIT = lazy(r"\d")
_NUMBER_WORD = (
    r"(?:(?:a\s+)?single|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|dozens?)"
)
_VAGUE = W.Phrases(W.VAGUE_QUANTIFIERS)


def has_quantity(text: str) -> bool:
    """True when ``text`` states a number of something (not just a date or a clock time)."""
    if _DIGIT.search(text) and _NUMBER.search(_blanked(text)):
        return True
    return _NUMBER_WORDS.search(text) is not None


class UnquantifiedImpact(Rule):
    """Finds an impact that states no number: an impact section without a count of users,
    requests, orders or versions, a share, a duration of the effect or money (dates, clock
    times, HTTP statuses and versions do not count; zero does: "no packages were
    compromised"); or, with no impact section, a summary (or any part of the report) that
    tells who or what was affected without a number. A report that never says what the
    failure did to anyone is a missing section (PM501), not this. One finding per document.

    Why: the seed's agenda gives impact its own ten minutes: "What was the customer and
    business impact? Quantify if possible." Without numbers nobody can weigh the action
    items ("Prioritizing Action Items: Severity of impact").

    Bad:
        ## Impact
        Customers could not check out for a while.

    Good:
        ## Impact
        1,240 checkouts failed (18% of attempts) over 47 minutes; about $31,000 in orders
        was delayed.
    """

    code = "PM401"
    name = "impact.unquantified"
    category = "unquantified_impact"
    severity = Severity.WARNING
    summary = "The impact section gives no numbers (users, %, requests, minutes, money)."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if doc.genre is Genre.TEMPLATE:
            return
        view = view_of(doc)
        sections = doc.sections_of(SectionKind.IMPACT)
        if not sections:
            yield from self._stated_elsewhere(doc, config)
            return
        # an empty impact section is reported as empty (PM503), once
        filled = [s for s in sections if _WORDS.search(_body(view, s))]
        if not filled or any(
            quantified(_body(view, s)) or _LISTED.search(_body(view, s)) for s in filled
        ):
            return  # a list of what was hit ("Affected crates: - a - b - c") counts it
        first = filled[0]
        line = first.body_line
        for section in filled:
            start, end = view.span(section.body_line, section.end_line)
            vague = _VAGUE.search(view.low, start, end, words=view.words)
            if vague is not None:
                line = view.line_of(vague.start())
                break
        yield self.finding(
            config,
            line,
            "Impact is not quantified: say how many users, requests or orders, for how long, at what cost",
            view.excerpt(line),
            end_line=filled[-1].end_line,
            fix="Add numbers: affected users or requests, error rate, duration, revenue or SLA budget spent.",
            section=SectionKind.IMPACT,
        )

    def _stated_elsewhere(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        """No impact section: the impact told in the summary (or elsewhere) must carry a
        number. Told nowhere, it is a missing section (PM501), not this."""
        stated = impact.statements(doc)
        if not stated or any(effect_counted(text) for _, text in stated):
            return
        if any(_ZERO.search(text) for _, text in impact.sentences_told(doc)):
            return  # "No indicators of malicious activity were found": none is a number
        view = view_of(doc)
        line = next(
            (n for n, text in stated if _VAGUE.search(lowered(text)) is not None), stated[0][0]
        )
        yield self.finding(
            config,
            line,
            "The impact is told without a number: say how many users, requests or orders, for how long",
            view.excerpt(line),
            fix="Add an '## Impact' section with numbers: affected users or requests, error rate, duration, cost.",
            section=SectionKind.IMPACT,
        )


_WORDS = lazy(r"[A-Za-z0-9]")
_LISTED = lazy(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE)
# "no packages were compromised", "we were not affected", "no evidence that ... were
# downloaded": zero is a number
_ZERO = CaseBlind(
    r"\b(?:no|zero|none\s+of\s+the|not\s+(?:a\s+)?single)\s+(?:[\w-]+\s+){0,3}?(?:were|was|had\s+been|"
    r"have\s+been|has\s+been)\s+(?:affected|compromised|impacted|exploited|used|accessed|"
    r"downloaded|lost|exposed|charged|installed)\b"
    r"|\b(?:were|was|are|is)\s+not\s+(?:affected|impacted|compromised|exploited)\b"
    r"|\bno\s+(?:evidence|indications?|indicators?|signs?)\s+(?:of|that)\b"
    r"|\bno\s+(?:customer|user|data|service)s?\s+(?:data\s+)?(?:impact|loss|were)\b"
    r"|\bno\s+action\s+is\s+required\s+by\s+(?:users|customers)\b",
)


# What the failure did, counted: "for 47 minutes", "5 out of 46 nodes", "3.7M failed
# requests", "18% of checkouts", "ninety minutes"; not a measure of the cause ("reaching
# 100%", "12 GB of memory").
_COUNTED = CaseBlind(
    # not a hypothesis ("if a single zone becomes unoperational")
    r"(?<![\w./:#@-])(?<!\bif\s)(?<!\bif\sa\s)(?!one\s+of\b)(?:\d[\d,.]*[kmb]?|"
    + _NUMBER_WORD
    + r")(?:\s*(?:-|–|to)\s*\d[\d,.]*)?\s*"
    r"(?:%\s+of\b|(?:\w+\s+){0,2}?(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|days?|weeks?)\b|"
    r"(?:[\w-]+\s+){0,2}?(?:(?!(?:this|was|has|is|as|its|does|gets|reasons|ways|things|steps|"
    r"options|aspects|factors|parts|questions|problems|issues)\b)[a-z]{3,}s)\b)",
)


def effect_counted(text: str) -> bool:
    """Does a sentence that states the impact count it (or say it was zero)?"""
    return _COUNTED.search(_blanked(text)) is not None or _ZERO.search(text) is not None


#: text -> quantified: PM401 and PM402 ask about the same impact sections
_QUANTIFIED: dict[str, bool] = {}


def quantified(text: str) -> bool:
    """A number of something, a duration of the effect, or zero ("no packages were
    compromised")."""
    known = _QUANTIFIED.get(text)
    if known is None:
        if len(_QUANTIFIED) > 64:
            _QUANTIFIED.clear()
        known = _QUANTIFIED[text] = has_quantity(text) or _ZERO.search(text) is not None
    return known


def _body(view: View, section: Section) -> str:
    if section.body_line > section.end_line:
        return ""
    start, end = view.span(section.body_line, section.end_line)
    return view.masked[start:end]


class VagueQuantifier(Rule):
    """Finds a vague quantity ("some users", "a few customers", "minimal impact",
    "briefly") in an impact section that otherwise gives numbers: the line where a number
    is missing. An impact with no number at all is one finding, PM401's.

    Why: the seed asks to "Quantify if possible". "Minimal impact" is a judgement, not a
    measurement, and it is the phrase that lets a repeat incident look harmless.

    Bad:
        ## Impact
        Some users saw errors; minimal impact.

    Good:
        ## Impact
        312 users (0.4% of sessions) saw HTTP 500s on login for 22 minutes.
    """

    code = "PM402"
    name = "impact.vague-quantifier"
    category = "unquantified_impact"
    severity = Severity.WARNING
    summary = "A vague quantity ('some users', 'minimal impact') where a number belongs."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        words = view.words
        if doc.genre is Genre.TEMPLATE or not _VAGUE.groups_for(words):
            return
        sections = [s for s in doc.sections_of(SectionKind.IMPACT) if _WORDS.search(_body(view, s))]
        # Only beside numbers: an impact with none is one finding, PM401's. One per document.
        if not any(quantified(_body(view, s)) for s in sections):
            return
        for section in sections:
            start, end = view.span(section.body_line, section.end_line)
            for match in _VAGUE.finditer(view.low, start, end, words=words):
                line = view.line_of(match.start())
                if has_quantity(view.line_text(line)):
                    continue
                phrase = view.masked[match.start() : match.end()]
                yield self.finding(
                    config,
                    line,
                    f"Vague quantity {phrase!r}: give the number",
                    view.excerpt(line, match.start()),
                    fix="Replace with a count or a rate and a duration, e.g. '312 users (0.4% of sessions) for 22 minutes'.",
                    section=section.kind,
                )
                return
