"""The action-item rules skip a pattern when a cheap test on the item's lower-cased text rules
it out (rules.actions): on any text the gated pattern finds what the pattern alone finds."""

from __future__ import annotations

import re

from hypothesis import given, settings

from followthrough.core.rules import actions as A
from followthrough.core.rules.wordlists import lowered

from ..strategies import joined

# the words the gated patterns open with or hold, in other cases and inside other words,
# and the letters case-blind matching folds into ASCII ones ("ı", "ſ", the Kelvin sign)
_WORDS = (
    "consider discuss agree think about schedule a meeting have an talk to align try to be more "
    "careful pay attention double-check tell the team keep an eye make sure ensure that we is "
    "correct look into investigate explore research assess evaluate check review figure out "
    "identify find out determine analyse spike better improve streamline enhance strengthen "
    "bring down more set up add implement some monitoring alerting alerts metrics dashboards "
    "observability on for Kyverno flux if possible from now on continue to should always "
    "TICKET-12 [OPS-4] #12 **P1** : - — Consider LOOK Improve MONITORING Alerts "
    "ſpike \u212aeep ıf İnvestigate é"
)
_PIECES = _WORDS.split(" ")
texts = joined(_PIECES, ["", " ", "  ", "\n", "\t", ": "], max_size=10)


def _span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return match.span() if match is not None else None


@settings(max_examples=3000)
@given(texts)
def test_a_pattern_tried_only_on_its_openings_matches_what_it_matches_alone(text: str) -> None:
    low = lowered(text)
    for pattern, openings in (
        (A._DELIBERATE, A._DELIBERATE_OPENINGS),
        (A._SPIKE, A._SPIKE_OPENINGS),
        (A._GENERIC_CHANGE, A._GENERIC_CHANGE_OPENINGS),
    ):
        assert _span(A._opening(pattern, openings, text, low)) == _span(pattern.match(text))


@settings(max_examples=3000)
@given(texts)
def test_bare_monitoring_is_found_only_in_text_that_names_a_signal(text: str) -> None:
    if A._BARE_MONITORING.match(text.strip().rstrip(".")) is not None:
        low = lowered(text)
        assert not text.isascii() or any(word in low for word in A._SIGNAL_WORDS)


@settings(max_examples=3000)
@given(texts)
def test_an_obligation_with_no_end_is_found_as_the_case_blind_engine_finds_it(text: str) -> None:
    expected = re.compile(A._NO_END.pattern, re.IGNORECASE).search(text)
    assert _span(A._NO_END.search(text)) == _span(expected)


@settings(max_examples=2000)
@given(texts)
def test_the_ticket_before_an_action_is_cut_as_a_substitution_cuts_it(text: str) -> None:
    plain = text.strip().strip("*_")
    cut = A._TICKET_FIRST.match(plain)
    assert (plain[cut.end() :] if cut else plain) == A._TICKET_FIRST.sub("", plain)


_OWNER_WORDS = (
    "Alice Smith @alice @search-team SRE team sre TEAM Payments Squad ops Ops everyone all "
    "all hands n/a N/A TBD tbd Bob and Carol Bob & Carol a/b x,y x;y x+y (SRE) (alice) "
    "on-call oncall Platform backend ıt ſre \u212aeep é İnfra"
)
_OWNERS = _OWNER_WORDS.split(" ")
owners = joined(_OWNERS, ["", " ", "  ", "\t"], max_size=6)


@settings(max_examples=3000)
@given(owners)
def test_a_group_owner_is_found_as_the_case_blind_team_pattern_finds_it(owner: str) -> None:
    from followthrough.core.config import LintConfig

    config = LintConfig()
    expected = config.team_pattern().search(owner) is not None
    assert A._team_search(config, owner) == expected
    several = A._SEVERAL.search(owner) is not None
    assert (A._separated(owner) and several) == several
