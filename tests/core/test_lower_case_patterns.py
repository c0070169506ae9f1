"""The readers search some ignore-case patterns through a lower-case twin (faster: it starts
with a letter the engine skips to); on any text the twin finds what the pattern finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.reading import _PROMISE, _promise_in
from followthrough.core.reading.actions import _DONE_NOTE, _done_note
from followthrough.core.reading.commitments import _CLAUSE, _CLAUSE_LOWER, _SENTENCE_END
from followthrough.core.reading.done_elsewhere import _FINISHED, _says_finished
from followthrough.core.reading.impact import _EFFECT, _EITHER, _tells
from followthrough.core.regex import folds_plainly

from .strategies import joined

# the words the patterns look for, in other cases, inside other words, and beside the letters
# that ignoring case treats specially ("ı" is an "i", "ſ" an "s", "İ" lowers to two letters)
_WORDS = (
    "we i team will 'll shall intends to plans to are going to "
    "done completed shipped merged fixed closed resolved implemented finished "
    "deployed released rolled out in place already on 2024 v3 "
    "We WE Team WILL Done DONE Completed Fixed ALREADY Rolled Place "
    "undone _done done_ steam wee willing x9 when "
    "( ) [ ] : - — – . , ı ſ İ K é"
)
_PIECES = _WORDS.split(" ")
texts = joined(_PIECES, ["", " ", "  ", "\n", "\t"], max_size=12)


def test_lowering_keeps_positions_unless_a_letter_folds_specially() -> None:
    assert folds_plainly("We WILL", "we will")
    assert not folds_plainly("İt", "İt".lower())  # lowered to three characters
    assert not folds_plainly("wıll", "wıll")  # "ı" is an "i" to an ignore-case pattern
    assert not folds_plainly("ſhall", "ſhall")


@settings(max_examples=3000)
@given(texts)
def test_a_promise_is_found_as_the_ignore_case_pattern_finds_it(text: str) -> None:
    assert _promise_in(text) == (_PROMISE.search(text) is not None)


@settings(max_examples=3000)
@given(texts)
def test_a_done_note_is_the_one_the_ignore_case_pattern_finds(text: str) -> None:
    note = _DONE_NOTE.search(text)
    assert _done_note(text, text.lower()) == (note.group() if note else None)


@settings(max_examples=3000)
@given(texts)
def test_a_finished_timeline_is_found_as_the_ignore_case_pattern_finds_it(text: str) -> None:
    low = text.lower()
    assert _says_finished(low) == (_FINISHED.search(low) is not None)


_IMPACT_WORDS = (
    "Affected AFFECTED impacting Unable not able couldn't couldn’t CANNOT failed to FAILS "
    "Outage went down Down for degraded slower Errors latency timed out Lost missing no longer "
    "not working returning 503 HTTP 502s Status 404 errors were never used was accessed no "
    "traffic Compromised malicious versions Exfiltrated stolen installs downloaded "
    "unaffected outages_ x503 ( ) , . ı ſ İ K é"
)
impact_texts = st.lists(
    st.tuples(
        st.sampled_from(_IMPACT_WORDS.split(" ")), st.sampled_from(["", " ", "  ", "\n", "-"])
    ),
    max_size=12,
).map(lambda parts: "".join(word + gap for word, gap in parts))


@settings(max_examples=3000)
@given(impact_texts)
def test_an_effect_on_users_is_told_where_the_ignore_case_pattern_finds_one(text: str) -> None:
    for effect in (_EFFECT, _EITHER):
        assert _tells(effect, text) == (effect[0].search(text) is not None)


_CLAUSE_WORDS = (
    "and AND but While we We the The crates.io team Team i I should WILL 'll shall need must "
    "intend plan hope are going , ; . wee android teams ı ſ İ K"
)
clause_texts = st.lists(
    st.tuples(
        st.sampled_from(_CLAUSE_WORDS.split(" ")),
        st.sampled_from(["", " ", "  ", ", ", "; ", ",", "\t", "\n", " \u00a0"]),
    ),
    max_size=12,
).map(lambda parts: "".join(word + gap for word, gap in parts))
# the clause cut as it was first written: its comma or space inside each form
_CLAUSE_FIRST_WRITTEN = re.compile(
    r"(?:,\s*|\s+)(?:and|but|while)\s+(?=(?:we|the\s+[\w.-]+(?:\s+[\w.-]+)?\s+team)\b)"
    r"|;\s+(?=we\b)"
    r"|,\s+(?=(?:we|i)\s+(?:should|will|'ll|shall|need|must|intend|plan|hope|are\s+going)\b)"
    r"|,\s*and\s+(?=(?:will|shall)\s)",
    re.IGNORECASE,
)


@settings(max_examples=3000)
@given(clause_texts)
def test_a_paragraph_is_cut_into_clauses_where_the_first_pattern_cut_it(text: str) -> None:
    cuts = [m.span() for m in _CLAUSE_FIRST_WRITTEN.finditer(text)]
    assert [m.span() for m in _CLAUSE.finditer(text)] == cuts
    low = text.lower()
    if folds_plainly(text, low):
        assert [m.span() for m in _CLAUSE_LOWER.finditer(low)] == cuts


# the sentence end as it was first written: a look behind the stop
_STOP_BEHIND = re.compile(r"(?<=[.!?])[\"'’)\]*_]*\s+(?=[\"'“(\[*_`]*[A-Z0-9])")
_SENTENCE_PIECES = [
    "Done",
    ".",
    "!",
    "?",
    "..",
    '"',
    "'",
    "’",
    ")",
    "]",
    "*",
    "_",
    "“",
    "(",
    "[",
    "`",
    "A",
    "9",
    "x",
    "y",
]
sentence_texts = joined(_SENTENCE_PIECES, ["", " ", "  ", "\n"], max_size=14)


@settings(max_examples=3000)
@given(sentence_texts)
def test_a_sentence_ends_where_the_look_behind_the_stop_ends_it(text: str) -> None:
    assert [m.end() for m in _SENTENCE_END.finditer(text)] == [
        m.end() for m in _STOP_BEHIND.finditer(text)
    ]
