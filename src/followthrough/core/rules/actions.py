"""PM2xx: action items. Seed, "Action Items That Work": specific, owned, time-bound,
verifiable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import ActionItem, Document, SectionKind
from followthrough.core.parsing.dates import named_period
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import Finding, Rule, Severity, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_PERSONAL = re.compile(r"@[A-Za-z0-9_]|[\w.+-]+@[\w-]+\.[\w.]+")
_SEVERAL = re.compile(r"\s(?:and|&)\s|[/,;+]")
_VAGUE_DUE = W.compile_phrases(W.VAGUE_DUES)
_PARENS = re.compile(r"\([^)]*\)")
_HANDLE = re.compile(r"@([A-Za-z0-9_][\w.-]*)")
_PLACEHOLDER_OWNER = re.compile(
    r"^(?:<[^>]*>|\[[^\]]*\]|\{\{[^}]*\}\}|_{3,}|\?+|x{2,}|owner|name|someone)$", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z][\w'-]*")


def _is_done(item: ActionItem) -> bool:
    """The reader marks an item done when the document says so (a ticked box, a status, a
    check mark, struck through, past tense, a heading that says it was done): see
    :mod:`followthrough.core.reading.actions`."""
    return item.done


def _excerpt(doc: Document, item: ActionItem) -> str:
    return view_of(doc).excerpt(item.line)


def owner_problem(owner: str | None, config: LintConfig) -> str | None:
    """Why ``owner`` is not one person, or None when it is."""
    if owner is None or not owner.strip() or owner.strip() in ("-", "—", "–"):
        return "has no owner"
    text = owner.strip()
    if _PLACEHOLDER_OWNER.match(text):
        return f"has a placeholder for an owner ({text!r})"
    if _SEVERAL.search(text) and len(_WORD.findall(text)) > 1:
        people = [p for p in re.split(r"\s(?:and|&)\s|[/,;+]", text) if p.strip()]
        if len(people) > 1:
            return f"has {len(people)} owners ({text!r}); one person owns it, others help"
    handle = _HANDLE.fullmatch(text)
    if handle is not None:
        # "@search-team", "@cdn-oncall": a handle is a person unless its words name a group
        name = handle.group(1).lower()
        if name in W.GROUP_HANDLES or not W.GROUP_HANDLE_WORDS.isdisjoint(W.pieces(name)):
            return f"is owned by a group ({text!r}), not a person"
        return None
    if _PERSONAL.search(text):
        return None
    if config.team_pattern().search(_PARENS.sub(" ", text).strip() or text):
        return f"is owned by a group ({text!r}), not a person"
    return None


class UnownedAction(Rule):
    """Finds action items with no owner, several owners, or a group as owner: a team
    ("SRE", "backend", "Payments team"), a committee, "everyone", "all", "TBD". Items
    already marked done are skipped. Configuration ``team_names`` adds the organisation's
    own team names.

    Why: the seed's "Action Items That Work" asks for "Owned: One person, not a
    committee." An item owned by a team is owned by nobody, and becomes part of "the action
    item graveyard".

    Bad:
        - [ ] Add alerting for connection pool exhaustion (owner: SRE team, due 2026-03-04)

    Good:
        - [ ] Add alerting for connection pool exhaustion (owner: @alice, due 2026-03-04)
    """

    code = "PM201"
    name = "action-items.unowned"
    category = "unowned_action"
    severity = Severity.ERROR
    summary = "An action item has no single person as owner (none, a team, 'everyone', 'TBD')."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        for item in doc.action_items:
            if _is_done(item) or is_placeholder(item.text):
                continue
            problem = owner_problem(item.owner, config)
            if problem is None:
                continue
            yield self.finding(
                config,
                item.line,
                f"Action item {problem}",
                _excerpt(doc, item),
                fix="Name one person who will drive it to done (@handle or full name).",
                section=SectionKind.ACTION_ITEMS,
            )


def due_problem(item: ActionItem) -> str | None:
    if item.due is not None:
        return None
    text = (item.due_text or "").strip()
    if not text or text in ("-", "—", "–"):
        return "has no due date"
    if named_period(text):
        return None  # "end of Q3", "the 2.4 release": a reader can put it in a calendar
    if _VAGUE_DUE.search(text):
        return f"is due {text!r}, which is not a date"
    return f"has a due date that cannot be read as a date ({text!r})"


class UndatedAction(Rule):
    """Finds action items with no due date, or a due that is not a date: "ASAP", "soon",
    "next sprint", "TBD", "when we have time", "Q3" without a day. Items already marked
    done are skipped.

    Why: the seed's "Action Items That Work" asks for "Time-bound: Due date, not 'when we
    have time.'" Without a date nothing is ever late, so nothing is ever escalated
    ("Follow-Through: Escalate stalled items").

    Bad:
        | Add a schema-change checklist to the PR template | @bob | next sprint |

    Good:
        | Add a schema-change checklist to the PR template | @bob | 2026-03-18 |
    """

    code = "PM202"
    name = "action-items.undated"
    category = "undated_action"
    severity = Severity.ERROR
    summary = "An action item has no due date, or a due like 'ASAP', 'next sprint', 'TBD'."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        for item in doc.action_items:
            if _is_done(item) or is_placeholder(item.text):
                continue
            problem = due_problem(item)
            if problem is None:
                continue
            yield self.finding(
                config,
                item.line,
                f"Action item {problem}",
                _excerpt(doc, item),
                fix="Give it a calendar date (YYYY-MM-DD) the owner agreed to.",
                section=SectionKind.ACTION_ITEMS,
            )


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in W.STOPWORDS and len(w) > 2]


_EXHORTATION = re.compile(
    r"^\W*(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?\s+to\s+|@[\w.-]+\s+to\s+)?"
    r"(?:" + W.compile_phrases(W.EXHORTATIONS, word_bounded=False).pattern + r")(?![\w-])",
    re.IGNORECASE,
)
_ANNOTATION = re.compile(r"\s[-\u2013\u2014]\s.*$|\([^)]*\)|\[[^\]]*\]")
_CONCRETE = re.compile(
    r"\d|`|\b(?:when|if|above|below|over|under|exceeds?|within|per|before|after|every|each|"
    r"fails?|blocks?|rejects?|pages?)\b",
    re.IGNORECASE,
)

#: content words beyond a generic phrase that make an item specific (with a concrete detail)
SPECIFIC_WORDS = 4


_memo: dict[tuple[int, int], tuple[ActionItem, str, tuple[str | None, str | None]]] = {}


def vagueness(item: ActionItem, config: LintConfig) -> tuple[str | None, str | None]:
    """Memoised :func:`classify`: the vague and the unverifiable rules ask about the same
    items. Entries hold the item itself, so an id is never confused with a later object's."""
    key = (id(item), id(config))
    hit = _memo.get(key)
    if hit is not None and hit[0] is item and hit[1] is item.text:
        return hit[2]
    if len(_memo) > 4096:
        _memo.clear()
    result = classify(item, config)
    _memo[key] = (item, item.text, result)
    return result


def classify(item: ActionItem, config: LintConfig) -> tuple[str | None, str | None]:
    """(vague phrase, intention phrase) of an action item's text; None where it has none.

    A generic verb+object ("improve monitoring") is forgiven when the rest of the item says
    exactly what (enough content words and a concrete detail: a number, a condition, code).
    An intention ("consider", "discuss") or an exhortation ("Dave to double-check", "ensure
    invoices are correct") is never specific: it asks people to try, not the system to change.
    """
    text = item.text
    low = W.lowered(text)
    words = W.word_set(low)
    intention = config.unverifiable_phrases().search(low, words=words)
    exhortation = _EXHORTATION.match(text)
    wish = (
        text[intention.start() : intention.end()]
        if intention
        else (exhortation.group().strip() if exhortation else None)
    )
    generic = config.vague_phrases().search(low, words=words)
    vague = None
    if generic is not None:
        rest = _ANNOTATION.sub(" ", text[: generic.start()] + " " + text[generic.end() :])
        content = _content_words(rest)
        specific = len(content) >= SPECIFIC_WORDS and _CONCRETE.search(rest) is not None
        if not specific and len(content) < 2 * SPECIFIC_WORDS:
            vague = text[generic.start() : generic.end()]
    return vague or wish, wish


def is_placeholder(text: str) -> bool:
    return ("[" in text or "<" in text) and _FILL_IN.search(text) is not None


_FILL_IN = re.compile(r"\[\s*fill[ -]?in\b|^\s*<[^>]*>\s*$|^\s*\[[^\]]*\]\s*$", re.IGNORECASE)


class VagueAction(Rule):
    """Finds open action items too generic to tell what will change: a generic verb and
    object ("improve monitoring", "be more careful", "fix the issue", "look into", "better
    testing") with little else said, an intention ("consider", "discuss") or an
    exhortation to people ("Lukas to pay more attention", "ensure invoices are correct").
    The lists are data (``wordlists.VAGUE_ACTIONS``, ``EXHORTATIONS``) and grow with
    configuration ``extra_vague_words``. An item that goes on to say exactly what ("Improve
    monitoring: alert when the connection pool is 80% used for 5 minutes") passes.

    Why: the seed's "Action Items That Work": "Specific: 'Add alerting for connection pool
    exhaustion' not 'improve monitoring.'", and the copy-paste anti-pattern: "'Improve
    monitoring' appears in every postmortem, but nothing changes."

    Bad:
        - Improve monitoring (@alice, 2026-03-04)

    Good:
        - Add an alert when the orders DB connection pool is over 80% for 5 minutes (@alice, 2026-03-04)
    """

    code = "PM203"
    name = "action-items.vague"
    category = "vague_action"
    severity = Severity.ERROR
    summary = "An action item too generic to tell when it is done ('improve monitoring')."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        for item in doc.action_items:
            if item.done:
                continue
            vague, _ = vagueness(item, config)
            if vague is None:
                continue
            yield self.finding(
                config,
                item.line,
                f"Vague action item: {vague!r} does not say what will change",
                _excerpt(doc, item),
                fix="Name the concrete change and its target, e.g. 'Add alerting for connection pool exhaustion'.",
                section=SectionKind.ACTION_ITEMS,
            )


class UnverifiableAction(Rule):
    """Finds open action items nobody could check off: intentions ("consider", "think
    about", "discuss", "raise awareness", "explore", "investigate whether", "try to",
    "remind", "be mindful"), exhortations ("Dave to double-check configs", "ensure invoices
    are correct") and generic items ("improve monitoring") with no done-condition. An
    explicit done-condition ("done when: ...") makes any item verifiable. Configuration
    ``extra_unverifiable_phrases`` extends the list.

    Why: the seed's "Action Items That Work": "Verifiable: You can tell when it is done."
    A discussion always happened and never finishes; the item stays open forever, which is
    the "action item graveyard".

    Bad:
        - Consider adding a canary stage to deploys (@carol, 2026-04-01)

    Good:
        - Add a 10% canary stage to the payments deploy pipeline (@carol, 2026-04-01;
          done when: a deploy halts automatically when canary errors exceed 1%)
    """

    code = "PM204"
    name = "action-items.unverifiable"
    category = "unverifiable_action"
    severity = Severity.WARNING
    summary = (
        "An action item is an intention ('consider', 'discuss', 'try to'), not a checkable outcome."
    )

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        for item in doc.action_items:
            if item.done_when or item.done:
                continue
            vague, wish = vagueness(item, config)
            phrase = wish or vague
            if phrase is None:
                continue
            yield self.finding(
                config,
                item.line,
                f"Unverifiable action item: {phrase!r} cannot be checked off",
                _excerpt(doc, item),
                fix="State the outcome that proves it is done, or add 'done when: ...'.",
                section=SectionKind.ACTION_ITEMS,
            )
