"""`followthrough parse` shows what was understood; `followthrough new` writes our template."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from followthrough.cli import main

LAYOUTS = Path(__file__).resolve().parent.parent / "fixtures" / "layouts"


def test_parse_prints_what_was_understood_as_text() -> None:
    result = CliRunner().invoke(main, ["parse", str(LAYOUTS / "atlassian.md")])
    assert result.exit_code == 0, result.output
    assert "title: Checkout API returned errors for EU customers" in result.output
    assert "25-33  timeline" in result.output
    assert (
        "line 29: [09:10] 2026-03-04T09:10:00+00:00  Nightly report job starts on the primary"
        in result.output
    )
    assert "owner: @dana  due: 2026-03-18 (written: 2026-03-18)" in result.output
    assert "(process) We have no systematic check" in result.output


def test_parse_json_has_stable_snake_case_keys() -> None:
    result = CliRunner().invoke(main, ["parse", "--format", "json", str(LAYOUTS / "pagerduty.md")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "path",
        "title",
        "title_line",
        "incident_date",
        "severity",
        "failure_mode",
        "genre",
        "sections",
        "timeline",
        "whys",
        "root_causes",
        "factors",
        "action_items",
        "suppressions",
    ]
    assert data["incident_date"] == "2026-03-03"
    assert data["timeline"][0] == {
        "line": 37,
        "time_text": "10:02 AM",
        "at": "2026-03-03T10:02:00-08:00",
        "text": "New cache cluster takes 100% of traffic",
    }
    assert data["action_items"][1]["due"] is None
    assert data["action_items"][1]["due_text"] == "next sprint"
    assert data["root_causes"][1]["category"] == "capacity"
    assert data["sections"][0] == {
        "kind": "title",
        "heading": "Incident Postmortem: Elevated latency on the search API",
        "level": 1,
        "line": 1,
        "end_line": 8,
        "body_line": 3,
        "found_by": "heading",
    }


def test_parse_shows_each_action_items_state_and_why(tmp_path: Path) -> None:
    pm = tmp_path / "pm.md"
    pm.write_text(
        "# Checkout errors\n\n"
        "Checkout failed for 40 minutes for 1,200 customers after a config deploy.\n\n"
        "## Action items\n\n"
        "- [x] Roll back the config (@ana, 2026-03-01)\n"
        "- ~~Pin the client version~~\n"
        "- We have added a config gate to the deploy pipeline\n"
        "- Add a canary stage for config changes (@ben, due end of Q3)\n"
        "- Fix the flaky check due to a bug in the runner\n",
        encoding="utf-8",
    )
    text = CliRunner().invoke(main, ["parse", str(pm)]).output
    assert (
        "3-3  summary               (untitled)  [lead paragraph before the first section]" in text
    )
    assert "state: done (ticked box)" in text
    assert "state: done (struck through)" in text
    assert "state: done (written as done ('We have added'))" in text
    assert "state: open (nothing in the document marks it done)" in text
    data = json.loads(CliRunner().invoke(main, ["parse", "--format", "json", str(pm)]).output)
    items = {a["line"]: a for a in data["action_items"]}
    assert items[10]["state"] == "open" and items[10]["due_text"] == "end of Q3"
    assert items[11]["due_text"] is None  # "due to a bug" is a cause, not a due date
    assert items[7]["state_reason"] == "ticked box"
    assert data["genre"] == "incident_report"


def test_parse_refuses_unreadable_input_with_one_line_and_exit_2(tmp_path: Path) -> None:
    binary = tmp_path / "pm.md"
    binary.write_bytes(b"\x00\x01\x02")
    runner = CliRunner()
    for target, reason in (
        (binary, "binary file (NUL byte at offset 0)"),
        (tmp_path / "no.md", "no such file"),
    ):
        result = runner.invoke(main, ["parse", str(target)])
        assert result.exit_code == 2
        assert result.stderr == f"followthrough: {target}: {reason}\n"
        assert "Traceback" not in result.output


def test_new_prints_the_template_when_no_path_is_given() -> None:
    result = CliRunner().invoke(main, ["new", "--title", "Checkout down"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Postmortem: Checkout down\n")
    assert "## Five whys" in result.stdout


def test_new_writes_the_template_and_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "pm.md"
    runner = CliRunner()
    first = runner.invoke(main, ["new", str(target), "--title", "Checkout down"])
    assert first.exit_code == 0
    assert target.read_text().startswith("# Postmortem: Checkout down")
    target.write_text("my notes\n")
    second = runner.invoke(main, ["new", str(target)])
    assert second.exit_code == 2
    assert (
        second.stderr == f"followthrough: {target}: already exists (use --force to overwrite it)\n"
    )
    assert target.read_text() == "my notes\n"
    third = runner.invoke(main, ["new", str(target), "--force"])
    assert third.exit_code == 0
    assert "[fill in:" in target.read_text()


def test_a_written_template_parses_back_into_every_section(tmp_path: Path) -> None:
    target = tmp_path / "pm.md"
    CliRunner().invoke(main, ["new", str(target), "--title", "Checkout down"])
    result = CliRunner().invoke(main, ["parse", "--format", "json", str(target)])
    kinds = {s["kind"] for s in json.loads(result.output)["sections"]}
    assert {
        "summary",
        "impact",
        "timeline",
        "whys",
        "root_cause",
        "action_items",
        "lessons",
        "people",
    } <= kinds


def test_the_same_postmortem_as_markdown_docx_and_confluence_html_parses_to_the_same_sections(
    tmp_path: Path,
) -> None:
    from .test_sources import CONFLUENCE, MARKDOWN, word_document

    (tmp_path / "checkout.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / "checkout.html").write_text(CONFLUENCE, encoding="utf-8")
    (tmp_path / "checkout.docx").write_bytes(word_document())

    def understood(name: str) -> dict[str, object]:
        result = CliRunner().invoke(main, ["parse", "--format", "json", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        return {
            "title": data["title"],
            "sections": [(s["kind"], s["heading"]) for s in data["sections"]],
            "timeline": [(e["at"], e["text"]) for e in data["timeline"]],
            "whys": [(w["question"], w["answer"]) for w in data["whys"]],
            "root_causes": [c["text"] for c in data["root_causes"]],
            "actions": [(a["text"], a["owner"], a["due"]) for a in data["action_items"]],
        }

    markdown = understood("checkout.md")
    assert [kind for kind, _ in markdown["sections"]] == [  # type: ignore[attr-defined]
        "title", "summary", "impact", "timeline", "whys", "root_cause", "action_items"
    ]  # fmt: skip
    assert understood("checkout.html") == markdown
    assert understood("checkout.docx") == markdown


def test_parse_of_an_html_export_gives_the_lines_of_the_html_file(tmp_path: Path) -> None:
    from .test_sources import CONFLUENCE

    (tmp_path / "checkout.html").write_text(CONFLUENCE, encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(tmp_path / "checkout.html")])
    assert result.exit_code == 0, result.output
    html = CONFLUENCE.splitlines()
    line = 1 + next(n for n, text in enumerate(html) if ">Improve monitoring<" in text)
    assert f"line {line}: [ ] Improve monitoring" in result.output


def test_parse_of_a_broken_docx_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a word document")
    result = CliRunner().invoke(main, ["parse", str(broken)])
    assert result.exit_code == 2
    assert "not a readable .docx" in result.output and "Traceback" not in result.output
