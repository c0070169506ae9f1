"""A folder linted again: cold, warm and without the kept results, beside another install.

    .venv/bin/python bench/kept_speed.py --docs 200 1000 --hook 300 --runs 5 \\
        --before /work/main/.venv/bin/followthrough

Generates folders of postmortems (``generate_postmortems.py``, seed 7) and times
``followthrough lint --format json`` on each, as fresh processes, best of ``--runs``
(wall, and CPU time of the process and its workers):

- cold: the kept results removed before each run (the compiled patterns stay): a first run,
  which also writes the store;
- warm: the store filled by the run before: a second run over an unchanged folder;
- ``--no-cache``: every file read, nothing kept;
- before: another install (``--before``, e.g. main's venv), in the same minutes.

``--hook N`` times what a pre-commit hook costs: one staged file, changed before every run
(so never kept), linted ``--against-parent-folders`` in a folder of N. The load average is
printed beside each figure. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_postmortems as gen  # noqa: E402
from peers import load, timed  # noqa: E402

AFTER = str(Path(sys.executable).parent / "followthrough")
STORE = "lint-results.bin"


def best(argv: list[str], runs: int, before_each: Callable[[], None]) -> str:
    walls, cpus = [], []
    for _ in range(runs):
        before_each()
        wall, cpu = timed(argv)
        walls.append(wall)
        cpus.append(cpu)
    return f"{min(walls):7.3f} {min(cpus):7.3f}   {load()}"


def folder(root: Path, docs: int) -> Path:
    out = root / f"docs-{docs}"
    out.mkdir()
    for name, text in gen.folder(docs, seed=7):
        (out / name).write_text(text, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--hook", type=int, default=300, help="folder size for the hook (0: none)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", help="another install's followthrough to time beside")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="kept-speed-"))
    cache = root / "cache"
    os.environ["FOLLOWTHROUGH_CACHE_DIR"] = str(cache)

    def nothing() -> None:
        pass

    def forget() -> None:
        (cache / STORE).unlink(missing_ok=True)

    def row(label: str, argv: list[str], before_each: Callable[[], None] = nothing) -> None:
        print(f"{label:<40} {best(argv, args.runs, before_each)}")

    try:
        print(f"{'':<40} {'wall s':>7} {'cpu s':>7}   load avg (1/5/15)")
        for docs in args.docs:
            path = str(folder(root, docs))
            lint = ["lint", "--format", "json", path]
            timed([AFTER, *lint])  # untimed: files in the page cache, patterns compiled
            if args.before:
                timed([args.before, *lint])
                row(f"{docs} docs, before", [args.before, *lint])
            row(f"{docs} docs, --no-cache", [AFTER, *lint, "--no-cache"])
            row(f"{docs} docs, cold", [AFTER, *lint], forget)
            timed([AFTER, *lint])
            row(f"{docs} docs, warm", [AFTER, *lint])
        if args.hook:
            hook_folder = folder(root, args.hook)
            staged = sorted(hook_folder.iterdir())[0]
            text = staged.read_text(encoding="utf-8")
            count = iter(range(1_000_000))

            def stage() -> None:
                staged.write_text(f"{text}\nEdited {next(count)} times.\n", encoding="utf-8")

            hook = ["lint", "--format", "json", "--against-parent-folders", str(staged)]
            label = f"1 staged file against {args.hook}"
            stage()
            timed([AFTER, *hook])
            if args.before:
                timed([args.before, *hook])
                row(f"{label}, before", [args.before, *hook], stage)
            row(f"{label}, --no-cache", [AFTER, *hook, "--no-cache"], stage)
            row(f"{label}, warm", [AFTER, *hook], stage)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
