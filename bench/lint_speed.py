"""How fast is the linter? Prints figures beside their targets; asserts nothing.

    .venv/bin/python bench/lint_speed.py                      # full run (~1,000 and 10,000 docs)
    .venv/bin/python bench/lint_speed.py --docs 200 --corpus 1000   # a quick look

1. Postmortems per second on one core: parse + single-file rules (``lint_text``) over ~1,000
   generated ~1,500-word documents.                                   target: >= 500 docs/s
1b. The same documents as files, read, parsed and linted by ``lint_paths(jobs=N)`` (what
   ``followthrough lint --jobs N --no-corpus`` does), beside ``jobs=1``. target: >= 1,000 docs/s
2. Cost against document size: one base document at 1x, 2x, 4x and 8x its length, in ms per
   document and ms per 1,000 words.                        target: linear (flat ms/1,000 words)
3. Folder-level checks (copy_paste, repeat_incident) over 10,000 pre-parsed documents, in
   their two steps: each rule's signature of each document (done by the worker processes
   in a real run) and the comparison of the signatures (done by the process that reports,
   alone).                                           target: comparison < 3 s wall

Documents come from ``generate_postmortems.py`` (seeded, so every run lints the same text).
Everything runs in this one process, on one core.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_postmortems as gen  # noqa: E402

TARGET_DOCS_PER_SECOND = 500.0
TARGET_PARALLEL_DOCS_PER_SECOND = 1000.0
TARGET_CORPUS_SECONDS = 3.0  # the comparison, in the reporting process
LINEAR_TOLERANCE = 1.5  # ms per 1,000 words at 8x may be at most 1.5x that at 1x
SIZES = (1, 2, 4, 8)


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (the workers)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _load() -> str:
    """The 1/5/15-minute load averages, or "n/a" where the platform has none."""
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def throughput(docs: int, seed: int) -> None:
    from followthrough.core.lint import lint_text

    texts = [text for _, text in gen.folder(docs, seed=seed)]
    words = sum(len(t.split()) for t in texts)
    for text in texts[:20]:  # warm caches and lazy imports
        lint_text(text)
    findings = 0

    def run() -> None:
        nonlocal findings
        for i, text in enumerate(texts):
            findings += len(lint_text(text, f"doc-{i}.md"))

    load_before = _load()
    gc.collect()  # as _timed does, so that the CPU figure counts the run alone
    cpu_start = time.process_time()
    seconds = _timed(run)
    cpu = time.process_time() - cpu_start
    rate = docs / seconds
    cpu_rate = docs / cpu if cpu else float("inf")
    verdict = "meets" if rate >= TARGET_DOCS_PER_SECOND else "MISSES"
    cpu_verdict = "meets" if cpu_rate >= TARGET_DOCS_PER_SECOND else "MISSES"
    print("1. Parse + single-file rules, one core")
    print(
        f"   {docs:,} documents, {words / docs:,.0f} words each on average, {findings:,} findings"
    )
    print(
        f"   wall {seconds:.2f} s  ->  {rate:,.0f} docs/s  ({1000 * seconds / docs:.2f} ms/doc, "
        f"{words / seconds / 1000:,.0f}k words/s)"
    )
    # CPU time of this process: on a shared machine the wall figure also counts waiting
    print(f"   CPU  {cpu:.2f} s  ->  {cpu_rate:,.0f} docs/s  ({1000 * cpu / docs:.2f} ms/doc)")
    print(f"   load average before {load_before}, after {_load()}")
    print(
        f"   target >= {TARGET_DOCS_PER_SECOND:.0f} docs/s: {verdict} (wall), "
        f"{cpu_verdict} (CPU time)"
    )
    print()


def parallel(docs: int, seed: int, jobs: int) -> None:
    """Part 1 again as ``followthrough lint --jobs N --no-corpus`` does it: the files read,
    parsed and linted by ``jobs`` worker processes (wall time is what counts here)."""
    import tempfile

    from followthrough.core.config import LintConfig
    from followthrough.core.lint import lint_paths

    with tempfile.TemporaryDirectory() as folder:
        for name, text in gen.folder(docs, seed=seed):
            Path(folder, name).write_text(text, encoding="utf-8")
        config = LintConfig(corpus=False)
        rates = {}
        for n in sorted({1, jobs}):
            load_before = _load()
            gc.collect()
            workers_before = _children_cpu()
            cpu_start = time.process_time()
            start = time.perf_counter()
            report = lint_paths([folder], config, jobs=n)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            workers = _children_cpu() - workers_before
            rates[n] = docs / seconds
            print(
                f"1b. {docs:,} files read + parsed + single-file rules, --jobs {n}: wall "
                f"{seconds:.2f} s -> {rates[n]:,.0f} docs/s ({len(list(report.findings())):,} "
                f"findings); load average {load_before} before, {_load()} after"
            )
            # on a loaded machine the wall figure is mostly waiting: the CPU each process
            # spent says whether the work was shared out (and what the parent did itself)
            print(f"    CPU: this process {cpu:.2f} s, worker processes {workers:.2f} s")
        verdict = "meets" if rates[jobs] >= TARGET_PARALLEL_DOCS_PER_SECOND else "MISSES"
        print(
            f"   --jobs {jobs} / --jobs 1 = {rates[jobs] / rates[1]:.2f}x; target >= "
            f"{TARGET_PARALLEL_DOCS_PER_SECOND:.0f} docs/s on two cores: {verdict} (wall)"
        )
        print()


def scaling(seed: int) -> None:
    from followthrough.core.lint import lint_text

    print("2. Cost against document size (one base document, lengthened)")
    print(f"   {'size':>4} {'words':>7} {'ms/doc':>9} {'ms/1k words':>12}")
    per_kword: list[float] = []
    for factor in SIZES:
        text = gen.postmortem(7, seed=seed, words=gen.DEFAULT_WORDS * factor, layout="pagerduty")
        words = len(text.split())
        lint_text(text)
        repeats = max(3, 40 // factor)
        samples = [_timed(lambda t=text: lint_text(t)) for _ in range(repeats)]
        ms = 1000 * statistics.median(samples)
        per_kword.append(ms / (words / 1000))
        print(f"   {factor:>3}x {words:>7,} {ms:>9.2f} {per_kword[-1]:>12.2f}")
    ratio = per_kword[-1] / per_kword[0]
    verdict = "meets" if ratio <= LINEAR_TOLERANCE else "MISSES"
    print(f"   ms per 1,000 words at 8x / at 1x = {ratio:.2f}")
    print(f"   target linear (ratio <= {LINEAR_TOLERANCE}): {verdict}")
    print()


def folder_checks(corpus: int, seed: int) -> None:
    import pickle

    from followthrough.core.config import LintConfig
    from followthrough.core.lint import _add_corpus, _corpus_rules
    from followthrough.core.markdown import parse

    texts = list(gen.folder(corpus, seed=seed))
    start = time.perf_counter()
    docs = [parse(text, name) for name, text in texts]
    parse_seconds = time.perf_counter() - start
    only_corpus = LintConfig(select=("copy_paste", "repeat_incident"))
    rules = _corpus_rules(only_corpus)
    load_before = _load()
    gc.collect()
    cpu_start = time.process_time()
    signatures = [[rule.signature(doc, only_corpus) for doc in docs] for rule in rules]
    sign_cpu = time.process_time() - cpu_start
    sizes = [len(pickle.dumps(signed)) / len(docs) for signed in signatures]
    paths = [doc.path for doc in docs]
    raw: dict[str, list[object]] = {path: [] for path in paths}
    gc.collect()  # the garbage collector stays on, as in a real run
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    _add_corpus(signatures, paths, raw, only_corpus)  # type: ignore[arg-type]
    seconds = time.process_time() - cpu_start
    wall = time.perf_counter() - wall_start
    counts: dict[str, int] = {}
    for findings in raw.values():
        for f in findings:
            rule = f"{getattr(f, 'rule', '?')} {getattr(f, 'category', '?')}"
            counts[rule] = counts.get(rule, 0) + 1
    verdict = "meets" if wall < TARGET_CORPUS_SECONDS else "MISSES"
    per_rule = _per_rule(docs, only_corpus)
    print("3. Folder-level checks (corpus rules only)")
    print(f"   {corpus:,} documents (parsed beforehand in {parse_seconds:.1f} s, not counted)")
    print(
        f"   signatures (the workers' share): {sign_cpu:.2f} s CPU; pickled per document: "
        + ", ".join(f"{r.code} {size / 1024:.1f} KiB" for r, size in zip(rules, sizes, strict=True))
    )
    print(
        f"   comparison (the reporting process): {seconds:.2f} s CPU ({wall:.2f} s wall); "
        f"load average {load_before} before, {_load()} after"
    )
    print(
        "   findings per rule: "
        + (", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "none")
    )
    print(
        "   each rule alone, signatures and comparison (CPU, collector paused): "
        + ", ".join(f"{code} {cpu:.2f} s" for code, cpu in per_rule)
    )
    print(f"   target comparison < {TARGET_CORPUS_SECONDS:.0f} s wall: {verdict}")
    print()


def _per_rule(docs: list[object], config: object) -> list[tuple[str, float]]:
    """CPU seconds of each folder rule run alone over ``docs`` (a second run: the figure
    above is the one that counts)."""
    from followthrough.core.lint import _corpus_rules

    out = []
    for rule in _corpus_rules(config):  # type: ignore[arg-type]
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            for _ in rule.check_corpus(docs, config):  # type: ignore[arg-type]
                pass
            out.append((rule.code, time.process_time() - start))
        finally:
            gc.enable()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents for throughput")
    parser.add_argument("--corpus", type=int, default=10000, help="documents for folder checks")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes for part 1b"
    )
    parser.add_argument(
        "--skip",
        choices=("throughput", "parallel", "scaling", "corpus"),
        action="append",
        default=[],
        help="skip a part (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.docs < 1 or args.corpus < 2:
        parser.error("--docs must be at least 1 and --corpus at least 2")
    try:
        import followthrough.core.lint  # noqa: F401
    except ImportError as error:
        print(f"error: the linter is not importable: {error}", file=sys.stderr)
        return 2
    print(f"followthrough lint speed (Python {sys.version.split()[0]}, seed {args.seed})\n")
    if "throughput" not in args.skip:
        throughput(args.docs, args.seed)
    if "parallel" not in args.skip:
        parallel(args.docs, args.seed, max(args.jobs, 1))
    if "scaling" not in args.skip:
        scaling(args.seed)
    if "corpus" not in args.skip:
        folder_checks(args.corpus, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
