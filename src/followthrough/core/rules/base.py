"""What every rule shares: the finding it reports, the base classes, and a prepared view of
the document (line index, prose with code, quotes and comments blanked out) built once per
document and reused by every rule, so no rule pays for its own full re-scan setup.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import accumulate, repeat
from operator import add
from typing import TYPE_CHECKING, Any, ClassVar

from followthrough.core.document import Document, SectionKind
from followthrough.core.parsing.blocks import scan
from followthrough.core.regex import folds_plainly, lazy
from followthrough.core.rules.wordlists import lowered, word_set

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    @property
    def label(self) -> str:
        """The severity in words, as the editor and the API name it: Error, Warning, Note."""
        return {"error": "Error", "warning": "Warning", "info": "Note"}[self.value]


CATEGORIES: tuple[str, ...] = (
    "blame",
    "shallow_root_cause",
    "vague_action",
    "unowned_action",
    "undated_action",
    "unverifiable_action",
    "unquantified_impact",
    "timeline_analysis",
    "missing_section",
    "template_leftover",
    "copy_paste",
    "repeat_incident",
    "process",
)


@dataclass(frozen=True)
class Related:
    """Another document (or place) a finding points at, with a similarity score in [0, 1]
    and the reason, in words, when the rule gives one ("same title", "says 'second
    occurrence'")."""

    path: str
    line: int | None
    score: float
    reason: str = ""

    def to_record(self) -> dict[str, object]:
        record: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "score": round(self.score, 3),
        }
        if self.reason:
            record["reason"] = self.reason
        return record


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    category: str
    severity: Severity
    line: int
    end_line: int
    message: str
    excerpt: str
    fix: str | None = None
    section: SectionKind | None = None
    related: tuple[Related, ...] = ()

    def to_record(self) -> dict[str, object]:
        """The stable JSON shape (DESIGN.md, "The linter's finding")."""
        return {
            "rule": self.rule,
            "name": self.name,
            "category": self.category,
            "severity": self.severity.value,
            "line": self.line,
            "end_line": self.end_line,
            "message": self.message,
            "excerpt": self.excerpt,
            "fix": self.fix,
            "section": self.section.value if self.section is not None else None,
            "related": [r.to_record() for r in self.related],
        }


class _RuleMeta:
    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    #: False for a finding about the document as a whole, kept beside another finding of
    #: its category on the same line (see ``lint._one_per_place``)
    merges: ClassVar[bool] = True

    def finding(
        self,
        config: LintConfig,
        line: int,
        message: str,
        excerpt: str,
        *,
        end_line: int | None = None,
        fix: str | None = None,
        section: SectionKind | None = None,
        related: tuple[Related, ...] = (),
        advice: bool = False,
    ) -> Finding:
        """``advice``: reported at info severity whatever the rule's, for what the rule cannot
        check and says so (an owner kept in a linked ticket)."""
        severity = Severity.INFO if advice else config.severity_for(self)  # type: ignore[arg-type]
        return Finding(
            rule=self.code,
            name=self.name,
            category=self.category,
            severity=severity,
            line=line,
            end_line=end_line if end_line is not None else line,
            message=message,
            excerpt=excerpt,
            fix=fix,
            section=section,
            related=related,
        )


class Rule(_RuleMeta):
    """A single-document rule. Subclasses set the class attributes and write ``check``."""

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        return iter(())


class CorpusRule(_RuleMeta):
    """A folder-level rule, in two steps so that a folder linted by several processes never
    sends whole documents from one to another: :meth:`signature` keeps what the rule
    compares of one document (it runs where the document was parsed, in a worker process;
    what it returns must pickle, and should be small: numbers in arrays, a few words), and
    :meth:`compare` finds the findings among the signatures of the whole folder (in the
    process that reports). :meth:`check_corpus` runs both over documents in one process.

    A rule that writes only :meth:`check_corpus` (over whole documents) still works: its
    signature is then the document without what only the single-file rules read."""

    def signature(self, doc: Document, config: LintConfig) -> Any:
        """What this rule compares of ``doc``, its path included (to name it)."""
        return replace(doc, masked=None, timeline=[], factors=[])

    def compare(
        self, signatures: Sequence[Any], config: LintConfig
    ) -> Iterator[tuple[int, Finding]]:
        """Findings as ``(document number, finding)`` from the ``signatures`` of the
        folder's documents, in the folder's order."""
        if type(self).check_corpus is CorpusRule.check_corpus:
            raise TypeError(f"{type(self).__name__} writes neither compare nor check_corpus")
        number = {doc.path: d for d, doc in enumerate(signatures)}
        for path, finding in self.check_corpus(signatures, config):
            yield number[path], finding

    def check_corpus(
        self, docs: Sequence[Document], config: LintConfig
    ) -> Iterator[tuple[str, Finding]]:
        """``(path, finding)`` over every document of a folder at once."""
        signatures = [self.signature(doc, config) for doc in docs]
        for d, finding in self.compare(signatures, config):
            yield docs[d].path, finding


# --- case-blind patterns, run case by case --------------------------------------------------


def case_folded(text: str) -> str | None:
    """``text`` lower-cased, in which a pattern written in lower case (its letters ASCII)
    finds, case by case, exactly what it finds case-blind (``re.IGNORECASE``) in ``text``;
    None when it cannot (:func:`~followthrough.core.regex.folds_plainly`). Lower-casing
    keeps every character's class (word, digit, space) and turns no character into an ASCII
    letter but the Kelvin sign, which case-blind matching takes for "k" too."""
    folded = text.lower()
    return folded if text.isascii() or folds_plainly(text, folded) else None


class CaseBlind:
    """A case-blind pattern written in lower case (escapes aside), run case by case over the
    text's :func:`case_folded` form: Python's engine folds the case of every character a
    case-blind pattern compares, which makes it three to six times slower. Matches are at the
    text's offsets, but their ``group()`` is the folded text: read the text by their spans.

    ``needs``: words one of which every match holds; a text without any is not searched."""

    def __init__(self, source: str, needs: tuple[str, ...] = ()) -> None:
        self.pattern = source
        self.needs = needs
        self._blind = lazy(source, re.IGNORECASE)
        self._cased = lazy(source)

    def search(self, text: str) -> re.Match[str] | None:
        folded = case_folded(text)
        if folded is None:
            return self._blind.search(text)
        if self.needs and not any(word in folded for word in self.needs):
            return None
        return self._cased.search(folded)

    def sub(self, replacement: str, text: str) -> str:
        """``sub`` over the folded text (the text itself when it cannot be folded): for
        patterns that read the result case-blind."""
        folded = case_folded(text)
        if folded is None:
            return self._blind.sub(replacement, text)
        return self._cased.sub(replacement, folded)


# --- the prepared view --------------------------------------------------------------------

# What is not the author's own prose, inside a line: code spans and quotations. Fenced code,
# comments, front matter and block quotes come blanked from the parser's one block scan
# (``Document.masked``). One pattern per kind, each starting with a literal, so the regex
# engine jumps between occurrences, and each run only when its marker occurs at all.
_MASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("``", lazy(r"``[^\n]*?``")),  # code spans with backticks inside
    ("`", lazy(r"`[^`\n]*`")),  # code spans
    ('"', lazy(r'"[^"\n]*"')),
    ("\u201c", lazy(r"\u201c[^\u201d\n]*\u201d")),
)
_EXCERPT_WIDTH = 160


def _blank(match: re.Match[str]) -> str:
    # no mask spans a line break
    return " " * (match.end() - match.start())


_ASCII_BYTES = bytes(range(128))


def _lowered(text: str) -> str:
    """``wordlists.lowered(text)``, faster on text whose only non-ASCII characters have no
    case (dashes, curly quotes): lower-casing then changes only its ASCII letters, which its
    UTF-8 bytes lower in one C pass, where ``str.lower`` looks up every character."""
    if text.isascii():
        return text.lower()
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return lowered(text)
    others = data.translate(None, _ASCII_BYTES).decode()
    if others.lower() != others:
        return lowered(text)
    return data.lower().decode()


@dataclass
class View:
    """A document prepared for scanning: offsets map to 1-based lines in O(log n)."""

    text: str
    masked: str  # same length as text; code, comments and quotations replaced by spaces
    line_starts: list[int] = field(default_factory=list)
    _low: str | None = None
    _words: frozenset[str] | None = None

    @property
    def low(self) -> str:
        """``masked`` lower-cased (same offsets), for the case-insensitive word lists."""
        if self._low is None:
            self._low = _lowered(self.masked)
        return self._low

    @property
    def words(self) -> frozenset[str]:
        """Every word of the prose (``wordlists.word_set`` of ``low``): one tokenisation per
        document, which tells each word list whether it needs to scan at all."""
        if self._words is None:
            self._words = word_set(self.low)
        return self._words

    def has(self, *words: str) -> bool:
        """True when any of ``words`` (lower-case, letters and digits) occurs in the prose."""
        own = self.words
        return any(word in own for word in words)

    @classmethod
    def of(cls, text: str, blocked: str | None = None) -> View:
        """The view of ``text``; ``blocked`` is ``text`` with its code blocks, comments,
        front matter and block quotes blanked (scanned here when not given)."""
        starts = line_starts(text)
        if blocked is None or len(blocked) != len(text):
            blocked = scan(text).masked()
        masked = blocked
        for marker, pattern in _MASKS:
            # a one-character probe runs at memchr speed, a longer one walks the text
            if marker[0] in masked and marker in masked:
                masked = pattern.sub(_blank, masked)
        return cls(text=text, masked=masked, line_starts=starts)

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def offset_of(self, line: int) -> int:
        """Offset of the start of 1-based ``line`` (end of text past the last line)."""
        if line < 1:
            return 0
        if line > len(self.line_starts):
            return len(self.text)
        return self.line_starts[line - 1]

    def span(self, first_line: int, last_line: int) -> tuple[int, int]:
        return self.offset_of(first_line), self.offset_of(last_line + 1)

    def line_text(self, line: int) -> str:
        start = self.offset_of(line)
        end = self.text.find("\n", start)
        return self.text[start : end if end != -1 else len(self.text)]

    def excerpt(self, line: int, at: int | None = None) -> str:
        """The source line, trimmed; long lines are cut around ``at`` (an offset)."""
        raw = self.line_text(line)
        text = raw.strip()
        if len(text) <= _EXCERPT_WIDTH:
            return text
        start = 0
        if at is not None:
            col = at - self.offset_of(line) - (len(raw) - len(raw.lstrip()))
            start = max(0, min(col - _EXCERPT_WIDTH // 3, len(text) - _EXCERPT_WIDTH))
        cut = text[start : start + _EXCERPT_WIDTH]
        return ("…" if start else "") + cut + ("…" if start + _EXCERPT_WIDTH < len(text) else "")

    def finditer(
        self, pattern: re.Pattern[str], first_line: int = 1, last_line: int | None = None
    ) -> Iterator[tuple[re.Match[str], int]]:
        """Matches of ``pattern`` in the masked text between two lines, with their line."""
        start, end = self.span(first_line, last_line if last_line is not None else self.line_count)
        for match in pattern.finditer(self.masked, start, end):
            yield match, self.line_of(match.start())


def line_starts(text: str) -> list[int]:
    """The offset of every line of ``text`` (lines end at "\\n"), summed at C speed from the
    lines' lengths rather than found by a Python loop of ``find`` calls, one a line."""
    lengths = map(add, map(len, text.split("\n")), repeat(1))
    starts = list(accumulate(lengths, initial=0))
    starts.pop()  # where a line after the last one would start
    return starts


_cache: tuple[Document, str, View] | None = None


def view_of(doc: Document) -> View:
    """The prepared view of ``doc``, built once and shared by all rules checking it."""
    global _cache
    cached = _cache
    if cached is not None and cached[0] is doc and cached[1] is doc.text:
        return cached[2]
    source = doc.masked
    view = View.of(doc.text, source[1] if source is not None and source[0] is doc.text else None)
    _cache = (doc, doc.text, view)
    return view


def section_lines(doc: Document, *kinds: SectionKind) -> Iterator[tuple[int, int, SectionKind]]:
    """(first body line, last line, kind) of every section of the given kinds."""
    for section in doc.sections:
        if section.kind in kinds:
            yield section.body_line, section.end_line, section.kind


def section_kind(doc: Document, line: int) -> SectionKind | None:
    section = doc.section_at(line)
    return section.kind if section is not None else None
