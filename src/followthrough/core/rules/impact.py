"""PM40x: impact. Seed, "The Postmortem Meeting / Agenda": "Impact review (10 min): What
was the customer and business impact? Quantify if possible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import Finding, Rule, Severity, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_NOT_QUANTITIES = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"  # dates
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"  # clock times
    r"|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:p|sev|s|q|h)\d\b"  # P1, SEV2, Q3
    r"|\b[A-Z]+-\d+\b"  # ticket keys
    r"|\b(?:19|20)\d{2}\b",  # years
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(?:all|every|none of the|no|half|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozens|hundreds|thousands|"
    r"millions)\s+(?:of\s+)?(?:our\s+|the\s+)?(?:\w+\s+)?(?:users|customers|requests|orders|"
    r"merchants|clients|accounts|tenants|regions|transactions|payments|calls|minutes|hours|"
    r"seconds|days|emails|messages|jobs|sessions|pages|errors)\b",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_VAGUE = W.Phrases(W.VAGUE_QUANTIFIERS)


def has_quantity(text: str) -> bool:
    """True when ``text`` states a number of something (not just a date or a clock time)."""
    if _DIGIT.search(text) and _DIGIT.search(_NOT_QUANTITIES.sub(" ", text)):
        return True
    return _NUMBER_WORDS.search(text) is not None


class UnquantifiedImpact(Rule):
    """Finds an impact section that states no number at all (no users, requests, orders,
    percentages, minutes or money; dates and clock times do not count), and a postmortem
    with no impact section.

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
        sections = doc.sections_of(SectionKind.IMPACT)
        view = view_of(doc)
        if not sections:
            line = doc.title_line or 1
            yield self.finding(
                config,
                line,
                "No impact section: the customer and business impact is not stated, let alone quantified",
                view.excerpt(line) if doc.text else "",
                fix="Add '## Impact' with numbers: affected users or requests, error rate, duration, cost.",
                section=SectionKind.IMPACT,
            )
            return
        for section in sections:
            start, end = view.span(section.line, section.end_line)
            if has_quantity(view.masked[start:end]):
                return
        first = sections[0]
        # point at the first vague quantity, where the number is missing, if there is one
        line = first.line
        for section in sections:
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
            end_line=sections[-1].end_line,
            fix="Add numbers: affected users or requests, error rate, duration, revenue or SLA budget spent.",
            section=SectionKind.IMPACT,
        )


class VagueQuantifier(Rule):
    """Finds quantities that sound like numbers and are not, in the summary and impact:
    "some users", "a few customers", "minimal impact", "a small number of", "briefly".
    A line that also gives a number passes ("some users (about 2%)").

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
        if not _VAGUE.groups_for(words):
            return
        for section in doc.sections:
            if section.kind not in (SectionKind.IMPACT, SectionKind.SUMMARY):
                continue
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
