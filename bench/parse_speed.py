"""How fast is the parser alone? Prints figures beside their budget; asserts nothing.

    .venv/bin/python bench/parse_speed.py                  # 300 docs x 5 repetitions, 10 MB file
    .venv/bin/python bench/parse_speed.py --docs 100 --repeat 3 --skip big

1. ``parse`` per ~1,500-word generated document, for each of the generator's layouts and all
   together: CPU time (``time.process_time``, so time spent waiting for the other core's
   work is not counted), the best of ``--repeat`` passes over the same documents.
                                                             budget: <= 1 ms/doc (1,000 docs/s)
   Then the single-file rules (``lint_document``) on the same documents, parsed beforehand,
   so parse + rules = ``bench/lint_speed.py``'s part 1 in CPU time.
   Then, for comparison, markdown-it-py's block-only tokenisation of the same documents (no
   inline pass), when that package is importable: what a reader built on its tokens would
   pay before reading a single section (see bench/README.md, "Why our own block scanner").
2. One ~10 MB document (generated documents of every layout concatenated): seconds, and
   ms per 1,000 words beside part 1's, to show the cost is linear in size.
                                                  budget: the same ms per 1,000 words as part 1

The load average is printed first: this machine is shared, so compare figures taken at a
similar load.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_postmortems as gen  # noqa: E402

BUDGET_MS_PER_DOC = 1.0
BIG_BYTES = 10 * 1024 * 1024


def _cpu(fn: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def _best(fn: Callable[[], object], repeat: int) -> float:
    return min(_cpu(fn) for _ in range(repeat))


def per_layout(docs: int, repeat: int, seed: int) -> float:
    """Part 1; returns ms per 1,000 words over all layouts."""
    from followthrough.core.markdown import parse

    print(f"1. parse, ~{gen.DEFAULT_WORDS:,}-word documents (best of {repeat}, CPU time)")
    print(f"   {'layout':<10} {'docs':>5} {'words':>6} {'ms/doc':>8} {'docs/s':>8} {'ms/1k w':>8}")
    every: list[str] = []
    for layout in gen.LAYOUTS:
        texts = [gen.postmortem(i, seed=seed, layout=layout) for i in range(docs)]
        every.extend(texts)
        _report(layout, texts, repeat, parse)
    ms_per_kword = _report("all", every, repeat, parse)
    _rules(every, repeat)
    _markdown_it(every, repeat)
    print()
    return ms_per_kword


def _rules(texts: list[str], repeat: int) -> None:
    """The single-file rules alone, on documents parsed beforehand (CPU time)."""
    from followthrough.core.lint import lint_document
    from followthrough.core.markdown import parse

    docs = [parse(text, f"doc-{i}.md") for i, text in enumerate(texts)]
    for doc in docs[:10]:
        lint_document(doc)
    findings = 0

    def run() -> None:
        nonlocal findings
        findings = sum(len(lint_document(doc)) for doc in docs)

    seconds = _best(run, repeat)
    ms = 1000 * seconds / len(docs)
    print(
        f"   {'rules':<10} {len(docs):>5} {'':>6} {ms:>8.2f} {len(docs) / seconds:>8,.0f}"
        f"          ({findings:,} findings; single-file rules on parsed documents)"
    )


def _markdown_it(texts: list[str], repeat: int) -> None:
    """markdown-it-py's block tokens alone (inline pass off), for comparison."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        print("   markdown-it-py is not installed: no comparison")
        return
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.disable(["inline", "text_join"], ignoreInvalid=True)
    for text in texts[:10]:
        md.parse(text)

    def run() -> None:
        for text in texts:
            md.parse(text)

    seconds = _best(run, repeat)
    ms = 1000 * seconds / len(texts)
    print(
        f"   {'mdit':<10} {len(texts):>5} {'':>6} {ms:>8.2f} {len(texts) / seconds:>8,.0f}"
        "          (markdown-it-py block tokens only, for comparison)"
    )
    # Its many small Token objects wake the cyclic collector, which a real lint run keeps on.
    gc.collect()
    start = time.process_time()
    run()
    with_gc = 1000 * (time.process_time() - start) / len(texts)
    print(
        f"   {'mdit+gc':<10} {len(texts):>5} {'':>6} {with_gc:>8.2f}          (the same, collector on)"
    )


def _report(name: str, texts: list[str], repeat: int, parse: Callable[[str], object]) -> float:
    for text in texts[:10]:  # warm caches and lazy imports
        parse(text)
    words = sum(len(t.split()) for t in texts)

    def run() -> None:
        for text in texts:
            parse(text)

    seconds = _best(run, repeat)
    ms = 1000 * seconds / len(texts)
    ms_per_kword = 1000 * seconds / (words / 1000)
    rate = len(texts) / seconds if seconds else float("inf")
    verdict = "" if name != "all" else (" meets" if ms <= BUDGET_MS_PER_DOC else " MISSES")
    print(
        f"   {name:<10} {len(texts):>5} {words // len(texts):>6,} {ms:>8.2f} {rate:>8,.0f}"
        f" {ms_per_kword:>8.3f}{verdict}"
    )
    return ms_per_kword


def big_file(seed: int, small_ms_per_kword: float | None) -> None:
    from followthrough.core.markdown import parse

    parts: list[str] = []
    size = 0
    index = 0
    layouts = tuple(gen.LAYOUTS)
    while size < BIG_BYTES:
        text = gen.postmortem(index, seed=seed, layout=layouts[index % len(layouts)])
        parts.append(text)
        size += len(text.encode())
        index += 1
    text = "\n".join(parts)
    words = len(text.split())
    seconds = _cpu(lambda: parse(text, "big.md"))
    ms_per_kword = 1000 * seconds / (words / 1000)
    print(f"2. parse, one {len(text.encode()) / 1e6:.1f} MB document ({index:,} postmortems)")
    print(f"   {words:,} words: {seconds:.2f} s, {ms_per_kword:.3f} ms per 1,000 words")
    if small_ms_per_kword:
        ratio = ms_per_kword / small_ms_per_kword
        print(f"   ms per 1,000 words, 10 MB / small documents = {ratio:.2f} (linear: about 1)")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="documents per layout")
    parser.add_argument("--repeat", type=int, default=5, help="passes; the best is reported")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip", choices=("layouts", "big"), action="append", default=[])
    args = parser.parse_args(argv)
    if args.docs < 1 or args.repeat < 1:
        parser.error("--docs and --repeat must be at least 1")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, Python {sys.version.split()[0]}"
    )
    print()
    small: float | None = None
    if "layouts" not in args.skip:
        small = per_layout(args.docs, args.repeat, args.seed)
    if "big" not in args.skip:
        big_file(args.seed, small)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
