"""A folder is linted by several processes (``--jobs``), and the report is byte for byte the
one a single process writes, in every output format, on the project's corpus and on the real
postmortems beside the project. The workers send the folder rules signatures, not
documents."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.cli import main
from followthrough.core import lint
from followthrough.core.config import LintConfig
from followthrough.core.document import Document, SectionKind
from followthrough.core.lint import (
    PARALLEL_FROM,
    _chunks,
    expand_paths,
    lint_corpus,
    lint_paths,
    read_document,
)
from followthrough.core.markdown import parse
from followthrough.core.reporters import REPORTERS
from followthrough.core.rules.base import CorpusRule, Finding, Severity
from followthrough.core.rules.blame import PersonAsAgent
from followthrough.core.rules.corpus import (
    _SENTENCE_END,
    CopyPaste,
    RepeatIncident,
    _long_enough,
    _sentence_stops,
)

from . import real_corpus
from .strategies import joined

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BENCH = Path(__file__).resolve().parents[2] / "bench"


def _reports(folder: Path, jobs: int, against: tuple[str, ...] = ()) -> dict[str, str]:
    report = lint_paths([str(folder)], LintConfig(), against=list(against), jobs=jobs)
    record = report.to_record()
    return {fmt: REPORTERS[fmt](record) for fmt in sorted(REPORTERS)}


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
    serial = _reports(real_corpus.DOCS, jobs=1)
    assert '"PM601"' in serial["json"] and '"PM602"' in serial["json"]
    _assert_same(serial, _reports(real_corpus.DOCS, jobs=2))


def test_a_folder_linted_from_files_finds_what_the_documents_in_memory_find() -> None:
    """The folder rules compare signatures taken file by file (the documents let go); the
    findings are those of the rules run over every parsed document at once."""
    files, _ = expand_paths([str(CORPUS)])
    docs = []
    for path in files:
        doc, _source = read_document(path)
        doc.path = path
        docs.append(doc)
    in_memory = lint_corpus(docs)
    from_files = {r.path: r.findings for r in lint_paths([str(CORPUS)], jobs=1).files}
    assert from_files == {path: in_memory[path] for path in from_files}
    assert any(f.rule == "PM601" for found in from_files.values() for f in found)


def test_a_copy_paste_signature_is_numbers_and_excerpts_not_the_document() -> None:
    doc = read_document(str(CORPUS / "2025-09-23-checkout-500s.md"))[0]
    signature = CopyPaste().signature(doc, LintConfig())
    assert signature.hashes.typecode == "q" and len(signature.ends) == len(signature.lines)
    assert not any(isinstance(value, Document) for value in vars(signature).values())
    assert len(pickle.dumps(signature)) < len(pickle.dumps(doc))


def test_a_copied_run_is_judged_from_the_signature_as_from_the_lines_it_spans() -> None:
    """The signature counts words and sentence stops only on the lines a run of copied
    passages (at most two lines apart) can span: every such run is long enough, or not,
    exactly as the text of its lines is."""
    # two passages with a short line of two sentences between them
    spanned = "# A\n## Summary\nthe pool was sized for last year\nToo small. Again.\nthe alert fired long after the queue\n"
    docs = [read_document(str(path))[0] for path in sorted(CORPUS.glob("*.md"))]
    for doc in [parse(spanned, "spanned.md"), *docs]:
        signature = CopyPaste().signature(doc, LintConfig())
        lines = doc.text.split("\n")
        numbers = sorted(set(signature.lines))
        for i, first in enumerate(numbers):
            for j in range(i, len(numbers)):
                if j > i and numbers[j] > numbers[j - 1] + 2:
                    break
                text = " ".join(lines[first - 1 : numbers[j]])
                for kind in (SectionKind.ACTION_ITEMS, SectionKind.SUMMARY):
                    judged = signature.long_enough(first, numbers[j], kind)
                    assert judged == _long_enough(text, kind), (doc.path, first, numbers[j])


@settings(max_examples=3000)
@given(
    st.lists(
        joined(
            ["end", "e.g", "3", "?", "!", ".", "?!", "…", "'", ")", "é"],
            ["", " ", "  ", "\t", "\u00a0", "\u2028", "\x1c", "\r", "\n"],
            max_size=8,
        ),
        max_size=4,
    )
)
def test_a_line_s_sentence_stops_counted_from_its_words_are_those_the_pattern_finds(
    lines: list[str],
) -> None:
    """A signature counts a line's stops as its words that end with one: the same count as
    the pattern finds in the line, whatever whitespace separates them."""
    expected = [len(_SENTENCE_END.findall(line)) for line in lines]
    assert _sentence_stops(list(map(str.split, lines))) == expected


def test_a_repeat_signature_is_words_and_numbers_not_the_document() -> None:
    doc = read_document(str(CORPUS / "2025-09-23-checkout-500s.md"))[0]
    signature = RepeatIncident().signature(doc, LintConfig())
    assert not any(isinstance(getattr(signature, f), Document) for f in signature.__slots__)
    assert pickle.loads(pickle.dumps(signature)) == signature
    assert len(pickle.dumps(signature)) < len(pickle.dumps(doc)) / 2


def _generated(folder: Path, count: int) -> Path:
    """``count`` postmortems of bench/generate_postmortems.py (seeded: always the same)."""
    spec = importlib.util.spec_from_file_location(
        "generate_postmortems", BENCH / "generate_postmortems.py"
    )
    assert spec is not None and spec.loader is not None
    gen = sys.modules.get(spec.name)
    if gen is None:
        gen = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = gen  # its dataclasses look their module up
        spec.loader.exec_module(gen)
    for name, text in gen.folder(count, seed=1):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _repeat_findings(folder: Path, jobs: int) -> tuple[int, str]:
    """The repeat findings (PM602) of the JSON report on ``folder``, paths relative to it:
    their count and SHA-256."""
    report = _reports(folder, jobs=jobs)["json"].replace(json.dumps(f"{folder}/")[1:-1], "")
    found = [
        [entry["path"], finding]
        for entry in json.loads(report)["files"]
        for finding in entry["findings"]
        if finding["rule"] == "PM602"
    ]
    text = json.dumps(found, sort_keys=True)
    return len(found), hashlib.sha256(text.encode()).hexdigest()


#: the repeat findings the rule gave over whole documents (``check_corpus``, before it
#: compared signatures), on the project's corpus, the real postmortems and 300 generated
#: ones; a change to PM602 that changes its findings on purpose records them again
REPEATS_OVER_DOCUMENTS = {
    "corpus": (5, "1dd221bb022e10beacfecde5b57fce94aeb7c27f358fc3383752ab1223d57b71"),
    "real": (9, "ddeeaedbdc86d082a4269f5515da1f87f60216f9118822725e26b36ddd0b2333"),
    "generated": (280, "44df17b18593ea58cb90dddfc5215688f601777dd7016d03295deff10bbf9a7d"),
}


def test_repeat_findings_from_signatures_are_those_the_whole_documents_gave(
    tmp_path: Path,
) -> None:
    assert _repeat_findings(CORPUS, jobs=1) == REPEATS_OVER_DOCUMENTS["corpus"]
    generated = _generated(tmp_path, 300)
    assert _repeat_findings(generated, jobs=2) == REPEATS_OVER_DOCUMENTS["generated"]
    real_corpus.require()
    assert _repeat_findings(real_corpus.DOCS, jobs=2) == REPEATS_OVER_DOCUMENTS["real"]


class _WholeDocuments(CorpusRule):
    """A folder rule written over whole documents (``check_corpus`` only): the same title
    twice."""

    code = "PM699"
    name = "corpus.test-same-title"
    category = "copy_paste"
    severity = Severity.WARNING

    def check_corpus(
        self, docs: Sequence[Document], config: LintConfig
    ) -> Iterator[tuple[str, Finding]]:
        seen: set[str | None] = set()
        for doc in docs:
            if doc.title in seen:
                yield doc.path, self.finding(config, 1, "same title", "")
            seen.add(doc.title)


def test_a_folder_rule_written_over_whole_documents_still_compares_what_workers_send() -> None:
    docs = [parse("# Pool exhausted\n\nText.\n", f"{n}.md") for n in range(3)]
    rule = _WholeDocuments()
    signatures = [rule.signature(doc, LintConfig()) for doc in docs]
    found = list(rule.compare(pickle.loads(pickle.dumps(signatures)), LintConfig()))
    assert [(d, f.message) for d, f in found] == [(1, "same title"), (2, "same title")]


def test_a_folder_rule_that_writes_neither_step_is_refused() -> None:
    class Nothing(CorpusRule):
        code = "PM698"
        name = "corpus.test-nothing"
        category = "copy_paste"

    with pytest.raises(TypeError, match="Nothing writes neither"):
        list(Nothing().compare([], LintConfig()))


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


def test_two_jobs_are_this_process_and_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--jobs 2`` the process that reports reads files too, beside one worker,
    instead of waiting for two."""
    readers = tmp_path / "readers"
    original = lint._read_one

    def recorded(entry, config, compare, keep=False):  # type: ignore[no-untyped-def]
        with readers.open("a") as file:
            file.write(f"{os.getpid()}\n")
        return original(entry, config, compare, keep)

    monkeypatch.setattr(lint, "_read_one", recorded)  # the worker is forked with it
    report = lint_paths([str(CORPUS)], jobs=2)
    pids = readers.read_text().split()
    assert len(pids) == len(report.files) + len(report.errors)  # each file read once
    assert str(os.getpid()) in pids and len(set(pids)) == 2


def test_jobs_on_the_command_line() -> None:
    runner = CliRunner()
    one = runner.invoke(main, ["lint", "--jobs", "1", "--format", "json", str(CORPUS)])
    two = runner.invoke(main, ["lint", "-j", "2", "--format", "json", str(CORPUS)])
    default = runner.invoke(main, ["lint", "--format", "json", str(CORPUS)])
    assert one.exit_code == two.exit_code == default.exit_code == 1
    assert one.output == two.output == default.output
    refused = runner.invoke(main, ["lint", "--jobs", "0", str(CORPUS)])
    assert refused.exit_code == 2 and "--jobs" in refused.output


def test_workers_are_sent_large_chunks_first_and_small_ones_at_the_end() -> None:
    """So that they run out of work together: no worker is left with a large chunk alone,
    and the process that reports, done with its own, waits for two files at most."""
    entries = [(f"pm-{n}.md", True) for n in range(500)]
    chunks = _chunks(entries, jobs=2)
    assert [entry for chunk in chunks for entry in chunk] == entries  # each once, in order
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 62 and max(sizes[-4:]) <= 2
