"""The failure kinds a repeat is recognised by (rules.corpus, PM602): a text whose words
may name no kind is not searched, as a search for every kind would find none in it; a kind's
pattern is tried only where one of its phrases starts, and finds what it finds tried at
every position."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from followthrough.core.rules.corpus import (
    _KIND_PATTERNS,
    _KIND_PHRASES,
    FAILURE_KINDS,
    _key_words,
    _kind_matches,
    _kinds_in,
    _possible_kinds,
)

from ..strategies import joined

#: every phrase of every kind, pieces of phrases, and what may stand next to a phrase
#: without being part of it ("_", "-", a letter not ASCII)
_PIECES = [
    *_KIND_PHRASES,
    *("cert", "out", "of", "no", "space", "pool", "api", "orders", "db", "the", "x", "s"),
    *("full\u00e9", "\u00e9", "\u212a", "_", "-", "\u2014", "?", "2"),
]
_GAPS = ["", " ", " ", "-", "_", ". ", "; ", "\n", " - ", ", "]
_EVERY_KIND = range(len(FAILURE_KINDS))


def test_a_text_without_a_kinds_key_words_may_name_no_kind() -> None:
    assert _possible_kinds(_key_words("the api answered slowly")) == []
    assert _possible_kinds(_key_words("the certificate of the gateway")) == []  # no condition
    (certificate,) = _possible_kinds(_key_words("the cert on the gateway expired"))
    assert FAILURE_KINDS[certificate].name == "certificate expiry"


@settings(
    max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(joined(_PIECES, _GAPS, max_size=12), joined(_PIECES, _GAPS, max_size=4))
def test_a_text_names_only_kinds_its_key_words_may_name(text: str, other: str) -> None:
    named = {kind for kinds, _ in _kinds_in(text, _EVERY_KIND) for kind in kinds}
    assert named <= set(_possible_kinds(_key_words(text)))
    # the key words of texts joined by a space are those of each
    assert _key_words(f"{text} {other}") == _key_words(text) | _key_words(other)


@settings(
    max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(joined(_PIECES, _GAPS, max_size=12))
def test_a_kinds_pattern_tried_where_its_phrases_start_finds_what_it_finds_everywhere(
    text: str,
) -> None:
    for kind in _EVERY_KIND:
        assert [m.span() for m in _kind_matches(text, kind)] == [
            m.span() for m in _KIND_PATTERNS[kind].finditer(text)
        ]
