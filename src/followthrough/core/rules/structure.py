"""PM5xx: structure. Seed, "Template": every postmortem has the same parts, filled in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, Genre, SectionKind
from followthrough.core.parsing.dates import DATE_ANYWHERE, find_day
from followthrough.core.reading import impact
from followthrough.core.regex import lazy
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.analysis import cause_unknown
from followthrough.core.rules.base import Finding, Rule, Severity, view_of
from followthrough.core.rules.wordlists import lowered

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

#: section kinds that satisfy a required kind
_SATISFIES: dict[SectionKind, tuple[SectionKind, ...]] = {
    SectionKind.ROOT_CAUSE: (SectionKind.ROOT_CAUSE,),
    SectionKind.WHYS: (SectionKind.WHYS,),
    SectionKind.CONTRIBUTING_FACTORS: (SectionKind.CONTRIBUTING_FACTORS,),
}
_ADVICE: dict[SectionKind, str] = {
    SectionKind.SUMMARY: "two or three sentences: what happened, how long, who was affected",
    SectionKind.IMPACT: "the customer and business impact, with numbers",
    SectionKind.TIMELINE: "what happened, when, from first signal to resolution: facts only",
    SectionKind.ROOT_CAUSE: "the five whys down to the systemic cause, and its category",
    SectionKind.ACTION_ITEMS: "specific, owned, dated, verifiable action items",
    SectionKind.CONTRIBUTING_FACTORS: "what else made it worse: detection delay, tooling gaps, communication",
    SectionKind.LESSONS: "what went well, what went badly, where we got lucky",
}
_MARKER_SOURCES = (r"\bTODO\b", r"\bTBD\b", r"\bFIXME\b")
# One pattern per placeholder, lower-cased and run on the lower-cased text: each starts with
# a literal, so the regex engine jumps between its occurrences, and each runs only when its
# probe occurs. (probe is a word, word_initial, pattern)
_PLACEHOLDERS: list[tuple[str, bool, bool, re.Pattern[str]]] = [
    (
        probe,
        probe.isalnum(),
        source.startswith(r"\b"),
        lazy(source.removeprefix(r"\b").lower()),
    )
    for probe, source in W.TEMPLATE_PLACEHOLDERS
    if source not in _MARKER_SOURCES
]
_MARKER_WORDS = frozenset(["todo", "tbd", "fixme"])
_MARKER = lazy(r"(?:TODO|TBD|FIXME)\b")
_NOT_CONTENT = frozenset(
    {
        SectionKind.TITLE,
        SectionKind.METADATA,
        SectionKind.OTHER,
        SectionKind.APPENDIX,
        SectionKind.PEOPLE,
    }
)
# "Root cause: ..." at the start of a line: the label found from its literal first word, the
# line start checked behind it
_ROOT_CAUSE_LABEL = lazy(r"root[ -]?causes?\b[^:\n]{0,40}:")
_LINE_LEAD = lazy(r"[\s>*_#|-]*(?:\d+[.)]\s*)?")
_COMMENTS = lazy(r"<!--.*?-->", re.DOTALL)
# a line that starts with a clock time or a numeric day ("28-11-2024 21:00 -", "07/21/2023 -",
# "7:32 PM -"): the date reader leaves numeric days alone (is 07-08 July or August?), but a
# reader of a timeline section knows its entries by them all the same
_STAMPED_LINE = lazy(
    r"^[\s>*_`|-]*(?:\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}:\d{2}|\d{1,2}\s?[ap]\.?m\.?)(?![\w/.-])",
    re.MULTILINE | re.IGNORECASE,
)
_WORDS = lazy(r"[A-Za-z0-9]")


#: what a security disclosure owes its reader: what was exposed and how; no action items (it
#: may promise nothing) and no timeline. An attack analysis also says when things happened
#: (dates in its prose serve as a timeline).
_DISCLOSURE_REQUIRED = frozenset({SectionKind.SUMMARY, SectionKind.IMPACT, SectionKind.ROOT_CAUSE})
_ATTACK_REQUIRED = _DISCLOSURE_REQUIRED | {SectionKind.TIMELINE}
_CAUSE_STATED = lazy(
    r"\b(?:caused|causing|due\s+to|because|as\s+a\s+result\s+of|resulted\s+from|"
    r"triggered\s+by|root\s+cause|the\s+cause|led\s+to|culprit)\b",
    re.IGNORECASE,
)


def _has_section(doc: Document, *kinds: SectionKind) -> bool:
    """A section of one of these kinds (not a timeline: that one needs its times)."""
    return any(s.kind in kinds for s in doc.sections)


def _present(doc: Document, kind: SectionKind) -> bool:
    """Does a reader find this part of the postmortem anywhere, under whatever name?"""
    if kind == SectionKind.ROOT_CAUSE and cause_unknown(view_of(doc)):
        return False  # "We have not yet identified the cause": a heading over no cause
    if kind != SectionKind.TIMELINE and _has_section(doc, *_SATISFIES.get(kind, (kind,))):
        return True
    if kind == SectionKind.ACTION_ITEMS:
        return bool(doc.action_items)
    if kind == SectionKind.TIMELINE:
        if any(event.time_text for event in doc.timeline):
            return True
        if doc.genre is Genre.INCIDENT_REPORT:
            # a timeline section that gives no time ("see the incident channel") is none
            return any(
                s.kind is SectionKind.TIMELINE
                and (find_day(s.body) is not None or _STAMPED_LINE.search(s.body) is not None)
                for s in doc.sections
            )
        return _dated(doc)  # an analysis of an attack tells its dates in prose
    if kind == SectionKind.IMPACT:
        # the impact needs no heading: a summary that says who was affected states it
        return bool(impact.statements(doc))
    if kind == SectionKind.ROOT_CAUSE:
        return _cause_stated(doc)
    if kind == SectionKind.TITLE:
        return doc.title is not None
    return False


_MECHANISM = lazy(
    r"\b(?:vulnerabilit(?:y|ies)|flaws?|weakness\w*|exploit\w*|misconfigur\w*|"
    r"allow(?:ed|ing|s)?|could\s+(?:be\s+used|allow)|was\s+possible|by\s+(?:\w+ing)\b|"
    r"via|through\s+(?:a|an|the)\b|because|due\s+to|caused|led\s+to|root\s+cause|"
    r"(?:were|was)\s+being\s+\w+ed)\b",
    re.IGNORECASE,
)


def _cause_stated(doc: Document) -> bool:
    """A root cause, wherever it is: its section, the whys, a "Root cause: ..." line, the
    contributing factors, or a summary that says what caused the failure; not a cause the
    document says it has not found yet ("One candidate can be ...")."""
    view = view_of(doc)
    # a chain of whys alone asks the questions; the root cause is its stated answer
    if _has_section(doc, SectionKind.ROOT_CAUSE) or doc.root_causes:
        return True
    if doc.factors or _root_cause_label(doc):
        return True
    # a disclosure or an attack analysis owes the mechanism: how the flaw or the attack worked
    told = _CAUSE_STATED if doc.genre is Genre.INCIDENT_REPORT else _MECHANISM
    for section in doc.sections:
        if section.kind is SectionKind.SUMMARY or (
            doc.genre is not Genre.INCIDENT_REPORT and section.kind not in _NOT_CONTENT
        ):
            start, end = view.span(section.body_line, section.end_line)
            if told.search(view.masked, start, end):
                return True
    return False


def _dated(doc: Document) -> bool:
    """Does the prose tell when things happened (a day and a month, anywhere)?"""
    masked = view_of(doc).masked
    return any(find_day(m.group()) is not None for m in DATE_ANYWHERE.finditer(masked))


def _root_cause_label(doc: Document) -> bool:
    view = view_of(doc)
    if "root" not in view.words:
        return False
    low = lowered(doc.text)
    for match in _ROOT_CAUSE_LABEL.finditer(low):
        start = low.rfind("\n", 0, match.start()) + 1
        lead = _LINE_LEAD.match(low, start, match.start())
        if lead is not None and lead.end() == match.start():
            return True
    return False


class MissingSection(Rule):
    """Finds a postmortem without a part its kind of report owes. An incident report owes a
    summary, the impact, a timeline, the root cause and action items (configuration
    ``required_sections``); a security disclosure the summary, what was exposed and how; an
    analysis of an attack also when things happened (dates in its prose serve); a template
    owes nothing but to be filled in (PM503 says where). A part counts wherever a reader
    finds it: the impact told in the summary, the cause in the contributing factors, any
    heading the reader recognises ("What happened", "Customer impact", "Corrective
    actions"). A timeline that gives no time ("see the incident channel") and a root cause
    the document says it has not found yet ("One candidate can be ...") are missing.

    Why: the seed's meeting agenda has a part for each: timeline review, impact review,
    root cause analysis, contributing factors, action items. A postmortem that skips one
    skips the conversation, and "Actionable: Produce specific, owned follow-ups" needs
    all of them.

    Bad:
        # Checkout outage
        ## Summary
        Checkout failed for 47 minutes.
        ## Timeline
        - 14:05 Deploy 4812 went out.

    Good:
        # Checkout outage
        ## Summary
        ## Impact
        ## Timeline
        ## Root cause
        ## Action items
    """

    code = "PM501"
    name = "structure.missing-section"
    category = "missing_section"
    severity = Severity.ERROR
    summary = "A required section (summary, impact, timeline, root cause, action items) is missing."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if doc.genre is Genre.TEMPLATE:
            return  # a template is still to be filled in: its empty sections say so (PM503)
        line = doc.title_line or 1
        excerpt = view_of(doc).excerpt(line) if doc.text else ""
        required = config.required_sections
        if doc.genre is Genre.SECURITY_DISCLOSURE:
            required = tuple(kind for kind in required if kind in _DISCLOSURE_REQUIRED)
        elif doc.genre is Genre.ATTACK_ANALYSIS:
            required = tuple(kind for kind in required if kind in _ATTACK_REQUIRED)
        missing = [kind for kind in required if not _present(doc, kind)]
        if len(missing) > 1 and not any(sec.kind not in _NOT_CONTENT for sec in doc.sections):
            labels = ", ".join(kind.value.replace("_", " ") for kind in missing)
            # a narrative without headings: one finding, not one per section
            yield self.finding(
                config,
                line,
                f"No recognisable postmortem sections: {labels} not found",
                excerpt,
                fix="Use headings for each part (## Summary, ## Impact, ## Timeline, ## Root cause, ## Action items); `followthrough new` writes the template.",
            )
            return
        for kind in missing:
            label = kind.value.replace("_", " ")
            yield self.finding(
                config,
                line,
                f"Missing section: {label}",
                excerpt,
                fix=f"Add a '{label.capitalize()}' section: {_ADVICE.get(kind, 'fill it in')}.",
                section=kind,
            )


# a template's guidance standing alone where the text goes: "Brief description", a table cell
# "Short event description" ("a brief description denoting ..." is prose)
_GUIDANCE = lazy(r"[ \t]*(?:brief|short)[ \t]+(?:\w+[ \t]+)?description\.?[ \t]*(?=\n|\||$)")


def _guidance(low: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    at = low.find("description")
    while at != -1:
        start = max(low.rfind("\n", 0, at), low.rfind("|", 0, at)) + 1
        match = _GUIDANCE.match(low, start)
        if match is not None and match.end() >= at:
            out.append((match.start(), match.end()))
        at = low.find("description", at + 1)
    return out


def _placeholder_title(title: str) -> bool:
    words = re.findall(r"[a-z]+", title.lower())
    return bool(words) and set(words) <= W.TEMPLATE_TITLE_WORDS


class TemplateLeftover(Rule):
    """Finds template text left in the document: `[fill in: ...]`, "[Insert ... here]",
    "<describe ...>", "Lorem ipsum", TODO/TBD in prose, "XX:XX", "YYYY-MM-DD", "$X", "XXX",
    a bracketed instruction ("By: (Names)", "Q (who): A (who):"), a lone "Brief description",
    and a title made only of template words ("# Incident Title", "# Title (incident #)").
    Guidance in HTML comments is fine, and so is a link's text; TBD as an action item's owner
    or due date is reported by the owner and due-date rules instead.

    Why: the seed's "The copy-paste postmortem" anti-pattern: "Using the same template
    language without thinking." A placeholder that survives review means nobody read that
    part, and a reader cannot tell a finished postmortem from a draft.

    Bad:
        ## Impact
        [fill in: who was affected, how many, for how long]

    Good:
        ## Impact
        1,240 checkouts failed (18% of attempts) over 47 minutes.
    """

    code = "PM502"
    name = "structure.template-leftover"
    category = "template_leftover"
    severity = Severity.ERROR
    summary = (
        "A template placeholder is left in ('[fill in: ...]', 'TODO', 'YYYY-MM-DD', 'Lorem ipsum')."
    )

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        low, masked, words = view.low, view.masked, view.words
        hits: list[tuple[int, int]] = []
        for probe, is_word, word_initial, pattern in _PLACEHOLDERS:
            if not (probe in words if is_word else probe in low):
                continue
            for match in pattern.finditer(low):
                i = match.start()
                if word_initial and i and (low[i - 1].isalnum() or low[i - 1] == "_"):
                    continue
                if probe == "[" and low[match.end() : match.end() + 1] in ("(", "["):
                    continue  # "[Add 2FA now](https://...)": a link's text, not a placeholder
                hits.append((i, match.end()))
        if "description" in words:
            hits.extend(_guidance(low))
        if doc.title is not None and doc.title_line and _placeholder_title(doc.title):
            at = view.offset_of(doc.title_line)
            hits.append((at, at + len(view.line_text(doc.title_line))))
        markers = _MARKER.finditer(masked) if not words.isdisjoint(_MARKER_WORDS) else ()
        item_lines = {item.line for item in doc.action_items} if markers else set()
        for match in markers:
            i = match.start()
            if i and (masked[i - 1].isalnum() or masked[i - 1] == "_"):
                continue
            if view.line_of(i) in item_lines:
                continue  # TBD owners and dues belong to PM201 / PM202
            hits.append((i, match.end()))
        last = 0
        for start, end in sorted(hits):
            line = view.line_of(start)
            if line == last:
                continue
            last = line
            text = view.text[start:end].strip()
            section = doc.section_at(line)
            yield self.finding(
                config,
                line,
                f"Template placeholder left in: {text!r}",
                view.excerpt(line, start),
                fix="Replace the placeholder with what actually happened, or delete it.",
                section=section.kind if section is not None else None,
            )


_FILLER = lazy(r"^[\s|:*+\-_>#.]*$")


def _written(body: str) -> bool:
    """Text under a heading beyond comments, quotations, a bare "-", a table with empty rows
    under its header, and a note on time zones ("All times in UTC.")."""
    # read line by line up to the first written one: most sections are written near the top,
    # and splitting a long one (a timeline) whole made a string of every line
    end = -1
    while end < len(body):
        start = end + 1
        end = _line_end(body, start)
        line = body[start:end]
        if _FILLER.match(line) or _ZONE_NOTE.match(line):
            continue
        following = body[end + 1 : _line_end(body, end + 1)] if end < len(body) else ""
        if line.lstrip()[:1] == "|" and "-" in following and _FILLER.match(following):
            continue  # a table's header: the rows under it say whether it was filled in
        if _WORDS.search(line):
            return True
    return False


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end == -1 else end


# a fenced block and what it holds: a timeline or a log kept in a code block is written
_FENCE = lazy(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(.*?)^[ \t]*\1", re.MULTILINE | re.DOTALL)


def _fenced_text(body: str) -> bool:
    """Words inside a fenced code block (the masked view blanks code)."""
    if "```" not in body and "~~~" not in body:
        return False
    return any(_WORDS.search(m.group(2)) for m in _FENCE.finditer(body))


_ZONE_NOTE = lazy(r"^\s*\(?\s*(?:all\s+)?times?\s+(?:are\s+)?in\s+[\w ]{1,30}\)?\.?\s*$", re.I)


class EmptySection(Rule):
    """Finds a section heading with nothing under it (beyond comments, quotations, a bare
    "-", a note on time zones or a table with only its header), for the sections the
    meeting fills: summary, impact, timeline, root cause, trigger, five whys, contributing
    factors, detection, resolution, action items, lessons. A heading whose content is in
    subsections that are parts of the report is not empty ("What happened" over "Chain of
    events"); one whose only subsection is about something else is. Text in a code block is
    written (a timeline kept as a log).

    Why: the seed's "The copy-paste postmortem": a heading kept from the template but never
    written is the template talking, not the team. An empty section also hides from the
    missing-section check.

    Bad:
        ## Contributing factors

        ## Action items

    Good:
        ## Contributing factors
        - The connection-pool alert had been muted since March.
    """

    code = "PM503"
    name = "structure.empty-section"
    category = "missing_section"
    severity = Severity.WARNING
    summary = "A section heading has nothing under it."

    KINDS = frozenset(
        {
            SectionKind.SUMMARY,
            SectionKind.TRIGGER,
            SectionKind.IMPACT,
            SectionKind.TIMELINE,
            SectionKind.ROOT_CAUSE,
            SectionKind.WHYS,
            SectionKind.CONTRIBUTING_FACTORS,
            SectionKind.DETECTION,
            SectionKind.RESOLUTION,
            SectionKind.ACTION_ITEMS,
            SectionKind.LESSONS,
        }
    )

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        sections = [s for s in doc.sections if s.heading]
        for index, section in enumerate(sections):
            if section.kind not in self.KINDS:
                continue
            # its content may be in its subsections ("What happened" over "Chain of events"),
            # when they are parts of the report ("Recommendations" over "Names of people
            # involved" is still empty)
            subsections = []
            for following in sections[index + 1 :]:
                if following.level <= section.level:
                    break
                subsections.append(following)
            if any(sub.kind not in _NOT_CONTENT for sub in subsections):
                continue
            if section.body_line <= section.end_line:
                start, end = view.span(section.body_line, section.end_line)
                if subsections:
                    end = min(end, view.offset_of(subsections[0].line))
                if _written(view.masked[start:end]) or _fenced_text(view.text[start:end]):
                    continue
            if section.kind == SectionKind.ACTION_ITEMS and any(
                section.line <= item.line <= section.end_line for item in doc.action_items
            ):
                continue
            yield self.finding(
                config,
                section.line,
                f"Section {section.heading.strip()!r} is empty",
                view.excerpt(section.line),
                fix="Write it, or delete the heading if it truly does not apply (and say why).",
                section=section.kind,
            )
