"""Root causes, each with the category the document gives it (process, tooling, knowledge,
capacity, communication): from a "Category:" line or column, a "(process gap)" suffix, a
"**Process gap:**" label, a sub-heading such as "### Tooling gap", or a last sentence
"Knowledge gap."."""

from __future__ import annotations

import re

from followthrough.core.document import RootCause, RootCauseCategory
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.text import join, strip_emphasis
from followthrough.core.parsing.vocabulary import CATEGORY_WORDS, normalize_label
from followthrough.core.reading import whys
from followthrough.core.reading.context import Reading, Region
from followthrough.core.regex import lazy

_CATEGORY_LINE = lazy(
    r"^[*_]{0,2}(?:root[ \t]+cause[ \t]+)?(?:category|categories|type|classification|gap)[*_]{0,2}[ \t]*:[*_]{0,2}[ \t]*(?P<v>.*)$",
    re.IGNORECASE,
)
_CATEGORY_INLINE = lazy(
    r"\s*[(\[]\s*(?:(?:root\s+cause\s+)?category\s*:\s*)?(?P<v>[a-z]+)(?:\s+gaps?)?\s*[)\]]\.?\s*$|"
    r"\s*[—–|-]+\s*(?:(?:root\s+cause\s+)?category\s*:\s*)?(?P<w>[a-z]+)\s+gaps?\.?\s*$|"
    r"\s*[(\[—–|,;-]*\s*(?:root\s+cause\s+)?category\s*:\s*(?P<x>[a-z ]+?)(?:\s+gaps?)?\s*[)\]]?\.?\s*$|"
    # "... nobody knew about. Knowledge gap.": a last sentence naming the gap.
    r"(?<=[.!?])\s+(?P<y>[a-z]+)\s+gaps?\s*\.?\s*$",
    re.IGNORECASE,
)
_GAP_LABEL = lazy(
    r"^(?:\*\*|__)(?P<v>[A-Za-z]+)(?:[ \t]+gaps?)?:?(?:\*\*|__):?[ \t]*(?P<rest>.*)$", re.IGNORECASE
)
_WORDS = lazy(r"[a-z]+")
_GAP_END = lazy(r"gaps?$", re.IGNORECASE)
_CATEGORY_CHARS_REVERSED = lazy(r"(?:[^\W\d_]|[\s()\[\]—–|,;:.-])*")


def categories_in(text: str) -> set[RootCauseCategory]:
    return {CATEGORY_WORDS[w] for w in _WORDS.findall(text.lower()) if w in CATEGORY_WORDS}


def single_category(text: str) -> RootCauseCategory | None:
    found = categories_in(text)
    return next(iter(found)) if len(found) == 1 else None


def heading_category(heading: str) -> RootCauseCategory | None:
    """``### Process gap`` / ``Tooling gaps`` -> the category; anything longer -> None."""
    words = normalize_label(heading).split()
    if words and words[-1] in ("gap", "gaps"):
        words = words[:-1]
    if len(words) == 1 and words[0] in CATEGORY_WORDS:
        return CATEGORY_WORDS[words[0]]
    return None


def read(reading: Reading, region: Region) -> None:
    default = heading_category(region.heading)
    found = whys.read(reading, region, only_questions=True)
    causes: list[RootCause] = []
    waiting: RootCauseCategory | None = None
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal waiting
        if not paragraph:
            return
        number = paragraph[0][0]
        text = " ".join(t for _, t in paragraph)
        paragraph.clear()
        cause = _root_cause(number, text, default)
        if cause is None:
            return
        if cause.category is None and waiting is not None:
            cause.category = waiting
            waiting = None
        causes.append(cause)

    for block in found:
        if isinstance(block, bl.Item):
            flush()
            for item in [block, *block.children]:
                cat_line = _CATEGORY_LINE.match(strip_emphasis(item.text))
                if cat_line is not None:
                    category = single_category(cat_line.group("v"))
                    target = causes[-1] if causes and item.parent is not None else None
                    if target is not None and category is not None:
                        target.category = target.category or category
                    elif category is not None:
                        waiting = category
                    continue
                if item.parent is not None:
                    continue
                stated: RootCauseCategory | None = None
                body: list[tuple[int, str]] = []
                for number, extra in item.cont:
                    m = _CATEGORY_LINE.match(strip_emphasis(extra))
                    if m is not None:
                        stated = stated or single_category(m.group("v"))
                    else:
                        body.append((number, extra))
                cause = _root_cause(item.line, join(item.text, body), default)
                if cause is None:
                    continue
                cause.category = stated or cause.category
                if cause.category is None and waiting is not None:
                    cause.category, waiting = waiting, None
                causes.append(cause)
        elif isinstance(block, bl.Para):
            for number, line in block.lines:
                m = _CATEGORY_LINE.match(strip_emphasis(line).strip())
                if m is not None:
                    flush()
                    category = single_category(m.group("v"))
                    if category is None:
                        continue
                    if causes and causes[-1].category is None:
                        causes[-1].category = category
                    else:
                        waiting = category
                    continue
                paragraph.append((number, line))
            flush()
        else:
            for number, cells in block.rows:
                text = next((c for c in cells if c), "")
                category = next((single_category(c) for c in cells[1:] if single_category(c)), None)
                cause = _root_cause(number, text, default)
                if cause is not None:
                    cause.category = cause.category or category
                    causes.append(cause)
    reading.doc.root_causes.extend(causes)


def _root_cause(number: int, text: str, default: RootCauseCategory | None) -> RootCause | None:
    plain = strip_emphasis(text).strip()
    if not plain or (plain.endswith(":") and len(plain) < 80):
        return None
    if plain.startswith("[") and plain.endswith("]") and "](" not in plain:
        return None  # "[fill in: what allowed this]": a template's place for one
    category: RootCauseCategory | None = None
    gap = _GAP_LABEL.match(text.strip())
    if gap is not None and gap.group("v").lower() in CATEGORY_WORDS and gap.group("rest"):
        category = CATEGORY_WORDS[gap.group("v").lower()]
        plain = strip_emphasis(gap.group("rest")).strip()
    m = _category_inline(plain)
    if m is not None:
        value = m.group("v") or m.group("w") or m.group("x") or m.group("y") or ""
        found = single_category(value)
        sentence = m.group("y") is not None or (
            m.group("v") is None and plain.rstrip().endswith(".")
        )
        if found is not None and sentence:
            # "... Category: process gap." / "... Knowledge gap.": a sentence of its own,
            # kept in the text as written.
            category = category or found
        elif found is not None:
            category = category or found
            ended = plain.rstrip().endswith(".")
            plain = plain[: m.start()].rstrip(" ,;—–-")
            if ended and not plain.endswith("."):
                plain += "."
    if not plain:
        return None
    return RootCause(number, plain, category or default)


def _may_state_category(text: str) -> bool:
    """False when ``_CATEGORY_INLINE`` cannot match, known without searching the whole text:
    each of its forms ends with a bracket or "gap(s)" (then an optional "." and blanks),
    or names "category"."""
    tail = text.rstrip()
    if tail.endswith("."):
        tail = tail[:-1].rstrip()
    return (
        tail.endswith((")", "]"))
        or _GAP_END.search(tail[-4:]) is not None
        or "category" in text.lower()
    )


def _category_inline(text: str) -> re.Match[str] | None:
    """``_CATEGORY_INLINE.search(text)``, searched from where a match can start: every
    character it consumes is a letter, a blank or one of ``()[]—–|,;:.-``, and it ends
    the text, so it lies in the longest such run at the end (found on the reversed text)."""
    if not _may_state_category(text):
        return None
    run = _CATEGORY_CHARS_REVERSED.match(text[::-1])
    start = len(text) - run.end() if run is not None else 0
    return _CATEGORY_INLINE.search(text, start)
