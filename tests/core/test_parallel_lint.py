"""A folder is linted by several processes (``--jobs``), and the report is byte for byte the
one a single process writes: text, JSON and SARIF, on the project's corpus and on the real
postmortems beside the project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from followthrough.cli import main
from followthrough.core.config import LintConfig
from followthrough.core.lint import PARALLEL_FROM, lint_paths
from followthrough.core.reporters import REPORTERS
from followthrough.core.rules.blame import PersonAsAgent

from . import real_corpus

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _reports(folder: Path, jobs: int, against: tuple[str, ...] = ()) -> dict[str, str]:
    report = lint_paths([str(folder)], LintConfig(), against=list(against), jobs=jobs)
    record = report.to_record()
    return {fmt: REPORTERS[fmt](record) for fmt in ("text", "json", "sarif")}


def _assert_same(serial: dict[str, str], parallel: dict[str, str]) -> None:
    for fmt in serial:
        assert parallel[fmt].encode() == serial[fmt].encode(), fmt


def test_the_project_corpus_linted_by_two_processes_gives_the_serial_report() -> None:
    serial = _reports(CORPUS, jobs=1)
    assert '"PM601"' in serial["json"] and '"PM602"' in serial["json"]  # folder checks ran
    _assert_same(serial, _reports(CORPUS, jobs=2))
    _assert_same(serial, _reports(CORPUS, jobs=3))


def test_the_real_postmortems_linted_by_two_processes_give_the_serial_report() -> None:
    real_corpus.require()
    _assert_same(_reports(real_corpus.DOCS, jobs=1), _reports(real_corpus.DOCS, jobs=2))


def test_files_compared_against_a_folder_give_the_serial_report(tmp_path: Path) -> None:
    """A hook's run: a few staged files, checked against the folder (the neighbours are read
    by the workers too, and never reported)."""
    staged = tmp_path / "staged"
    staged.mkdir()
    names = sorted(p.name for p in CORPUS.glob("*.md"))[:3]
    for name in names:
        shutil.copy(CORPUS / name, staged / name)
    against = (str(CORPUS),)
    serial = _reports(staged, jobs=1, against=against)
    _assert_same(serial, _reports(staged, jobs=2, against=against))
    reported = [f["path"] for f in json.loads(serial["json"])["files"]]
    assert reported == [str(staged / name) for name in names]


def test_unreadable_files_are_reported_as_by_one_process(tmp_path: Path) -> None:
    for name in sorted(p.name for p in CORPUS.glob("*.md"))[:PARALLEL_FROM]:
        shutil.copy(CORPUS / name, tmp_path / name)
    (tmp_path / "binary.md").write_bytes(b"\x00\xff\xfe not text")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9 outage\n".encode("latin-1"))
    serial = lint_paths([str(tmp_path)], jobs=1)
    parallel = lint_paths([str(tmp_path)], jobs=2)
    assert serial.errors and parallel.errors == serial.errors
    assert parallel.to_record() == serial.to_record()


def test_a_rule_that_crashes_in_a_worker_is_reported_as_by_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule bug on one file: that file gets one error line, the others are still linted
    (without the folder checks), and the run knows it crashed (exit 3)."""
    names = sorted(p.name for p in CORPUS.glob("*.md"))[:PARALLEL_FROM]
    for name in names:
        shutil.copy(CORPUS / name, tmp_path / name)
    victim = str(tmp_path / names[5])
    original = PersonAsAgent.check

    def crashing(self: PersonAsAgent, doc, config):  # type: ignore[no-untyped-def]
        if doc.path == victim:
            raise ValueError("boom")
        return original(self, doc, config)

    monkeypatch.setattr(PersonAsAgent, "check", crashing)  # the workers are forked with it
    serial = lint_paths([str(tmp_path)], jobs=1)
    parallel = lint_paths([str(tmp_path)], jobs=2)
    assert serial.crashed == [victim, victim]
    assert parallel.crashed == serial.crashed and parallel.errors == serial.errors
    assert "internal error in rule PM101: ValueError: boom" in serial.errors[0][1]
    assert parallel.to_record() == serial.to_record()


def test_jobs_on_the_command_line() -> None:
    runner = CliRunner()
    one = runner.invoke(main, ["lint", "--jobs", "1", "--format", "json", str(CORPUS)])
    two = runner.invoke(main, ["lint", "-j", "2", "--format", "json", str(CORPUS)])
    default = runner.invoke(main, ["lint", "--format", "json", str(CORPUS)])
    assert one.exit_code == two.exit_code == default.exit_code == 1
    assert one.output == two.output == default.output
    refused = runner.invoke(main, ["lint", "--jobs", "0", str(CORPUS)])
    assert refused.exit_code == 2 and "--jobs" in refused.output
