"""Case-blind patterns run case by case over ASCII-folded text (rules.base.CaseBlind) find
what the case-blind pattern finds, at the same offsets."""

from __future__ import annotations

import gc
import re

import pytest

from followthrough.core.rules.base import CaseBlind, case_folded

TEXTS = [
    "Some Users saw 503 ERRORS for 47 Minutes on 2026-03-04 14:05 UTC (OPS-123, v2.5.1).",
    "IF POSSIBLE, Keep Monitoring the queue \u2014 \u201cEnsure That It Is\u201d fine",
    "Caf\u00e9 \u00c9QUIPE: 12 requests in March 5th; SEV2 returned 502",
    # the letters case-blind matching takes for ASCII ones: İ ı ſ and the Kelvin sign
    "\u0130F PO\u017f\u017fIBLE \u0131f possible 5 \u212aB of 3 kind",
    "\u212aEEP MONITORING \u00c9t\u00c9 \u03a3\u03a3 12 \u212a users \u2014 3 H\u00d6URS",
]


def _every_case_blind_pattern() -> list[CaseBlind]:
    return [obj for obj in gc.get_objects() if isinstance(obj, CaseBlind)]


def test_a_folded_text_is_the_text_lower_cased() -> None:
    assert case_folded("Caf\u00c9 OK \u212a") == "caf\u00e9 ok k"
    assert case_folded("ABC") == "abc"


def test_a_text_that_lower_casing_would_lengthen_or_that_holds_a_lookalike_is_not_folded() -> None:
    assert case_folded("\u0130stanbul") is None
    assert case_folded("po\u017fsible") is None
    assert case_folded("\u0131f") is None


def test_every_case_blind_pattern_is_written_in_lower_case() -> None:
    import followthrough.core.rules  # noqa: F401  (the rules' patterns exist once imported)

    patterns = _every_case_blind_pattern()
    assert patterns
    for pattern in patterns:
        outside_escapes = re.sub(r"\\.", "", pattern.pattern)
        assert outside_escapes == outside_escapes.lower(), pattern.pattern
        assert all(ch.isascii() for ch in outside_escapes if ch.isalpha()), pattern.pattern
        assert "(?-i" not in pattern.pattern


@pytest.mark.parametrize("text", TEXTS)
def test_a_case_blind_pattern_finds_what_the_case_blind_engine_finds(text: str) -> None:
    import followthrough.core.rules  # noqa: F401

    for pattern in _every_case_blind_pattern():
        blind = re.compile(pattern.pattern, re.IGNORECASE)
        found = pattern.search(text)
        expected = blind.search(text)
        assert (found and found.span()) == (expected and expected.span()), pattern.pattern
        assert pattern.sub(" ", text).lower() == blind.sub(" ", text).lower()


def test_the_words_a_case_blind_pattern_needs_are_written_in_it() -> None:
    import followthrough.core.rules  # noqa: F401

    for pattern in _every_case_blind_pattern():
        for word in pattern.needs:
            assert word in pattern.pattern, (word, pattern.pattern)
