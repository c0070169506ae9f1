"""The semantic mode (INSIGHTS_SEMANTIC) at scale: embedding every incident, and look-ups.

    python bench/insights/semantic.py                 # 10,000 incidents
    python bench/insights/semantic.py --size 30000 --keep

Recreates its own database (followthrough_bench_semantic), loads it with generate.py, then
prints: the index rebuild with the semantic mode off and on (the difference is the
embedding of every incident), the first look-up of a process (it reads every stored vector
into one matrix), and similar-incident look-ups for random incidents, p50 and p95, with the
mode off and on. Needs the extra: pip install -e '.[semantic]'. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default="followthrough_bench_semantic")
    parser.add_argument("--url", default=generate.SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.size < 100:
        parser.error("--size must be at least 100")

    from followthrough.core import semantic as engine

    if not engine.available():
        parser.error(f"the semantic extra is not installed: {engine.INSTALL_HINT}")
    generate.setup(args.db, args.url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from followthrough.web.incidents.models import Incident
    from followthrough.web.insights import repeats, semantic

    connections.close_all()
    generate.recreate(args.db, args.url)
    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        t = time.perf_counter()
        generate.generate(args.size, args.seed, log=lambda m: None)
        print(f"{args.size:,} incidents loaded in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        engine.Embedder()
        print(f"model load (once per process): {time.perf_counter() - t:.1f} s")

        settings.INSIGHTS_SEMANTIC = False
        t = time.perf_counter()
        repeats.rebuild()
        off = time.perf_counter() - t
        settings.INSIGHTS_SEMANTIC = True
        t = time.perf_counter()
        indexed = repeats.rebuild()
        on = time.perf_counter() - t
        print(
            f"rebuild of {indexed:,} incidents: words only {off:.1f} s, with meaning {on:.1f} s "
            f"(embedding: {on - off:.1f} s, {indexed / max(on - off, 1e-9):.0f} incidents/s)"
        )

        admin = get_user_model().objects.get(username="bench-admin")
        rng = random.Random(args.seed)
        ids = list(Incident.objects.values_list("pk", flat=True))
        picks = [rng.choice(ids) for _ in range(args.lookups)]
        incidents = Incident.objects.in_bulk(picks)

        semantic.changed()
        t = time.perf_counter()
        semantic.matrix()
        print(f"first look-up reads the {len(ids):,} vectors: {_ms(time.perf_counter() - t)}")

        for mode in (False, True):
            settings.INSIGHTS_SEMANTIC = mode
            for pk in picks[:5]:
                repeats.similar_incidents(incidents[pk], admin)
            samples, found, by_meaning = [], [], 0
            for pk in picks:
                t = time.perf_counter()
                got = repeats.similar_incidents(incidents[pk], admin)
                samples.append(time.perf_counter() - t)
                found.append(len(got))
                by_meaning += sum(1 for s in got if s.engine == "meaning")
            ordered = sorted(samples)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            print(
                f"{args.lookups} look-ups, semantic {'on ' if mode else 'off'}: "
                f"p50 {_ms(statistics.median(samples))}  p95 {_ms(p95)}  "
                f"suggestions per look-up {statistics.mean(found):.1f} "
                f"({by_meaning} found by meaning)"
            )
    finally:
        connections.close_all()
        if not args.keep:
            generate.drop(args.db, args.url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
