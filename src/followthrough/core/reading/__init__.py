"""Read any common postmortem Markdown as a person reads it: -> :class:`Document`.

One block scan (:mod:`followthrough.core.parsing.blocks`), then the outline of headings
(:mod:`.outline`), metadata and title (:mod:`.metadata`), sections recognised by what they
hold where no heading names them (:mod:`.content`), and one reader per kind of section:
:mod:`.timeline`, :mod:`.whys`, :mod:`.root_cause`, :mod:`.factors`, :mod:`.actions`
(the summary is recognised by :mod:`.summary`). ``read`` never raises on any ``str``.
"""

from __future__ import annotations

import re

from followthrough.core.document import Document, SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.reading import (
    actions,
    content,
    done_elsewhere,
    factors,
    genre,
    metadata,
    outline,
    root_cause,
    suppressions,
    whys,
)
from followthrough.core.reading.context import Reading, Region
from followthrough.core.reading.timeline import TimelineReader
from followthrough.core.regex import folds_plainly, lazy

K = SectionKind
# sections whose prose may hold the commitments of a document without action items (not
# the resolution: the steps that fixed this incident are its story, not follow-ups)
_PROSE_KINDS = frozenset(
    {None, K.SUMMARY, K.LESSONS, K.CONTRIBUTING_FACTORS, K.OTHER, K.TITLE, K.TIMELINE}
)

__all__ = ["read"]

# a promise the writers make: "we will", "the team intends to"; an appendix without one (links,
# logs, data, notes) is not read sentence by sentence
_PROMISE = lazy(
    r"\b(?:we|i|team)\s+(?:\w+\s+){0,2}?(?:will|'ll|shall|intends?\s+to|plans?\s+to|"
    r"are\s+going\s+to)\b",
    re.IGNORECASE,
)


# _PROMISE for lower-case text (see folds_plainly): the engine skips to the letters a subject
# starts with instead of trying every position (the word boundary is checked behind them)
_PROMISE_LOWER = lazy(
    r"(?:w(?<!\w.)e|i(?<!\w.)|t(?<!\w.)eam)\s+(?:\w+\s+){0,2}?(?:will|'ll|shall|intends?\s+to|"
    r"plans?\s+to|are\s+going\s+to)\b"
)


_PROMISE_WORDS = ("will", "'ll", "shall", "intend", "plan", "going")


def _promises(reading: Reading, region: Region) -> bool:
    content = reading.scan.content
    return _promise_in("\n".join(content[region.start : region.stop]))


def _promise_in(text: str) -> bool:
    """``_PROMISE.search(text) is not None``."""
    low = text.lower()
    if folds_plainly(text, low):
        # every promise holds one of these words: a few substring scans (C speed) rule out
        # most appendices before the regex tries every "w", "i" and "t"
        return any(w in low for w in _PROMISE_WORDS) and _PROMISE_LOWER.search(low) is not None
    return _PROMISE.search(text) is not None


#: a UTF-16 half with no other half: no UTF-8 file holds one, but JSON (an editor's, the
#: API's) can carry "\udcff", and the rules encode what they read
_LONE_SURROGATE = lazy("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with each lone surrogate read as U+FFFD, the replacement character (one
    for one, so every offset is kept)."""
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text)
    return text


def read(text: str, path: str = "<text>") -> Document:
    """Parse postmortem Markdown. Never raises on any ``str``; a lone surrogate is read as
    U+FFFD (:func:`encodable`)."""
    text = encodable(text)
    doc = Document(path=path, text=text)
    scan = bl.scan(text)
    doc.masked = (text, scan.masked())
    reading = Reading(doc, scan)
    heads = outline.build(reading)
    metadata.read(reading, heads)
    reading.default_year = doc.incident_date.year if doc.incident_date else None
    content.recognise(reading)
    timeline = TimelineReader(reading)
    for region in reading.regions:
        if region.kind is K.TIMELINE:
            timeline.read(region)
        elif region.kind is K.WHYS:
            whys.read(reading, region, only_questions=False)
        elif region.kind is K.ROOT_CAUSE:
            root_cause.read(reading, region)
        elif region.kind is K.CONTRIBUTING_FACTORS:
            factors.read(reading, region)
        elif region.kind is K.ACTION_ITEMS:
            actions.read(reading, region)
    timeline.finish()
    if not doc.action_items:
        actions.in_prose(reading, [r for r in reading.regions if r.kind in _PROSE_KINDS])
        actions.after_recurrence_lead(
            reading, [r for r in reading.regions if r.kind is K.RESOLUTION]
        )
    # a promise made in the context given beside the story ("We will be discussing whether
    # ... the policy") is a follow-up wherever it stands; an appendix holds no lessons
    appendices = [r for r in reading.regions if r.kind is K.APPENDIX and _promises(reading, r)]
    if appendices:
        actions.in_prose(reading, appendices, promises_only=True)
    actions.settle(reading)
    done_elsewhere.mark(doc)
    suppressions.read(reading)
    doc.genre = genre.read(doc)
    return doc
