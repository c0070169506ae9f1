"""`followthrough lint` and `followthrough rules` through click's CliRunner: formats, exit
codes 0/1/2/3, bad input that never produces a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from followthrough.cli import main
from followthrough.core.reporters import rules_markdown

CLEAN = """\
# Checkout errors for EU customers

**Date:** 2026-03-04

## Summary
Checkout returned errors for 47 minutes after a config change reached every region.

## Impact
1,240 checkouts failed (18% of attempts) over 47 minutes.

## Timeline
- 14:02 UTC Config change 4812 rolled out to all regions
- 14:05 UTC Checkout error rate reached 18%
- 14:49 UTC Config change reverted; errors stopped

## Five whys
1. Why did checkout fail? The payment client rejected the new timeout value.
2. Why was the value accepted? Config changes are not validated against the client schema.
3. Why not? There is no validation step in the config pipeline.

## Root cause
There is no gate that validates config changes before they reach every region.

Category: process gap

## Action items
| Action | Owner | Due | Done when |
| --- | --- | --- | --- |
| Add schema validation for config changes to the config pipeline | @alice | 2026-03-18 | an invalid timeout is rejected in CI |
| Roll config changes out one region at a time with a 10 minute gate | @bob | 2026-03-25 | the pipeline halts on a red canary |
"""

DIRTY = """\
# Checkout errors

## Summary
Bob broke prod.

## Action items
- Improve monitoring
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_a_clean_postmortem_exits_0(tmp_path: Path) -> None:
    code, out, err = run("lint", str(write(tmp_path, "ok.md", CLEAN)))
    assert code == 0, out
    assert "1 file linted, 0 findings" in out


def test_findings_at_or_above_the_threshold_exit_1_and_below_it_0(tmp_path: Path) -> None:
    path = str(write(tmp_path, "bad.md", DIRTY))
    code, out, _ = run("lint", path)
    assert code == 1
    assert "PM101" in out and "Bob broke prod." in out
    code, _, _ = run("lint", path, "--select", "PM702", "--fail-on", "warning")
    assert code == 0
    code, _, _ = run("lint", path, "--select", "PM702", "--fail-on", "info")
    assert code == 1


def test_json_output_names_paths_as_given_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "pms/a.md", DIRTY)
    write(tmp_path, "pms/sub/b.markdown", CLEAN)
    write(tmp_path, "pms/notes.txt", "not markdown")
    given = str(tmp_path / "pms")
    code, out, _ = run("lint", given, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert [f["path"] for f in data["files"]] == [f"{given}/a.md", f"{given}/sub/b.markdown"]
    assert data["summary"]["files"] == 2


def test_select_and_ignore_take_codes_names_and_categories(tmp_path: Path) -> None:
    path = str(write(tmp_path, "bad.md", DIRTY))
    _, out, _ = run(
        "lint", path, "--format", "json", "--select", "blame,PM2", "--ignore", "action-items.vague"
    )
    rules = {f["rule"] for f in json.loads(out)["files"][0]["findings"]}
    assert "PM101" in rules and "PM201" in rules and "PM203" not in rules and "PM501" not in rules


def test_an_unknown_rule_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("lint", str(write(tmp_path, "a.md", CLEAN)), "--select", "PM999")
    assert code == 2 and "unknown rule 'PM999'" in err


def test_an_invalid_config_file_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    config = write(tmp_path, "lint.toml", '[lint]\nfail_on = "sometimes"\n')
    code, out, err = run("lint", str(write(tmp_path, "a.md", CLEAN)), "--config", str(config))
    assert code == 2 and "not a severity" in err and "Traceback" not in err + out


def test_unreadable_files_are_reported_one_line_each_and_the_rest_still_linted(
    tmp_path: Path,
) -> None:
    write(tmp_path, "pms/empty.md", "")
    write(tmp_path, "pms/binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(tmp_path, "pms/latin1.md", "# Caf\xe9 outage\n".encode("latin-1"))
    write(tmp_path, "pms/good.md", DIRTY)
    code, out, err = run(
        "lint", str(tmp_path / "pms"), str(tmp_path / "missing.md"), "--format", "json"
    )
    assert code == 2
    bad = sorted(line.split(":")[0] for line in err.splitlines())
    assert bad == sorted(
        str(tmp_path / name)
        for name in ("missing.md", "pms/binary.md", "pms/empty.md", "pms/latin1.md")
    )
    assert "Traceback" not in err
    assert [f["path"] for f in json.loads(out)["files"]] == [str(tmp_path / "pms/good.md")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_skipped_in_a_folder_and_refused_when_named(tmp_path: Path) -> None:
    write(tmp_path, "pms/good.md", DIRTY)
    os.mkfifo(tmp_path / "pms" / "x.md")  # reading it would wait for a writer forever
    code, out, err = run("lint", str(tmp_path / "pms"), "--format", "json")
    assert [f["path"] for f in json.loads(out)["files"]] == [str(tmp_path / "pms/good.md")]
    assert err == ""
    code, out, err = run("lint", str(tmp_path / "pms" / "x.md"), "--format", "json")
    assert code == 2
    assert err.strip() == f"{tmp_path / 'pms' / 'x.md'}: not a regular file"


def test_broken_tables_and_odd_markdown_are_linted_without_a_traceback(tmp_path: Path) -> None:
    odd = "# X\n## Action items\n| Action | Owner\n|---\n| a | b | c | d | e |\n|\n```\nunclosed fence\n## Timeline\n- 25:99 nonsense\n- 14:00\n"
    code, out, err = run("lint", str(write(tmp_path, "odd.md", odd)))
    assert code in (0, 1) and "Traceback" not in out + err


def test_a_10_mb_postmortem_is_linted(tmp_path: Path) -> None:
    # 10 MB of mostly prose, with a few thousand timeline entries so that path is covered
    # too. (175,000 timeline entries made this test cost ~6 s of CPU, measuring the parser's
    # per-entry work rather than whether a 10 MB file lints; this costs ~1 s.)
    timeline = "".join(
        f"- {i % 24:02d}:{i % 60:02d} Step {i} of the rollback completed on host-{i}\n"
        for i in range(2_000)
    )
    notes = "".join(
        f"Host host-{i} drained its connections and rejoined the pool after the rollback; "
        f"its error rate stayed at 0% for the next {i % 50} minutes.\n"
        for i in range(80_000)
    )
    text = CLEAN.replace(
        "## Five whys",
        "## Timeline detail\n" + timeline + "\n## Notes\n" + notes + "\n## Five whys",
    )
    path = write(tmp_path, "huge.md", text)
    assert path.stat().st_size > 10_000_000
    code, out, err = run("lint", str(path), "--format", "json")
    assert code in (0, 1), err
    assert json.loads(out)["summary"]["files"] == 1


def test_a_folder_of_two_thousand_postmortems_is_linted_with_the_folder_checks(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "pms"
    for i in range(2000):
        write(
            folder,
            f"{i:04d}.md",
            DIRTY.replace("Bob broke prod.", f"Incident {i}: service-{i} returned errors."),
        )
    code, out, err = run("lint", str(folder), "--format", "json")
    data = json.loads(out)
    assert code == 1 and err == ""
    assert data["summary"]["files"] == 2000
    first = data["files"][0]["findings"]
    assert not any(f["category"] == "copy_paste" and f["line"] == 4 for f in first)


def test_copy_paste_is_reported_on_the_later_postmortem_naming_the_earlier(
    tmp_path: Path,
) -> None:
    shared = (
        "- Our monitoring did not detect the issue quickly enough for the on-call team to act.\n"
    )
    a = write(tmp_path, "a.md", CLEAN + "\n## Contributing factors\n" + shared)
    b = write(tmp_path, "b.md", DIRTY + "\n## Contributing factors\n" + shared)
    _, out, _ = run("lint", str(a), str(b), "--format", "json", "--select", "copy_paste")
    files = {f["path"]: f["findings"] for f in json.loads(out)["files"]}
    assert files[str(a)] == []  # the dated, earlier one is the original
    related = files[str(b)][0]["related"][0]
    assert (related["path"], related["reason"]) == (str(a), "the same text")
    _, out, _ = run(
        "lint", str(a), str(b), "--format", "json", "--select", "copy_paste", "--no-corpus"
    )
    assert json.loads(out)["summary"]["findings"] == 0


def test_sarif_and_github_formats_are_available(tmp_path: Path) -> None:
    path = str(write(tmp_path, "bad.md", DIRTY))
    _, out, _ = run("lint", path, "--format", "sarif")
    assert json.loads(out)["version"] == "2.1.0"
    _, out, _ = run("lint", path, "--format", "github")
    assert out.startswith("::")


def test_rules_lists_every_rule_in_each_format() -> None:
    code, out, _ = run("rules")
    assert code == 0 and "PM201  action-items.unowned" in out
    _, out, _ = run("rules", "--format", "json")
    assert {"code", "name", "category", "severity", "summary"} <= set(json.loads(out)[0])
    _, out, _ = run("rules", "--format", "markdown")
    assert out == rules_markdown()


def test_docs_rules_md_is_generated_from_the_registry_and_not_stale() -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert committed.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `followthrough rules --format markdown > docs/rules.md`"
    )


def test_a_file_named_two_ways_is_linted_once_and_never_a_copy_of_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.md", DIRTY)
    code, out, _ = run("lint", "x.md", "./x.md", str(tmp_path / "x.md"), "--format", "json")
    data = json.loads(out)
    assert [f["path"] for f in data["files"]] == ["x.md"]
    assert not any(f["category"] == "copy_paste" for f in data["files"][0]["findings"])


def test_a_file_reached_through_a_folder_a_link_and_a_linked_folder_is_linted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "real", "x.md", DIRTY)
    (tmp_path / "real" / "y.md").symlink_to(tmp_path / "real" / "x.md")  # a link beside it
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    given = ("real", "linked", "./real/x.md", str(tmp_path / "linked" / "y.md"))
    _, out, _ = run("lint", *given, "--format", "json")
    assert [f["path"] for f in json.loads(out)["files"]] == ["real/x.md"]
    _, out, _ = run("lint", "real/x.md", "--against", "linked", "--format", "json")
    assert [f["path"] for f in json.loads(out)["files"]] == ["real/x.md"]
    assert "copy_paste" not in out  # the folder's link to it is not another postmortem


SHARED = (
    "Our monitoring did not detect the issue quickly enough for the on-call team to act, "
    "because the alert on queue depth fired only after the backlog had been growing for "
    "forty minutes and nobody was watching the dashboard at that time of night.\n"
)


def test_against_compares_with_the_folder_but_reports_only_the_files_given(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "postmortems"
    # the older postmortem's own date line says it is the older one (a copy is reported on
    # the later postmortem, by the date it gives, else by its name)
    old = CLEAN.replace("2026-03-04", "2025-01-10")
    write(folder, "2025-01-10-old.md", old + "\n## Contributing factors\n" + SHARED)
    new = write(folder, "2026-02-01-new.md", DIRTY + "\n## Contributing factors\n" + SHARED)
    _, alone, _ = run("lint", str(new), "--format", "json", "--select", "copy_paste")
    assert json.loads(alone)["summary"]["findings"] == 0
    for how in (("--against", str(folder)), ("--against-parent-folders",)):
        _, out, _ = run("lint", str(new), *how, "--format", "json", "--select", "copy_paste")
        data = json.loads(out)
        assert [f["path"] for f in data["files"]] == [str(new)], how
        related = data["files"][0]["findings"][0]["related"][0]["path"]
        assert related.endswith("2025-01-10-old.md"), how


def test_sarif_output_writes_sarif_beside_the_chosen_format(tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    code, out, _ = run(
        "lint",
        str(write(tmp_path, "bad.md", DIRTY)),
        "--format",
        "github",
        "--sarif-output",
        str(sarif),
    )
    assert code == 1 and out.startswith("::")
    assert json.loads(sarif.read_text())["runs"][0]["results"]


def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    name = os.path.join(folder, b"caf\xe9.md")
    with open(name, "wb") as handle:
        handle.write(DIRTY.encode())
    for fmt in ("text", "json", "sarif", "github", "codeclimate"):
        code, out, err = run("lint", os.fsdecode(name), "--format", fmt)
        assert code == 1, (fmt, err)
        assert "caf" in out, fmt


def test_a_crash_inside_followthrough_exits_3_not_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followthrough.core.rules import REGISTRY

    rule = next(r for r in REGISTRY if r.code == "PM201")

    def explode(*args: object, **kwargs: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(type(rule), "check", explode)
    code, _, err = run("lint", str(write(tmp_path, "bad.md", DIRTY)))
    assert code == 3 and "internal error in rule PM201" in err
