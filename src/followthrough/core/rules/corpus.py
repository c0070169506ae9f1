"""PM6xx: folder-level rules. They see every postmortem at once (seed, "Anti-Patterns: The
copy-paste postmortem" and "Measuring Effectiveness: Track repeat incidents")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.rules.analysis import root_cause_statements
from followthrough.core.rules.base import CorpusRule, Finding, Related, Severity
from followthrough.core.similarity import NearDuplicateIndex, content_tokens, paused_gc

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
#: where a passage shared by most postmortems is still copy-paste, not template boilerplate
_NEVER_BOILERPLATE = frozenset(
    {
        SectionKind.ACTION_ITEMS,
        SectionKind.ROOT_CAUSE,
        SectionKind.WHYS,
        SectionKind.CONTRIBUTING_FACTORS,
    }
)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*|\|)")
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

    Works on the raw lines (no prepared view): it runs over every document of a folder."""
    lines = doc.text.split("\n")
    for section in doc.sections:
        if section.kind not in _PROSE:
            continue
        in_comment = in_fence = False
        last = min(section.end_line, len(lines))
        for number in range(max(section.body_line, 1), last + 1):
            raw = lines[number - 1]
            stripped = raw.strip()
            if stripped.startswith(("```", "~~~")):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            if in_comment or "<!--" in stripped:
                in_comment = "-->" not in stripped if "<!--" in stripped or in_comment else False
                continue
            if not stripped or stripped.startswith("#") or _TABLE_RULE.match(stripped):
                continue
            if number < len(lines) and _TABLE_RULE.match(lines[number]):
                continue  # a table's header row
            text = _MARKUP.sub("", stripped)
            if len(text.split()) < min_words:
                continue
            yield number, section.kind, text
    item_words = max(3, min_words - 2)
    for item in doc.action_items:
        if len(item.text.split()) >= item_words:
            yield item.line, SectionKind.ACTION_ITEMS, item.text


def _excerpt(doc: Document, line: int) -> str:
    return _line_excerpt(doc.text.split("\n", line), line)


def _line_excerpt(lines: Sequence[str], line: int) -> str:
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= 160 else text[:160] + "\u2026"


class CopyPaste(CorpusRule):
    """Finds passages (a paragraph, a list item, an action item) that are the same or nearly
    the same in two or more postmortems, and names the other documents with a similarity
    score. Headings, table headers and very short lines are ignored; a passage shared by
    more than half of a folder of ten or more postmortems outside the analysis and action
    items is taken for template boilerplate. Configuration ``copy_paste_threshold`` (0-1)
    and ``copy_paste_min_words`` tune it.

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
            index: NearDuplicateIndex[Passage] = NearDuplicateIndex(
                k=3, threshold=config.copy_paste_threshold
            )
            for d, doc in enumerate(docs):
                for line, kind, text in passages(doc, config.copy_paste_min_words):
                    index.add(Passage(d, line, kind), text, group=d)
            boilerplate_at = len(docs) / 2 if len(docs) >= 10 else None
            by_doc: dict[int, list[_Found]] = {}
            for passage, similar, total in index.neighbours(limit=_RELATED_SHOWN):
                others = frozenset([p.doc for p, _ in similar])
                if (
                    boilerplate_at is not None
                    and total + 1 > boilerplate_at
                    and passage.kind not in _NEVER_BOILERPLATE
                ):
                    continue
                found = by_doc.get(passage.doc)
                if found is None:
                    by_doc[passage.doc] = found = []
                found.append((passage, similar, max(total, len(others)), others))
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
        """Consecutive copied lines from the same documents become one finding."""
        doc = docs[d]
        lines = doc.text.split("\n", found[-1][0].line)
        run: list[_Found] = []

        def flush() -> tuple[str, Finding]:
            first, last = run[0][0], run[-1][0]
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
                    Related(docs[o].path, line, -negative)
                    for negative, o, line in ranked[:_RELATED_SHOWN]
                ]
            )
            names = ", ".join(f"{r.path}:{r.line}" for r in related)
            more = f" and {total - len(related)} more" if total > len(related) else ""
            what = "Passage" if first.line == last.line else f"{last.line - first.line + 1} lines"
            return doc.path, self.finding(
                config,
                first.line,
                f"{what} copied from or into other postmortems: {names}{more}",
                _line_excerpt(lines, first.line),
                end_line=last.line,
                fix="Write what is true of this incident; if the same action item keeps coming back, the earlier one did not work: say so.",
                section=first.kind,
                related=related,
            )

        for entry in found:
            if run:
                prev = run[-1]
                if not (
                    prev[3] == entry[3]
                    and entry[0].line <= prev[0].line + 2
                    and entry[0].kind == prev[0].kind
                ):
                    yield flush()
                    run = []
            run.append(entry)
        if run:
            yield flush()


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


def _order_key(pair: tuple[int, Document]) -> tuple[bool, date, str]:
    doc = pair[1]
    when = _incident_date(doc)
    return (when is None, when or date.min, doc.path)


#: content-word overlap for a repeat found without two failure modes to compare: share of
#: the smaller word set, and shared words at least
_WORDS_SHARE = 0.4
_WORDS_SHARED = 6


def _words(text: str) -> set[str]:
    return set(content_tokens(text))


def _by_words(
    docs: Sequence[Document],
    ordered: Sequence[tuple[int, Document]],
    cause: dict[int, str],
    skip: set[int],
) -> dict[int, list[tuple[int, float]]]:
    """Repeats found by content words: the earlier document's failure mode and root cause
    against the later one's title, summary and root cause. Words in many documents (more
    than a fifth of the folder, and more than 100 in a large one) say nothing and are
    skipped; documents in ``skip`` are not reported again."""
    earlier_words: dict[int, set[str]] = {}
    later_words: dict[int, set[str]] = {}
    df: Counter[str] = Counter()
    for d, doc in ordered:
        earlier_words[d] = _words(f"{doc.failure_mode or ''} {cause[d]}")
        summary = doc.section(SectionKind.SUMMARY)
        later_words[d] = _words(f"{doc.title or ''} {summary.body if summary else ''} {cause[d]}")
        df.update(earlier_words[d] | later_words[d])
    cap = max(5, min(len(ordered) // 5, 100))
    common = {w for w, n in df.items() if n > cap}
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
    when both have it, else similar root cause text. ``related`` names the earlier
    postmortem(s). Configuration ``repeat_incident_threshold`` (0-1) tunes it.

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
            cause_texts: dict[int, str] = {}
            for d, doc in ordered:
                if doc.failure_mode:
                    modes.add(d, doc.failure_mode, group=d)
                text, line = _cause_text(doc)
                cause_lines[d] = line
                cause_texts[d] = text
                if text:
                    causes.add(d, text, group=d)
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
            reported.update(_by_words(docs, ordered, cause_texts, set(reported)))
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
