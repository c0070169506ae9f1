"""PM3xx: root cause analysis. Seed, "Root Cause Analysis": "Keep asking 'why' until you
reach systemic causes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from followthrough.core.document import Document, Genre, SectionKind
from followthrough.core.regex import lazy, literal_matches
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import Finding, Rule, Severity, View, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_PROXIMATE = W.compile_phrases(W.PROXIMATE_CAUSES)
_SYSTEMIC = W.compile_phrases(W.SYSTEMIC_MARKERS)
_PLACEHOLDER = lazy("|".join(r for _, r in W.TEMPLATE_PLACEHOLDERS), re.IGNORECASE)
_WORDS = lazy(r"[A-Za-z]{2,}")
_ROOT_KINDS = (SectionKind.ROOT_CAUSE, SectionKind.WHYS)
_COMMENTS = lazy(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Statement:
    line: int
    text: str


def _body_lines(doc: Document, kinds: tuple[SectionKind, ...]) -> list[Statement]:
    """Non-empty prose lines (masked: no code, comments or quotes) of sections of ``kinds``."""
    view = view_of(doc)
    out: list[Statement] = []
    for section in doc.sections:
        if section.kind not in kinds:
            continue
        start, end = view.span(section.body_line, section.end_line)
        offset = start
        for raw in view.masked[start:end].split("\n"):
            text = raw.strip().lstrip("-*+>|#").strip()
            if _WORDS.search(text) and not _PLACEHOLDER.fullmatch(text):
                out.append(Statement(view.line_of(offset), text))
            offset += len(raw) + 1
    return out


def root_cause_statements(doc: Document) -> list[Statement]:
    """What the document gives as its root cause: the parsed statements, else the root
    cause section's prose lines."""
    if doc.root_causes:
        return [Statement(rc.line, rc.text) for rc in doc.root_causes if rc.text.strip()]
    return _body_lines(doc, (SectionKind.ROOT_CAUSE,))


_STATED = lazy(
    r"root[ -]?causes?\s+(?:was|is|were|are|seems to be|appears to be)\s+(?P<cause>[^.;\n]+)"
)


def stated_elsewhere(doc: Document) -> list[tuple[int, str]]:
    """(line, cause) of "the root cause was ..." sentences outside the root cause and whys
    sections (an executive summary, a narrative): a root cause is judged wherever it is
    stated."""
    view = view_of(doc)
    if "root" not in view.words:
        return []
    inside = [
        view.span(section.line, section.end_line)
        for section in doc.sections
        if section.kind in _ROOT_KINDS
    ]
    out: list[tuple[int, str]] = []
    for match in literal_matches(_STATED, "root", view.low):
        at = match.start()
        if any(start <= at < end for start, end in inside):
            continue
        cause = view.masked[match.start("cause") : match.end("cause")]
        out.append((view.line_of(at), cause))
    return out


_ANALYSIS_KINDS = (
    SectionKind.ROOT_CAUSE,
    SectionKind.WHYS,
    SectionKind.CONTRIBUTING_FACTORS,
    SectionKind.LESSONS,
)


# A gap in the system, said as missing: "No monitoring of network subnet capacity", "there is
# no checklist", "nothing validates", "alerting threshold was set too high", "our monitoring
# did not detect it" (the seed: "no automation, alerting, or safeguard to prevent or detect")
_SAFEGUARDS = (
    r"(?:alert\w*|monitor\w*|checks?|checklists?|tests?|testing|reviews?|process(?:es)?|gates?|"
    r"limits?|rate[- ]limit\w*|safeguards?|guardrails?|automation|runbooks?|documentation|"
    r"docs|training|capacity|owners?(?:hip)?|validation|backups?|redundancy|polic(?:y|ies)|"
    r"procedures?|lifecycle\s+management|observability|visibility|metrics|dashboards?|"
    r"staging|canar(?:y|ies)|rollback|isolation|segmentation|resource\s+(?:requests|limits)|"
    r"logging|logs|paging|on-?call|notifications?|alarms?|reminders?|"
    r"auto(?:matic|mated)?[- ]?(?:renew\w*|rotat\w*|scal\w*|failover))"
)
# a knowledge gap: "No one in the team knows how to renew the certificate"
_NOBODY_KNEW = lazy(
    r"\b(?:no[ -]?one|nobody)\b[^.;\n]{0,40}?\b(?:knows?|knew|understood|was\s+trained)\b",
    re.IGNORECASE,
)
# "no alert on ...", "lack of monitoring": tried where a word of lack starts
_LACK_FIRST = lazy(
    r"(?:no|not|without|lack(?:ing|ed)?(?:\s+of)?|missing|absence\s+of|never|nothing|"
    r"insufficient|inadequate|poor)\b[^.;\n]{0,50}?\b" + _SAFEGUARDS + r"\b",
    re.IGNORECASE,
)
_LACK_WORDS = (
    "no ",
    "not",
    "without",
    "lack",
    "missing",
    "absence",
    "never",
    "nothing",
    "insufficient",
    "inadequate",
    "poor",
)
# "the alerting threshold was set too high", "our monitoring did not detect it": tried in the
# few words before where the lack is said
_LACK_AFTER = lazy(
    r"\b" + _SAFEGUARDS + r"\b[^.;\n]{0,50}?\b(?:too\s+(?:high|low|late|slow)|"
    r"(?:was|were|is|are)\s+(?:not|never)|(?:was|were|is|are)n['’]t|(?:did|does|do)\s+not|"
    r"(?:did|does|do)n['’]t|missing|"
    r"not\s+(?:set|configured|enabled|implemented|in\s+place))\b",
    re.IGNORECASE,
)
_LACK_ENDS = ("too ", "not", "n't", "n’t", "missing")


def _names_a_gap(text: str) -> bool:
    low = text.lower()
    if ("one" in low or "nobody" in low) and _NOBODY_KNEW.search(text):
        return True
    for word in _LACK_WORDS:
        at = low.find(word)
        while at != -1:
            if (at == 0 or not low[at - 1].isalnum()) and _LACK_FIRST.match(text, at):
                return True
            at = low.find(word, at + 1)
    for word in _LACK_ENDS:
        at = low.find(word)
        while at != -1:
            if _LACK_AFTER.search(text, max(0, at - 90), at + 40):
                return True
            at = low.find(word, at + 1)
    return False


_CAUSE_UNKNOWN = lazy(
    r"\b(?:root\s+cause|cause|why)\b[^.\n]{0,80}?\b(?:unknown|not\s+(?:yet\s+)?(?:known|"
    r"identified|found|determined|clear|understood)|remains?\s+(?:unclear|unknown))\b"
    r"|\b(?:have|has|had)\s+not\s+(?:yet\s+)?(?:identified|found|determined|understood)\s+"
    r"(?:the\s+|a\s+)?(?:root\s+)?(?:cause|reason)"
    r"|\b(?:trying|working)\s+to\s+(?:identify|find|understand|determine)\s+(?:the\s+)?(?:root\s+)?cause"
    r"|\b(?:did|does|could)\s+not\s+(?:reveal|explain|tell|show)\s+(?:us\s+)?(?:why|the\s+(?:root\s+)?cause)"
    r"|\bone\s+candidate\s+(?:can|could|might|may)\s+be\b",
    re.IGNORECASE,
)


_UNKNOWN_MEMO: dict[int, tuple[View, bool]] = {}


def cause_unknown(view: View) -> bool:
    """Does the document say it has not found its cause yet ("We have not yet identified the
    cause", "One candidate can be ...")? Then the root cause is missing, not shallow."""
    memo = _UNKNOWN_MEMO.get(id(view))
    if memo is not None and memo[0] is view:
        return memo[1]
    if len(_UNKNOWN_MEMO) > 64:
        _UNKNOWN_MEMO.clear()
    found = _cause_unknown(view)
    _UNKNOWN_MEMO[id(view)] = (view, found)
    return found


def _cause_unknown(view: View) -> bool:
    if not ({"cause", "why", "candidate"} & view.words):
        return False
    low = view.low
    # the pattern is tried only around the words every form of it holds, not at every position
    starts = sorted(
        {max(0, i - 140) for word in ("cause", "why", "candidate") for i in _positions(low, word)}
    )
    windows: list[tuple[int, int]] = []
    for start in starts:
        end = min(len(low), start + 300)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    for a, b in windows:
        window = low[a:b]
        if any(key in window for key in _UNKNOWN_KEYS) and _unknown_in(view, a, b):
            return True
    return False


# every way of saying the cause is not known holds one of these
_UNKNOWN_KEYS = (
    "unknown",
    "unclear",
    "candidate",
    "trying to",
    "working to",
    "not yet",
    "not known",
    "not identified",
    "not found",
    "not determined",
    "not clear",
    "not understood",
    "not reveal",
    "not explain",
    "not tell",
    "not show",
    "n't reveal",
    "n't explain",
)


def _positions(text: str, word: str) -> list[int]:
    out, i = [], text.find(word)
    while i != -1:
        out.append(i)
        i = text.find(word, i + 1)
    return out


def _unknown_in(view: View, a: int, b: int) -> bool:
    for match in _CAUSE_UNKNOWN.finditer(view.masked, a, b):
        start = max(
            view.masked.rfind(".", 0, match.start()), view.masked.rfind("\n\n", 0, match.start())
        )
        if _THEN.search(view.masked, start + 1, match.end()) is None:
            return True
    return False


# "At this point the root cause was not clear yet": the story of the response, not the analysis
_THEN = lazy(
    r"\b(?:at\s+(?:this|that)\s+(?:point|time|stage)|at\s+the\s+time|at\s+first|initially)\b", re.I
)


# the words every form of a gap holds (``_LACK_WORDS``, and those the lack is said after)
_NEGATIVE: frozenset[str] = frozenset(w.strip() for w in _LACK_WORDS) | frozenset(
    [
        "lacking",
        "lacked",
        "nobody",
        "wasn",
        "weren",
        "isn",
        "aren",
        "didn",
        "doesn",
        "don",
        "high",
        "low",
        "late",
        "slow",
    ]
)


def _gap_in_analysis(doc: Document) -> bool:
    """Does the analysis (root cause, whys, contributing factors, lessons) name a gap in the
    system, in the seed's categories: a missing check, alert, process, knowledge, capacity?"""
    if _NEGATIVE.isdisjoint(view_of(doc).words):
        return False  # every form of a gap says something is missing, not, or too low
    texts = [w.answer for w in doc.whys] + [f.text for f in doc.factors]
    view = view_of(doc)
    for section in doc.sections:
        if section.kind in _ANALYSIS_KINDS and section.body_line <= section.end_line:
            start, end = view.span(section.body_line, section.end_line)
            texts.append(" ".join(view.masked[start:end].split()))
    return any(_names_a_gap(t) for t in texts)


def _opening(text: str) -> str:
    words = text.split()
    return " ".join(words[:6]) + (" ..." if len(words) > 6 else "")


class TooFewWhys(Rule):
    """Finds a "5 whys" chain that stops after fewer than three whys (configuration
    ``min_whys``). A document without a chain is not asked for one (whether its analysis
    reaches a systemic cause is PM302's question), and the short chain is the one finding
    about that analysis.

    Why: the seed's "Root Cause Analysis": "Keep asking 'why' until you reach systemic
    causes." Its own example needs six whys to get from "the database ran out of
    connections" to "there was no code review checklist for schema changes".

    Bad:
        ## Five whys
        - Why did checkout fail? The database ran out of connections.
        - Why? A slow query held connections open.

    Good:
        ## Five whys
        - Why did checkout fail? The database ran out of connections.
        - Why? A query held connections open for 30 s.
        - Why? It did a full table scan: an index was missing.
        - Why? The schema migration did not include it.
        - Why? There is no review checklist for schema changes.
    """

    code = "PM301"
    name = "root-cause.too-few-whys"
    category = "shallow_root_cause"
    severity = Severity.WARNING
    merges = False  # about the whole analysis: never folded into a finding on the same line
    summary = "The chain of whys stops before three whys (or the analysis has none)."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        # Asked only of a document that has a chain of whys: one without is not asked for
        # one (the seed asks for "5 whys or similar technique"); whether its analysis reaches
        # a systemic cause is PM302's question.
        count = len(doc.whys)
        if not count or count >= config.min_whys or doc.genre is Genre.TEMPLATE:
            return
        whys_section = doc.section(SectionKind.WHYS)
        view = view_of(doc)
        line = doc.whys[0].line
        end = doc.whys[-1].line
        message = f"Only {count} why{'s' if count != 1 else ''}; stop at a systemic cause, usually after {config.min_whys}-5"
        yield self.finding(
            config,
            line,
            message,
            view.excerpt(line),
            end_line=end,
            fix="Keep asking 'why' of each answer until it names a process, tooling, knowledge, capacity or communication gap.",
            section=SectionKind.WHYS if whys_section is not None else SectionKind.ROOT_CAUSE,
        )


class ProximateRootCause(Rule):
    """Finds an analysis that stops at the proximate cause: the root cause names only what
    broke (a deploy, a bug, a config change, "human error", a limit that was too small, a
    change someone made) and nothing in the analysis (the root cause, the whys, the
    contributing factors, the lessons) names a gap in the system: a missing check, alert,
    process, runbook, capacity. One finding per analysis, on its first statement; a root
    cause stated elsewhere ("The root cause was human error ..." in a summary) is judged on
    its own words. A cause the document says it has not found yet is a missing section
    (PM501), and a security report's cause is the mechanism of the flaw or the attack.

    Why: the seed's "The shallow analysis" anti-pattern: "Stopping at the proximate cause.
    'The deploy broke prod' is not a root cause." and "The root cause is not 'the query was
    slow.' The root cause is 'we have no systematic check for schema changes.'"

    Bad:
        ## Root cause
        A bad config change was deployed.

    Good:
        ## Root cause
        Config changes skip the canary stage: there is no gate that validates them before
        they reach every region (process gap).
    """

    code = "PM302"
    name = "root-cause.proximate-only"
    category = "shallow_root_cause"
    severity = Severity.ERROR
    summary = (
        "The root cause names only what broke (a deploy, a bug, 'human error'), not the system gap."
    )

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if doc.genre is not Genre.INCIDENT_REPORT:
            return  # a vulnerability's mechanism, or the attack, is the cause a reader asks for
        statements = root_cause_statements(doc)
        elsewhere = stated_elsewhere(doc)
        texts = [s.text for s in statements]
        if doc.whys:
            texts.append(doc.whys[-1].answer)
        if (statements and any(_SYSTEMIC.search(t) for t in texts)) and not elsewhere:
            return  # the stated cause is systemic
        if not statements and not elsewhere:
            return
        if _gap_in_analysis(doc):
            return  # a systemic gap anywhere in the analysis: it went past the proximate cause
        if cause_unknown(view_of(doc)):
            return  # a cause not found yet is missing (PM501), not shallow
        if statements and not any(_SYSTEMIC.search(t) for t in texts):
            # one finding per analysis, on its first statement: what broke, and no gap
            first = statements[0]
            match = next((m for m in (_PROXIMATE.search(st.text) for st in statements) if m), None)
            phrase = match.group() if match is not None else _opening(first.text)
            yield self._shallow(doc, config, first.line, phrase, statements)
            return
        # "The root cause was human error ..." in a summary: judged on its own words
        for line, text in elsewhere:
            match = _PROXIMATE.search(text)
            if match is None or _SYSTEMIC.search(text):
                continue
            yield self._shallow(doc, config, line, match.group(), [])
            return

    def _shallow(
        self,
        doc: Document,
        config: LintConfig,
        line: int,
        phrase: str,
        statements: list[Statement],
    ) -> Finding:
        return self.finding(
            config,
            line,
            f"Root cause stops at the proximate cause ({phrase!r}); what in the system allowed it?",
            view_of(doc).excerpt(line),
            end_line=statements[-1].line if statements else line,
            fix="Ask why once more: name the missing check, gate, alert, knowledge or capacity (e.g. 'we have no review checklist for schema changes').",
            section=SectionKind.ROOT_CAUSE,
        )


class UncategorisedRootCause(Rule):
    """Finds root cause statements with no category from the seed's list: process,
    tooling, knowledge, capacity or communication gap.

    Why: the seed's "Common Root Cause Categories" makes the analysis name the kind of
    gap, which is what the action items must close, and what lets the same gap be seen
    across postmortems.

    Bad:
        ## Root cause
        There is no review checklist for schema changes.

    Good:
        ## Root cause
        There is no review checklist for schema changes. Category: process gap.
    """

    code = "PM303"
    name = "root-cause.uncategorised"
    category = "shallow_root_cause"
    severity = Severity.INFO
    summary = "A root cause has no category (process, tooling, knowledge, capacity, communication)."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if not doc.root_causes or any(rc.category is not None for rc in doc.root_causes):
            return
        first = doc.root_causes[0]
        yield self.finding(
            config,
            first.line,
            "Root cause has no category (process, tooling, knowledge, capacity or communication gap)",
            view_of(doc).excerpt(first.line),
            fix="Add 'Category: process gap' (or tooling, knowledge, capacity, communication).",
            section=SectionKind.ROOT_CAUSE,
        )


class EmptyRootCause(Rule):
    """Finds a root cause (or five whys) section that says nothing but a template's
    placeholder ("[fill in: ...]"). A heading with nothing at all under it is an empty
    section (PM503), reported once.

    Why: the seed's "Root Cause Analysis" is the heart of the meeting (30 of its 60-90
    minutes). A postmortem without a root cause cannot produce action items that prevent
    the repeat ("Thorough: dig to root causes, not just proximate causes").

    Bad:
        ## Root cause
        <!-- What in the system allowed this to happen? -->

    Good:
        ## Root cause
        Nothing validates config changes before they reach every region (process gap).
    """

    code = "PM304"
    name = "root-cause.empty"
    category = "shallow_root_cause"
    severity = Severity.ERROR
    summary = "The root cause section is empty: no root cause is stated."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if doc.root_causes or doc.whys or doc.genre is Genre.TEMPLATE:
            return
        sections = [s for s in doc.sections if s.kind in _ROOT_KINDS]
        if not sections or _body_lines(doc, _ROOT_KINDS):
            return
        first = sections[0]
        if not _WORDS.search(_COMMENTS.sub(" ", first.body)):
            return  # nothing under the heading at all: an empty section (PM503), said once
        yield self.finding(
            config,
            first.line,
            "The root cause section states no root cause",
            view_of(doc).excerpt(first.line),
            end_line=first.end_line,
            fix="State what in the system allowed the failure, and its category (process, tooling, knowledge, capacity, communication).",
            section=first.kind,
        )
