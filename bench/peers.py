"""followthrough beside the prose linters a team would pick instead, on the same files.

    .venv/bin/python bench/peers.py                       # 1,000 documents, 3 rounds
    .venv/bin/python bench/peers.py --docs 200 --rounds 2 --single 5   # a quick look
    .venv/bin/python bench/peers.py --cold    # followthrough warm and with --no-cache

Installs the peers into its own folder (``bench/out/peers``, not committed): alex and
write-good from npm, proselint from PyPI in a venv of its own. Generates one folder of
postmortems (``generate_postmortems.py``, seeded), then runs every tool over the whole folder
and over one file, interleaved round by round (the order rotates, so a load spike hurts
every tool alike), and prints medians of wall and CPU time with the load average beside each
figure, and followthrough's speed as a multiple of each peer's. Asserts nothing.

The peers check prose, not postmortems: this compares what it costs a team to run a
linter in a hook or CI, not what the linters find.

Every tool is given the same files on one command line and reads each of them (checked
with strace: each opens all 200 of a folder of 200, and write-good prints a block for each),
and each run is a fresh process, so node's and Python's start are counted for every tool.
followthrough runs as installed, one process per core (``--jobs`` by default) where each
peer uses one: on an idle machine its wall figure has both cores, the CPU figure compares
the work.

followthrough runs as the venv running this script installed it. An editable install
(``pip install -e .``) is a plain path entry in a ``.pth`` file here, no import hook, so
its imports cost what a ``pip install`` copy's do once the bytecode is compiled
(:func:`compile_bytecode`); the console script must be the current one (reinstall after
its entry point moved). Its cache is a folder of its own under OUT, filled by one
untimed run of every tool before each race (a user's cache folder holds what their
earlier runs compiled; the machine-wide one is shared with whatever else ran here). That
folder also keeps what reading each file gave, so the plain ``followthrough`` figure is a
user's second run over an unchanged folder (warm); ``--cold`` adds ``followthrough
--no-cache``, which reads every file as a first run does, and prints the ratios of both.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_postmortems as gen  # noqa: E402

OUT = Path(__file__).resolve().parent / "out" / "peers"
NPM_PEERS = ("alex@11.0.1", "write-good@1.0.8")
PROSELINT = "proselint==0.16.0"


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def install() -> None:
    """The peers, once, into OUT (npm and a venv of their own; nothing global)."""
    OUT.mkdir(parents=True, exist_ok=True)
    if not (OUT / "node_modules" / ".bin" / "alex").exists():
        print("installing alex and write-good from npm ...", flush=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(OUT),
                *NPM_PEERS,
            ],
            check=True,
        )
    if not (OUT / "venv" / "bin" / "proselint").exists():
        print("installing proselint into its own venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(OUT / "venv")], check=True)
        subprocess.run(
            [str(OUT / "venv" / "bin" / "pip"), "install", "--quiet", PROSELINT], check=True
        )


def compile_bytecode() -> None:
    """followthrough's modules compiled to bytecode once, as ``pip install`` does: in an
    editable install run with PYTHONDONTWRITEBYTECODE (this machine's setting) every run
    would otherwise compile the sources again, which no installed copy does (the peers'
    own install compiled theirs)."""
    import compileall

    import followthrough

    compileall.compile_dir(str(Path(followthrough.__file__).parent), quiet=1)


def corpus(docs: int) -> list[Path]:
    folder = OUT / f"docs-{docs}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    paths = []
    for name, text in gen.folder(docs, seed=7):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


#: followthrough as a user's second run meets it: what the untimed first run read is kept
#: in its cache folder (core/kept_results.py), so it reads nothing again
WARM = "followthrough"
#: followthrough reading every file, as a first run or a changed folder does
COLD = "followthrough --no-cache"


def commands(files: list[Path], *, cold: bool = False) -> dict[str, list[str]]:
    """How each tool is run over these files, as its documentation says (followthrough
    also with ``--no-cache`` when ``cold``)."""
    bin_ = OUT / "node_modules" / ".bin"
    followthrough = str(Path(sys.executable).parent / "followthrough")
    names = [str(p) for p in files]
    ours = {WARM: [followthrough, "lint", "--format", "json", *names]}
    if cold:
        ours[COLD] = [followthrough, "lint", "--no-cache", "--format", "json", *names]
    return {
        **ours,
        "write-good": [str(bin_ / "write-good"), *names],
        "alex": [str(bin_ / "alex"), "--quiet", *names],
        "proselint": [str(OUT / "venv" / "bin" / "proselint"), "check", *names],
    }


@dataclass
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)


def timed(argv: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def race(tools: dict[str, list[str]], rounds: int) -> dict[str, Timings]:
    results = {name: Timings() for name in tools}
    names = list(tools)
    for name in names:  # untimed: files in the page cache, followthrough's store filled
        timed(tools[name])
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            wall, cpu = timed(tools[name])
            results[name].wall.append(wall)
            results[name].cpu.append(cpu)
            results[name].loads.append(load())
    return results


def report(title: str, results: dict[str, Timings], docs: int) -> None:
    print(f"\n{title}")
    print(
        f"  {'tool':<24} {'wall s':>8} {'cpu s':>8} {'docs/s (wall)':>14}   load avg (1/5/15) per round"
    )
    for name, t in results.items():
        wall, cpu = statistics.median(t.wall), statistics.median(t.cpu)
        print(f"  {name:<24} {wall:8.3f} {cpu:8.3f} {docs / wall:14.1f}   {', '.join(t.loads)}")
    labels = (
        (
            WARM,
            "warm: its cache folder filled by an earlier run; 16 files or more are not read again",
        ),
        (COLD, "cold: every file read"),
    )
    for ours_name, label in labels:
        if ours_name not in results:
            continue
        ours = statistics.median(results[ours_name].wall)
        ours_cpu = statistics.median(results[ours_name].cpu)
        print(f"  {ours_name} ({label}):")
        for name, t in results.items():
            if not name.startswith("followthrough"):
                print(
                    f"    {statistics.median(t.wall) / ours:.1f}x {name} (wall), "
                    f"{statistics.median(t.cpu) / ours_cpu:.1f}x (CPU time: on a loaded "
                    "machine the wall figure also counts waiting for a core)"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single", type=int, default=10, help="runs on one file, per tool")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="also run followthrough with --no-cache (every file read again) and print both",
    )
    args = parser.parse_args(argv)
    install()
    compile_bytecode()
    os.environ["FOLLOWTHROUGH_CACHE_DIR"] = str(OUT / "cache")
    files = corpus(args.docs)
    words = sum(len(p.read_text().split()) for p in files)
    print(f"{len(files)} postmortems, {words / len(files):.0f} words each; load {load()}")
    report(
        f"A folder of {len(files)} postmortems, {args.rounds} rounds (medians)",
        race(commands(files, cold=args.cold), args.rounds),
        len(files),
    )
    report(
        f"One postmortem, as a pre-commit hook runs it, {args.single} runs (medians)",
        race(commands(files[:1], cold=args.cold), args.single),
        1,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
