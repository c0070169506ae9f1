"""Every rule against its passing and failing cases (tests/core/rules/cases.py), and the
meta-test that keeps the registry, the cases and the rule docs honest."""

from __future__ import annotations

import re

import pytest

from followthrough.core.config import LintConfig
from followthrough.core.lint import lint_corpus, lint_document
from followthrough.core.markdown import parse
from followthrough.core.reporters import docstring_parts
from followthrough.core.rules import REGISTRY, CorpusRule
from followthrough.core.rules.base import CATEGORIES

from .cases import CASES

RULES = {rule.code: rule for rule in REGISTRY}


def _config(code: str) -> LintConfig:
    # the unused-suppression rule needs the suppressed rule to run
    return LintConfig() if code == "PM790" else LintConfig(select=(code,))


def _lines(code: str, source: str | dict[str, str]) -> list[int] | dict[str, list[int]]:
    config = _config(code)
    if isinstance(source, dict):
        docs = [parse(text, path) for path, text in source.items()]
        found = lint_corpus(docs, config)
        return {
            path: [f.line for f in findings if f.rule == code] for path, findings in found.items()
        }
    return [f.line for f in lint_document(parse(source, "case.md"), config) if f.rule == code]


PASSING = [
    pytest.param(code, source, id=f"{code}-{name}")
    for code, cases in CASES.items()
    for name, source in cases.passing.items()
]
FAILING = [
    pytest.param(code, source, expected, id=f"{code}-{name}")
    for code, cases in CASES.items()
    for name, (source, expected) in cases.failing.items()
]


@pytest.mark.parametrize(("code", "source"), PASSING)
def test_a_passing_case_draws_no_finding_from_its_rule(
    code: str, source: str | dict[str, str]
) -> None:
    found = _lines(code, source)
    if isinstance(found, dict):
        assert all(lines == [] for lines in found.values()), found
    else:
        assert found == []


@pytest.mark.parametrize(("code", "source", "expected"), FAILING)
def test_a_failing_case_is_reported_on_exactly_the_expected_lines(
    code: str, source: str | dict[str, str], expected: list[int] | dict[str, list[int]]
) -> None:
    assert _lines(code, source) == expected


def test_every_rule_has_passing_and_failing_cases() -> None:
    missing = [
        rule.code
        for rule in REGISTRY
        if rule.code not in CASES or not CASES[rule.code].passing or not CASES[rule.code].failing
    ]
    assert missing == [], f"rules without passing and failing cases: {missing}"
    assert set(CASES) <= set(RULES), f"cases for rules that do not exist: {set(CASES) - set(RULES)}"


def test_every_rule_documents_what_it_finds_why_and_a_bad_and_a_good_example() -> None:
    incomplete = {}
    for rule in REGISTRY:
        parts = docstring_parts(rule)
        lacking = [part for part in ("what", "why", "bad", "good") if part not in parts]
        if lacking:
            incomplete[rule.code] = lacking
        elif "seed" not in parts["why"].lower() and "STYLE.md" not in parts["why"]:
            incomplete[rule.code] = ["why does not cite the seed"]
    assert incomplete == {}


def test_every_rule_has_a_unique_code_in_its_family_range_a_dotted_name_and_a_known_category() -> (
    None
):
    ranges = {
        "blame": "1",
        "vague_action": "2",
        "unowned_action": "2",
        "undated_action": "2",
        "unverifiable_action": "2",
        "shallow_root_cause": "3",
        "unquantified_impact": "4",
        "timeline_analysis": "4",
        "missing_section": "5",
        "template_leftover": "5",
        "copy_paste": "6",
        "repeat_incident": "6",
        "process": "7",
    }
    codes = [rule.code for rule in REGISTRY]
    names = [rule.name for rule in REGISTRY]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    for rule in REGISTRY:
        assert re.fullmatch(r"PM[1-7]\d\d", rule.code), rule.code
        assert re.fullmatch(r"[a-z-]+\.[a-z-]+", rule.name), rule.name
        assert rule.category in CATEGORIES, rule.category
        assert rule.code[2] == ranges[rule.category], (rule.code, rule.category)
        assert rule.summary and "\n" not in rule.summary
        assert isinstance(rule, CorpusRule) == (rule.code[2] == "6")
