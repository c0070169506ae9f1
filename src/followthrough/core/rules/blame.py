"""PM1xx: blame. Seed, "The Postmortem Meeting / Rules": "We do not ask 'who screwed up?'
We ask 'what in our system allowed this to happen?'"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import Finding, Rule, Severity, section_kind, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_ANY_VERBS = W.Phrases(W.HUMAN_FAILURE_VERBS + W.FAILURE_VERBS)
# both start with a literal, so the regex engine jumps between occurrences of it
_POSSESSIVE = re.compile(
    r"'s\s+(?:(?:big|simple|honest|careless|own)\s+)?(?:mistake|error|fault|blunder|oversight|"
    r"negligence|carelessness|screw-?up|fat[- ]finger)\b"
)
_POSSESSOR = re.compile(r"(?<![\w@-])(?P<agent>@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+)$")
_CAUSED_BY = re.compile(
    r"by\s+(?P<agent>@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)(?![\w-])"
)
_CAUSING_VERB = re.compile(r"(?:caused|broken|triggered|introduced|started)\s+$")
_HANDLE = re.compile(r"@([A-Za-z0-9_][\w.-]*)")
_CAPWORD = re.compile(r"\b[A-Z][a-z]+\b")
_SYSTEM_TAIL = re.compile(
    r"(?<![\w-])(?:" + W.compile_phrases(W.SYSTEM_SUBJECTS, word_bounded=False).pattern + r")"
    r"\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_WITHOUT = W.Phrases(W.WITHOUT_PHRASES)
_PERSON_ANYWHERE = re.compile(
    r"(?<![\w-])(?:"
    + W.compile_phrases(W.PERSON_ROLES, word_bounded=False).pattern
    + r")(?![\w-])",
    re.IGNORECASE,
)
_AGENT_ANYWHERE = re.compile(r"(?<![\w@-])(?:@[A-Za-z0-9_][\w.-]*|[A-Z][a-z]+)")
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


_PEOPLE_LINE = re.compile(
    r"^[\s*_>|-]*(?:authors?|owners?|incident commanders?|ic|facilitators?|scribes?|on-?call|"
    r"responders?|participants?|attendees|people|reviewers?|written by)\b[*_\s]*[:=|-][^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_LABELLED_PERSON = re.compile(
    r"\b(?:IC|on-?call|scribe|author|facilitator|owner|commander)\s*[:=]?\s*([A-Z][a-z]+)"
)
_ITEM_OWNER_PREFIX = re.compile(r"^\W*([A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?\s+to\s")


def known_names(doc: Document) -> frozenset[str]:
    """Given names this document uses for people (owners, handles, authors, attendees,
    "IC: Laila", "Dave to ..."), plus the common given names of ``wordlists.FIRST_NAMES``."""
    names = set(_FIRST_NAMES)
    for item in doc.action_items:
        if item.owner:
            names.update(_HANDLE.findall(item.owner))
            names.update(_CAPWORD.findall(item.owner))
        prefix = _ITEM_OWNER_PREFIX.match(item.text)
        if prefix is not None:
            names.add(prefix.group(1))
    for match in _PEOPLE_LINE.finditer(doc.text):
        names.update(_CAPWORD.findall(match.group()))
    names.update(_LABELLED_PERSON.findall(doc.text))
    for section in doc.sections:
        if section.kind == SectionKind.PEOPLE:
            names.update(_CAPWORD.findall(section.body))
    names -= _NOT_NAMES
    return frozenset(names)


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


_LAST_BREAK = re.compile(r".*(?:[.;:!?()\[\]|\n]|\s[-\u2013\u2014]\s)", re.DOTALL)
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


def agent_before(prefix: str, names: frozenset[str]) -> str | None:
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


class PersonAsAgent(Rule):
    """Finds a person made the agent of the failure: a name, an @handle or a role
    ("the on-call engineer", "the intern", "ops guy") as the subject of "broke", "forgot to",
    "failed to", "missed", or "Bob's mistake", "caused by @alice".

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
        names: frozenset[str] | None = None
        seen: set[int] = set()

        def names_() -> frozenset[str]:
            nonlocal names
            if names is None:
                names = known_names(doc)
            return names

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
        for match in _ANY_VERBS.finditer(low):
            line = view.line_of(match.start())
            if line in seen:
                continue
            prefix = _clause_prefix(masked, match.start())
            verb = masked[match.start() : match.end()]
            agent = agent_before(prefix, names_())
            if agent is not None:
                yield report(line, agent, verb, match.start())
        for match in _WITHOUT.finditer(low):
            line = view.line_of(match.start())
            if line in seen:
                continue
            prefix = _clause_prefix(masked, match.start(), _LONG_WINDOW)
            role = _PERSON_ANYWHERE.search(prefix)
            found: str | None = role.group() if role is not None else None
            if found is None:
                for candidate in _AGENT_ANYWHERE.findall(prefix):
                    if candidate.startswith("@") or candidate in names_():
                        found = candidate
                        break
            if found is not None:
                yield report(line, found, match.group(), match.start())
        for match in _POSSESSIVE.finditer(masked):
            owner = _POSSESSOR.search(masked, max(0, match.start() - 40), match.start())
            line = view.line_of(match.start())
            if owner is None or line in seen:
                continue
            agent = owner.group("agent")
            if agent.startswith("@") or agent in names_():
                yield report(line, agent, agent + match.group(), match.start())
        for match in _CAUSED_BY.finditer(masked):
            i = match.start()
            if i and (masked[i - 1].isalnum() or masked[i - 1] in "_@-"):
                continue
            if _CAUSING_VERB.search(masked, max(0, i - 20), i) is None:
                continue
            line = view.line_of(i)
            agent = match.group("agent")
            if line in seen:
                continue
            if agent.startswith("@") or any(w in names_() for w in agent.split()):
                yield report(line, agent, match.group().strip(), i)


class HindsightLanguage(Rule):
    """Finds blame and hindsight phrasing anywhere in the document: "human error",
    "careless", "negligent", "should have known", "should have caught", "obviously",
    "failed to notice", "didn't bother", "lack of attention", "incompetent", "sloppy".

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
        for match in config.blame_phrases().finditer(view.low):
            phrase = masked[match.start() : match.end()]
            if phrase.lower().startswith(_SYSTEM_EXEMPT) and _SYSTEM_TAIL.search(
                _clause_prefix(masked, match.start())
            ):
                continue
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
