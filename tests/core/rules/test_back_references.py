"""What a postmortem may name an earlier one by (links, identifiers): the identifiers are
found by a scan of the text's characters as bytes (a letter before two digits) that gives
exactly what the identifier pattern finds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followthrough.core.rules.recurrence import _WORD_IDENTIFIER, references

_PIECES = [
    "inc",
    "pm",
    "x",
    "-",
    "_",
    "2021",
    "005",
    "9",
    "12",
    " ",
    "\n",
    ".",
    "ab",
    "\u0663\u0664",
    # what the scan's one byte a character reads as a digit, or as no letter
    "?",
    "\u00e9",
    "\u00b2",
    "PM",
]


def test_identifiers_are_read_where_a_word_starts_and_with_their_numbered_tail() -> None:
    text = "repeat of inc-2291 and pm2021-005-2; not x12, ab9 or 7pm21; (sre_07_1) done"
    assert references(text) == ((), ("inc-2291", "pm2021-005-2", "sre_07_1"))


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_the_scan_for_digits_finds_what_the_identifier_pattern_finds(text: str) -> None:
    assert references(text)[1] == tuple(m[0] for m in _WORD_IDENTIFIER.finditer(text))
