"""The summary: a "Summary" heading, or the untitled lead paragraphs before the first
section (what most blog-style incident reports open with)."""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.text import strip_emphasis
from followthrough.core.parsing.vocabulary import METADATA_KEYS, normalize_label
from followthrough.core.reading.metadata import META_LINE
from followthrough.core.regex import lazy

#: words a lead paragraph needs to read as a summary ("Brief description" in a template is
#: where the summary goes)
MIN_WORDS: Final = 2
_NOTE = lazy(
    r"^(?:\(.*\)|\*[^*].*\*|_[^_].*_|\[.*\]\(.*\)|!\[.*|<[a-z/].*>|"
    r"(?:note|disclaimer|(?:sample )?template|based on|originally (?:published|posted)|"
    r"cross-?posted|this is a (?:cross-?post|copy|repost))\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
# a word of text, not a tag, a number or a handle ("sev2, ~25 min, @owen.t" has one)
_WORD = lazy(r"(?<![\w@~#/.-])[A-Za-z][a-z'’-]{2,}(?![\w@/])")
#: a note is short: a longer paragraph is the report itself, whatever it opens with
_NOTE_WORDS: Final = 40


def metadata_lines(para: bl.Para) -> bool:
    """ "By: (Names)", "Date: 2025-03-04", "**Authors:** ...": fields, not prose."""
    return all(_metadata(t) for _, t in para.lines if t.strip())


def quoted(para: bl.Para, quoted_lines: frozenset[int]) -> bool:
    return all(n - 1 in quoted_lines for n, _ in para.lines)


def prose(para: bl.Para, quoted: frozenset[int]) -> bool:
    """A paragraph a reader reads as text of the report: not a metadata line ("Date: ..."),
    a quotation, a bracketed or italic note, a lone link or image."""
    lines = [(n, t) for n, t in para.lines if n - 1 not in quoted]
    if not lines:
        return False
    text = " ".join(t.strip() for _, t in lines)
    if len(lines) == len(para.lines) and all(_metadata(t) for _, t in lines):
        return False
    plain = strip_emphasis(text)
    if _NOTE.match(plain) is not None:
        return False
    return len(_WORD.findall(plain)) >= MIN_WORDS


def note(para: bl.Para) -> bool:
    """An editorial note before the report ("(based on ... templates)", "This is a
    cross-post of ...", an italic remark)."""
    text = strip_emphasis(" ".join(t.strip() for _, t in para.lines))
    return len(text.split()) <= _NOTE_WORDS and _NOTE.match(text) is not None


def _metadata(line: str) -> bool:
    m = META_LINE.match(strip_emphasis(line))
    return m is not None and normalize_label(m.group("key")) in METADATA_KEYS
