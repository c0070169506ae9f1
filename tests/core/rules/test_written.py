"""PM503 reads a section line by line up to its first written line; on any body it answers
as reading every line of ``body.split("\\n")`` does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.rules.structure import _FILLER, _WORDS, _ZONE_NOTE, _written

_PIECES = [
    "\n",
    "\n",
    "|",
    "| a | b |",
    "|---|---|",
    "-",
    " ",
    "All times in UTC.",
    "word",
    "#",
    ">",
]


def _plain_written(body: str) -> bool:
    lines = body.split("\n")
    for k, line in enumerate(lines):
        if _FILLER.match(line) or _ZONE_NOTE.match(line):
            continue
        following = lines[k + 1] if k + 1 < len(lines) else ""
        if line.lstrip()[:1] == "|" and "-" in following and _FILLER.match(following):
            continue
        if _WORDS.search(line):
            return True
    return False


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_a_section_is_written_when_reading_every_line_says_so(body: str) -> None:
    assert _written(body) == _plain_written(body)
