"""The rules' prepared view of a document (rules.base.View)."""

from __future__ import annotations

import pytest

from followthrough.core.rules.base import View
from followthrough.core.rules.wordlists import lowered


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
