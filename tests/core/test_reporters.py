"""Reporters: one record in, text out; the JSON contract, SARIF's required fields, GitHub escaping."""

from __future__ import annotations

import json

from followthrough.core.lint import FileResult, LintReport, summarize
from followthrough.core.reporters import (
    REPORTERS,
    escape_github_data,
    escape_github_property,
    report_github,
    report_json,
    report_sarif,
    report_text,
)
from followthrough.core.rules import REGISTRY
from followthrough.core.rules.base import Finding, Related, Severity


def sample_record() -> dict[str, object]:
    findings = [
        Finding(
            rule="PM201",
            name="action-items.unowned",
            category="unowned_action",
            severity=Severity.ERROR,
            line=42,
            end_line=42,
            message="Action item has no owner",
            excerpt="- Improve monitoring",
            fix="Name one person.",
        ),
        Finding(
            rule="PM601",
            name="corpus.copy-paste",
            category="copy_paste",
            severity=Severity.WARNING,
            line=7,
            end_line=9,
            message="3 lines copied: a, b\n100% the same",
            excerpt="Our monitoring did not detect it",
            related=(Related("pm/2025 a,b:c.md", 12, 0.91234),),
        ),
    ]
    files = [FileResult("pm/checkout 50%.md", findings), FileResult("pm/clean.md", [])]
    return LintReport(files, [], summarize(files, [])).to_record()


def test_json_is_the_design_contract_exactly() -> None:
    data = json.loads(report_json(sample_record()))
    assert set(data) == {"files", "summary"}
    first = data["files"][0]
    assert set(first) == {"path", "findings"} and first["path"] == "pm/checkout 50%.md"
    finding = first["findings"][0]
    assert set(finding) >= {
        "rule",
        "category",
        "severity",
        "line",
        "end_line",
        "message",
        "excerpt",
        "fix",
        "related",
    }
    assert finding["rule"] == "PM201" and finding["severity"] == "error" and finding["line"] == 42
    assert first["findings"][1]["related"] == [
        {"path": "pm/2025 a,b:c.md", "line": 12, "score": 0.912}
    ]
    assert data["summary"]["findings"] == 2 and data["summary"]["error"] == 1
    assert data["files"][1] == {"path": "pm/clean.md", "findings": []}


def test_sarif_has_the_required_fields_and_every_rule() -> None:
    sarif = json.loads(report_sarif(sample_record()))
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in REGISTRY]
    assert all(
        r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["name"] for r in rules
    )
    assert all("helpUri" not in r for r in rules)
    result = run["results"][0]
    assert result["ruleId"] == "PM201" and result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "PM201"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pm/checkout%2050%25.md"
    assert location["region"] == {
        "startLine": 42,
        "endLine": 42,
        "snippet": {"text": "- Improve monitoring"},
    }
    second = run["results"][1]
    assert (
        second["level"] == "warning"
        and second["locations"][0]["physicalLocation"]["region"]["endLine"] == 9
    )
    assert second["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": 12}


def test_github_annotations_escape_percent_newlines_and_property_separators() -> None:
    out = report_github(sample_record()).splitlines()
    assert out[0] == (
        "::error file=pm/checkout 50%25.md,line=42,endLine=42,title=PM201 action-items.unowned"
        "::Action item has no owner Fix: Name one person."
    )
    assert out[1].startswith("::warning file=pm/checkout 50%25.md,line=7,endLine=9,")
    assert out[1].endswith("::3 lines copied: a, b%0A100%25 the same")
    assert escape_github_property("a:b,c%\r\n") == "a%3Ab%2Cc%25%0D%0A"
    assert escape_github_data("a:b,c") == "a:b,c"


def test_text_groups_findings_per_file_with_the_excerpt_and_a_summary_line() -> None:
    out = report_text(sample_record())
    assert out.startswith("pm/checkout 50%.md\n")
    assert "42  PM201  error    Action item has no owner" in out
    assert "| - Improve monitoring" in out
    assert "~ pm/2025 a,b:c.md:12 (similarity 0.91)" in out
    assert "pm/clean.md" not in out
    assert out.rstrip().endswith("2 files linted, 2 findings (1 error, 1 warning, 0 info)")


def test_every_reporter_handles_an_empty_report() -> None:
    record = LintReport([], [], summarize([], [])).to_record()
    for name, reporter in REPORTERS.items():
        assert reporter(record), name
