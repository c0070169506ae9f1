"""PM6xx: folder-level rules. They see every postmortem at once (seed, "Anti-Patterns: The
copy-paste postmortem" and "Measuring Effectiveness: Track repeat incidents")."""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import cache
from itertools import accumulate, chain, repeat
from operator import add
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.regex import lazy
from followthrough.core.rules.analysis import root_cause_statements
from followthrough.core.rules.base import CorpusRule, Finding, Related, Severity
from followthrough.core.rules.mechanism import Mechanism, by_mechanism, mechanism_of
from followthrough.core.rules.recurrence import (
    Names,
    References,
    recurrence_words,
    references,
    said_text,
)
from followthrough.core.similarity import (
    NearDuplicateIndex,
    normal_word,
    normal_words,
    packed_shingles,
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
#: the analysis and the commitments: a passage here is copy-paste however many postmortems
#: carry it (a cause or an action item carried over says the earlier postmortem did not
#: work: "'Improve monitoring' appears in every postmortem", seed)
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
#: a copied passage matters from this many words ("Flux metrics and alerts" re-listed does
#: not; "No version lock on Flux component" with the two factors under it does)
PASSAGE_WORDS = 12
#: and outside the analysis and the action items, from two sentences or this many words on:
#: a copied one-sentence disclaimer does not
NARRATIVE_WORDS = 25


def _long_enough(text: str, kind: SectionKind) -> bool:
    """Does a copied passage of ``kind`` matter? (The seed's copy-paste postmortem is
    template language used without thinking, not a shared short phrase.)"""
    words = len(text.split())
    if words < PASSAGE_WORDS:
        return False
    return kind in _ANALYSIS or words >= NARRATIVE_WORDS or len(_SENTENCE_END.findall(text)) >= 2


#: sections that are not about the incident: thanks, credits, about the author, references
_ASIDE_HEADING = lazy(
    r"\b(?:thanks?|thank you|acknowledge?ments?|credits?|about the authors?|authors?|"
    r"references?|further reading|footnotes?|glossary|see also|links)\b",
    re.IGNORECASE,
)
_THEMATIC_BREAK = lazy(r"^(?:-{3,}|\*{3,}|_{3,})$")
_SENTENCE_END = lazy(r"[.!?](?=\s|$)")
_TABLE_RULE = lazy(r"^\s*\|?\s*:?-{3,}")
_MARKUP = lazy(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*|\|)")
#: the characters a stripped line with markup can start with
_MARKUP_START = frozenset("-*+>|0123456789")
_RELATED_SHOWN = 5


@dataclass(frozen=True)
class Passage:
    doc: int
    line: int
    kind: SectionKind
    #: which of its document's passages it is
    nth: int = 0


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


def _sentence_stops(lines: Iterable[list[str]]) -> list[int]:
    """How many sentence stops (:data:`_SENTENCE_END`: ``.``, ``!`` or ``?`` before
    whitespace or the end) each line has, given split at whitespace: how many of its words
    end with one (the pattern's whitespace is ``str.split``'s), counted in C once the words
    are joined by single spaces."""
    spaced = map(add, map(" ".join, lines), repeat(" "))
    return [line.count(". ") + line.count("! ") + line.count("? ") for line in spaced]


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


#: the most bytes of one passage's excerpt (160 characters, an ellipsis, a newline)
_EXCERPT_BYTES = 161 * 4 + 1


def _line_excerpt(lines: Sequence[str], line: int) -> str:
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= 160 else text[:160] + "\u2026"


class CopyPaste(CorpusRule):
    """Finds passages (a paragraph, a list item, an action item) of a postmortem that are the
    same or nearly the same as in an earlier postmortem of the folder, and names the earlier
    ones with a similarity score. Only the later document is reported (earlier by the
    incident date it gives, else by its file name in natural order); the earliest is the
    original. A copied passage must be long enough to matter: twelve words at least (a
    re-listed "Flux metrics and alerts" is not copying), and outside the causes, lessons
    and action items two sentences or 25 words (not a one-sentence disclaimer); there it is
    taken for the team's template or boilerplate when four or more postmortems carry it. Headings, table headers, very short lines, footnotes, thanks and
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

    def signature(self, doc: Document, config: LintConfig) -> PassageSignature:
        """The document's comparable passages as numbers: their lines and sections, their
        shingle sets packed, the words and sentence stops of their lines (whether a run of
        copied lines is long enough) and the excerpt of each."""
        found = list(passages(doc, config.copy_paste_min_words))
        hashes, ends = packed_shingles([text for _, _, text in found], 3)
        numbers = [number for number, _, _ in found]
        last = max(numbers, default=0)
        lines = doc.text.split("\n", last) if found else []
        counted = _run_lines(numbers)
        texts = [lines[number - 1] for number in counted]
        split = list(map(str.split, texts))
        words = array("I", accumulate(map(len, split), initial=0))
        stops = array("I", accumulate(_sentence_stops(split), initial=0))
        excerpts = "\n".join([_line_excerpt(lines, number) for number in numbers])
        return PassageSignature(
            path=doc.path,
            when=_incident_date(doc),
            lines=array("I", numbers),
            kinds=bytes([_KIND_NUMBER[kind] for _, kind, _ in found]),
            hashes=hashes,
            ends=ends,
            counted=array("I", counted),
            words=words,
            stops=stops,
            # level 1: a third faster than the default, 5% larger (few are ever shown)
            excerpts=zlib.compress(excerpts.encode("utf-8"), 1),
        )

    def compare(
        self, signatures: Sequence[PassageSignature], config: LintConfig
    ) -> Iterator[tuple[int, Finding]]:
        if len(signatures) < 2:
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
            at_nth: list[int] = []
            for d in sorted(range(len(signatures)), key=lambda d: signatures[d].order()):
                sig = signatures[d]
                if not sig.lines:
                    continue
                first = len(at_doc)
                at_doc.extend([d] * len(sig.lines))
                at_line.extend(sig.lines)
                at_kind.extend([_KINDS[k] for k in sig.kinds])
                at_nth.extend(range(len(sig.lines)))
                index.add_packed(range(first, len(at_doc)), sig.hashes, sig.ends, group=d)

            def passage(p: int) -> Passage:
                return Passage(at_doc[p], at_line[p], at_kind[p], at_nth[p])

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
            yield from self._merged(signatures, d, found, config)

    def _merged(
        self,
        signatures: Sequence[PassageSignature],
        d: int,
        found: list[_Found],
        config: LintConfig,
    ) -> Iterator[tuple[int, Finding]]:
        """Consecutive copied lines from the same documents become one finding; outside the
        analysis and the action items, only a passage long enough to matter is reported."""
        sig = signatures[d]
        excerpts: list[str] = []  # read at the first finding: runs too short read none
        run: list[_Found] = []

        def flush() -> Iterator[tuple[int, Finding]]:
            first, last = run[0][0], run[-1][0]
            if not sig.long_enough(first.line, last.line, first.kind):
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
                    Related(signatures[o].path, line, -negative, _copy_reason(-negative))
                    for negative, o, line in ranked[:_RELATED_SHOWN]
                ]
            )
            names = ", ".join(f"{r.path}:{r.line}" for r in related)
            if not excerpts:
                excerpts.extend(sig.excerpt_lines())
            more = f" and {total - len(related)} more" if total > len(related) else ""
            what = "Passage" if first.line == last.line else f"{last.line - first.line + 1} lines"
            plural = "s" if len(related) > 1 or more else ""
            yield (
                d,
                self.finding(
                    config,
                    first.line,
                    f"{what} copied from an earlier postmortem{plural}: {names}{more}",
                    excerpts[first.nth],
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


#: section kinds as one byte each in a signature
_KINDS = tuple(SectionKind)
_KIND_NUMBER = {kind: n for n, kind in enumerate(_KINDS)}


@dataclass(frozen=True)
class PassageSignature:
    """What :class:`CopyPaste` compares of one postmortem, made where it was parsed: its
    comparable passages (:func:`passages`) as their lines, sections (one byte each) and
    shingle sets packed as 64-bit hashes (:func:`followthrough.core.similarity.packed`),
    the running count of words and sentence stops over the lines a copied run can span
    (``words[n]`` for the first ``n`` of ``counted``: is a run of copied lines long enough
    to matter?), each passage's excerpt
    (compressed: few are ever shown) and the incident date that orders it. A few kilobytes
    where the parsed document is tens."""

    path: str
    when: date | None
    lines: array[int]
    kinds: bytes
    hashes: array[int]
    ends: array[int]
    #: the lines a copied run can span (:func:`_run_lines`), and the running counts over them
    counted: array[int]
    words: array[int]
    stops: array[int]
    excerpts: bytes

    def order(self) -> tuple[bool, date, tuple[tuple[int, int | str], ...], str]:
        """Where the postmortem comes in the folder (:func:`_order`)."""
        return _order(self.when, self.path)

    def excerpt_lines(self) -> list[str]:
        """The excerpt of each passage, in the order of ``lines`` (never more than their
        excerpts can hold: a signature read back from the cache folder is data)."""
        bound = max(len(self.lines), 1) * _EXCERPT_BYTES  # (0 would be no bound)
        inflate = zlib.decompressobj()
        text = inflate.decompress(self.excerpts, bound)
        if not inflate.eof or inflate.unconsumed_tail:
            raise ValueError("excerpts longer than their passages' or cut short")
        return text.decode("utf-8").split("\n")

    def sound(self) -> bool:
        """Does it hold what :meth:`CopyPaste.compare` indexes (as :meth:`signature` makes
        it)? Asked of a signature read back from the cache folder; its excerpts are bounded
        where they are read (:meth:`excerpt_lines`: few ever are)."""
        count = len(self.lines)
        if not (len(self.kinds) == len(self.ends) == count):
            return False
        counted = self.counted.tolist()
        if not (len(self.words) == len(self.stops) == len(counted) + 1):
            return False  # a running count for each counted line, after a first 0
        if counted != sorted(set(counted)) or (counted and counted[0] < 1):
            return False
        if count and min(self.lines) < 1:
            return False
        if max(self.kinds, default=0) >= len(_KINDS):
            return False
        ends = self.ends.tolist()
        return (
            ends == sorted(ends)
            and (ends[-1] if count else 0) == len(self.hashes)
            and (not count or ends[0] >= 0)
        )

    def long_enough(self, first: int, last: int, kind: SectionKind) -> bool:
        """Does the copied run of lines ``first`` to ``last`` matter? (:func:`_long_enough`
        of their text, from the running counts: words and stops of lines joined by a space
        are those of each line added up; every line a run spans is counted.)"""
        start = bisect_left(self.counted, first)
        end = bisect_right(self.counted, last)
        words = self.words[end] - self.words[start]
        if words < PASSAGE_WORDS:
            return False
        return (
            kind in _ANALYSIS
            or words >= NARRATIVE_WORDS
            or self.stops[end] - self.stops[start] >= 2
        )


def _run_lines(numbers: Sequence[int]) -> list[int]:
    """The lines a run of copied passages can span (:meth:`CopyPaste._merged` joins passages
    at most two lines apart): the passages' lines, and each line between two passages two
    lines apart. Only these are counted (a document's other lines are never read)."""
    held = set(numbers)
    gaps = [number + 1 for number in held if number + 2 in held and number + 1 not in held]
    return sorted(held.union(gaps))


_PATH_DATE = lazy(r"(?:^|[/\\])(\d{4})-(\d{2})-(\d{2})[^/\\]*$")


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


_DIGITS = lazy(r"(\d+)")


def _natural(path: str) -> tuple[tuple[int, int | str], ...]:
    """A path as people order names: numbers by value ("INC-9" before "INC-12")."""
    return tuple(
        [
            (0, int(part)) if part.isdigit() else (1, part.lower())
            for part in _DIGITS.split(path)
            if part
        ]
    )


def _order(
    when: date | None, path: str
) -> tuple[bool, date, tuple[tuple[int, int | str], ...], str]:
    """Which postmortem is the earlier: the incident date it gives (its date line, else a
    date its file name starts with, :func:`_incident_date`); without one, after every dated
    one; then its path in natural order."""
    return (when is None, when or date.min, _natural(path), path)


#: content-word overlap for a repeat found without two failure modes to compare: share of
#: the smaller word set, and shared words at least
_WORDS_SHARE = 0.4
_WORDS_SHARED = 6


def _common_cap(docs: int) -> int:
    """Words in more documents than this (a fifth of the folder, at least 5 and at most
    100) say nothing about a failure mode."""
    return max(5, min(docs // 5, 100))


#: an earlier postmortem a repeat points at: its number, a score in [0, 1], and the reason
_Hit = tuple[int, float, str]


def _by_words(
    sigs: Sequence[RepeatSignature],
    ordered: Sequence[int],
    earlier_words: dict[int, set[str]],
    later_words: dict[int, set[str]],
    common: set[str],
    skip: set[int],
) -> dict[int, list[_Hit]]:
    """Repeats found by content words: the earlier document's failure mode and root cause
    (``earlier_words``) against the later one's title, summary and root cause
    (``later_words``). ``common`` words are skipped; documents in ``skip`` are not reported
    again."""
    postings: dict[str, list[int]] = {}
    found: dict[int, list[_Hit]] = {}
    for d in ordered:
        later = later_words[d] - common
        if d not in skip and len(later) >= _WORDS_SHARED:
            shared: Counter[int] = Counter()
            for w in later:
                shared.update(postings.get(w, ()))
            hits = []
            for e, n in shared.items():
                if n < _WORDS_SHARED or (sigs[d].has_mode and sigs[e].has_mode):
                    continue
                smaller = min(len(earlier_words[e] - common), len(later))
                if n >= _WORDS_SHARE * smaller:
                    hits.append((round(n / smaller, 3), e))
            if hits:
                hits.sort(key=lambda h: (-h[0], h[1]))
                found[d] = [
                    (e, score, "the earlier root cause told again") for score, e in hits[:3]
                ]
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
        # a load balancer that loses its targets: every service behind it unreachable
        "load balancer targets lost",
        _phrases(
            "target, targets, target group, target groups, backend, backends, "
            "instance, instances, attachment, attachments, upstream, upstreams"
        ),
        _phrases(
            "detached, detaching, detach, deregistered, de-registered, unregistered, "
            "removed, remove, removing, dropped, lost"
        ),
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
    # longest first, then in one order every run (in the set's order, which changes with
    # the process's hash seed, each run would compile another pattern and keep it too)
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=lambda p: (-len(p), p)))
    return lazy(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


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
_ANY_KEY = frozenset().union(*chain.from_iterable(_KIND_KEYS))
#: each kind's phrases that start with none of its other phrases: a match of its pattern
#: starts where one of these does
_KIND_STARTS = [
    tuple(p for p in phrases if not any(p.startswith(q) for q in phrases if q != p))
    for phrases in (sorted({*f.subjects, *f.conditions, *f.names}) for f in FAILURE_KINDS)
]
_ALNUM_ONLY = bytes.maketrans(
    bytes(range(128)).translate(
        None, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ),
    b" " * (128 - 62),
)


def _key_words(low: str) -> frozenset[bytes]:
    """The kinds' key words among the words (letters and digits) of ``low``; a character
    not ASCII is a space there, as a kind's pattern takes none for part of a phrase."""
    return _ANY_KEY.intersection(low.encode("ascii", "replace").translate(_ALNUM_ONLY).split())


def _possible_kinds(words: frozenset[bytes]) -> list[int]:
    """The kinds a text with these :func:`_key_words` may name: it has the key word of one
    of the kind's names, or of one of its subjects and one of its conditions."""
    if not words:
        return []
    return [
        kind
        for kind, (subjects, conditions, names) in enumerate(_KIND_KEYS)
        if not names.isdisjoint(words)
        or not (subjects.isdisjoint(words) or conditions.isdisjoint(words))
    ]


#: where a clause ends: a sentence stop, a dash between words, a line break
_CLAUSE_END = lazy(r"[.;:!?](?=\s|$)|\s[-\u2013\u2014]+\s|\n")
#: words that tell no service or component apart: the incident itself, its size, people
#: words of a date: they say when, not what failed
_DATE_WORDS = (
    *("january", "february", "march", "april", "may", "june", "july", "august"),
    *("september", "october", "november", "december", "jan", "feb", "mar", "apr"),
    *("jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday", "tuesday"),
    *("wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday"),
    *("morning", "afternoon", "evening", "night", "week", "month", "year"),
)
_GENERIC = frozenset(
    (
        *_DATE_WORDS,
        *("outage", "incident", "error", "failure", "failed", "failing", "fail", "issue"),
        *("problem", "user", "customer", "request", "minute", "hour", "day", "second"),
        *("time", "utc", "service", "production", "prod", "system", "writeup", "postmortem"),
        *("post", "mortem", "review", "summary", "again", "started", "start", "returned"),
        *("returning", "served", "serving", "every", "whole", "new", "old", "still"),
        *("during", "per", "one", "two", "three", "several", "many", "few"),
    )
)
_KIND_VOCABULARY = frozenset(
    word for phrase in _KIND_PHRASES for word in re.findall(r"[a-z0-9]+", phrase)
)


#: normal words (core.similarity.normal_word) that tell no service or component apart
@cache
def _not_components() -> frozenset[str]:
    """Computed at the first folder check (the word table loads then), not at import."""
    return frozenset(word for token in _GENERIC | _KIND_VOCABULARY for word in normal_word(token))


_COMPONENT_TOKEN = lazy(r"[a-z][a-z0-9]*")
_COMPONENT_WORDS: dict[str, tuple[str, ...]] = {}


def _component_words(token: str) -> tuple[str, ...]:
    """A token as component words, through the one normalisation of
    :func:`followthrough.core.similarity.normal_word` ("partners" -> "partner", "db" ->
    "databas"); none when it tells no component apart (a failure kind's own words, words
    about the incident itself)."""
    words = _COMPONENT_WORDS.get(token)
    if words is None:
        if token in _KIND_VOCABULARY:
            words = ()
        else:
            not_components = _not_components()
            words = tuple(w for w in normal_word(token) if len(w) >= 2 and w not in not_components)
        _COMPONENT_WORDS[token] = words
    return words


def _components(text: str) -> set[str]:
    """The component words of lower-case ``text``."""
    return set(chain.from_iterable(map(_component_words, _COMPONENT_TOKEN.findall(text))))


def _written(words: set[str], texts: Sequence[str]) -> list[str]:
    """``words`` (component words) as ``texts`` write them, in the order they come."""
    out: dict[str, None] = {}
    for text in texts:
        for token in _COMPONENT_TOKEN.findall(text):
            if not words.isdisjoint(_component_words(token)):
                out.setdefault(token)
    return list(out)


@dataclass
class Signature:
    """What a postmortem says failed: the failure kinds its headline names and the words
    that say where (service and component names). ``declared`` are the kinds its failure
    mode line names, if it has one."""

    kinds: set[int] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    declared: set[int] | None = None
    #: the texts the component words come from (to quote them in a finding's reason)
    texts: list[str] = field(default_factory=list)


#: how far apart (characters between them) a subject and a condition may be and still be
#: one statement: "the TLS cert on the partner API gateway expired" is; "covers DNS changes
#: but not the case where the API answers slowly rather than failing" is not
_KIND_REACH = 40


def _kind_matches(text: str, kind: int) -> Iterator[re.Match[str]]:
    """``_KIND_PATTERNS[kind].finditer(text)``, the pattern tried only where one of the
    kind's phrases starts (found by ``str.find``), not at every position of the text."""
    pattern = _KIND_PATTERNS[kind]
    starts = []
    for phrase in _KIND_STARTS[kind]:
        at = text.find(phrase)
        while at >= 0:
            starts.append(at)
            at = text.find(phrase, at + 1)
    end = 0
    for at in sorted(starts):
        if at >= end:
            match = pattern.match(text, at)
            if match:
                end = match.end()
                yield match


def _kinds_in(text: str, possible: Sequence[int]) -> Iterator[tuple[set[int], str]]:
    """(kinds, clause) of each clause of lower-case ``text`` that names one of the
    ``possible`` failure kinds."""
    hits = [
        (m.start(), m.end(), kind, role)
        for kind in possible
        if any(map(text.__contains__, _KIND_SUBJECTS[kind]))
        for m in _kind_matches(text, kind)
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
    texts = (mode, title, (summary.body if summary else "").lower(), cause.lower())
    keys = [_key_words(text) for text in texts]
    # a text is searched for every kind the four texts' words may name (every kind when one
    # is not ASCII: which kinds are searched orders the clauses it yields), and only if its
    # own words may name one
    possible = (
        _possible_kinds(frozenset().union(*keys))
        if all(map(str.isascii, texts))
        else list(range(len(FAILURE_KINDS)))
    )
    if not possible:
        return sig  # a document that names no failure kind takes no part
    mode_kinds, title_kinds, *found = (
        _kinds_in(text, possible) if _possible_kinds(words) else iter(())
        for text, words in zip(texts, keys, strict=True)
    )
    if mode:
        sig.declared = set()
        for kinds, _ in mode_kinds:
            sig.declared |= kinds
        sig.kinds |= sig.declared
    for kinds, _ in title_kinds:
        sig.kinds |= kinds
    for kinds, clause in chain.from_iterable(found):
        sig.kinds |= kinds
        sig.components |= _components(clause)
        sig.texts.append(clause)
    if sig.kinds:  # the failure mode line and title say where, whatever their clauses
        sig.components |= _components(mode) | _components(title)
        sig.texts += [mode, title]
    return sig


#: component words a repeat found by failure kind shares with the earlier postmortem
_COMPONENTS_SHARED = 2


def _by_kind(
    ordered: Sequence[int],
    signatures: dict[int, Signature],
    common: set[str],
    skip: set[int],
) -> dict[int, list[_Hit]]:
    """Repeats found by failure signature: an earlier postmortem names the same failure kind
    and at least two of the same component words (words in many documents skipped). When
    both have a failure mode line, the kind must be one both lines name. Documents in
    ``skip`` are not reported again."""
    postings: dict[tuple[int, str], list[int]] = {}
    kept: dict[int, int] = {}  # how many telling component words each document has
    found: dict[int, list[_Hit]] = {}
    for d in ordered:
        sig = signatures[d]
        if not sig.kinds:
            continue
        words = sig.components - common
        kept[d] = len(words)
        if d not in skip and len(words) >= _COMPONENTS_SHARED:
            best: dict[int, tuple[int, int]] = {}  # earlier -> (shared words, kind)
            for kind in sig.kinds:
                shared: Counter[int] = Counter()
                for w in words:
                    shared.update(postings.get((kind, w), ()))
                for e, n in shared.items():
                    if n < _COMPONENTS_SHARED or n <= best.get(e, (0, 0))[0]:
                        continue
                    declared = signatures[e].declared
                    if sig.declared is None or declared is None or kind in sig.declared & declared:
                        best[e] = (n, kind)
            if best:
                hits = sorted((-n / min(len(words), kept[e]), e) for e, (n, _) in best.items())
                found[d] = [
                    (e, round(-score, 3), _kind_reason(best[e][1], sig, signatures[e], common))
                    for score, e in hits[:3]
                ]
        for kind in sig.kinds:
            for w in words:
                postings.setdefault((kind, w), []).append(d)
    return found


def _kind_reason(kind: int, sig: Signature, earlier: Signature, common: set[str]) -> str:
    """ "same failure: certificate expiry on partner api": the kind and the component words
    both postmortems name, as the later one writes them."""
    shared = sig.components & earlier.components - common
    where = _written(shared, sig.texts)
    return f"same failure: {FAILURE_KINDS[kind].name} on {' '.join(where)}"


@cache
def _title_generic() -> frozenset[str]:
    """Words of a title that say what the document is, not what failed."""
    return frozenset(
        word
        for token in (
            *("incident", "incidents", "outage", "outages", "down", "downtime", "issue", "issues"),
            *("problem", "problems", "postmortem", "post", "mortem", "report", "review"),
            *("analysis", "disclosure", "summary", "retrospective", "rca", "investigation"),
            *("investigations", "update", "title", "template", "security", "major", "minor"),
            *("again", "once", "more", "repeat", "recurring"),
            *_DATE_WORDS,
        )
        for word in normal_word(token)
    )


#: a number of three digits in a title is a status code or the like ("503"), not a year
_TITLE_NUMBER = lazy(r"(?<![\w.:/-])\d{3}(?![\w.:/-])")
#: a title that repeats an earlier one names at least this many telling words
_TITLE_WORDS = 3
#: how many earlier postmortems holding a title word are checked, most recent first
_TITLE_LOOK_BACK = 200


def _title_words(title: str | None) -> frozenset[str]:
    """What a title says failed: its normal words without the words about the document
    ("incident", "postmortem", "outage") and its dates, and its numbers of three digits
    (status codes: "503" is not "404")."""
    if not title:
        return frozenset()
    words = set(normal_words(title)) - _title_generic()
    words.update(_TITLE_NUMBER.findall(title))
    return frozenset(words)


def _conflicting(a: Signature, b: Signature) -> bool:
    """Do two postmortems name failure kinds, and none of the same? (A different mechanism
    behind the same headline.)"""
    return bool(a.kinds) and bool(b.kinds) and a.kinds.isdisjoint(b.kinds)


def _by_title(
    sigs: Sequence[RepeatSignature],
    ordered: Sequence[int],
    titles: dict[int, frozenset[str]],
    signatures: dict[int, Signature],
    skip: set[int],
) -> dict[int, list[_Hit]]:
    """Repeats found by headline: a later title that says nothing the earlier title did not
    (the same words, or a part of them, at least three telling ones), unless the two name
    different failure kinds."""
    postings: dict[str, list[int]] = {}
    found: dict[int, list[_Hit]] = {}
    for d in ordered:
        title = titles[d]
        if len(title) < _TITLE_WORDS:
            continue
        if d not in skip:
            lists = [postings.get(w) for w in title]
            if all(lists):
                rarest = min((p for p in lists if p), key=len)
                hits: list[_Hit] = []
                for e in reversed(rarest[-_TITLE_LOOK_BACK:]):
                    if title <= titles[e] and not _conflicting(signatures[d], signatures[e]):
                        same = title == titles[e]
                        reason = "same title" if same else "its title repeats the earlier one's"
                        earlier = sigs[e].title or ""
                        hits.append(
                            (e, round(len(title) / len(titles[e]), 3), f"{reason}: {earlier!r}")
                        )
                        if len(hits) == 3:
                            break
                if hits:
                    found[d] = hits
        for w in title:
            postings.setdefault(w, []).append(d)
    return found


#: how alike the later postmortem's headline and summary must be to the earlier one's for
#: its back-reference to point there: shared telling words, and their share of the smaller
_ALIKE_SHARED = 3
_ALIKE_SHARE = 0.3


def _by_back_reference(
    sigs: Sequence[RepeatSignature],
    ordered: Sequence[int],
    heads: dict[int, set[str]],
    titles: dict[int, frozenset[str]],
    signatures: dict[int, Signature],
    common: set[str],
    skip: set[int],
) -> dict[int, list[_Hit]]:
    """Repeats the later postmortem says it is: recurrence words ("second occurrence", "seen
    this issue before") pointing at the earlier postmortem most alike in headline and
    summary, or a name of an earlier postmortem (a link, its identifier, its title) with
    recurrence words or a similar title (named without either, it is a cause or a
    reference, not a repeat). Documents in ``skip`` are not read."""
    rank = {d: n for n, d in enumerate(ordered)}
    names = Names([(sig.path, sig.title) for sig in sigs])
    said: dict[int, tuple[str, dict[int, str]]] = {}
    for d in ordered:
        if d in skip:
            continue
        words = sigs[d].recurrence
        named = {
            e: name for e, name in names.named_in(sigs[d].refs, d).items() if rank[e] < rank[d]
        }
        if words or named:
            said[d] = (words, named)
    if not said:
        return {}
    postings: dict[str, list[int]] = {}
    for d in ordered:
        for w in heads[d] - common:
            postings.setdefault(w, []).append(d)
    found: dict[int, list[_Hit]] = {}
    for d, (words, named) in said.items():
        alike = _most_alike(d, heads, titles, common, postings, rank)
        hits: list[_Hit] = []
        for e, name in named.items():
            # a postmortem named as a cause of this one ("see PM-12") is not a repeat of
            # it: only one named with recurrence words, or under a similar title
            score, why = alike.get(e, (0.0, ""))
            if words or why.endswith("title"):
                said_how = f"names {name!r}" + (f" and says {words!r}" if words else "")
                hits.append((e, max(score, 0.5), f"{said_how}{'; ' + why if why else ''}"))
        alike = {e: a for e, a in alike.items() if not _conflicting(signatures[d], signatures[e])}
        if not hits and words and alike:
            best = max(alike.values())[0]
            for e, (score, why) in sorted(alike.items(), key=lambda a: (-a[1][0], -rank[a[0]])):
                if score >= best:
                    hits.append((e, score, f"says {words!r}; {why}"))
        if hits:
            hits.sort(key=lambda h: (-h[1], -rank[h[0]]))
            found[d] = hits[:3]
    return found


def _most_alike(
    d: int,
    heads: dict[int, set[str]],
    titles: dict[int, frozenset[str]],
    common: set[str],
    postings: dict[str, list[int]],
    rank: dict[int, int],
) -> dict[int, tuple[float, str]]:
    """The earlier postmortems whose headline and summary are alike ``d``'s: a similar
    title (half its telling words shared, two at least), or three or more shared words of
    headline and summary making 30% of the smaller; each with a score and the reason."""
    head = heads[d] - common
    shared: Counter[int] = Counter()
    for w in head:
        shared.update(e for e in postings.get(w, ()) if rank[e] < rank[d])
    found: dict[int, tuple[float, str]] = {}
    title = titles[d]
    for e, n in shared.items():
        other = titles[e]
        both = len(title & other)
        if both >= 2 and both / len(title | other) >= 0.5:
            same = title == other
            found[e] = (
                round(both / len(title | other), 3),
                "same title" if same else "similar title",
            )
            continue
        smaller = min(len(head), len(heads[e] - common))
        if n >= _ALIKE_SHARED and n >= _ALIKE_SHARE * smaller:
            found[e] = (round(n / smaller, 3), "similar headline and summary")
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
    the folder (earlier by incident date, else by file name in natural order), by the
    evidence a reader uses: similar ``failure mode`` lines when both have one, else similar
    root cause text; a later title that says nothing the earlier title did not ("Logs not
    being shipped to CloudWatch" after "Logs not shipped to CloudWatch": three telling words
    at least, dates and words such as "incident" aside, status codes kept); the same failure
    signature, one of the failure kinds in ``FAILURE_KINDS`` (certificate expiry, pool
    exhaustion, disk full, a load balancer losing its targets, ...) named in a clause of the
    failure mode, title, summary or root cause, on the same service or component (two shared
    words); and the document's own back-references: recurrence words in its title or prose
    ("second occurrence", "seen this issue before", "same problem as", "previous postmortem";
    never the timeline, which counts this incident's events) pointing at the earlier
    postmortem most alike in headline and summary, or a link, identifier ("PM2021-005") or
    title naming an earlier postmortem, with recurrence words or a similar title; and the
    same mechanism told in other words (``core/rules/mechanism.py``): a resource of the same
    kind exhausted ("high memory usage", "no resource limits"), the same component down
    ("nodes NotReady", "unhealthy node"), and the same consumer named ("Prometheus") or the
    earlier action item's remedy named as missing ("not on a dedicated node group"). A
    different mechanism behind the same symptom is not a repeat: two postmortems that name
    different failure kinds are never linked by their headline. Words are compared after one
    normalisation (``core/word_forms.toml``: "cert lapsed" is "certificate expiry"). Each
    ``related`` postmortem carries the reason ("same title", "says 'second occurrence';
    similar headline and summary"). Configuration ``repeat_incident_threshold`` (0-1) tunes
    the text similarity.

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

    def signature(self, doc: Document, config: LintConfig) -> RepeatSignature:
        # each text is tokenised once; the ways of finding a repeat share it
        mode_words = normal_words(doc.failure_mode) if doc.failure_mode else []
        text, cause_line = _cause_text(doc)
        cause_words = normal_words(text) if text else []
        summary = doc.section(SectionKind.SUMMARY)
        head = set(normal_words(f"{doc.title or ''} {summary.body if summary else ''}"))
        head.update(mode_words)
        head -= _title_generic()
        where = _failure_mode_line(doc) or cause_line
        line = where or doc.title_line or 1
        said = said_text(doc)
        return RepeatSignature(
            path=doc.path,
            when=_incident_date(doc),
            title=doc.title,
            has_mode=bool(doc.failure_mode),
            modes=_packed(mode_words),
            causes=_packed(cause_words),
            mode_words=_interned(mode_words),
            cause_words=_interned(cause_words),
            head=_interned(head),
            title_words=_interned(_title_words(doc.title)),
            failure=_signature(doc, text),
            mechanism=mechanism_of(doc),
            recurrence=recurrence_words(doc, said),
            refs=references(said),
            where=where,
            line=line,
            excerpt=_excerpt(doc, line),
        )

    def compare(
        self, signatures: Sequence[RepeatSignature], config: LintConfig
    ) -> Iterator[tuple[int, Finding]]:
        sigs = signatures
        if len(sigs) < 2:
            return
        with paused_gc():
            ordered = sorted(range(len(sigs)), key=lambda d: sigs[d].order())
            modes: NearDuplicateIndex[int] = NearDuplicateIndex(
                k=1, threshold=config.repeat_incident_threshold
            )
            causes: NearDuplicateIndex[int] = NearDuplicateIndex(
                k=1, threshold=max(config.repeat_incident_threshold, 0.5)
            )
            earlier_words: dict[int, set[str]] = {}
            later_words: dict[int, set[str]] = {}
            titles: dict[int, frozenset[str]] = {}
            failures: dict[int, Signature] = {}
            for d in ordered:
                sig = sigs[d]
                modes.add_packed((d,), sig.modes, (len(sig.modes),), group=d)
                causes.add_packed((d,), sig.causes, (len(sig.causes),), group=d)
                titles[d] = frozenset(sig.title_words)
                cause_set = set(sig.cause_words)
                earlier_words[d] = cause_set.union(sig.mode_words)
                later_words[d] = cause_set | set(sig.head)
                failures[d] = sig.failure
            reported: dict[int, list[_Hit]] = {}
            for d, earlier, _ in modes.neighbours(limit=3, earlier_only=True):
                reported[d] = [(e, s, "similar failure mode line") for e, s in earlier]
            for d, earlier, _ in causes.neighbours(limit=3, earlier_only=True):
                if d in reported:
                    continue
                kept = [
                    (e, s, "similar root cause")
                    for e, s in earlier
                    if not (sigs[d].has_mode and sigs[e].has_mode)
                ]
                if kept:
                    reported[d] = kept
            # words in many documents (the folder's own boilerplate) tell no failure apart
            df: Counter[str] = Counter()
            for d in ordered:
                df.update(earlier_words[d] | later_words[d])
            cap = _common_cap(len(ordered))
            common = {w for w, n in df.items() if n > cap}
            reported.update(_by_title(sigs, ordered, titles, failures, set(reported)))
            reported.update(
                _by_words(sigs, ordered, earlier_words, later_words, common, set(reported))
            )
            # a folder's word sets take tens of megabytes: each kind is held only while used
            del earlier_words, later_words
            reported.update(_by_kind(ordered, failures, common, set(reported)))
            mechanisms = [(d, sigs[d].mechanism) for d in ordered]
            reported.update(
                by_mechanism(mechanisms, common, _common_cap(len(ordered)), set(reported))
            )
            # what a postmortem says of itself is read last, and only where the other
            # evidence found nothing (reading it costs a search of the prose)
            heads = {d: set(sigs[d].head) for d in ordered}
            reported.update(
                _by_back_reference(sigs, ordered, heads, titles, failures, common, set(reported))
            )
        for d in sorted(reported):
            sig = sigs[d]
            hits = reported[d][:3]
            related = tuple(
                Related(sigs[e].path, sigs[e].where, score, reason) for e, score, reason in hits
            )
            names = ", ".join(r.path for r in related)
            yield (
                d,
                self.finding(
                    config,
                    sig.line,
                    f"Same failure as an earlier postmortem ({names}: {related[0].reason}): its action items did not prevent this one",
                    sig.excerpt,
                    fix="Say why the earlier postmortem's action items did not hold, and make this one's address that.",
                    section=SectionKind.ROOT_CAUSE,
                    related=related,
                ),
            )


def _packed(words: list[str]) -> array[int]:
    """The word set of ``words`` as a near-duplicate index keeps it (its ids sorted in one
    array: a tenth of a frozenset's memory)."""
    return array("q", sorted(word_set(words)))


def _interned(words: Iterable[str]) -> tuple[str, ...]:
    """Words as a tuple of the one copy of each word (a folder repeats its vocabulary)."""
    return tuple(map(sys.intern, words))


@dataclass(frozen=True, slots=True)
class RepeatSignature:
    """What :class:`RepeatIncident` compares of one postmortem, made where it was parsed:
    its failure mode and cause words (as packed word sets for the near-duplicate indexes,
    and as words), its headline and title words, its failure kinds (:class:`Signature`), its
    mechanism, what it says of earlier incidents (recurrence words, the names it may call
    them by), and where a finding on it points (the line, its excerpt, the incident date
    and path that order it)."""

    path: str
    when: date | None
    title: str | None
    has_mode: bool
    modes: array[int]
    causes: array[int]
    mode_words: tuple[str, ...]
    cause_words: tuple[str, ...]
    head: tuple[str, ...]
    title_words: tuple[str, ...]
    failure: Signature
    mechanism: Mechanism
    recurrence: str
    refs: References
    #: the line it states its failure on (failure mode line, else root cause), if any
    where: int | None
    #: the line a finding on it points at, and that line's excerpt
    line: int
    excerpt: str

    def order(self) -> tuple[bool, date, tuple[tuple[int, int | str], ...], str]:
        """Where the postmortem comes in the folder (:func:`_order`)."""
        return _order(self.when, self.path)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # unpickled in the process that compares, the words are interned again there: ten
        # thousand signatures then share one copy of the folder's vocabulary
        return _unpickled, tuple(getattr(self, f.name) for f in fields(self))


def _unpickled(*values: object) -> RepeatSignature:
    sig = RepeatSignature(*values)  # type: ignore[arg-type]
    return replace(
        sig,
        mode_words=_interned(sig.mode_words),
        cause_words=_interned(sig.cause_words),
        head=_interned(sig.head),
        title_words=_interned(sig.title_words),
    )
