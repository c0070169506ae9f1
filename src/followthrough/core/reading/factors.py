"""Contributing factors: one per list item, paragraph or table row.

Recognised by their heading, or by their content under a heading that names nothing
("Postmortem", "Discussion"): prose that analyses why the failure was possible or the
response slow ("could have been avoided", "because we did not deploy", "no alert was
configured so nobody noticed").
"""

from __future__ import annotations

from typing import Final

from followthrough.core.document import ContributingFactor
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.text import join, strip_emphasis
from followthrough.core.reading.context import Reading, Region

# the causal language of an analysis, counted by plain substring (C speed; a few more hits
# inside other words do not change a density)
_ANALYSIS: Final = (
    "because",
    "due to",
    "caused",
    "cause",
    "led to",
    "as a result",
    "resulted in",
    "reason",
    "could have been",
    "would have",
    "did not",
    "didn't",
    "didn’t",
    "was not",
    "wasn't",
    "wasn’t",
    "were not",
    "weren't",
    "no alert",
    "no monitoring",
    "no check",
    "no test",
    "no one",
    "nobody",
    "lack of",
    "longer than",
    "slower",
    "contribut",
    "avoided",
    "prevented",
)
#: analytical phrases a prose section needs, and at most this many words per phrase
MIN_PHRASES: Final = 3
WORDS_PER_PHRASE: Final = 60


def recognise(blocks: list[bl.Block]) -> str | None:
    """Why these blocks read as an analysis of what made the failure possible, or None:
    prose (no lists, tables or timeline) dense with causal language."""
    words = phrases = 0
    for block in blocks:
        if not isinstance(block, bl.Para):
            return None
        text = " ".join(t for _, t in block.lines)
        low = text.lower()
        words += text.count(" ") + 1
        phrases += sum(low.count(key) for key in _ANALYSIS)
    if phrases >= MIN_PHRASES and phrases * WORDS_PER_PHRASE >= words:
        return f"prose that analyses why ({phrases} causal phrases)"
    return None


def read(reading: Reading, region: Region) -> None:
    factors = reading.doc.factors
    for block in reading.blocks(region):
        if isinstance(block, bl.Item):
            text = strip_emphasis(join(block.text, block.cont))
            if text and not (text.endswith(":") and block.children):
                factors.append(ContributingFactor(block.line, text))
            elif block.children:
                for child in block.children:
                    factors.append(
                        ContributingFactor(child.line, strip_emphasis(join(child.text, child.cont)))
                    )
        elif isinstance(block, bl.Para):
            text = strip_emphasis(" ".join(t for _, t in block.lines))
            if text and not text.endswith(":"):
                factors.append(ContributingFactor(block.lines[0][0], text))
        else:
            for number, cells in block.rows:
                words = [c for c in cells if c]
                if words:
                    factors.append(ContributingFactor(number, " — ".join(words)))
