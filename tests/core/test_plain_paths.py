"""Some readers answer by str methods, or rule a regex out by a cheap test first, where a
regex call would cost more than the text it reads; on any text they answer as the regex
does."""

from __future__ import annotations

import re
from datetime import tzinfo
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.parsing import dates
from followthrough.core.parsing.actions import (
    _PLACEHOLDER,
    _PLACEHOLDER_OPENS,
    _PLACEHOLDER_OWNER,
    _placeholder,
)
from followthrough.core.parsing.vocabulary import normalize_label
from followthrough.core.reading import whys
from followthrough.core.reading.actions import _DONE_HEADING, _FUTURE_HEADING, _done_heading
from followthrough.core.reading.done_elsewhere import _RULE, _RULE_OPENS, _named_enough

from .strategies import joined

_SEPARATOR = re.compile(r"\s*(?:[-–—:|>~]+|\.(?=\s))?\s*")
_ASCII_WORD = re.compile(r"[A-Za-z]+")

# pieces of stamps, separators, periods and whys, beside the letters that ignoring case
# treats specially ("ı" is an "i", "ſ" an "s", "K" the Kelvin sign)
_PIECES = [
    "14:02",
    "2:02",
    "9",
    "12",
    "2026",
    "03",
    "-",
    "–",
    "—",
    ":",
    "|",
    ">",
    "~",
    ".",
    "..",
    ",",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "{",
    "}",
    "'",
    "UTC",
    "utc",
    "GMT",
    "gmt",
    "PDT",
    "Z",
    "CEST",
    "am",
    "pm",
    "AM",
    "p",
    "a",
    "PM",
    "UTCx",
    "Deploy",
    "deployed",
    "x",
    "q3",
    "Q3",
    "h2",
    "fy24",
    "end",
    "of",
    "the",
    "this",
    "next",
    "year",
    "quarter",
    "month",
    "week",
    "eoy",
    "EOW",
    "March",
    "mar.",
    "sept",
    "release",
    "version",
    "v2.4",
    "2.4",
    "by",
    "before",
    "in",
    "due",
    "Why",
    "why",
    "Q:",
    "q1.",
    "A:",
    "a2)",
    "because",
    "All",
    "every",
    "Each",
    "any",
    "will",
    "require",
    "fill",
    "in:",
    "owner",
    "name",
    "TBD",
    "ı",
    "ſ",
    "İ",
    "K",
    "é",
    "٣",
]
texts = joined(_PIECES, ["", " ", "  ", "\n", "\t", "\u00a0"], max_size=10)


def _separated_by_pattern(text: str) -> str:
    after = _SEPARATOR.match(text)
    assert after is not None
    return text[after.end() :].strip()


def _zone_or_ampm_by_pattern(text: str, at: int) -> bool:
    word = _ASCII_WORD.match(text, at)
    assert word is not None
    upper = word.group().upper()
    return (
        upper in dates.ZONES
        or upper[:3] in ("UTC", "GMT")
        or word.group().lower() in ["a", "p", "am", "pm"]
    )


@settings(max_examples=3000)
@given(texts)
def test_what_follows_a_separator_is_what_the_separator_pattern_leaves(text: str) -> None:
    after = _SEPARATOR.match(text)
    assert after is not None
    assert dates.after_separator(text) == text[after.end() :].strip()


def test_no_zone_is_five_letters_long() -> None:
    # _zone_or_ampm reads a word of five letters or more as a zone only when it starts so
    assert max(len(zone) for zone in dates.ZONES) < 5


@settings(max_examples=3000)
@given(texts, st.integers(min_value=0, max_value=4))
def test_a_zone_or_am_pm_word_is_told_as_the_word_pattern_tells_it(text: str, at: int) -> None:
    text = "x" * at + "z" + text  # _zone_or_ampm is asked where an ASCII letter stands
    assert dates._zone_or_ampm(text, at) == _zone_or_ampm_by_pattern(text, at)


@settings(max_examples=3000)
@given(texts)
def test_a_stamp_is_read_as_the_patterns_read_it(text: str) -> None:
    for line in (text, "14:02" + text, "2026-03-04 09:15" + text, "4 Mar 9:15" + text):
        found = dates.match_stamp(line)
        with (
            patch.object(dates, "after_separator", _separated_by_pattern),
            patch.object(dates, "_zone_or_ampm", _zone_or_ampm_by_pattern),
        ):
            assert found == dates.match_stamp(line)


@given(
    st.one_of(
        st.none(),
        st.tuples(
            st.one_of(st.none(), st.integers(0, 10_000)), st.integers(0, 13), st.integers(0, 32)
        ),
    ),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_a_kept_date_is_the_date_made_afresh(
    day: tuple[int | None, int, int] | None, year: int | None
) -> None:
    assert dates.to_date(day, year) == dates.to_date.__wrapped__(day, year)
    assert dates.to_date(day, year) == dates.to_date.__wrapped__(day, year)


@given(
    texts,
    st.sampled_from([None, dates.zone_from("UTC"), dates.zone_from("+05:30")]),
    st.sampled_from([None, (0, 0, 0), (2026, 3, 4)]),
)
def test_a_stamp_given_a_zone_is_the_stamp_replace_makes(
    text: str, zone: tzinfo | None, ambiguous: tuple[int, int, int] | None
) -> None:
    for line in (text, "14:02" + text, "4 Mar 9:15 UTC" + text, "03/04/2026" + text):
        stamp = dates.match_stamp(line)
        if stamp is not None:
            made = dates.replaced(stamp, zone, ambiguous)
            assert made == stamp._replace(zone=zone, ambiguous=ambiguous)
            assert type(made) is dates.Stamp and made.zone is zone


@settings(max_examples=3000)
@given(texts)
def test_a_named_period_is_found_as_the_period_pattern_finds_it(text: str) -> None:
    expected = dates.NAMED_PERIOD.match(" ".join(text.split())[:80]) is not None
    assert dates.named_period(text) == expected


@settings(max_examples=3000)
@given(texts)
def test_a_why_is_split_as_the_question_and_answer_patterns_split_it(text: str) -> None:
    for line in (text, "Q" + text, "a" + text, "Q1: " + text + " A: " + text):
        qa = whys._WHY_QA.match(line)
        if qa is not None:
            expected: tuple[str, str] | None = (qa.group("q").strip(), qa.group("a").strip())
        elif whys._Q_ONLY.match(line):
            expected = (whys._Q_ONLY.sub("", line, count=1).strip(), "")
        elif whys._A_ONLY.match(line):
            expected = ("", whys._A_ONLY.sub("", line, count=1).strip())
        else:
            mark = line.find("?")
            expected = (
                None
                if mark < 0
                else (
                    line[: mark + 1].strip(),
                    whys._ANSWER_LEAD.sub("", line[mark + 1 :], count=1).strip(),
                )
            )
        assert whys.split_why(line) == expected


@settings(max_examples=3000)
@given(texts)
def test_a_placeholder_owner_starts_with_a_bracket(text: str) -> None:
    for value in (text, "<" + text, "[" + text + "]", "{" + text + "}", "[fill in: " + text):
        if _PLACEHOLDER.match(value) or _PLACEHOLDER_OWNER.fullmatch(value):
            assert value[:1] in _PLACEHOLDER_OPENS
            assert _placeholder(value)


@settings(max_examples=3000)
@given(texts)
def test_a_rule_for_a_class_starts_with_one_of_its_words(text: str) -> None:
    for value in (text, "All " + text, "every " + text + " will require x"):
        if _RULE.match(value) is not None:
            assert value[:3].lower() in _RULE_OPENS


@given(
    st.sets(st.sampled_from(_PIECES), max_size=8),
    texts,
    st.floats(min_value=0, max_value=9, allow_nan=False),
)
def test_a_timeline_names_enough_words_when_the_plain_count_says_so(
    words: set[str], low: str, need: float
) -> None:
    assert _named_enough(words, low, need) == (sum(w in low for w in words) >= need)


@given(texts)
def test_a_done_heading_is_read_as_its_two_patterns_read_it(text: str) -> None:
    for heading in (text, "Actions taken " + text, "Completed, next " + text):
        label = normalize_label(heading)
        expected = bool(_DONE_HEADING.search(label)) and not _FUTURE_HEADING.search(label)
        assert _done_heading(heading) == expected
