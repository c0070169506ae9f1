"""The rules' prepared view of a document (rules.base.View)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.rules.base import View, line_starts
from followthrough.core.rules.wordlists import lowered, word_set

from ..strategies import joined


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII: The On-Call Engineer",
        "Dashes \u2014 and \u201ccurly\u201d quotes in an Otherwise ASCII Line",
        "Caf\u00c9 and \u00c9QUIPE: letters with case beyond ASCII",
        "\u0130stanbul lengthens when lower-cased; \u03a3\u039f\u03a3 has a final sigma",
        "A lone surrogate \udcff stays",
    ],
)
def test_the_views_lower_cased_text_is_the_word_lists_lower_cased_text(text: str) -> None:
    view = View.of(text, text)
    assert view.low == lowered(view.masked)


def test_a_code_span_or_quotation_is_blanked_to_the_same_length() -> None:
    view = View.of('Run `make lint` and "say it"\nnext', None)
    assert (
        view.masked
        == "Run " + " " * len("`make lint`") + " and " + " " * len('"say it"') + "\nnext"
    )


# words, letters beyond ASCII (é, ½, ٣, İ, ǅ), what breaks words (dashes, quotes, "_", spaces)
_WORDS = "down the deploy 42 x_y a-b é ü ø ½ ٣ İ ǅ — – · ’ “ ” … \u00a0 \u2009 _ - . , ( ) 😱"
_PIECES = _WORDS.split(" ")
texts = joined(_PIECES, ["", " ", "\n", "\t"], max_size=14)


@settings(max_examples=3000)
@given(texts)
def test_the_word_set_holds_the_runs_of_letters_and_digits(text: str) -> None:
    low = text.lower()
    assert word_set(low) == frozenset(re.findall(r"[^\W_]+", low))


def _plain_line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


@settings(max_examples=2000)
@given(st.text(alphabet="ab\n\r \u2028\x0c", max_size=40))
def test_the_line_starts_are_where_a_find_loop_finds_them(text: str) -> None:
    assert line_starts(text) == _plain_line_starts(text)
    assert View.of(text, text).line_starts == _plain_line_starts(text)
