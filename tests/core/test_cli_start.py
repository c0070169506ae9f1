"""The command line starts fast: a command's module is imported only when it runs."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import followthrough.commands
from followthrough.cli import COMMAND_MODULES, main

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_every_command_of_every_module_is_named_in_the_table() -> None:
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(followthrough.commands.__path__):
        module = importlib.import_module(f"followthrough.commands.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            found[command.name] = info.name
    assert found == COMMAND_MODULES


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    assert all(name in out for name in COMMAND_MODULES)


def test_linting_imports_neither_django_nor_the_server() -> None:
    code = (
        "import sys\n"
        "from followthrough.cli import main\n"
        "try:\n"
        "    main(['rules'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'gunicorn', 'ninja', 'httpx', 'pygls'})\n"
        "print('heavy:' + ','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip().splitlines()[-1] == "heavy:"


def _run_in_fresh_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip().splitlines()[-1]


def _linting_one_file_then(tmp_path: Path, after: str, before: str = "") -> str:
    """Python code that runs ``before``, lints one postmortem of the corpus as
    ``followthrough lint FILE`` does, then runs ``after``."""
    doc = tmp_path / "pm.md"
    doc.write_text(CORPUS.joinpath("2025-09-23-checkout-500s.md").read_text("utf-8"), "utf-8")
    return (
        f"import gc, sys\n{before}"
        "from followthrough.cli import main\n"
        "try:\n"
        f"    main(['lint', {str(doc)!r}])\n"
        "except SystemExit:\n"
        f"    pass\n{after}"
    )


def test_linting_one_file_compiles_only_the_patterns_it_uses(tmp_path: Path) -> None:
    """Compiling every pattern of the core up front was most of a pre-commit hook's wait:
    importing the linter compiles next to none of them, and linting one postmortem a fraction."""
    code = _linting_one_file_then(
        tmp_path,
        before="from followthrough.core.regex import LazyPattern\n"
        "import followthrough.commands.lint\n"
        "patterns = [o for o in gc.get_objects() if isinstance(o, LazyPattern)]\n"
        "before = sum('search' in vars(p) for p in patterns)\n",
        after="after = sum('search' in vars(p) for p in patterns)\n"
        "print(f'{len(patterns)} {before} {after}')\n",
    )
    total, at_import, after_lint = map(int, _run_in_fresh_python(code).split())
    assert total > 300  # the core's patterns are all lazy
    assert at_import <= 2  # the word lists' piece splitter builds the lists' indexes
    assert 0 < after_lint < total / 2


def test_linting_one_file_loads_neither_the_stemmer_nor_the_word_table(tmp_path: Path) -> None:
    """The word normalisation (Snowball stemmer, word_forms.toml) serves the folder checks;
    one file without neighbours has none to run."""
    code = _linting_one_file_then(
        tmp_path,
        after="from followthrough.core import similarity\n"
        "loaded = similarity._forms.cache_info().currsize\n"
        "print(f\"{'snowballstemmer' in sys.modules} {loaded}\")\n",
    )
    assert _run_in_fresh_python(code) == "False 0"


def test_compiling_all_patterns_compiles_each_one_made_and_not_compiled_yet() -> None:
    from followthrough.core import regex

    waiting = regex.lazy(r"warm(?:ed|ing)? up")
    used = regex.lazy(r"used already")
    used.search("")
    assert "search" not in vars(waiting)
    compiled = regex.compile_all()
    assert compiled >= 1 and "search" in vars(waiting)
    assert waiting.search("the server warmed up").group() == "warmed up"
    assert regex.compile_all() == 0  # nothing left


def test_a_lazy_pattern_behaves_as_the_compiled_one() -> None:
    import pickle
    import re

    from followthrough.core.regex import LazyPattern, lazy

    source = r"(?P<word>pool)\s+(exhaust\w*)"
    pattern = lazy(source, re.IGNORECASE)
    assert pattern.pattern == source  # known without compiling
    assert "search" not in vars(pattern)
    compiled = re.compile(source, re.IGNORECASE)
    text = "The POOL exhausted; the pool exhaustion again"
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert pattern.sub("x", text) == compiled.sub("x", text)
    assert pattern.flags == compiled.flags and pattern.groupindex == compiled.groupindex
    again = pickle.loads(pickle.dumps(pattern))
    assert isinstance(again, LazyPattern) and again.findall(text) == compiled.findall(text)
    try:
        pattern.no_such_method  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("an unknown attribute must raise AttributeError")


_COMPILE_ONE = (
    "import re, sys\n"
    "from followthrough.core import regex\n"
    "pattern = regex.lazy(r'(?P<word>pool)\\s+(exhaust\\w*)|[\\u00e9-\\u00ff]+', re.IGNORECASE)\n"
    "text = 'The POOL exhausted; \u00e9t\u00e9 the pool exhaustion'\n"
    "same = [m.span() for m in pattern.finditer(text)] == "
    "[m.span() for m in re.compile(pattern.pattern, re.I).finditer(text)]\n"
    "print(f'{same} {pattern.groupindex == {\"word\": 1}} {regex._STORE.added}')\n"
)


def _in_python_with_cache(code: str, folder: str, **more: str) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FOLLOWTHROUGH_CACHE_DIR": folder,
        **more,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip().splitlines()[-1]


def test_a_pattern_compiled_by_an_earlier_run_is_taken_from_the_store_and_matches_alike(
    tmp_path: Path,
) -> None:
    folder = str(tmp_path / "cache")
    assert _in_python_with_cache(_COMPILE_ONE, folder) == "True True True"  # compiled, kept
    kept = list((tmp_path / "cache").glob("regex-*.marshal"))
    assert len(kept) == 1
    assert _in_python_with_cache(_COMPILE_ONE, folder) == "True True False"  # from the store
    assert kept[0].stat().st_size > 0


def test_a_damaged_store_is_compiled_around_and_written_anew(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"
    kept = next(folder.glob("regex-*.marshal"))
    kept.write_bytes(b"\x00not a store")
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True False"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_pattern_store_is_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"
    kept = next(folder.glob("regex-*.marshal"))
    kept.unlink()
    os.mkfifo(kept)
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"  # did not hang


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="no user ids here")
def test_a_pattern_store_in_a_folder_others_can_write_is_neither_read_nor_written(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cache"
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"
    kept = next(folder.glob("regex-*.marshal"))
    folder.chmod(0o777)
    before = kept.read_bytes()
    kept.touch()
    assert _in_python_with_cache(_COMPILE_ONE, str(folder)) == "True True True"  # not read
    assert kept.read_bytes() == before


def test_a_folder_lint_run_again_compiles_nothing_new_whatever_the_hash_seed(
    tmp_path: Path,
) -> None:
    """Every pattern a run builds is the same string in every process (none is assembled in
    a set's order), so the second run finds them all in the store and leaves it as it was."""
    folder = tmp_path / "cache"
    lint = "from followthrough.__main__ import main; main()"
    runs = []
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "FOLLOWTHROUGH_CACHE_DIR": str(folder),
            "PYTHONHASHSEED": seed,
        }
        argv = [sys.executable, "-c", lint, "lint", "--format", "json", "-j", "1", str(CORPUS)]
        runs.append(subprocess.run(argv, capture_output=True, env=env).stdout)
        store = next(folder.glob("regex-*.marshal"))
        if seed == "1":
            written = (store.stat().st_mtime_ns, store.read_bytes())
    assert runs[0] == runs[1] and b'"PM602"' in runs[0]  # the folder checks ran
    assert (store.stat().st_mtime_ns, store.read_bytes()) == written


def test_an_empty_cache_folder_setting_keeps_nothing(tmp_path: Path) -> None:
    """(The suite runs so: nothing of it lands in the user's cache folder.)"""
    code = _COMPILE_ONE + "print(regex._store_path())\n"
    home = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / ".cache")}
    assert _in_python_with_cache(code, "", **home) == "None"
    assert list(tmp_path.iterdir()) == []
    # unset, the store is the user's cache folder's
    unset = {k: v for k, v in os.environ.items() if k != "FOLLOWTHROUGH_CACHE_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", _COMPILE_ONE],
        capture_output=True,
        text=True,
        check=True,
        env={**unset, "PYTHONPATH": os.pathsep.join(sys.path), **home},
    )
    assert result.stdout.strip() == "True True True"
    assert [p.name for p in (tmp_path / ".cache" / "followthrough").iterdir()][0].startswith(
        "regex-"
    )


def test_the_entry_point_runs_the_command_with_the_collector_on_and_the_imports_frozen(
    tmp_path: Path,
) -> None:
    """The collector is held off while the command's modules import, then what they hold is
    left out of every later pass: the command runs as before, the collector on."""
    doc = tmp_path / "pm.md"
    doc.write_text(CORPUS.joinpath("2025-09-23-checkout-500s.md").read_text("utf-8"), "utf-8")
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 10000,"
        " 'followthrough.core.lint' in sys.modules))\n"
        f"sys.argv = ['followthrough', 'lint', {str(doc)!r}]\n"
        "from followthrough.__main__ import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 1  # the postmortem has findings
    assert "1 file linted, 10 findings" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "True True True"


def test_linting_one_file_does_not_load_openssl(tmp_path: Path) -> None:
    """The digests of the kept data are blake2b's, which is not OpenSSL's: ``import hashlib``
    would load OpenSSL for nothing (a tenth of what a one-file lint imports)."""
    code = _linting_one_file_then(tmp_path, after="print('_hashlib' in sys.modules)\n")
    assert _in_python_with_cache(code, str(tmp_path / "cache")) == "False"
    assert _in_python_with_cache(code, str(tmp_path / "cache")) == "False"  # the store read


def test_the_digest_of_kept_data_is_hashlibs_blake2b() -> None:
    import hashlib

    from followthrough.core.regex import blake2b

    for data in (b"", b"x", bytes(range(256)) * 40):
        for size in (16, 32):
            assert (
                blake2b(data, digest_size=size).digest()
                == hashlib.blake2b(data, digest_size=size).digest()
            )
    running = blake2b(digest_size=16)
    running.update(b"ab")
    assert running.hexdigest() == hashlib.blake2b(b"ab", digest_size=16).hexdigest()


def test_linting_one_file_imports_neither_the_folder_rules_nor_the_word_normalisation(
    tmp_path: Path,
) -> None:
    """One file compares with nothing: rules/corpus.py and core/similarity.py stay out (a
    tenth of the imports; the word lists take their stop words from core/stopwords.py)."""
    code = _linting_one_file_then(
        tmp_path,
        after="print('followthrough.core.rules.corpus' in sys.modules,"
        " 'followthrough.core.similarity' in sys.modules)\n",
    )
    assert _run_in_fresh_python(code) == "False False"


def test_a_folder_rule_in_the_registry_is_its_rule_by_name_and_by_behaviour() -> None:
    from followthrough.core.rules import REGISTRY, FolderRule, corpus

    standing = [rule for rule in REGISTRY if isinstance(rule, FolderRule)]
    assert [rule.code for rule in standing] == ["PM601", "PM602"]
    for rule in standing:
        real = getattr(corpus, rule.rule_class)
        assert (rule.code, rule.name, rule.category) == (real.code, real.name, real.category)
        assert (rule.severity, rule.summary, rule.merges) == (
            real.severity,
            real.summary,
            real.merges,
        )
        assert rule.__doc__ == real.__doc__
        # its own methods, whose annotations the kept results' codec reads
        for method in ("signature", "compare", "check_corpus"):
            assert getattr(rule, method).__func__ is getattr(real, method)
    assert not [
        name
        for name, value in vars(corpus).items()
        if isinstance(value, type)
        and issubclass(value, corpus.CorpusRule)
        and value is not corpus.CorpusRule
        and name not in {rule.rule_class for rule in standing}
    ]  # every folder rule of the module stands in the registry
