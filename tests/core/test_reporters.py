"""Reporters: one record in, text out; the JSON contract, SARIF's required fields, GitHub escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from followthrough import __version__
from followthrough.core.lint import FileResult, LintReport, summarize
from followthrough.core.reporters import (
    GITHUB_ANNOTATIONS_PER_TYPE,
    REPORTERS,
    SARIF_MAX_RESULTS,
    WRITERS,
    escape_github_data,
    escape_github_property,
    report_codeclimate,
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


@pytest.fixture(autouse=True)
def in_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every report is written from the root of a git work tree, as in CI."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_json_is_the_design_contract_with_the_tool_and_its_version() -> None:
    data = json.loads(report_json(sample_record()))
    assert set(data) == {"tool", "record_version", "files", "errors", "summary"}
    assert data["tool"] == {"name": "followthrough", "version": __version__}
    assert data["record_version"] == 1 and data["errors"] == []
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


def test_sarif_has_the_required_fields_and_every_rule_with_help() -> None:
    sarif = json.loads(report_sarif(sample_record()))
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["PM000"] + [rule.code for rule in REGISTRY]
    assert run["tool"]["driver"]["version"] == __version__
    assert all(
        r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["name"] for r in rules
    )
    assert all(r["help"]["text"] and r["helpUri"].startswith("https://") for r in rules)
    pm201 = next(r for r in rules if r["id"] == "PM201")
    assert pm201["helpUri"].endswith("rules.md#pm201") and "Why" in pm201["help"]["markdown"]
    result = run["results"][0]
    assert result["ruleId"] == "PM201" and result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "PM201"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "pm/checkout%2050%25.md",
        "uriBaseId": "%SRCROOT%",
    }
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


def test_sarif_paths_are_relative_to_the_repository_root(
    in_a_repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_a_repository / "docs").mkdir()
    monkeypatch.chdir(in_a_repository / "docs")
    run = json.loads(report_sarif(sample_record()))["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "docs/pm/checkout%2050%25.md", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_a_colon_in_a_file_name_is_never_read_as_a_uri_scheme() -> None:
    run = json.loads(report_sarif(sample_record()))["runs"][0]
    related = run["results"][1]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related["uri"] == "pm/2025%20a%2Cb%3Ac.md"


def test_related_documents_are_links_in_the_sarif_message() -> None:
    message = json.loads(report_sarif(sample_record()))["runs"][0]["results"][1]["message"]
    assert message["text"].endswith("Related: [pm/2025 a,b:c.md](1) (0.91).")


def test_sarif_fingerprints_survive_the_finding_moving_to_another_line() -> None:
    first = json.loads(report_sarif(sample_record()))["runs"][0]["results"][0]
    record = sample_record()
    record["files"][0]["findings"][0]["line"] = 99  # type: ignore[index]
    moved = json.loads(report_sarif(record))["runs"][0]["results"][0]
    assert first["partialFingerprints"] == moved["partialFingerprints"]


def test_unreadable_files_are_sarif_results_so_an_upload_keeps_their_alerts() -> None:
    files = [FileResult("pm/ok.md", [])]
    errors = [("pm/broken.md", "not UTF-8 (invalid byte 0xff at offset 3)")]
    record = LintReport(files, errors, summarize(files, errors)).to_record()
    assert json.loads(report_json(record))["errors"] == [
        {"path": "pm/broken.md", "reason": "not UTF-8 (invalid byte 0xff at offset 3)"}
    ]
    result = json.loads(report_sarif(record))["runs"][0]["results"][0]
    assert result["ruleId"] == "PM000" and result["level"] == "error"
    assert "not UTF-8" in result["message"]["text"]


def test_sarif_puts_the_most_severe_first_and_keeps_within_githubs_limit() -> None:
    info = Finding("PM702", "process.no-done-condition", "process", Severity.INFO, 1, 1, "m", "x")
    error = Finding(
        "PM201", "action-items.unowned", "unowned_action", Severity.ERROR, 2, 2, "m", "y"
    )
    files = [FileResult(f"pm/{i}.md", [info, error]) for i in range(SARIF_MAX_RESULTS // 2 + 1)]
    record = LintReport(files, [], summarize(files, [])).to_record()
    run = json.loads(report_sarif(record))["runs"][0]
    assert len(run["results"]) == SARIF_MAX_RESULTS
    levels = [r["level"] for r in run["results"]]
    assert levels == sorted(levels, key=["error", "warning", "note"].index)
    assert "left out" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


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


def test_github_annotates_the_most_severe_first_and_no_more_than_it_shows() -> None:
    info = Finding("PM702", "process.no-done-condition", "process", Severity.INFO, 1, 1, "i", "x")
    error = Finding(
        "PM201", "action-items.unowned", "unowned_action", Severity.ERROR, 2, 2, "e", "y"
    )
    files = [FileResult(f"pm/{i}.md", [info, error]) for i in range(15)]
    out = report_github(LintReport(files, [], summarize(files, [])).to_record()).splitlines()
    assert all(line.startswith("::error ") for line in out[:GITHUB_ANNOTATIONS_PER_TYPE])
    assert sum(line.startswith("::error ") for line in out) == GITHUB_ANNOTATIONS_PER_TYPE
    assert sum(line.startswith("::notice ") for line in out) == GITHUB_ANNOTATIONS_PER_TYPE
    assert "pm/10.md:2: PM201 error: e" in out
    assert "5 error, 5 notice beyond GitHub's 10 annotations per type" in out[-1]


def test_codeclimate_is_gitlabs_code_quality_report() -> None:
    issues = json.loads(report_codeclimate(sample_record()))
    assert [i["severity"] for i in issues] == ["major", "minor"]
    first = issues[0]
    assert first["check_name"] == "PM201 action-items.unowned"
    assert first["location"] == {"path": "pm/checkout 50%.md", "lines": {"begin": 42, "end": 42}}
    assert len({i["fingerprint"] for i in issues}) == 2
    assert issues[1]["categories"] == ["Duplication"]


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


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_report_written_as_it_goes_is_the_reporters_text_to_the_byte(name: str) -> None:
    """A folder's report is written a file at a time (never held whole): the same text,
    with files, with none, and with unreadable ones."""
    full = sample_record()
    files = full["files"]
    assert isinstance(files, list)
    unreadable = LintReport([], [("pm/bad.md", "not UTF-8")], summarize([], [])).to_record()
    for record, its_files in ((full, files), (unreadable, []), ({**full, "files": []}, [])):
        pieces: list[str] = []
        WRITERS[name]({**record, "files": []}, iter(its_files), pieces.append)
        assert "".join(pieces) == REPORTERS[name]({**record, "files": its_files})
