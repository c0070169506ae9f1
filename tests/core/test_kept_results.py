"""A folder linted again reads only what changed: what reading each file gave is kept in the
cache folder (core/kept_results.py), under its bytes, path, configuration and code, and a
warm run reports byte for byte what a cold one reports. What is kept is data, checked when
read: a damaged or hostile store is ignored, never believed."""

from __future__ import annotations

import marshal
import os
import shutil
import stat
import subprocess
import sys
import time
import tracemalloc
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from followthrough.core import kept_results, lint
from followthrough.core.config import LintConfig
from followthrough.core.kept_results import STORE_NAME, KeptResults
from followthrough.core.lint import (
    _corpus_rules,
    _raw_findings,
    expand_paths,
    lint_paths,
    marks_of,
    read_document,
)
from followthrough.core.plain import OddData, codec, returned_type
from followthrough.core.reporters import REPORTERS
from followthrough.core.rules.base import Finding
from followthrough.core.rules.corpus import CopyPaste

from . import real_corpus

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, used by runs of any size (the folders here are
    smaller than a real one)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("FOLLOWTHROUGH_CACHE_DIR", str(folder))
    monkeypatch.setattr(lint, "KEPT_FROM", 2)
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths this process parses (a run of ``jobs=1``)."""
    parsed: list[str] = []

    def counted(path: str, data: bytes | None = None) -> object:
        parsed.append(path)
        return read_document(path, data)

    monkeypatch.setattr(lint, "read_document", counted)
    return parsed


def _report(paths: list[str], *, jobs: int = 1, cache: bool = True, **kw: object) -> str:
    report = lint_paths(paths, LintConfig(), jobs=jobs, cache=cache, **kw)  # type: ignore[arg-type]
    record = report.to_record()
    return "\n".join(REPORTERS[fmt](record) for fmt in sorted(REPORTERS))


def _folder(tmp_path: Path, count: int = 8) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for path in sorted(CORPUS.glob("*.md"))[:count]:
        shutil.copy(path, folder / path.name)
    return folder


def _records(cache: Path) -> dict[bytes, tuple[int, int, int]]:
    data = (cache / STORE_NAME).read_bytes()
    index: dict[bytes, tuple[int, int, int]] = marshal.loads(data[_index_start(data) : -32])[2]
    return index


# a store: its records (each its digest, then its data), its index, the index's digest, where
# the index starts (8 bytes) and the magic
def _index_start(data: bytes) -> int:
    return int.from_bytes(data[-16:-8], "little")


def _signed(data: bytes) -> bytes:
    return kept_results.digest(data) + data


def _store_of(body: bytes, head: bytes, magic: bytes) -> bytes:
    return body + head + kept_results.digest(head) + len(body).to_bytes(8, "little") + magic


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_warm_run_reports_what_a_cold_run_reports_on_the_project_corpus(
    cache: Path, jobs: int
) -> None:
    plain = _report([str(CORPUS)], jobs=jobs, cache=False)
    assert not cache.exists()
    assert _report([str(CORPUS)], jobs=jobs) == plain  # cold: fills the store
    assert len(_records(cache)) == len(expand_paths([str(CORPUS)])[0])
    assert _report([str(CORPUS)], jobs=jobs) == plain  # warm
    assert _report([str(CORPUS)], jobs=3 - jobs) == plain


def test_a_warm_run_reports_what_a_cold_run_reports_on_the_real_postmortems(
    cache: Path,
) -> None:
    real_corpus.require()
    plain = _report([str(real_corpus.DOCS)], jobs=2, cache=False)
    assert _report([str(real_corpus.DOCS)], jobs=2) == plain
    assert _report([str(real_corpus.DOCS)], jobs=2) == plain


def test_a_warm_run_parses_nothing(cache: Path, reads: list[str]) -> None:
    cold = _report([str(CORPUS)])
    assert len(reads) == len(expand_paths([str(CORPUS)])[0])
    reads.clear()
    assert _report([str(CORPUS)]) == cold
    assert reads == []


def test_a_run_of_a_few_files_reads_them_and_keeps_nothing(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lint, "KEPT_FROM", 16)
    folder = _folder(tmp_path, 15)
    _report([str(folder)])
    assert not (cache / STORE_NAME).exists()
    _report([str(folder)], against=[str(CORPUS)])
    assert (cache / STORE_NAME).exists()


def test_a_file_changed_since_the_last_run_is_read_again(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    _report([str(folder)])
    changed = sorted(folder.iterdir())[3]
    changed.write_text(changed.read_text() + "\nThe on-call engineer should have known.\n")
    reads.clear()
    warm = _report([str(folder)])
    assert reads == [str(changed)]
    assert warm == _report([str(folder)], cache=False)


def test_a_hook_against_the_folder_reads_only_the_staged_file(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path)
    staged = str(sorted(folder.iterdir())[0])
    first = _report([staged], against=[str(folder)])
    reads.clear()
    assert _report([staged], against=[str(folder)]) == first
    assert reads == []
    # a neighbour kept without its findings is read again when it is reported
    other = str(sorted(folder.iterdir())[1])
    assert _report([other], against=[str(folder)]) == _report(
        [other], against=[str(folder)], cache=False
    )
    assert other in reads


def test_a_changed_configuration_reads_every_file_again(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path, 4)
    lint_paths([str(folder)], LintConfig(), cache=True)
    reads.clear()
    lint_paths([str(folder)], LintConfig(min_whys=5), cache=True)
    assert len(reads) == 4


def test_a_run_without_the_folder_rules_is_kept_too(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path, 4)
    single = LintConfig(select=("PM1",))
    first = lint_paths([str(folder)], single, cache=True)
    reads.clear()
    again = lint_paths([str(folder)], single, cache=True)
    assert reads == []
    assert again.to_record() == first.to_record()


def test_an_edited_rules_code_is_never_answered_from_the_cache(
    cache: Path, reads: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 4)
    _report([str(folder)])
    edited = kept_results.code_key() + "-edited"
    monkeypatch.setattr(kept_results, "code_key", lambda: edited)
    reads.clear()
    _report([str(folder)])
    assert len(reads) == 4


def test_the_code_key_changes_with_any_file_of_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "core"
    shutil.copytree(
        Path(kept_results.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(kept_results, "__file__", str(copy / "kept_results.py"))
    before = kept_results.code_key()
    rule = copy / "rules" / "blame.py"
    rule.write_text(rule.read_text() + "\n# edited\n")
    assert kept_results.code_key() != before


def test_the_code_key_changes_with_the_bytecode_python_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit that keeps the source's size and time leaves Python running the old cached
    bytecode: the key says what runs, not only what the source says."""
    import py_compile
    from importlib.util import cache_from_source

    copy = tmp_path / "core"
    shutil.copytree(
        Path(kept_results.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(kept_results, "__file__", str(copy / "kept_results.py"))
    rule = copy / "rules" / "blame.py"
    py_compile.compile(str(rule), cfile=cache_from_source(str(rule)))
    before = kept_results.code_key()
    stale = Path(cache_from_source(str(rule)))
    stale.write_bytes(stale.read_bytes() + b"\0")
    assert kept_results.code_key() != before


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    folder = _folder(tmp_path, lint.KEPT_FROM)
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "FOLLOWTHROUGH_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    command = [sys.executable, "-m", "followthrough", "lint", "-j", "1", str(folder)]
    done = subprocess.run([*command, "--no-cache"], env=env, capture_output=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert not cache.exists()
    subprocess.run(command, env=env, capture_output=True, check=False)
    assert (cache / STORE_NAME).exists()


def test_no_cache_opens_nothing_in_the_cache_folder(tmp_path: Path) -> None:
    """Not even the compiled patterns, which the engine's modules look for as they import."""
    folder = _folder(tmp_path, 2)
    cache = tmp_path / "cache"
    watched = (
        "import sys; from followthrough.__main__ import main\n"
        "cache = sys.argv[1]\n"
        "def told(event, args):\n"
        "    if event == 'open' and str(args[0]).startswith(cache):\n"
        "        print('opened', args[0], file=sys.stderr)\n"
        "sys.addaudithook(told)\n"
        "sys.argv = ['followthrough', *sys.argv[2:]]\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "FOLLOWTHROUGH_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    command = [sys.executable, "-c", watched, str(cache), "lint", "-j", "1", str(folder)]
    for _ in range(2):  # the first run fills the cache folder, the second finds it full
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1) and "opened" in done.stderr, done.stderr
    done = subprocess.run(
        [*command[:5], "--no-cache", *command[5:]], env=env, capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    assert "opened" not in done.stderr


def test_no_cache_reads_nothing(cache: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 3)
    _report([str(folder)])
    store = cache / STORE_NAME
    _rewritten(store, lambda blob: marshal.dumps(("not", "a", "record")))
    before = store.read_bytes()
    assert _report([str(folder)], cache=False) == _report([str(folder)], cache=False)
    assert store.read_bytes() == before


def test_a_run_that_keeps_nothing_hashes_nothing(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 3)
    hashed: list[bytes] = []
    digest = kept_results.content_digest

    def counted(data: bytes) -> bytes:
        hashed.append(data)
        return digest(data)

    monkeypatch.setattr(kept_results, "content_digest", counted)
    _report([str(folder)], cache=False)
    assert hashed == []  # ~11 us a file, for a digest nothing would read
    _report([str(folder)])
    assert len(set(hashed)) == 3  # each file looked up and kept under its bytes' digest


def test_a_store_is_copied_by_hand_where_the_kernel_cannot(
    cache: Path, reads: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 4)
    _report([str(folder)])
    changed = sorted(folder.iterdir())[0]
    changed.write_text(changed.read_text() + "\nBob broke prod.\n")

    def refused(*args: object) -> int:
        raise OSError("not between these files")

    monkeypatch.setattr(os, "copy_file_range", refused, raising=False)
    _report([str(folder)])
    reads.clear()
    warm = _report([str(folder)])
    assert reads == []
    assert warm == _report([str(folder)], cache=False)


def test_two_runs_at_once_leave_a_store_the_next_run_reads(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path, 4)
    names = [str(p) for p in sorted(folder.iterdir())]
    config = LintConfig()
    first = KeptResults.opened(config, _corpus_rules(config))
    second = KeptResults.opened(config, _corpus_rules(config))
    assert first is not None and second is not None
    for kept, paths in ((first, names[:2]), (second, names[2:])):
        for path in paths:
            doc, _ = read_document(path)
            doc.path = path
            record = (
                tuple(_raw_findings(doc, config)),
                marks_of(doc),
                tuple(rule.signature(doc, config) for rule in _corpus_rules(config)),
            )
            kept.add(kept.key(path, Path(path).read_bytes()), record)
    first.save()
    second.save()  # the last writer wins: its two records are kept, the others read again
    reads.clear()
    warm = _report([str(folder)])
    assert reads == names[:2]
    assert warm == _report([str(folder)], cache=False)


def test_the_store_keeps_at_most_its_bound_newest_first(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept_results, "MAX_RECORDS", 5)
    folder = _folder(tmp_path, 8)
    names = sorted(folder.iterdir())
    older, newer = names[:4], names[4:]
    lint_paths([str(p) for p in older], LintConfig(), cache=True)
    assert len(_records(cache)) == 4
    lint_paths([str(p) for p in newer], LintConfig(), cache=True)
    assert len(_records(cache)) == 5
    # the newer run's four stay, and one of the older
    store = KeptResults.opened(LintConfig(), _corpus_rules(LintConfig()))
    assert store is not None
    kept = set(store.entries)
    store.close()
    for path in newer:
        assert store.key(str(path), path.read_bytes()) in kept


def test_the_store_keeps_at_most_its_size(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 6)
    lint_paths([str(folder)], LintConfig(), cache=True)
    sizes = sorted(length for _used, _offset, length in _records(cache).values())
    monkeypatch.setattr(kept_results, "MAX_BYTES", sum(sizes[:3]))
    (cache / STORE_NAME).unlink()
    lint_paths([str(folder)], LintConfig(), cache=True)
    records = _records(cache)
    assert 0 < len(records) <= 3
    assert sum(length for _u, _o, length in records.values()) <= sum(sizes[:3])


# --- a damaged or hostile store -------------------------------------------------------------


def _rewritten(store: Path, data_of: Callable[[bytes], bytes], *, signed: bool = True) -> None:
    """The store with every record's data replaced by ``data_of(data)``, its index kept
    valid; the new data with its own digest when ``signed`` (as whoever can write the file
    could), else under the old one (as a damaged disk would leave it)."""
    data = store.read_bytes()
    start = _index_start(data)
    code, run, index = marshal.loads(data[start:-32])
    body = b""
    new_index = {}
    for key, (used, offset, length) in index.items():
        blob = data[offset : offset + length]
        new = data_of(blob[16:])
        blob = _signed(new) if signed else blob[:16] + new
        new_index[key] = (used, len(body), len(blob))
        body += blob
    store.write_bytes(_store_of(body, marshal.dumps((code, run, new_index)), data[-8:]))


def _code_object() -> bytes:
    return marshal.dumps(compile("import os; os.system('false')", "<kept>", "exec"))


def _flipped(data: bytes, at: int, bit: int = 0x20) -> bytes:
    return data[:at] + bytes([data[at] ^ bit]) + data[at + 1 :]


def _with_passages(blob: bytes, field: int, value: object) -> bytes:
    """A record whose copy-paste signature's ``field`` is ``value``."""
    found, marks, signatures = marshal.loads(blob)
    passages = list(signatures[0])
    passages[field] = value
    return marshal.dumps((found, marks, (tuple(passages), *signatures[1:])))


def _swap_first_string(blob: bytes) -> bytes:
    found, marks, signatures = marshal.loads(blob)
    return marshal.dumps((found, marks, (signatures[1], signatures[0])))


HOSTILE_RECORDS: dict[str, Callable[[bytes], bytes]] = {
    "random bytes": lambda blob: os.urandom(len(blob)),
    "cut short": lambda blob: blob[: len(blob) // 2],
    "a code object": lambda blob: _code_object(),
    "a code object inside": lambda blob: marshal.dumps(
        (None, ({}, {}), (compile("1", "<kept>", "eval"),))
    ),
    "wrong types": lambda blob: marshal.dumps([1, 2, 3]),
    "huge numbers": lambda blob: marshal.dumps((None, ({10**400: {"x"}}, {}), None)),
    "a huge date": lambda blob: marshal.dumps(
        tuple(
            part if n != 2 else tuple((s[0], 10**12, *s[2:]) for s in part)
            for n, part in enumerate(marshal.loads(blob))
        )
    ),
    "an array with a bad typecode": lambda blob: marshal.dumps(
        tuple(
            part if n != 2 else ((part[0][0], part[0][1], ("u", b"ab"), *part[0][3:]), part[1])
            for n, part in enumerate(marshal.loads(blob))
        )
    ),
    "signatures swapped": _swap_first_string,
    "suppressions without their excerpts": lambda blob: marshal.dumps(
        (marshal.loads(blob)[0], ({0: {"x"}}, {}), marshal.loads(blob)[2])
    ),
    "a passage past its line counts": lambda blob: _with_passages(
        blob, 2, ("I", array("I", [10**6]).tobytes())
    ),
    "an unknown severity": lambda blob: marshal.dumps(
        (
            (("PM101", "blame.person", "blame", "fatal", 1, 1, "m", "e", None, None, ()),),
            *marshal.loads(blob)[1:],
        )
    ),
}


@pytest.mark.parametrize("damage", sorted(HOSTILE_RECORDS))
def test_a_hostile_record_is_ignored_and_read_again(
    cache: Path, reads: list[str], tmp_path: Path, damage: str
) -> None:
    _damaged_then_mended(
        tmp_path, reads, lambda: _rewritten(cache / STORE_NAME, HOSTILE_RECORDS[damage])
    )


def _damaged_then_mended(tmp_path: Path, reads: list[str], damage: Callable[[], None]) -> None:
    """A warm store damaged by ``damage``: the next run reads every file again and reports
    what a run without the store reports, and writes a good store for the run after."""
    folder = _folder(tmp_path, 4)
    plain = _report([str(folder)], cache=False)
    _report([str(folder)])
    damage()
    reads.clear()
    assert _report([str(folder)]) == plain
    assert len(reads) == 4
    reads.clear()
    assert _report([str(folder)]) == plain  # written anew, good this time
    assert reads == []


def _stores() -> Iterator[tuple[str, Callable[[bytes], bytes]]]:
    yield "random bytes", lambda data: os.urandom(len(data))
    yield "empty", lambda data: b""
    yield "no index", lambda data: data[:-32]
    yield (
        "an index past the end",
        lambda data: data[:-16] + (10**15).to_bytes(8, "little") + data[-8:],
    )
    yield (
        "an index that is a code object",
        lambda data: _store_of(b"", _code_object(), data[-8:]),
    )
    yield (
        "a bit flipped in the index",
        lambda data: data[:-40] + bytes([data[-40] ^ 0x20]) + data[-39:],
    )
    yield (
        "a tiny index saying it holds 2**27 items",
        lambda data: b"(" + (2**27).to_bytes(4, "little") + bytes(24) + data[-8:],
    )

    def index_with(value: object) -> Callable[[bytes], bytes]:
        def made(data: bytes) -> bytes:
            start = _index_start(data)
            code, run, _index = marshal.loads(data[start:-32])
            return _store_of(data[:start], marshal.dumps((code, run, value)), data[-8:])

        return made

    yield "an index of the wrong type", index_with([1, 2])
    yield "records past the end", index_with({b"k" * 32: (0, 0, 10**12)})
    yield "huge numbers in the index", index_with({b"k" * 32: (10**100, -5, 10**100)})
    yield "a short key", index_with({b"k": (0, 0, 1)})


@pytest.mark.parametrize("damage", [name for name, _ in _stores()])
def test_a_corrupt_or_hostile_store_is_ignored(
    cache: Path, reads: list[str], tmp_path: Path, damage: str
) -> None:
    store = cache / STORE_NAME
    _damaged_then_mended(
        tmp_path, reads, lambda: store.write_bytes(dict(_stores())[damage](store.read_bytes()))
    )


def _last_lowercase_flipped(data: bytes) -> bytes:
    """One bit flipped, as a damaged disk would: the last lowercase letter made a capital
    (a finding's "has no owner" read back as "has no Owner")."""
    at = max(n for n, byte in enumerate(data) if 0x61 <= byte <= 0x7A)
    return _flipped(data, at)


def test_a_store_whose_record_was_damaged_is_not_believed(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    _damaged_then_mended(
        tmp_path,
        reads,
        lambda: _rewritten(cache / STORE_NAME, _last_lowercase_flipped, signed=False),
    )


def test_a_record_whose_excerpts_were_damaged_is_not_believed(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    damaged = _flipped(zlib.compress("\n".join(["a passage"] * 9).encode()), 12)
    _damaged_then_mended(
        tmp_path,
        reads,
        lambda: _rewritten(
            cache / STORE_NAME, lambda data: _with_passages(data, 8, damaged), signed=False
        ),
    )


def test_excerpts_that_inflate_past_their_passages_are_refused_without_inflating_them() -> None:
    doc, _ = read_document(str(sorted(CORPUS.glob("*.md"))[0]))
    signature = CopyPaste().signature(doc, LintConfig())
    bomb = replace(signature, excerpts=zlib.compress(bytes(64 << 20)))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="longer than"):
            bomb.excerpt_lines()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_a_record_repeating_one_container_by_reference_is_refused_at_once(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    """Half a megabyte of marshal's back references stands for 400 million items: the
    record is refused in the time it takes to read it, not converted item by item."""
    folder = _folder(tmp_path, 4)
    plain = _report([str(folder)], cache=False)
    _report([str(folder)])
    shared = {f"w{n}" for n in range(20_000)}

    def repeated(data: bytes) -> bytes:
        found, _marks, signatures = marshal.loads(data)
        lines = range(1, 20_001)
        marks = ({line: shared for line in lines}, dict.fromkeys(lines, ""))
        return marshal.dumps((found, marks, signatures))

    _rewritten(cache / STORE_NAME, repeated)
    reads.clear()
    started = time.process_time()
    assert _report([str(folder)]) == plain
    assert time.process_time() - started < 3
    assert len(reads) == 4


def test_a_tiny_store_saying_it_is_huge_costs_no_memory(cache: Path, tmp_path: Path) -> None:
    folder = _folder(tmp_path, 4)
    plain = _report([str(folder)], cache=False)
    cache.mkdir()
    huge = b"(" + (2**27).to_bytes(4, "little") + bytes(24) + kept_results._MAGIC
    (cache / STORE_NAME).write_bytes(huge)
    tracemalloc.start()
    try:
        assert _report([str(folder)]) == plain
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 << 20


def _lint_in_a_process(
    folder: Path, cache: Path, *extra: str, limit: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``followthrough lint -j 1 folder`` in a process of its own, its files no larger than
    ``limit`` bytes (a full disk: a write past it fails)."""
    import resource
    import signal

    def limited() -> None:
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    env = {
        **os.environ,
        "FOLLOWTHROUGH_CACHE_DIR": str(cache),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    command = [sys.executable, "-m", "followthrough", "lint", "-j", "1", str(folder), *extra]
    return subprocess.run(
        command, env=env, capture_output=True, check=False, timeout=120, preexec_fn=limited
    )


@pytest.mark.skipif(sys.platform == "win32", reason="file size limits are POSIX")
def test_a_full_disk_leaves_the_report_as_no_cache_gives_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = _lint_in_a_process(CORPUS, cache, "--no-cache")
    for limit in (0, 4096, 60_000):
        full = _lint_in_a_process(CORPUS, cache, limit=limit)
        assert (full.returncode, full.stdout) == (plain.returncode, plain.stdout), full.stderr
        assert not [p.name for p in cache.glob(".*")]  # no half-written file left


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_store_is_not_waited_on(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    os.mkfifo(cache / STORE_NAME)
    plain = _lint_in_a_process(CORPUS, tmp_path / "other", "--no-cache")
    done = _lint_in_a_process(CORPUS, cache)
    assert (done.returncode, done.stdout) == (plain.returncode, plain.stdout), done.stderr
    assert stat.S_ISFIFO(os.lstat(cache / STORE_NAME).st_mode)  # not the user's store: left


def test_a_store_behind_a_link_is_not_followed(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path, 4)
    _report([str(folder)])
    elsewhere = tmp_path / "elsewhere.bin"
    (cache / STORE_NAME).rename(elsewhere)
    (cache / STORE_NAME).symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    plain = _report([str(folder)], cache=False)
    reads.clear()
    assert _report([str(folder)]) == plain
    assert len(reads) == 4
    assert elsewhere.read_bytes() == before


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="no user ids here")
@pytest.mark.parametrize("what", ["store", "folder"])
def test_a_store_others_can_write_is_neither_read_nor_written(
    cache: Path, reads: list[str], tmp_path: Path, what: str
) -> None:
    folder = _folder(tmp_path, 4)
    _report([str(folder)])
    store = cache / STORE_NAME
    (store if what == "store" else cache).chmod(0o666 if what == "store" else 0o777)
    before = store.read_bytes()
    reads.clear()
    assert _report([str(folder)]) == _report([str(folder)], cache=False)
    assert len(reads) == 8  # nothing taken from it...
    assert store.read_bytes() == before  # ...and nothing written into it


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_store_of_another_user_is_neither_read_nor_written(
    cache: Path, reads: list[str], tmp_path: Path
) -> None:
    folder = _folder(tmp_path, 4)
    _report([str(folder)])
    store = cache / STORE_NAME
    os.chown(store, 12345, 12345)
    before = store.read_bytes()
    reads.clear()
    _report([str(folder)])
    assert len(reads) == 4
    assert store.read_bytes() == before


def test_a_file_rewritten_between_its_lookup_and_its_parse_is_kept_under_the_bytes_parsed(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 3)
    changing = sorted(folder.iterdir())[1]
    looked_up = changing.read_bytes()
    tail = b"\nBob broke prod.\n"
    parsed = looked_up[: -len(tail)] + tail  # the same size, within one tick of the clock
    changing.write_bytes(parsed)
    kept_bytes = lint._kept_bytes
    monkeypatch.setattr(
        lint, "_kept_bytes", lambda path: looked_up if path == str(changing) else kept_bytes(path)
    )
    # (before the fix a stamp compared the two reads: the same stamp, as in one clock tick)
    monkeypatch.setattr(lint, "_stamp_of", lambda path: None, raising=False)
    lint_paths([str(folder)], LintConfig(), cache=True)
    monkeypatch.undo()
    monkeypatch.setenv("FOLLOWTHROUGH_CACHE_DIR", str(cache))
    monkeypatch.setattr(lint, "KEPT_FROM", 2)
    for data in (looked_up, parsed):
        changing.write_bytes(data)
        assert _report([str(folder)]) == _report([str(folder)], cache=False)


def test_leftovers_of_a_killed_run_are_removed_when_the_next_store_is_written(
    cache: Path, tmp_path: Path
) -> None:
    cache.mkdir()
    old, fresh = cache / ".lint-results-killed", cache / ".lint-results-writing"
    for path in (old, fresh):
        path.write_bytes(b"half a store")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    _report([str(_folder(tmp_path, 3))])
    assert not old.exists()
    assert fresh.exists()  # another run may be writing it


def test_a_store_that_cannot_be_written_costs_time_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lint, "KEPT_FROM", 2)
    folder = _folder(tmp_path, 3)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("FOLLOWTHROUGH_CACHE_DIR", str(blocked / "cache"))
    assert _report([str(folder)]) == _report([str(folder)], cache=False)


# --- the records round-trip -----------------------------------------------------------------


def _documents() -> Iterator[str]:
    yield from expand_paths([str(CORPUS)])[0]
    if real_corpus.available():
        yield from expand_paths([str(real_corpus.DOCS)])[0]


def test_every_document_s_record_comes_back_equal_from_plain_data() -> None:
    """Findings, suppressions and each folder rule's signature of every document of the
    project's corpus and of the real postmortems: ``from_data(to_data(x)) == x``, through
    marshal as the store keeps them."""
    config = LintConfig()
    rules = _corpus_rules(config)
    signatures = codec(tuple.__class_getitem__(tuple(returned_type(r.signature) for r in rules)))
    findings = codec(tuple[Finding, ...])
    marks = codec(lint.Marks)
    count = 0
    for path in _documents():
        doc, source = read_document(path)
        if source is not None:
            continue
        doc.path = path
        values = [
            (findings, tuple(_raw_findings(doc, config))),
            (marks, marks_of(doc)),
            (signatures, tuple(rule.signature(doc, config) for rule in rules)),
        ]
        for made, value in values:
            back = made.from_data(marshal.loads(marshal.dumps(made.to_data(value))))
            assert back == value, path
        count += 1
    assert count >= 52


def test_a_value_that_does_not_fit_its_type_is_not_kept() -> None:
    with pytest.raises(OddData):
        codec(tuple[str, ...]).to_data(("a", 1))
    with pytest.raises(OddData):
        codec(Finding).from_data(("PM101",))
    with pytest.raises(TypeError):
        codec(object)
