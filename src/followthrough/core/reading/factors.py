"""Contributing factors: one per list item, paragraph or table row."""

from __future__ import annotations

from followthrough.core.document import ContributingFactor
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.text import join, strip_emphasis
from followthrough.core.reading.context import Reading, Region


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
