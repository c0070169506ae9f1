"""CPU time of the single-file rules alone (``lint._raw_findings`` and ``_finish``), per
document, best of N rounds over documents parsed beforehand: parsing is not counted, and
the garbage collector is off while the rules run.

    .venv/bin/python bench/rules_cpu.py                          # 500 generated documents
    .venv/bin/python bench/rules_cpu.py --folder ../shared/corpus/real/docs --rounds 15
    .venv/bin/python bench/rules_cpu.py --per-rule               # each rule's share

To compare two checkouts, run each one's venv on this script in turn, several times,
interleaved: the machine is shared and one run's figure says little.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate_postmortems as gen  # noqa: E402


def _texts(folder: str | None, docs: int, seed: int) -> list[str]:
    if folder is None:
        return [text for _, text in gen.folder(docs, seed=seed)]
    paths = sorted(Path(folder).rglob("*.md"))
    return [path.read_text(encoding="utf-8", errors="replace") for path in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500, help="generated documents")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", help="Markdown files of a folder instead of generated ones")
    parser.add_argument("--rounds", type=int, default=5, help="the best of this many runs")
    parser.add_argument("--per-rule", action="store_true", help="each rule's CPU as well")
    args = parser.parse_args(argv)

    from followthrough.core import lint
    from followthrough.core.config import LintConfig
    from followthrough.core.markdown import parse
    from followthrough.core.rules.base import view_of

    texts = _texts(args.folder, args.docs, args.seed)
    config = LintConfig()
    rules = lint._single_rules(config)
    clock = time.process_time
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        docs = [parse(text, f"doc-{i}.md") for i, text in enumerate(texts)]
        spent: dict[str, float] = {}
        gc.collect()
        gc.disable()
        start = clock()
        for doc in docs:
            found = lint._raw_findings(doc, config)
            lint._finish(lint.marks_of(doc), found, config, ran_corpus=False)
        spent["all rules"] = clock() - start
        if args.per_rule:
            docs = [parse(text, f"doc-{i}.md") for i, text in enumerate(texts)]
            for doc in docs:
                at = clock()
                _ = view_of(doc).words  # the prepared view, which the first rule builds
                spent["view"] = spent.get("view", 0.0) + clock() - at
                for rule in rules:
                    at = clock()
                    list(rule.check(doc, config))
                    spent[rule.code] = spent.get(rule.code, 0.0) + clock() - at
        gc.enable()
        for key, seconds in spent.items():
            best[key] = min(best.get(key, seconds), seconds)
    load = "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"{len(texts)} documents, best of {args.rounds}, load average {load}")
    for key, seconds in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {key:10s} {1000 * seconds / len(texts):.4f} ms/doc CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
