"""PM1xx: blame. Seed, "The Postmortem Meeting / Rules": "We do not ask 'who screwed up?'
We ask 'what in our system allowed this to happen?'"."""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.regex import lazy, literal_matches
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import (
    Finding,
    Rule,
    Severity,
    section_kind,
    view_of,
)

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_ANY_VERBS = W.Phrases(W.HUMAN_FAILURE_VERBS + W.FAILURE_VERBS)
# both start with a literal, so the regex engine jumps between occurrences of it
_POSSESSIVE = lazy(
    r"'s\s+(?:(?:big|simple|honest|careless|own)\s+)?(?:mistake|error|fault|blunder|oversight|"
    r"negligence|carelessness|screw-?up|fat[- ]finger)\b"
)
_POSSESSOR = lazy(r"(?<![\w@-])(?P<agent>@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+)$")
_CAUSED_BY = lazy(r"by\s+(?P<agent>@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)(?![\w-])")
_CAUSING_VERB = lazy(r"(?:caused|broken|triggered|introduced|started)\s+$")
_CAUSING_VERBS = frozenset(["caused", "broken", "triggered", "introduced", "started"])
_POSSESSIVE_NOUNS = frozenset(
    ["mistake", "error", "fault", "blunder", "oversight", "negligence", "carelessness"]
    + ["screw", "screwup", "fat"]
)
_HANDLE = lazy(r"@([A-Za-z0-9_][\w.-]*)")
_CAPWORD = lazy(r"\b[A-Z][a-z]+\b")
_SYSTEM_TAIL = lazy(
    r"(?<![\w-])(?:" + W.compile_phrases(W.SYSTEM_SUBJECTS, word_bounded=False).pattern + r")"
    r"\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_WITHOUT = W.Phrases(W.WITHOUT_PHRASES)
_PERSON_ANYWHERE = lazy(
    r"(?<![\w-])(?:"
    + W.compile_phrases(W.PERSON_ROLES, word_bounded=False).pattern
    + r")(?![\w-])",
    re.IGNORECASE,
)
_AGENT_ANYWHERE = lazy(r"(?<![\w@-])(?:@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+)")
_FIRST_NAMES = frozenset(W.FIRST_NAMES)
_WINDOW = 60
_LONG_WINDOW = 140
_SYSTEM_EXEMPT = (
    "should have caught",
    "should've caught",
    "should have noticed",
    "should have been",
    "should have happened",
)


_PEOPLE_LINE = lazy(
    r"[\s*_>|-]*(?:authors?|owners?|incident commanders?|ic|facilitators?|scribes?|on-?call|"
    r"responders?|participants?|attendees|people|reviewers?|written by)\b[*_\s]*[:=|-]",
    re.IGNORECASE,
)
_LABEL_BEFORE = lazy(r"\b(?:IC|on-?call|scribe|author|facilitator|owner|commander)\s*[:=]?\s*$")
_ITEM_OWNER_PREFIX = lazy(r"^\W*([A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?\s+to\s")


class KnownNames:
    """Given names this document uses for people: the common given names of
    ``wordlists.FIRST_NAMES``, action item owners and handles, "Dave to ..." items, names on
    people lines ("Authors: ...", "IC: Laila") and in a people section.

    Answered per candidate, lazily: a rule asks about the few capitalised words it finds
    before a failure verb, so the document is searched for those words only (C-speed
    ``str.find``), never scanned for every name it might hold."""

    def __init__(self, doc: Document) -> None:
        self._doc = doc
        self._memo: dict[str, bool] = {}
        self._owners: set[str] | None = None

    def _owner_names(self) -> set[str]:
        if self._owners is None:
            owners: set[str] = set()
            for item in self._doc.action_items:
                if item.owner:
                    owners.update(_HANDLE.findall(item.owner))
                    owners.update(_CAPWORD.findall(item.owner))
                prefix = _ITEM_OWNER_PREFIX.match(item.text)
                if prefix is not None:
                    owners.add(prefix.group(1))
            self._owners = owners
        return self._owners

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word[:1].isalpha() or word in _NOT_NAMES:
            return False  # a name starts with a letter ("**" also stands on "**Authors:**")
        if word in _FIRST_NAMES:
            return True
        known = self._memo.get(word)
        if known is None:
            known = word in self._owner_names() or self._named_as_person(word)
            self._memo[word] = known
        return known

    def _named_as_person(self, word: str) -> bool:
        doc = self._doc
        text = doc.text
        size = len(word)
        at = text.find(word)
        while at != -1:
            end = at + size
            whole = (at == 0 or not text[at - 1].isalnum()) and (
                end >= len(text) or not text[end].isalnum()
            )
            if whole:
                line_start = text.rfind("\n", 0, at) + 1
                if _PEOPLE_LINE.match(text, line_start) or _LABEL_BEFORE.search(
                    text, max(line_start, at - 30), at
                ):
                    return True
            at = text.find(word, at + 1)
        for section in doc.sections:
            if section.kind == SectionKind.PEOPLE and word in _CAPWORD.findall(section.body):
                return True
        return False


def known_names(doc: Document) -> KnownNames:
    """The names this document uses for people (see :class:`KnownNames`)."""
    return KnownNames(doc)


_NOT_NAMES = frozenset(
    [
        "The",
        "A",
        "An",
        "Our",
        "Their",
        "This",
        "That",
        "We",
        "It",
        "Owner",
        "Owners",
        "Author",
        "Authors",
        "Attendees",
        "People",
        "IC",
        "Incident",
        "Commander",
        "Facilitator",
        "Scribe",
        "Reviewer",
        "Team",
        "On",
        "Call",
        "Oncall",
        "SRE",
        "Engineering",
    ]
)


_LAST_BREAK = lazy(r".*(?:[.;:!?()\[\]|\n]|\s[-\u2013\u2014]\s)", re.DOTALL)
_ADVERBS = frozenset(
    [
        "had",
        "has",
        "have",
        "was",
        "just",
        "then",
        "also",
        "clearly",
        "apparently",
        "simply",
        "again",
        "completely",
        "totally",
        "inadvertently",
        "unknowingly",
        "probably",
        "to",
    ]
)
_ROLES = frozenset(tuple(role.lower().split()) for role in W.PERSON_ROLES)
_ROLE_SIZES = sorted({len(role) for role in _ROLES}, reverse=True)


def _clause_prefix(masked: str, end: int, window: int = _WINDOW) -> str:
    """The text before ``end`` back to the start of its clause (at most ``window`` chars)."""
    prefix = masked[max(0, end - window) : end]
    cut = _LAST_BREAK.match(prefix)
    return prefix[cut.end() :] if cut is not None else prefix


def agent_before(prefix: str, names: Container[str]) -> str | None:
    """The person the clause ``prefix`` ends on, if any: "@alice", "the on-call engineer",
    "Bob", "Alice Smith", skipping up to two adverbs ("Bob then", "Lukas to")."""
    words = prefix.split()[-7:]
    skipped = 0
    while words and skipped < 2 and words[-1].lower() in _ADVERBS:
        words.pop()
        skipped += 1
    if not words:
        return None
    last = words[-1]
    if last.startswith("@") and len(last) > 1:
        return last
    lowered = [w.lower() for w in words]
    for size in _ROLE_SIZES:
        if len(words) >= size and tuple(lowered[-size:]) in _ROLES:
            return " ".join(words[-size:])
    if last in names:
        return last
    if len(words) >= 2 and words[-2] in names and last[:1].isupper() and last[1:].islower():
        return f"{words[-2]} {last}"
    return None


_HUMAN_VERBS = frozenset(v.lower() for v in W.HUMAN_FAILURE_VERBS)
# A named group's conduct made the cause: "Teams still haven't adopted our recommendations",
# "Infrastructure are not prioritising their ADFS implementation". Not the writers' own
# miss ("we failed to verify", "we wrongly assumed"): that is a gap in the analysis.
_GROUP_CONDUCT = lazy(
    r"\s*(?:[-*+]\s+)?(?P<who>[A-Z][\w&/-]*(?:\s+[A-Z][\w&/-]*)?|teams|developers|engineers)"
    r"\s+(?:still\s+|yet\s+)?(?P<did>(?:haven't|have\s+not|hasn't|has\s+not|are\s+not|aren't|is\s+not|"
    r"isn't|didn't|did\s+not|don't|do\s+not)\s+(?:yet\s+)?(?:adopted|followed|prioriti[sz]\w*|"
    r"monitor\w*|maintain\w*|updated|upgraded|patched|responded|reviewed|implemented|applied|"
    r"acted))\b",
    re.MULTILINE,
)
# the conduct itself, found first (it starts with a literal word the engine can skip to)
_CONDUCT = lazy(
    r"(?:haven't|have\s+not|hasn't|has\s+not|are\s+not|aren't|is\s+not|isn't|didn't|did\s+not|"
    r"don't|do\s+not)\s+(?:yet\s+)?(?:adopted|followed|prioriti[sz]\w*|monitor\w*|maintain\w*|"
    r"updated|upgraded|patched|responded|reviewed|implemented|applied|acted)\b"
)


#: the words a contracted negation of ``_CONDUCT`` leaves in a word set ("didn't": "didn", "t")
_CONTRACTED = frozenset(["haven", "hasn", "aren", "isn", "didn", "don"])


def _conducts(low: str, words: frozenset[str]) -> list[re.Match[str]]:
    """``_CONDUCT.finditer(low)``, tried only where a negation is written ("not", "n't"):
    from the start of the word before it ("have not", "haven't"). ``words``: the word set of
    ``low``, which tells whether a contraction is there to look for."""
    found: list[re.Match[str]] = []
    for key in (" not ", "n't ") if not words.isdisjoint(_CONTRACTED) else (" not ",):
        at = low.find(key)
        while at != -1:
            match = _CONDUCT.match(low, low.rfind(" ", 0, at) + 1)
            if match is not None:
                found.append(match)
            at = low.find(key, at + 1)
    return found


_CONDUCT_WORDS = frozenset(
    [
        "adopted",
        "followed",
        "prioritising",
        "prioritizing",
        "prioritised",
        "prioritized",
        "monitoring",
        "monitored",
        "maintaining",
        "maintained",
        "updated",
        "upgraded",
        "patched",
        "responded",
        "reviewed",
        "implemented",
        "applied",
        "acted",
    ]
)
_NOT_GROUPS = frozenset(
    {
        "we",
        "it",
        "this",
        "that",
        "these",
        "those",
        "there",
        "the",
        "a",
        "an",
        "our",
        "they",
        "he",
        "she",
        "i",
        "you",
        "alerts",
        "alerting",
        "monitoring",
        "nodes",
        "pods",
        "tests",
    }
)


class PersonAsAgent(Rule):
    """Finds a person made the agent of the failure: a name, an @handle or a role
    ("the on-call engineer", "the developer creating the pull request") as the subject of
    "broke", "forgot to", "failed to", "misjudged", "missed", "Bob's mistake", "caused by
    @alice", and a named group's conduct made the cause ("Teams still haven't adopted our
    recommendations"). Not blame: a victim of the failure, the writers' own "we failed to
    verify", an attacker, a system as subject ("the deploy failed to roll back").

    Why: the seed's first rule of the meeting is a blameless environment: "We do not ask
    'who screwed up?' We ask 'what in our system allowed this to happen?'". Naming the
    person who failed ends the learning ("The blame session" anti-pattern). Who did what in
    the timeline ("14:05 Alice rolled back the deploy") is a fact and is not flagged, and a
    system can fail without anyone being blamed ("the deploy failed to roll back").

    Bad:
        Bob broke prod by pushing an untested config.
        The on-call engineer failed to escalate.

    Good:
        A config change reached production without a canary stage.
        The escalation policy did not page the secondary after 15 minutes.
    """

    code = "PM101"
    name = "blame.person-as-agent"
    category = "blame"
    severity = Severity.ERROR
    summary = "A person, @handle or role is named as the cause of the failure."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        masked = view.masked
        names = KnownNames(doc)
        seen: set[int] = set()

        def report(line: int, agent: str, verb: str, at: int) -> Finding:
            seen.add(line)
            return self.finding(
                config,
                line,
                f"{agent!s} is made the cause of the failure ({verb!r}); ask what in the system allowed it",
                view.excerpt(line, at),
                fix="Rewrite with the system as the subject: what made the action possible, easy or undetected?",
                section=section_kind(doc, line),
            )

        low = view.low
        words = view.words
        for match in _ANY_VERBS.finditer(low, words=words):
            line = view.line_of(match.start())
            if line in seen:
                continue
            prefix = _clause_prefix(masked, match.start())
            verb = masked[match.start() : match.end()]
            agent = agent_before(prefix, names)
            if agent is None and verb.lower() in _HUMAN_VERBS:
                # "The developer creating the pull request misjudged ...": the subject opens
                # the clause, a few words before a verb only people do
                opening = _PERSON_ANYWHERE.match(prefix.lstrip())
                agent = opening.group() if opening is not None else None
            if agent is not None:
                yield report(line, agent, verb, match.start())
        for conduct in _conducts(low, words) if words & _CONDUCT_WORDS else ():
            # the subject: the words that open the sentence or item, just before it
            start = max(
                masked.rfind("\n", 0, conduct.start()), masked.rfind(". ", 0, conduct.start())
            )
            subject = _GROUP_CONDUCT.match(masked, start + 1, conduct.end())
            if subject is None:
                continue
            line = view.line_of(subject.start("did"))
            group = subject.group("who")
            if line in seen or group.lower() in _NOT_GROUPS:
                continue
            yield report(line, group, subject.group("did").strip(), subject.start("did"))
        for match in _WITHOUT.finditer(low, words=words):
            line = view.line_of(match.start())
            if line in seen:
                continue
            prefix = _clause_prefix(masked, match.start(), _LONG_WINDOW)
            role = _PERSON_ANYWHERE.search(prefix)
            found: str | None = role.group() if role is not None else None
            if found is None:
                for candidate in _AGENT_ANYWHERE.findall(prefix):
                    if candidate.startswith("@") or candidate in names:
                        found = candidate
                        break
            if found is not None:
                yield report(line, found, match.group(), match.start())
        possessive = words & _POSSESSIVE_NOUNS and "s" in words
        for match in literal_matches(_POSSESSIVE, "'s", masked) if possessive else ():
            owner = _POSSESSOR.search(masked, max(0, match.start() - 40), match.start())
            line = view.line_of(match.start())
            if owner is None or line in seen:
                continue
            agent = owner.group("agent")
            if agent.startswith("@") or agent in names:
                yield report(line, agent, agent + match.group(), match.start())
        caused_by = "by" in words and words & _CAUSING_VERBS
        for match in literal_matches(_CAUSED_BY, "by", masked) if caused_by else ():
            i = match.start()
            if i and (masked[i - 1].isalnum() or masked[i - 1] in "_@-"):
                continue
            if _CAUSING_VERB.search(masked, max(0, i - 20), i) is None:
                continue
            line = view.line_of(i)
            agent = match.group("agent")
            if line in seen:
                continue
            if agent.startswith("@") or any(w in names for w in agent.split()):
                yield report(line, agent, match.group().strip(), i)


# "obviously", "clearly": hindsight only beside a counterfactual ("Obviously a reminder would
# have caught it"); alone they assess a fact ("obviously a breaking change")
_ASSESSMENTS = frozenset({"obviously", "clearly"})
_COUNTERFACTUAL = lazy(
    r"\b(?:would|should|could)(?:\s+not|n't)?\s+have\b|\bshould've\b|"
    r"\b(?:was|were)\s+never\s+going\s+to\b|\bwould\s+never\b",
    re.I,
)
_BELIEF = lazy(r"\b(?:assum\w*|suspect\w*|thought|believ\w*|initially|suspicion\s+of)\s+$", re.I)
_SENTENCE_BREAK = lazy(r"[.!?\n]")


def _sentence(masked: str, at: int) -> str:
    """The sentence around offset ``at``."""
    start = max(
        (m.end() for m in _SENTENCE_BREAK.finditer(masked, max(0, at - 300), at)),
        default=max(0, at - 300),
    )
    end = _SENTENCE_BREAK.search(masked, at)
    return masked[start : end.start() if end is not None else len(masked)]


class HindsightLanguage(Rule):
    """Finds blame and hindsight phrasing: "human error", "careless", "negligent", "should
    have known", "should have been obvious", "in an act of laziness", "failed to notice",
    "didn't bother", "incompetent", "sloppy", and "obviously"/"clearly" beside a
    counterfactual ("Obviously a reminder would have caught it"). Not: an assessment of a
    fact ("obviously a breaking change"), a belief at the time ("Assumed user error"), a
    technical word ("lazy loading"), quoted text or code.

    Why: the seed asks us to "assume good intent: everyone involved was trying to do the
    right thing. If someone made a mistake, the question is: why was that mistake easy to
    make?". Hindsight words judge people with knowledge they did not have, and "human
    error" stops the analysis where it should start ("The shallow analysis"). Quoted text
    and code are not checked; "the tests should have caught this" (a system subject) is
    a tooling gap, not blame.

    Bad:
        Root cause: human error. The engineer was careless and should have known better.

    Good:
        Root cause: the runbook step was manual and nothing validated its input.
    """

    code = "PM102"
    name = "blame.hindsight-language"
    category = "blame"
    severity = Severity.WARNING
    summary = "Blame or hindsight phrasing ('human error', 'should have known', 'careless')."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        masked = view.masked
        last = 0
        for match in config.blame_phrases().finditer(view.low, words=view.words):
            phrase = masked[match.start() : match.end()]
            low = phrase.lower()
            prefix = _clause_prefix(masked, match.start())
            if low.startswith(_SYSTEM_EXEMPT) and _SYSTEM_TAIL.search(prefix):
                continue
            if low in _ASSESSMENTS and not _COUNTERFACTUAL.search(_sentence(masked, match.start())):
                continue  # "obviously a breaking change": an assessment, not hindsight
            if low.endswith("error") and _BELIEF.search(prefix):
                continue  # "Assumed user error at the time": what was believed then
            line = view.line_of(match.start())
            if line == last:
                continue  # one finding per line is enough
            last = line
            yield self.finding(
                config,
                line,
                f"Blame or hindsight phrasing: {phrase!r}",
                view.excerpt(line, match.start()),
                fix="Describe what the person knew at the time and what in the system made the action easy to get wrong.",
                section=section_kind(doc, line),
            )
