"""PM2xx: action items. Seed, "Action Items That Work": specific, owned, time-bound,
verifiable."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import ActionItem, Document, SectionKind
from followthrough.core.parsing.dates import find_day, named_period
from followthrough.core.parsing.vocabulary import IMPERATIVE_VERBS
from followthrough.core.regex import lazy
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import CaseBlind, Finding, Rule, Severity, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_PERSONAL = lazy(r"@[A-Za-z0-9_]|[\w.+-]+@[\w-]+\.[\w.]+")
_SEVERAL = lazy(r"\s(?:and|&)\s|[/,;+]")
_VAGUE_DUE = W.compile_phrases(W.VAGUE_DUES)
_PARENS = lazy(r"\([^)]*\)")
_HANDLE = lazy(r"@([A-Za-z0-9_][\w.-]*)")
_PLACEHOLDER_OWNER = lazy(
    r"^(?:<[^>]*>|\[[^\]]*\]|\{\{[^}]*\}\}|_{3,}|\?+|x{2,}|owner|name|someone)$", re.IGNORECASE
)
_WORD = lazy(r"[A-Za-z][\w'-]*")


def _is_done(item: ActionItem) -> bool:
    """The reader marks an item done when the document says so (a ticked box, a status, a
    check mark, struck through, past tense, a heading that says it was done): see
    :mod:`followthrough.core.reading.actions`."""
    return item.done


def ticket(item: ActionItem) -> str | None:
    """The linked ticket a reader can follow (a URL), which keeps the owner and the due date
    where this document cannot show them; a bare key ("OPS-12") or "(issue created)" is not."""
    tracker = item.tracker
    return tracker if tracker is not None and tracker.startswith(("http://", "https://")) else None


def _excerpt(doc: Document, item: ActionItem) -> str:
    return view_of(doc).excerpt(item.line)


def owner_problem(owner: str | None, config: LintConfig) -> str | None:
    """Why ``owner`` is not one person, or None when it is."""
    if owner is None or not owner.strip() or owner.strip() in ("-", "—", "–"):
        return "has no owner"
    text = owner.strip()
    if _PLACEHOLDER_OWNER.match(text):
        return f"has a placeholder for an owner ({text!r})"
    if _separated(text) and _SEVERAL.search(text) and len(_WORD.findall(text)) > 1:
        people = [p for p in re.split(r"\s(?:and|&)\s|[/,;+]", text) if p.strip()]
        if len(people) > 1:
            return f"has {len(people)} owners ({text!r}); one person owns it, others help"
    # both patterns need an "@": most owners are names, which skip them
    handle = _HANDLE.fullmatch(text) if "@" in text else None
    if handle is not None:
        # "@search-team", "@cdn-oncall": a handle is a person unless its words name a group
        name = handle.group(1).lower()
        if name in W.GROUP_HANDLES or not W.GROUP_HANDLE_WORDS.isdisjoint(W.pieces(name)):
            return f"is owned by a group ({text!r}), not a person"
        return None
    if "@" in text and _PERSONAL.search(text):
        return None
    named = (_PARENS.sub(" ", text).strip() if "(" in text else text) or text
    if _team_search(config, named):
        return f"is owned by a group ({text!r}), not a person"
    return None


def _separated(text: str) -> bool:
    """Whether ``text`` holds what every match of ``_SEVERAL`` holds (cheaper to ask)."""
    return "and" in text or any(mark in text for mark in "&/,;+")


def _team_search(config: LintConfig, text: str) -> bool:
    """Whether ``config.team_pattern()`` finds a group in ``text``."""
    pattern = config.team_pattern()
    if not pattern.pattern.isascii():  # a team name beyond ASCII: letters may fold otherwise
        return pattern.search(text) is not None
    return _case_by_case(pattern.pattern).search(text) is not None


@functools.lru_cache(maxsize=64)
def _case_by_case(source: str) -> CaseBlind:
    """The team pattern ``source`` run case by case (see :class:`CaseBlind`): its phrases are
    written in lower case."""
    return CaseBlind(source)


class UnownedAction(Rule):
    """Finds open action items with no owner, several owners, or a group as owner: a team
    ("SRE", "backend", "Payments team"), a committee, "everyone", "all", "TBD". A person in
    any common form owns it: an @handle, a name ("Owner: Alice Smith", "Alice to ...",
    "(Rasmus, end of Q3)"), an e-mail, a table's Owner/Assignee/DRI column. Items the
    document marks done are skipped, and an item whose linked ticket a reader can follow
    (an issue link) is said to keep its owner there, as advice. Configuration
    ``team_names`` adds the organisation's own team names.

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
            if ticket(item) is not None:
                yield self.finding(
                    config,
                    item.line,
                    f"Action item names no owner here; its ticket may ({ticket(item)}): not checked",
                    _excerpt(doc, item),
                    fix="Copy the owner from the ticket into the postmortem, so the owner is visible where the action is read.",
                    section=SectionKind.ACTION_ITEMS,
                    advice=True,
                )
                continue
            yield self.finding(
                config,
                item.line,
                f"Action item {problem}",
                _excerpt(doc, item),
                fix="Name one person who will drive it to done (@handle or full name).",
                section=SectionKind.ACTION_ITEMS,
            )


# the parts of a heading that may name when its items are due: "(Q4 2025 - Q1 2026)",
# "(Target: end of Q3)", "Long-term: H2 2026"; a range is due at its end
_HEADING_PART = lazy(r"\(([^)]*)\)|:\s*([^()]+)$")
_RANGE = lazy(r"\s+(?:-|–|—|to|through)\s+")
_DUE_LABEL = lazy(r"^(?:target|targets|due|deadline|eta|timeline|timeframe)\s*:?\s*", re.IGNORECASE)


def heading_due(doc: Document, item: ActionItem) -> str | None:
    """The period the heading over ``item`` gives its group of items ("Long-term
    improvements (Target: Q4 2025 - Q1 2026)"): a reader dates each item by it."""
    section = doc.section_at(item.line)
    if section is None or not section.heading:
        return None
    for match in _HEADING_PART.finditer(section.heading):
        part = _DUE_LABEL.sub("", (match.group(1) or match.group(2) or "").strip())
        end = _RANGE.split(part)[-1]
        if end and (named_period(end) or find_day(end) is not None):
            return part
    return None


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
    """Finds open action items with no due date, or a due that is not a date: "ASAP",
    "soon", "next sprint", "TBD", "when we have time", "later this year". A named period is
    a date ("end of Q3", "H2 2026", "March", "by the 2.4 release"), and so is the period a
    heading gives its group of items ("Long-term (Target: Q4 2025 - Q1 2026)"); "due to ..."
    is a cause, never a due date. Items the document marks done are skipped, and an item whose
    linked ticket a reader can follow is said to keep its due date there, as advice.

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
            if problem is None or (not item.due_text and heading_due(doc, item) is not None):
                continue
            if ticket(item) is not None:
                yield self.finding(
                    config,
                    item.line,
                    f"Action item gives no due date here; its ticket may ({ticket(item)}): not checked",
                    _excerpt(doc, item),
                    fix="Copy the due date from the ticket into the postmortem.",
                    section=SectionKind.ACTION_ITEMS,
                    advice=True,
                )
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


_EXHORTATION = lazy(
    r"^\W*(?:[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)?\s+to\s+|@[\w.-]+\s+to\s+)?"
    r"(?:" + W.compile_phrases(W.EXHORTATIONS, word_bounded=False).pattern + r")(?![\w-])",
    re.IGNORECASE,
)
_ANNOTATION = lazy(r"\s[-\u2013\u2014]\s.*$|\([^)]*\)|\[[^\]]*\]")
_CONCRETE = lazy(
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
    """(vague phrase, intention phrase) of an action item: at most one of them, since one
    item has one defect ("Consider improving monitoring" is an intention, once).

    An intention asks people to think rather than the system to change: "consider",
    "discuss", "agree on", "look into <a topic>", "investigate options", "if possible",
    "continue to", a hope ("we are hoping to"), an obligation with no end ("should always",
    "ensure that ... gets deployed"), a behaviour ("be more careful", "Dave to double-check").
    A spike with a factual question ("Investigate if we can set memory limits", "Check why
    the alert did not fire"), a named thing to find ("Investigate the exact issue with ...")
    or a hypothesis to test is verifiable: it is done when the question is answered.

    Vague is a change that does not say what will change: a generic verb and object
    ("improve monitoring", "better governance of X"), monitoring or alerts that name a
    component but no condition ("Implement monitoring on Kyverno", "Flux metrics and
    alerts"). An item that goes on to say exactly what (enough content words and a concrete
    detail: a number, a condition, code) is forgiven.
    """
    core = _core(item.text)
    low = W.lowered(core)
    words = W.word_set(low)
    spike = _opening(_SPIKE, _SPIKE_OPENINGS, core, low)
    wish = _intention(core, config, item.text, low, words, spike)
    if wish is not None:
        return None, wish
    return _vague(core, config, low, words, spike), None


# "Rasmus to ...", "@alice: ...", "We will ...", "we need to ...", "We agree that we should ...":
# who commits, before what they commit to
_COMMITTING = lazy(
    r"^\W*(?:(?:finally|also|then|and)\s+)*"
    r"(?:(?:@[\w.-]+|(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))\s*(?::|to\s+)|"
    r"(?:we|i|the\s+[\w.-]+\s+team)\s+(?:(?:also|now|then|still|will\s+be|are|am|agree\s+that\s+we)\s+)*"
    r"(?:will|shall|'ll|should|must|need\s+to|have\s+to|intend\s+to|plan\s+to|want\s+to|"
    r"are\s+going\s+to|would\s+like\s+to)?\s*)",
    re.IGNORECASE,
)
_HOPE = lazy(
    r"^\W*(?:finally\s+)?(?:we|i)\s+(?:are\s+|am\s+)?(?:also\s+)?(?:hoping|hope|may|might)\b",
    re.IGNORECASE,
)
_NO_END = CaseBlind(
    r"\b(?:might\s+be\s+an\s+option|if\s+possible|where\s+possible|when\s+possible|"
    r"as\s+much\s+as\s+possible|should\s+always|continue\s+to|keep\s+(?:an\s+eye|monitoring|"
    r"in\s+mind|track)|unless\s+absolutely\s+necessary|from\s+now\s+on|"
    r"(?:ensure|make\s+sure)\s+that\s+(?:they|we|it|these|those|changes?)\s+(?:get|are|is)\b)",
    # "now" and "sure" rather than "from" and "that", which most items hold
    needs=("option", "possible", "always", "continue", "keep", "necessary", "now", "sure"),
)
_DELIBERATE = lazy(
    r"^(?:consider(?:ing)?|discuss(?:ing)?|reflect(?:ing)?|agree(?:ing)?|think(?:ing)?\s+about|"
    r"schedul(?:e|ing)\s+an?\s+(?:discussion|meeting|talk|session)|"
    r"ha(?:ve|ving)\s+an?\s+(?:talk|chat|discussion|conversation)|talk(?:ing)?\s+(?:to|with)|"
    r"align(?:ing)?|entertain(?:ing)?|brainstorm(?:ing)?|sociali[sz]e|raise\s+awareness|"
    r"remind(?:ing)?|encourag(?:e|ing)|try(?:ing)?\s+to|attempt(?:ing)?\s+to|be\s+(?:more\s+)?"
    r"(?:careful|mindful|aware|vigilant)|pay\s+(?:more\s+)?attention|double[- ]check|"
    r"tell\s+(?:people|everyone|engineers|the\s+team)|keep\s+an\s+eye|"
    # a behaviour asked of people: "make sure on-call reads the runbook"
    r"(?:make\s+sure|ensure)\s+(?:that\s+)?(?:the\s+)?(?:on-?call|engineers?|people|everyone|"
    r"developers?|teams?|staff|we|you|they)|"
    # a property to keep, with no change that keeps it: "Ensure invoices are correct"
    r"(?:make\s+sure|ensure)\s+(?:that\s+)?(?:\w+\s+){1,3}(?:is|are)\s+(?:always\s+)?(?:correct|"
    r"accurate|right|ok|okay|fine|working|safe|secure|up\s+to\s+date|consistent|reliable|"
    r"valid|good))\b",
    re.IGNORECASE,
)
_SPIKE = lazy(
    r"^(?P<verb>look(?:ing)?\s+into|investigat(?:e|ing)|explor(?:e|ing)|research(?:ing)?|"
    r"assess(?:ing)?|evaluat(?:e|ing)|check(?:ing)?|review(?:ing)?|figur(?:e|ing)\s+out|"
    r"identify(?:ing)?|find(?:ing)?\s+out|determin(?:e|ing)|analy[sz](?:e|ing)|spike)\b\s*(?P<rest>.*)",
    re.IGNORECASE | re.DOTALL,
)
_TOPIC_ONLY_VERBS = ("look", "investigat", "explor", "research", "review", "assess", "evaluat")
_QUESTION = lazy(r"^(?:on\s+|into\s+)?(?:if|whether|why|how|what|which|where|when)\b", re.I)
# a question in the item: "Investigate missing node metrics and see if we can ..."
_ASKS = lazy(
    r"\b(?:and\s+)?(?:see|check|find\s+out|determine|confirm|understand)\s+(?:if|whether|why|how|what)\b",
    re.I,
)
_PREFERENCE = lazy(
    r"\b(?:we|they|you)\s+(?:want|should|would\s+like|need)\b|\bshould\b|\bbetter\b|"
    r"\bmore\s+\w+able\b|\bbe\s+given\b|\bcould\s+be\s+made\b",
    re.IGNORECASE,
)
_OPTIONS = lazy(
    r"^(?:the\s+)?(?:options?|solutions?|alternatives?|ways|possibilit(?:y|ies)|approaches)\b", re.I
)
_NAMED = lazy(
    r"^(?:the\s+(?:exact|specific|root|actual|real)\b|(?:the\s+)?(?:root\s+)?cause\b|"
    r"the\s+reason\b|an?\s+(?:clear\s+)?path\b)|\bas\s+an?\s+(?:potential|possible|likely)\s+cause\b",
    re.IGNORECASE,
)
_CONDITION = lazy(
    r"\d|%|`|\b(?:when|if|whenever|above|below|over|under|exceeds?|reach(?:es)?|threshold|"
    r"rates?|errors?|latency|usage|utili[sz]ation|saturation|capacity|lag|memory|cpu|disk|"
    r"bandwidth|expir\w*|fail\w*|down|missing|stuck|unhealthy|not\s+ready|notready|"
    r"elevated|spikes?|drops?|count|size|queue|restarts?|oom\w*|coverage|health\s*checks?|"
    r"exhaust\w*|full|saturat\w*|leak\w*)\b",
    re.IGNORECASE,
)
# "Implement monitoring on Kyverno", "Add alerts for Flux", "Flux metrics and alerts": monitoring
# that names a component, not the condition to catch
_SIGNAL = r"(?:monitoring|alerting|alerts?|metrics|dashboards?|observability)"
_BARE_MONITORING = lazy(
    r"^(?:(?:implement|add|set\s*up|setup|create|enable|introduce|improve|better|more)\s+"
    r"(?:some\s+|more\s+|basic\s+)?(?P<what>" + _SIGNAL + r")(?:\s+(?:on|for|of|in|to|around)\s+"
    r"[\w./'-]+(?:\s+[\w./'-]+){0,2})?"
    # a noun phrase: "Flux metrics and alerts" (not "Tidy up the dashboards", a change)
    r"|[\w./'-]+(?:\s+[\w./'-]+)?\s+(?P<what2>monitoring|alerting|alerts|metrics)"
    r"(?:\s+(?:and|&)\s+(?:monitoring|alerting|alerts|metrics))?)$",
    re.IGNORECASE,
)
_MEASURABLE = lazy(
    r"\d|%|\b(?:when|if|whenever|above|below|exceeds?|threshold|under|over|within)\b", re.I
)
# the means of a change, which makes "Enhance the pipeline run with synthetic monitoring" say what
_MEANS = lazy(
    r"\b(?:with|by|using|via|through|so\s+that|in\s+order\s+to)\b(?!\s+(?:them|it)\b)", re.I
)
_GENERIC_CHANGE = lazy(
    r"^(?:better|improv(?:e|ed|ing)|streamline|enhanc(?:e|ed)|strengthen|bring\s+down|"
    r"more\s+\w+|set\s*up\s+more|add\s+more)\b",
    re.IGNORECASE,
)


# The words a match of each pattern anchored at the start opens with (a prefix of them):
# an ASCII text that opens with none is not tried (case-blind matching folds no other
# letter into an ASCII one only when the text is ASCII)
_DELIBERATE_OPENINGS = (
    "consider",
    "discuss",
    "reflect",
    "agree",
    "think",
    "schedul",
    "hav",
    "talk",
    "align",
    "entertain",
    "brainstorm",
    "sociali",
    "raise",
    "remind",
    "encourag",
    "try",
    "attempt",
    "be",
    "pay",
    "double",
    "tell",
    "keep",
    "make",
    "ensure",
)
_SPIKE_OPENINGS = (
    "look",
    "investigat",
    "explor",
    "research",
    "assess",
    "evaluat",
    "check",
    "review",
    "figur",
    "identify",
    "find",
    "determin",
    "analy",
    "spike",
)
_GENERIC_CHANGE_OPENINGS = (
    "better",
    "improv",
    "streamline",
    "enhanc",
    "strengthen",
    "bring",
    "more",
    "set",
    "add",
)
#: every match of ``_BARE_MONITORING`` holds one of these
_SIGNAL_WORDS = ("monitoring", "alert", "metrics", "dashboard", "observability")


def _opening(
    pattern: re.Pattern[str], openings: tuple[str, ...], text: str, low: str
) -> re.Match[str] | None:
    """``pattern.match(text)`` for a case-blind pattern anchored at the start whose every
    match opens with one of ``openings``; ``low`` is ``text`` lower-cased."""
    if text.isascii() and not low.startswith(openings):
        return None
    return pattern.match(text)


_TICKET_FIRST = lazy(r"^\s*\[?#?[A-Z]*-?\d+\]?\s*[:\-–—]\s*|^\s*\*\*[A-Z]+\*\*\s*")


_LEAD = lazy(r"^((?:\S+\s+){2,}\S+?):\s+(?=[A-Z][a-z]+\s+\S+\s+\S+)")


def _core(text: str) -> str:
    """The action itself, without who commits to it."""
    plain = text.strip().strip("*_")
    # the pattern is anchored at the start: one match there, not a sub over every position
    ticket_first = _TICKET_FIRST.match(plain)
    if ticket_first is not None:
        plain = plain[ticket_first.end() :]
    m = _COMMITTING.match(plain)
    first = plain.split(" ", 1)[0].lower()
    if m is not None and (first in IMPERATIVE_VERBS or first in _NOT_NAMES):
        m = None  # "Consider to set up ...", "Look into ...": a verb, not a name
    if m is not None and m.end() < len(plain):
        rest = plain[m.end() :].lstrip(" :-")
        if rest:
            plain = rest
    # "Make sure all resources have a plan: This is a work in progress and ...": the action
    # is its lead, the sentences after the colon explain it
    lead = _LEAD.match(plain) if ":" in plain else None  # it backtracks over every split
    return lead.group(1) if lead is not None else plain


_NOT_NAMES = frozenset({"consider", "look", "try", "be", "continue", "keep", "remember"})


def _intention(
    text: str,
    config: LintConfig,
    whole: str,
    low: str,
    words: frozenset[str] | None,
    spike: re.Match[str] | None,
) -> str | None:
    """``spike``: ``_SPIKE.match(text)``, which :func:`_vague` asks too."""
    hope = _HOPE.match(whole or text)
    if hope is not None:
        return hope.group().strip()
    said = whole or text
    no_end = _NO_END.search(said)
    if no_end is not None:
        return said[no_end.start() : no_end.end()]
    deliberate = _opening(_DELIBERATE, _DELIBERATE_OPENINGS, text, low)
    if deliberate is not None:
        return deliberate.group()
    if spike is not None:
        rest = spike.group("rest")
        verb = spike.group("verb")
        if _QUESTION.match(rest) or _ASKS.search(rest):
            return verb if _PREFERENCE.search(rest) else None  # a question about a fact: a spike
        if _OPTIONS.match(rest):
            return f"{verb} {_OPTIONS.match(rest).group()}"  # type: ignore[union-attr]
        if _NAMED.search(rest):
            return None
        return verb if verb.lower().startswith(_TOPIC_ONLY_VERBS) else None
    extra = config.unverifiable_phrases().search(low, words=words)
    if extra is not None and not low[extra.start() :].startswith(("investigate", "look")):
        aside = _ASIDE.search(text, 0, extra.start())
        if aside is not None and len(text[: aside.start()].split()) >= 3:
            # "Add alerting on failed uploads - consider tracking the rate per region": the
            # commitment comes first (and is judged on its own); the aside offers options
            return None
        return text[extra.start() : extra.end()]
    return None


# where an item's commitment ends and an aside begins: " - ", " — ", "; "
_ASIDE = lazy(r"\s[-–—]\s|;\s")


def _vague(
    text: str,
    config: LintConfig,
    low: str,
    words: frozenset[str] | None,
    spike: re.Match[str] | None,
) -> str | None:
    if spike is not None:
        return None  # a spike is judged as one (see _intention)
    generic = config.vague_phrases().search(low, words=words)
    if generic is not None:
        rest = _ANNOTATION.sub(" ", text[: generic.start()] + " " + text[generic.end() :])
        content = _content_words(rest)
        specific = len(content) >= SPECIFIC_WORDS and _CONCRETE.search(rest) is not None
        if not specific and len(content) < 2 * SPECIFIC_WORDS:
            return text[generic.start() : generic.end()]
    change = _opening(_GENERIC_CHANGE, _GENERIC_CHANGE_OPENINGS, text, low)
    rest = text[change.end() :] if change is not None else ""
    # forgiven when it goes on to name its means early ("Enhance the daily pipeline run with
    # synthetic monitoring") or a measurable target ("... when pool usage is over 80%")
    means = _MEANS.search(" ".join(rest.split()[:6]))
    if change is not None and not means and not _MEASURABLE.search(rest):
        return change.group()
    signal = not text.isascii() or any(word in low for word in _SIGNAL_WORDS)
    bare = _BARE_MONITORING.match(text.strip().rstrip(".")) if signal else None
    if bare is not None and _CONDITION.search(text) is None:
        # an alert on what? "Implement monitoring on Kyverno", "Flux metrics and alerts"
        return bare.group("what") or bare.group("what2")
    return None


def is_placeholder(text: str) -> bool:
    return ("[" in text or "<" in text) and _FILL_IN.search(text) is not None


_FILL_IN = lazy(r"\[\s*fill[ -]?in\b|^\s*<[^>]*>\s*$|^\s*\[[^\]]*\]\s*$", re.IGNORECASE)


class VagueAction(Rule):
    """Finds open action items that commit to a change but do not say what will change: a
    generic verb and object ("improve monitoring", "better governance of X", "communicate
    better", "add more tests"), monitoring that names a component but no condition
    ("Implement monitoring on Kyverno", "Flux metrics and alerts"). An item that goes on to
    say exactly what ("Improve monitoring: page when pool usage is over 80% for 5 minutes")
    passes. An intention is PM204's, never both. The lists are data
    (``wordlists.VAGUE_ACTIONS``) and grow with configuration ``extra_vague_words``.

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
    """Finds open action items nobody could check off: an intention ("consider", "discuss",
    "agree on", "look into <a topic>", "investigate options", "if possible", "continue to"),
    a hope ("we are hoping to"), a behaviour asked of people ("be more careful", "Dave to
    double-check", "make sure on-call reads the runbook") or an obligation with no end
    ("ensure invoices are correct", "should always"). A spike with a factual question
    ("Investigate if we can set memory limits", "Check why the alert did not fire") is done
    when the question is answered and passes, and so does any item with an explicit
    done-condition ("done when: ..."), or a commitment followed by options in an aside ("Add
    alerting on failed uploads - consider tracking the rate per region"). Configuration
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
            _, phrase = vagueness(item, config)
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
