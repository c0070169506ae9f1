"""The five whys: "Why ...?" questions with their answers, as a list, prose or a table.

Recognised by its heading, or by its content wherever it stands: two or more entries that
ask "Why ...?" (or "Q: ..."), numbered or not, are a chain of whys. In a root cause section
only the lines that ask are whys; the rest is the stated root cause.
"""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.document import Why
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.text import strip_emphasis
from followthrough.core.reading.context import Reading, Region
from followthrough.core.regex import lazy

_WHY_QA = lazy(r"^Q\d*\s*[:.)]\s*(?P<q>.*?)\s+A\d*\s*[:.)]\s*(?P<a>.*)$", re.IGNORECASE)
_Q_ONLY = lazy(r"^Q\d*\s*[:.)]\s*", re.IGNORECASE)
_A_ONLY = lazy(r"^A\d*\s*[:.)]\s*", re.IGNORECASE)
WHY_START = lazy(r"^(?:\d+[.)]\s*)?(?:\*\*|__)?\s*(?:why\b|q\d*\s*[:.)])", re.IGNORECASE)
_ANSWER_LEAD = lazy(r"^(?:\s|[-–—:→>=]|->|=>|a\d*\s*[:.)]|because\b,?)+", re.IGNORECASE)
_WHY_QUESTION = lazy(r"(?<![\w])(?:why|how come)\b[^?]{0,200}\?", re.IGNORECASE)

#: questions that make a run of entries a chain of whys wherever it stands
MIN_QUESTIONS: Final = 2


def _asks(text: str) -> bool:
    plain = strip_emphasis(text)
    return "?" in plain and WHY_START.match(plain) is not None  # most lines ask nothing


def recognise(blocks: list[bl.Block]) -> str | None:
    """Why these blocks read as a chain of whys, or None."""
    asked = 0
    for block in blocks:
        if isinstance(block, bl.Item):
            for item in bl.walk([block]):
                asked += _asks(item.text) + sum(_asks(t) for _, t in item.cont)
        elif isinstance(block, bl.Para):
            asked += sum(_asks(line) for _, line in block.lines)
    if asked >= MIN_QUESTIONS:
        return f"{asked} questions that ask why"
    return None


def split_why(text: str) -> tuple[str, str] | None:
    first = text[:1]  # "Q: ..." and "A: ..." are asked of lines that start so (few do)
    if first in ("Q", "q"):
        qa = _WHY_QA.match(text)
        if qa is not None:
            return qa.group("q").strip(), qa.group("a").strip()
        if _Q_ONLY.match(text):
            return _Q_ONLY.sub("", text, count=1).strip(), ""
    if first in ("A", "a") and _A_ONLY.match(text):
        return "", _A_ONLY.sub("", text, count=1).strip()
    mark = text.find("?")
    if mark < 0:
        return None
    question = text[: mark + 1].strip()
    answer = _ANSWER_LEAD.sub("", text[mark + 1 :], count=1).strip()
    return question, answer


def read(reading: Reading, region: Region, *, only_questions: bool) -> list[bl.Block]:
    """Read whys into the document; returns the blocks of the region's lines with the whys
    blanked (for the root cause reader): the region's shared blocks when none was read.

    ``only_questions``: in a root cause section only lines that ask "Why ...?" (or
    "Q: ...") are whys, with the answer on the same or the next line.
    """
    doc = reading.doc
    used: set[int] = set()
    pending: Why | None = None

    def take(number: int, text: str, cont: list[tuple[int, str]]) -> None:
        nonlocal pending
        plain = strip_emphasis(text).strip()
        if not plain:
            return
        looks_like_why = WHY_START.match(plain) is not None
        extra = " ".join(t for _, t in cont)
        if pending is not None and not looks_like_why:
            pending.answer = _ANSWER_LEAD.sub("", f"{plain} {extra}", count=1).strip()
            pending = None
            used.add(number)
            used.update(n for n, _ in cont)
            return
        pending = None
        if only_questions and not looks_like_why:
            return
        why = split_why(plain)
        used.add(number)
        used.update(n for n, _ in cont)
        if why is None:
            if plain.endswith(":"):
                return
            doc.whys.append(Why(number, "", _ANSWER_LEAD.sub("", plain, count=1).strip()))
            return
        question, answer = why
        if extra:
            answer = _ANSWER_LEAD.sub("", f"{answer} {extra}", count=1).strip()
        entry = Why(number, question, answer)
        doc.whys.append(entry)
        if not answer:
            pending = entry

    found = reading.blocks(region)
    for block in found:
        if isinstance(block, bl.Item):
            for item in bl.walk([block]):
                take(item.line, item.text, item.cont)
        elif isinstance(block, bl.Para):
            for number, line in block.lines:
                asked = [m.start() for m in _WHY_QUESTION.finditer(line)] if "?" in line else []
                if len(asked) < 2:
                    take(number, line, [])
                    continue
                # "Why ...? Because ... Why ...? ...": several whys in one line of prose.
                if asked[0] > 0:
                    take(number, line[: asked[0]], [])
                for a, b in zip(asked, [*asked[1:], len(line)], strict=True):
                    take(number, line[a:b], [])
        else:
            pending = None
            if only_questions:
                continue
            for number, cells in block.rows:
                filled = [c for c in cells if c]
                if filled and filled[0].rstrip(".").isdigit():
                    filled = filled[1:]
                if len(filled) >= 2:
                    doc.whys.append(Why(number, filled[0], filled[1]))
                elif filled:
                    doc.whys.append(Why(number, "", filled[0]))
    if not only_questions:
        return []
    if not used:
        return found
    return bl.blocks([(n, "" if n in used else t) for n, t in reading.lines(region)])
