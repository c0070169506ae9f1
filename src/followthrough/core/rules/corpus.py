"""PM6xx: folder-level rules. They see every postmortem at once (seed, "Anti-Patterns: The
copy-paste postmortem" and "Measuring Effectiveness: Track repeat incidents")."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.rules.analysis import root_cause_statements
from followthrough.core.rules.base import CorpusRule, Finding, Related, Severity
from followthrough.core.similarity import (
    STOPWORDS,
    NearDuplicateIndex,
    content_tokens,
    paused_gc,
    word_set,
)

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

#: sections whose prose is compared between postmortems
_PROSE = frozenset(
    {
        SectionKind.SUMMARY,
        SectionKind.IMPACT,
        SectionKind.ROOT_CAUSE,
        SectionKind.TRIGGER,
        SectionKind.WHYS,
        SectionKind.CONTRIBUTING_FACTORS,
        SectionKind.DETECTION,
        SectionKind.RESOLUTION,
        SectionKind.LESSONS,
        SectionKind.OTHER,
    }
)
#: the analysis and the commitments: a passage here is copy-paste however short (a cause or
#: an action item carried over says the earlier postmortem did not work) and however many
#: postmortems carry it ("'Improve monitoring' appears in every postmortem", seed)
_ANALYSIS = frozenset(
    {
        SectionKind.ACTION_ITEMS,
        SectionKind.ROOT_CAUSE,
        SectionKind.TRIGGER,
        SectionKind.WHYS,
        SectionKind.CONTRIBUTING_FACTORS,
        SectionKind.LESSONS,
    }
)
#: elsewhere (summary, impact, detection, ...) a passage in this many postmortems is the
#: team's template or boilerplate, not copying
BOILERPLATE_DOCS = 4
#: and a passage there matters from this many words, or from two sentences on: a copied
#: one-sentence disclaimer does not
NARRATIVE_WORDS = 25
#: sections that are not about the incident: thanks, credits, about the author, references
_ASIDE_HEADING = re.compile(
    r"\b(?:thanks?|thank you|acknowledge?ments?|credits?|about the authors?|authors?|"
    r"references?|further reading|footnotes?|glossary|see also|links)\b",
    re.IGNORECASE,
)
_THEMATIC_BREAK = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*|\|)")
#: the characters a stripped line with markup can start with
_MARKUP_START = frozenset("-*+>|0123456789")
_RELATED_SHOWN = 5


@dataclass(frozen=True)
class Passage:
    doc: int
    line: int
    kind: SectionKind


#: a passage with near-copies: the passage, up to five similar ones with their scores, how
#: many there are in all, and the documents of the ones shown
_Found = tuple[Passage, list[tuple[Passage, float]], int, frozenset[int]]


def passages(doc: Document, min_words: int) -> Iterator[tuple[int, SectionKind, str]]:
    """(line, section kind, text) of the comparable passages of ``doc``: prose lines, list
    items and table rows of the analysis sections, and action items; not headings, table
    rules, comments, fenced code or lines shorter than ``min_words`` words.

    Not compared either: sections that are not about the incident (thanks, credits, about
    the author, references), footnote definitions, and a sign-off after a document's last
    thematic break (``---``) with no heading after it.

    Works on the raw lines (no prepared view): it runs over every document of a folder."""
    lines = doc.text.split("\n")
    count = _before_footer(lines)
    for section in doc.sections:
        if section.kind not in _PROSE or section.body_line > count:
            continue
        if section.kind is SectionKind.OTHER and _ASIDE_HEADING.search(section.heading):
            continue
        in_comment = in_fence = False
        last = min(section.end_line, count)
        for number in range(max(section.body_line, 1), last + 1):
            stripped = lines[number - 1].strip()
            if not stripped:
                continue  # a blank line changes no fence or comment state
            if stripped.startswith(("```", "~~~")):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            if in_comment or "<!--" in stripped:
                in_comment = "-->" not in stripped if "<!--" in stripped or in_comment else False
                continue
            if stripped[0] == "#" or _TABLE_RULE.match(stripped) or stripped.startswith("[^"):
                continue
            if number < count and _TABLE_RULE.match(lines[number]):
                continue  # a table's header row
            text = _MARKUP.sub("", stripped) if stripped[0] in _MARKUP_START else stripped
            if len(text.split()) < min_words:
                continue
            yield number, section.kind, text
    item_words = max(3, min_words - 2)
    for item in doc.action_items:
        if len(item.text.split()) >= item_words:
            yield item.line, SectionKind.ACTION_ITEMS, item.text


def _copy_reason(score: float) -> str:
    return "the same text" if score >= 1.0 else f"nearly the same text ({score:.0%} alike)"


def _before_footer(lines: Sequence[str]) -> int:
    """How many lines come before the footer: the lines after the last thematic break in
    the second half of the document, when no heading follows it (a sign-off, an author's
    note); all of them when there is none."""
    count = len(lines)
    for number in range(count, count // 2, -1):
        stripped = lines[number - 1].strip()
        if stripped.startswith("#"):
            return count
        if _THEMATIC_BREAK.match(stripped):
            if number > 1 and lines[number - 2].strip():
                return count  # "Heading\n---" underlines a heading
            return number - 1
    return count


def _excerpt(doc: Document, line: int) -> str:
    return _line_excerpt(doc.text.split("\n", line), line)


def _line_excerpt(lines: Sequence[str], line: int) -> str:
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= 160 else text[:160] + "\u2026"


class CopyPaste(CorpusRule):
    """Finds passages (a paragraph, a list item, an action item) of a postmortem that are the
    same or nearly the same as in an earlier postmortem of the folder, and names the earlier
    ones with a similarity score. Only the later document is reported (earlier by the
    incident date it gives, else by its file name in natural order); the earliest is the
    original. A cause, a lesson or an action item counts however short; elsewhere a passage
    must be long enough to matter (two sentences or 25 words: not a one-sentence
    disclaimer) and is taken for the team's template or boilerplate when four or more
    postmortems carry it. Headings, table headers, very short lines, footnotes, thanks and
    credits and a sign-off after the last ``---`` are not compared. Configuration
    ``copy_paste_threshold`` (0-1) and ``copy_paste_min_words`` tune it.

    Why: the seed's "The copy-paste postmortem" anti-pattern: "Using the same template
    language without thinking. 'Improve monitoring' appears in every postmortem, but
    nothing changes." A root cause or action item pasted from an earlier postmortem means
    the earlier one did not prevent this one.

    Bad:
        2026-01-12-checkout.md:  - Add more dashboards and review alert thresholds for the API
        2026-02-03-search.md:    - Add more dashboards and review alert thresholds for the API

    Good:
        2026-02-03-search.md:    - Alert when search p99 latency is over 800 ms for 10 minutes
    """

    code = "PM601"
    name = "corpus.copy-paste"
    category = "copy_paste"
    severity = Severity.WARNING
    summary = "A passage is copied (or nearly) from another postmortem in the folder."

    def check_corpus(
        self, docs: Sequence[Document], config: LintConfig
    ) -> Iterator[tuple[str, Finding]]:
        if len(docs) < 2:
            return
        with paused_gc():
            # passages are numbered in document order (earliest postmortem first); their
            # document, line and section sit in flat lists, and only those with near-copies
            # become Passage objects
            index: NearDuplicateIndex[int] = NearDuplicateIndex(
                k=3, threshold=config.copy_paste_threshold
            )
            at_doc: list[int] = []
            at_line: list[int] = []
            at_kind: list[SectionKind] = []
            min_words = config.copy_paste_min_words
            for d, doc in sorted(enumerate(docs), key=_order_key):
                found_here = list(passages(doc, min_words))
                if not found_here:
                    continue
                first = len(at_doc)
                at_doc.extend([d] * len(found_here))
                at_line.extend([line for line, _, _ in found_here])
                at_kind.extend([kind for _, kind, _ in found_here])
                index.add_many(
                    range(first, len(at_doc)), [text for _, _, text in found_here], group=d
                )

            def passage(p: int) -> Passage:
                return Passage(at_doc[p], at_line[p], at_kind[p])

            by_doc: dict[int, list[_Found]] = {}
            # only a copy in a later postmortem is reported, naming the earlier ones
            for p, similar_at, total, everywhere in index.earlier_neighbours(limit=_RELATED_SHOWN):
                if everywhere + 1 >= BOILERPLATE_DOCS and at_kind[p] not in _ANALYSIS:
                    continue
                others = frozenset([at_doc[q] for q, _ in similar_at])
                similar = [(passage(q), score) for q, score in similar_at]
                found = by_doc.get(at_doc[p])
                if found is None:
                    by_doc[at_doc[p]] = found = []
                found.append((passage(p), similar, max(total, len(others)), others))
        for d, found in sorted(by_doc.items()):
            found.sort(key=lambda f: f[0].line)
            yield from self._merged(docs, d, found, config)

    def _merged(
        self,
        docs: Sequence[Document],
        d: int,
        found: list[_Found],
        config: LintConfig,
    ) -> Iterator[tuple[str, Finding]]:
        """Consecutive copied lines from the same documents become one finding; outside the
        analysis and the action items, only a passage long enough to matter is reported."""
        doc = docs[d]
        lines = doc.text.split("\n", found[-1][0].line)
        run: list[_Found] = []

        def flush() -> Iterator[tuple[str, Finding]]:
            first, last = run[0][0], run[-1][0]
            if first.kind not in _ANALYSIS:
                text = " ".join(lines[first.line - 1 : last.line])
                if len(text.split()) < NARRATIVE_WORDS and len(_SENTENCE_END.findall(text)) < 2:
                    return
            best: dict[int, tuple[float, int]] = {}
            total = 0
            for _, similar, count, _others in run:
                total = max(total, count)
                for other, score in similar:
                    held = best.get(other.doc)
                    if held is None or score > held[0]:
                        best[other.doc] = (score, other.line)
            ranked = sorted([(-score, o, line) for o, (score, line) in best.items()])
            related = tuple(
                [
                    Related(docs[o].path, line, -negative, _copy_reason(-negative))
                    for negative, o, line in ranked[:_RELATED_SHOWN]
                ]
            )
            names = ", ".join(f"{r.path}:{r.line}" for r in related)
            more = f" and {total - len(related)} more" if total > len(related) else ""
            what = "Passage" if first.line == last.line else f"{last.line - first.line + 1} lines"
            plural = "s" if len(related) > 1 or more else ""
            yield (
                doc.path,
                self.finding(
                    config,
                    first.line,
                    f"{what} copied from an earlier postmortem{plural}: {names}{more}",
                    _line_excerpt(lines, first.line),
                    end_line=last.line,
                    fix="Write what is true of this incident; if the same action item keeps coming back, the earlier one did not work: say so.",
                    section=first.kind,
                    related=related,
                ),
            )

        for entry in found:
            if run:
                prev = run[-1]
                if not (
                    prev[3] == entry[3]
                    and entry[0].line <= prev[0].line + 2
                    and entry[0].kind == prev[0].kind
                ):
                    yield from flush()
                    run = []
            run.append(entry)
        if run:
            yield from flush()


_PATH_DATE = re.compile(r"(?:^|[/\\])(\d{4})-(\d{2})-(\d{2})[^/\\]*$")


def _incident_date(doc: Document) -> date | None:
    """The incident date, else the date a file name starts with ("2025-04-02-api.md")."""
    if doc.incident_date is not None:
        return doc.incident_date
    match = _PATH_DATE.search(doc.path)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


_DIGITS = re.compile(r"(\d+)")


def _natural(path: str) -> tuple[tuple[int, int | str], ...]:
    """A path as people order names: numbers by value ("INC-9" before "INC-12")."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _DIGITS.split(path)
        if part
    )


def _order_key(
    pair: tuple[int, Document],
) -> tuple[bool, date, tuple[tuple[int, int | str], ...], str]:
    """Which postmortem is the earlier: the incident date it gives (its date line, else a
    date its file name starts with); without one, after every dated one; then its path in
    natural order."""
    doc = pair[1]
    when = _incident_date(doc)
    return (when is None, when or date.min, _natural(doc.path), doc.path)


#: content-word overlap for a repeat found without two failure modes to compare: share of
#: the smaller word set, and shared words at least
_WORDS_SHARE = 0.4
_WORDS_SHARED = 6


def _common_cap(docs: int) -> int:
    """Words in more documents than this (a fifth of the folder, at least 5 and at most
    100) say nothing about a failure mode."""
    return max(5, min(docs // 5, 100))


def _by_words(
    docs: Sequence[Document],
    ordered: Sequence[tuple[int, Document]],
    earlier_words: dict[int, set[str]],
    later_words: dict[int, set[str]],
    common: set[str],
    skip: set[int],
) -> dict[int, list[tuple[int, float]]]:
    """Repeats found by content words: the earlier document's failure mode and root cause
    (``earlier_words``) against the later one's title, summary and root cause
    (``later_words``). ``common`` words are skipped; documents in ``skip`` are not reported
    again."""
    postings: dict[str, list[int]] = {}
    found: dict[int, list[tuple[int, float]]] = {}
    for d, doc in ordered:
        later = later_words[d] - common
        if d not in skip and len(later) >= _WORDS_SHARED:
            shared: Counter[int] = Counter()
            for w in later:
                shared.update(postings.get(w, ()))
            hits = []
            for e, n in shared.items():
                if n < _WORDS_SHARED or (doc.failure_mode and docs[e].failure_mode):
                    continue
                smaller = min(len(earlier_words[e] - common), len(later))
                if n >= _WORDS_SHARE * smaller:
                    hits.append((round(n / smaller, 3), e))
            if hits:
                hits.sort(key=lambda h: (-h[0], h[1]))
                found[d] = [(e, score) for score, e in hits[:3]]
        for w in earlier_words[d] - common:
            postings.setdefault(w, []).append(d)
    return found


@dataclass(frozen=True)
class FailureKind:
    """A kind of failure, named by a clause that has one of its ``subjects`` and one of its
    ``conditions`` ("the TLS *certificate* *expired*"), or one of its ``names`` alone
    ("*OOMKilled*")."""

    name: str
    subjects: tuple[str, ...]
    conditions: tuple[str, ...]
    names: tuple[str, ...] = ()


def _phrases(text: str) -> tuple[str, ...]:
    """A comma-separated word list as a tuple (tables below stay one line per role)."""
    return tuple(phrase.strip() for phrase in text.split(",") if phrase.strip())


_EXPIRED = "expired, expires, expire, expiry, expiring, expiration, lapsed"
#: Failure kinds a repeat is recognised by (with the service or component, below): the
#: mechanism, not the symptom; timeouts, errors and slowness are what many kinds look like.
FAILURE_KINDS: tuple[FailureKind, ...] = (
    FailureKind(
        "certificate expiry",
        _phrases("certificate, certificates, cert, certs, tls, ssl, https"),
        _phrases(_EXPIRED),
    ),
    FailureKind(
        "credential expiry",
        _phrases("token, tokens, password, passwords, secret, secrets, credential, credentials"),
        _phrases(_EXPIRED),
    ),
    FailureKind(
        "pool exhaustion",
        _phrases("pool, pools, connection pool, connections"),
        _phrases(
            "exhausted, exhaustion, full, fills, filled, fill up, saturated, saturation, "
            "maxed out, ran out, too small, starved, starvation"
        ),
    ),
    FailureKind(
        "disk full",
        _phrases("disk, disks, volume, volumes, filesystem, partition, inodes"),
        _phrases("full, fills, filled, ran out, out of, no space, exhausted"),
        _phrases("no space left on device, enospc"),
    ),
    FailureKind(
        "memory exhaustion",
        _phrases("memory, heap"),
        _phrases("exhausted, exhaustion, ran out, out of, leak, leaked, leaking"),
        _phrases("oom, oomkilled, oom killer, oom-killed, out-of-memory"),
    ),
    FailureKind(
        "replication lag",
        _phrases("replica, replicas, replication, follower, followers, standby"),
        _phrases("lag, lagged, lagging, fell behind, out of sync"),
    ),
    FailureKind(
        "lock contention",
        _phrases("lock, locks, locking, mutex"),
        _phrases("contention, held, holding, waited, blocked, exclusive"),
        _phrases("deadlock, deadlocks, deadlocked"),
    ),
    FailureKind(
        "name resolution",
        _phrases("dns, coredns, resolver, resolvers"),
        _phrases("failed, failing, failures, timeouts, timed out, nxdomain, servfail"),
    ),
    FailureKind(
        "queue backlog",
        _phrases("queue, queues, backlog, consumer, consumers"),
        _phrases("backed up, backlog, saturated, saturation, fell behind, stuck, lag"),
    ),
    FailureKind(
        "rate limiting",
        _phrases("rate limit, rate limits, rate limiter, quota, quotas"),
        _phrases("hit, reached, exceeded, exhausted, throttled, throttling"),
    ),
)


#: phrase -> (kind, role) pairs, role 0 subject, 1 condition, 2 a name of the kind
def _kind_phrases() -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for kind, failure in enumerate(FAILURE_KINDS):
        for role, phrases in enumerate((failure.subjects, failure.conditions, failure.names)):
            for phrase in phrases:
                out.setdefault(phrase, []).append((kind, role))
    return out


#: phrase -> [(kind, role)], role 0 a subject, 1 a condition, 2 a name of the kind
_KIND_PHRASES = _kind_phrases()


def _kind_pattern(failure: FailureKind) -> re.Pattern[str]:
    phrases = {*failure.subjects, *failure.conditions, *failure.names}
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _kind_keys(failure: FailureKind) -> tuple[frozenset[bytes], ...]:
    """The longest word of each subject, condition and name: a text without one of them
    cannot name the kind."""

    def longest(phrases: tuple[str, ...]) -> frozenset[bytes]:
        return frozenset(max(re.findall(r"[a-z0-9]+", p), key=len).encode() for p in phrases)

    return longest(failure.subjects), longest(failure.conditions), longest(failure.names)


#: one pattern per kind, run only on texts that have its key words (a pattern of every
#: phrase would be tried at every position of every summary)
_KIND_PATTERNS = [_kind_pattern(failure) for failure in FAILURE_KINDS]
_KIND_KEYS = [_kind_keys(failure) for failure in FAILURE_KINDS]
#: the key words of a kind's subjects and names: a text without one as a substring is not
#: searched for that kind
_KIND_SUBJECTS = [
    tuple(word.decode() for word in subjects | names) for subjects, _, names in _KIND_KEYS
]
_ALNUM_ONLY = bytes.maketrans(
    bytes(range(128)).translate(
        None, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ),
    b" " * (128 - 62),
)


def _possible_kinds(low: str) -> list[int]:
    """The kinds whose key words ``low`` has (all of them for non-ASCII text)."""
    if not low.isascii():
        return list(range(len(FAILURE_KINDS)))
    words = set(low.encode().translate(_ALNUM_ONLY).split())
    return [
        kind
        for kind, (subjects, conditions, names) in enumerate(_KIND_KEYS)
        if not names.isdisjoint(words)
        or not (subjects.isdisjoint(words) or conditions.isdisjoint(words))
    ]


#: where a clause ends: a sentence stop, a dash between words, a line break
_CLAUSE_END = re.compile(r"[.;:!?](?=\s|$)|\s[-\u2013\u2014]+\s|\n")
#: words that tell no service or component apart: the incident itself, its size, people
_GENERIC = frozenset(
    (
        *("outage", "incident", "error", "failure", "failed", "failing", "fail", "issue"),
        *("problem", "user", "customer", "request", "minute", "hour", "day", "second"),
        *("time", "utc", "service", "production", "prod", "system", "writeup", "postmortem"),
        *("post", "mortem", "review", "summary", "again", "started", "start", "returned"),
        *("returning", "served", "serving", "every", "whole", "new", "old", "still"),
        *("during", "per", "one", "two", "three", "several", "many", "few"),
    )
)
#: ways of writing the same component, to one spelling
_COMPONENT_ALIASES = {
    "db": "database",
    "dbs": "database",
    "postgresql": "postgres",
    "pg": "postgres",
    "k8s": "kubernetes",
    "kubernetes": "kubernetes",
    "cert": "certificate",
    "certs": "certificate",
    "conn": "connection",
    "conns": "connection",
    "lb": "balancer",
}
_KIND_VOCABULARY = frozenset(
    word for phrase in _KIND_PHRASES for word in re.findall(r"[a-z0-9]+", phrase)
)
_COMPONENT_TOKEN = re.compile(r"[a-z][a-z0-9]*")
_COMPONENT_WORDS: dict[str, str] = {}


def _component_word(token: str) -> str:
    """A token as a component word ("partners" -> "partner", "db" -> "database"), or ""
    when it tells no component apart."""
    word = _COMPONENT_WORDS.get(token)
    if word is None:
        word = _COMPONENT_ALIASES.get(token, token)
        if word is token and len(word) > 4 and word[-1] == "s" and word[-2] not in "ius":
            word = word[:-1]
        if (
            len(word) < 2
            or word in STOPWORDS
            or word in _GENERIC
            or token in _KIND_VOCABULARY
            or word in _KIND_VOCABULARY
        ):
            word = ""
        _COMPONENT_WORDS[token] = word
    return word


def _components(text: str) -> set[str]:
    return {w for w in map(_component_word, _COMPONENT_TOKEN.findall(text)) if w}


@dataclass
class Signature:
    """What a postmortem says failed: the failure kinds its headline names and the words
    that say where (service and component names). ``declared`` are the kinds its failure
    mode line names, if it has one."""

    kinds: set[int] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    declared: set[int] | None = None


#: how far apart (characters between them) a subject and a condition may be and still be
#: one statement: "the TLS cert on the partner API gateway expired" is; "covers DNS changes
#: but not the case where the API answers slowly rather than failing" is not
_KIND_REACH = 40


def _kinds_in(text: str, possible: Sequence[int]) -> Iterator[tuple[set[int], str]]:
    """(kinds, clause) of each clause of lower-case ``text`` that names one of the
    ``possible`` failure kinds."""
    hits = [
        (m.start(), m.end(), kind, role)
        for kind in possible
        if any(map(text.__contains__, _KIND_SUBJECTS[kind]))
        for m in _KIND_PATTERNS[kind].finditer(text)
        for other, role in _KIND_PHRASES[m[0]]
        if other == kind
    ]
    if not hits:
        return
    # clause n runs from the end of separator n-1 to the start of separator n
    seps = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)]
    starts = [0, *[end for _, end in seps]]
    stops = [*[start for start, _ in seps], len(text)]
    by_clause: dict[int, list[tuple[int, int, int, int]]] = {}
    for hit in hits:
        by_clause.setdefault(bisect_right(stops, hit[0]), []).append(hit)
    for n, found in by_clause.items():
        kinds: set[int] = set()
        subjects: list[tuple[int, int, int]] = []  # (kind, start, end)
        conditions: list[tuple[int, int, int]] = []
        for start, end, kind, role in found:
            if role == 2:
                kinds.add(kind)
            else:
                (subjects if role == 0 else conditions).append((kind, start, end))
        for kind, start, end in subjects:
            for other, c_start, c_end in conditions:
                if other == kind and max(c_start - end, start - c_end) <= _KIND_REACH:
                    kinds.add(kind)
        if kinds:
            yield kinds, text[starts[n] : stops[n]]


def _signature(doc: Document, cause: str) -> Signature:
    """The failure kinds named in the failure mode line, title, summary and root cause;
    the component words of the failure mode line and title, and of the clauses that name
    a kind. Empty when none of those texts has a kind's key words."""
    sig = Signature()
    summary = doc.section(SectionKind.SUMMARY)
    mode = doc.failure_mode.lower() if doc.failure_mode else ""
    title = doc.title.lower() if doc.title else ""
    texts = ((summary.body if summary else "").lower(), cause.lower())
    possible = _possible_kinds(" ".join((mode, title, *texts)))
    if not possible:
        return sig  # a document that names no failure kind takes no part
    if mode:
        sig.declared = set()
        for kinds, _ in _kinds_in(mode, possible):
            sig.declared |= kinds
        sig.kinds |= sig.declared
    if title:
        for kinds, _ in _kinds_in(title, possible):
            sig.kinds |= kinds
    for text in texts:
        for kinds, clause in _kinds_in(text, possible):
            sig.kinds |= kinds
            sig.components |= _components(clause)
    if sig.kinds:  # the failure mode line and title say where, whatever their clauses
        sig.components |= _components(mode) | _components(title)
    return sig


#: component words a repeat found by failure kind shares with the earlier postmortem
_COMPONENTS_SHARED = 2


def _by_kind(
    ordered: Sequence[tuple[int, Document]],
    signatures: dict[int, Signature],
    common: set[str],
    skip: set[int],
) -> dict[int, list[tuple[int, float]]]:
    """Repeats found by failure signature: an earlier postmortem names the same failure kind
    and at least two of the same component words (words in many documents skipped). When
    both have a failure mode line, the kind must be one both lines name. Documents in
    ``skip`` are not reported again."""
    postings: dict[tuple[int, str], list[int]] = {}
    kept: dict[int, int] = {}  # how many telling component words each document has
    found: dict[int, list[tuple[int, float]]] = {}
    for d, _ in ordered:
        sig = signatures[d]
        if not sig.kinds:
            continue
        words = sig.components - common
        kept[d] = len(words)
        if d not in skip and len(words) >= _COMPONENTS_SHARED:
            best: dict[int, int] = {}
            for kind in sig.kinds:
                shared: Counter[int] = Counter()
                for w in words:
                    shared.update(postings.get((kind, w), ()))
                for e, n in shared.items():
                    if n < _COMPONENTS_SHARED or n <= best.get(e, 0):
                        continue
                    declared = signatures[e].declared
                    if sig.declared is None or declared is None or kind in sig.declared & declared:
                        best[e] = n
            if best:
                hits = sorted((-n / min(len(words), kept[e]), e) for e, n in best.items())
                found[d] = [(e, round(-score, 3)) for score, e in hits[:3]]
        for kind in sig.kinds:
            for w in words:
                postings.setdefault((kind, w), []).append(d)
    return found


def _cause_text(doc: Document) -> tuple[str, int | None]:
    statements = root_cause_statements(doc)
    parts = [s.text for s in statements]
    if doc.whys:
        parts.append(doc.whys[-1].answer)
    line = statements[0].line if statements else (doc.whys[-1].line if doc.whys else None)
    return " ".join(parts), line


def _failure_mode_line(doc: Document) -> int | None:
    if not doc.failure_mode:
        return None
    at = doc.text.find(doc.failure_mode)
    return doc.text.count("\n", 0, at) + 1 if at >= 0 else None


class RepeatIncident(CorpusRule):
    """Finds a postmortem whose failure mode was already the subject of an earlier one in
    the folder (earlier by incident date, else by path): similar ``failure mode`` metadata
    when both have it, else similar root cause text, else the same failure signature: one
    of the failure kinds in ``FAILURE_KINDS`` (certificate expiry, pool exhaustion, disk
    full, ...) named in a clause of the failure mode, title, summary or root cause
    ("TLS cert on the partner gateway expired"), on the same service or component (two
    shared words, such as "partner" and "gateway"; abbreviations such as "db" and "cert"
    count as their long form). ``related`` names the earlier postmortem(s). Configuration
    ``repeat_incident_threshold`` (0-1) tunes the text similarity.

    Why: the seed's "Measuring Effectiveness": "Track repeat incidents. If the same failure
    mode recurs, the postmortem failed." and "When to Run a Postmortem: Always ... Repeat
    incidents". The later postmortem should say why the earlier action items did not hold.

    Bad:
        2026-01-12.md  Failure mode: connection pool exhaustion on orders-db
        2026-03-02.md  Failure mode: orders-db connection pool exhaustion   (nothing about January)

    Good:
        2026-03-02.md  Failure mode: orders-db connection pool exhaustion
                       "Repeat of 2026-01-12: the pool alert from that postmortem was never
                       shipped; this time the action item has an owner and a date."
        (and the finding is acknowledged with <!-- followthrough: disable=PM602 -->)
    """

    code = "PM602"
    name = "corpus.repeat-incident"
    category = "repeat_incident"
    severity = Severity.WARNING
    summary = "The same failure mode as an earlier postmortem: the earlier one did not prevent it."

    def check_corpus(
        self, docs: Sequence[Document], config: LintConfig
    ) -> Iterator[tuple[str, Finding]]:
        if len(docs) < 2:
            return
        with paused_gc():
            ordered = sorted(enumerate(docs), key=_order_key)
            modes: NearDuplicateIndex[int] = NearDuplicateIndex(
                k=1, threshold=config.repeat_incident_threshold
            )
            causes: NearDuplicateIndex[int] = NearDuplicateIndex(
                k=1, threshold=max(config.repeat_incident_threshold, 0.5)
            )
            cause_lines: dict[int, int | None] = {}
            earlier_words: dict[int, set[str]] = {}
            later_words: dict[int, set[str]] = {}
            signatures: dict[int, Signature] = {}
            for d, doc in ordered:
                # each text is tokenised once; the three ways of finding a repeat share it
                mode_words = content_tokens(doc.failure_mode) if doc.failure_mode else []
                if mode_words:
                    modes.add_set(d, word_set(mode_words), group=d)
                text, line = _cause_text(doc)
                cause_lines[d] = line
                cause_words = content_tokens(text) if text else []
                if cause_words:
                    causes.add_set(d, word_set(cause_words), group=d)
                summary = doc.section(SectionKind.SUMMARY)
                head = f"{doc.title or ''} {summary.body if summary else ''}"
                cause_set = set(cause_words)
                earlier_words[d] = cause_set.union(mode_words)
                later_words[d] = cause_set.union(content_tokens(head))
                signatures[d] = _signature(doc, text)
            reported: dict[int, list[tuple[int, float]]] = {}
            for d, earlier, _ in modes.neighbours(limit=3, earlier_only=True):
                reported[d] = earlier
            for d, earlier, _ in causes.neighbours(limit=3, earlier_only=True):
                if d in reported:
                    continue
                kept = [
                    (e, s)
                    for e, s in earlier
                    if not (docs[d].failure_mode and docs[e].failure_mode)
                ]
                if kept:
                    reported[d] = kept
            # words in many documents (the folder's own boilerplate) tell no failure apart
            df: Counter[str] = Counter()
            for d, _ in ordered:
                df.update(earlier_words[d] | later_words[d])
            cap = _common_cap(len(ordered))
            common = {w for w, n in df.items() if n > cap}
            reported.update(
                _by_words(docs, ordered, earlier_words, later_words, common, set(reported))
            )
            reported.update(_by_kind(ordered, signatures, common, set(reported)))
        for d in sorted(reported):
            doc = docs[d]
            line = _failure_mode_line(doc) or cause_lines.get(d) or doc.title_line or 1
            related = tuple(
                Related(docs[e].path, _failure_mode_line(docs[e]) or cause_lines.get(e), score)
                for e, score in reported[d]
            )
            names = ", ".join(r.path for r in related)
            yield (
                doc.path,
                self.finding(
                    config,
                    line,
                    f"Same failure mode as an earlier postmortem ({names}): its action items did not prevent this one",
                    _excerpt(doc, line),
                    fix="Say why the earlier postmortem's action items did not hold, and make this one's address that.",
                    section=SectionKind.ROOT_CAUSE,
                    related=related,
                ),
            )
