"""Insights at scale: dashboard queries, similar-incident look-ups, index build.

    python bench/insights/run.py                      # 10,000 then 100,000 incidents
    python bench/insights/run.py --sizes 10000,30000,100000 --keep

For each size the script recreates the dedicated database (followthrough_bench), loads it
with bench/insights/generate.py (half as many postmortems, 20 action items each), then
prints:

1. building the similar-incident index from scratch (``followthrough insights rebuild``:
   signatures and LSH buckets), and the milestone deadlines;
2. the dashboard's queries (the whole report: counts per month and team, the milestone
   and escalation counts, the deadline catch-up), p50 and p95 over repeated runs, for the
   organisation (12 months), one team, and 12 quarters; and the full page for reference;
3. similar-incident look-ups for random incidents, p50 and p95, plus the catch-up query
   every look-up may run;

each beside its target, and at the end how each figure grew from the smallest size to the
largest. The database is dropped at the end unless ``--keep``. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

TARGETS = {"build": 60.0, "dashboard": 0.300, "similar": 0.050}


def _timed(fn: Callable[[], Any], runs: int, warm: int = 2) -> list[float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _verdict(value: float, target: float) -> str:
    return "meets" if value <= target else "MISSES"


def _load() -> str:
    """The load average now (1 and 5 minutes), printed beside every figure."""
    one, five, _ = os.getloadavg()
    return f"[load {one:.1f}/{five:.1f} on {os.cpu_count()} cores]"


def _holds(size: int) -> bool:
    """Does the bench database exist and hold ``size`` incidents (a finished load)?"""
    from django.db import connection
    from django.db.utils import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM incidents_incident")
            return bool(cursor.fetchone()[0] == size)
    except DatabaseError:
        return False


def _same_counts(a: Any, b: Any) -> bool:
    """Equal counts (the two float sums to within rounding)."""
    close = abs(a.open_age_days - b.open_age_days) <= 1e-6 * max(1.0, abs(b.open_age_days))
    close = close and abs(a.close_hours - b.close_hours) <= 1e-6 * max(1.0, abs(b.close_hours))
    rest_a = {k: v for k, v in vars(a).items() if k not in ("open_age_days", "close_hours")}
    rest_b = {k: v for k, v in vars(b).items() if k not in ("open_age_days", "close_hours")}
    return close and rest_a == rest_b


def measure(size: int, runs: int, lookups: int, seed: int) -> dict[str, float]:
    from django.contrib.auth.models import User
    from django.db import connection, reset_queries
    from django.test import Client

    from followthrough.web.accounts.models import Team
    from followthrough.web.incidents.models import Incident
    from followthrough.web.insights import deadlines, facts, queries, repeats, rollups

    figures: dict[str, float] = {}
    admin = User.objects.get(username="bench-admin")

    print("1. Build from scratch")
    t, cpu = time.perf_counter(), time.process_time()
    indexed = repeats.rebuild()
    figures["build"] = time.perf_counter() - t
    print(
        f"   similar-incident index: {indexed:,} incidents in {figures['build']:.1f} s"
        f"   target < {TARGETS['build']:.0f} s: {_verdict(figures['build'], TARGETS['build'])}"
        f"   (this process's CPU {time.process_time() - cpu:.1f} s)   {_load()}"
    )
    t = time.perf_counter()
    written = deadlines.rebuild()
    figures["deadlines"] = time.perf_counter() - t
    print(
        f"   milestone deadlines: {written:,} postmortems in {figures['deadlines']:.1f} s"
        f"   {_load()}"
    )
    t = time.perf_counter()
    counted = rollups.rebuild()
    figures["rollups"] = time.perf_counter() - t
    print(
        f"   action-item counts: {counted:,} postmortems in {figures['rollups']:.1f} s   {_load()}"
    )
    t = time.perf_counter()
    summed = facts.rebuild()
    figures["facts"] = time.perf_counter() - t
    print(
        f"   dashboard sums (facts of {summed:,} incidents, per team and day) "
        f"in {figures['facts']:.1f} s   {_load()}"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    print("2. Dashboard queries (queries.report: every number on the page)")
    team = Team.objects.get(name="Payments")
    three_years_ago = date.today() - timedelta(days=3 * 365 - 92)
    cases = {
        "organisation, 12 months": lambda: queries.report(queries.scope(admin)),
        "one team, 12 months": lambda: queries.report(queries.scope(admin, team=team.pk)),
        "organisation, 12 quarters": lambda: queries.report(
            queries.scope(admin, period="quarter", start=three_years_ago)
        ),
    }
    worst = 0.0
    for name, fn in cases.items():
        samples = _timed(fn, runs)
        p95 = _p95(samples)
        figures[f"dashboard {name}"] = p95
        worst = max(worst, p95)
        print(f"   {name:28s} p50 {_ms(statistics.median(samples))}  p95 {_ms(p95)}   {_load()}")
    figures["dashboard"] = worst
    s = queries.scope(admin)
    now = datetime.now(UTC)
    fast, live = queries.counts(s, now), queries.counts_live(s, now)
    same = set(fast) == set(live) and all(_same_counts(fast[k], live[k]) for k in live)
    print(f"   same numbers as a count straight from the rows (organisation, 12 months): {same}")
    straight = _timed(lambda: queries.counts_live(queries.scope(admin)), max(3, runs // 5), 1)
    figures["straight"] = statistics.median(straight)
    print(
        "   that straight count (how the page counted before), organisation, 12 months, "
        f"p50 {_ms(figures['straight']).strip()}   {_load()}"
    )
    print(
        f"   worst p95 {_ms(worst).strip()}   target < 300 ms: "
        f"{_verdict(worst, TARGETS['dashboard'])}"
    )
    client = Client()
    client.force_login(admin)

    def page() -> None:
        response = client.get("/insights/")
        if response.status_code != 200:
            raise RuntimeError(f"the page answered {response.status_code}")

    try:
        figures["page"] = _p95(_timed(page, max(5, runs // 4), warm=1))
        print(
            "   the whole page (render included, for reference) "
            f"p95 {_ms(figures['page']).strip()}   {_load()}"
        )
    except Exception as e:  # the page is for reference: a broken page does not stop the run
        figures["page"] = float("nan")
        print(f"   the whole page: not measured ({type(e).__name__}: {e})")

    def dashboard_catch_up() -> None:
        rollups.catch_up()
        deadlines.catch_up()
        facts.catch_up()

    figures["dashboard_catch_up"] = _p95(_timed(dashboard_catch_up, 5, warm=1))
    print(
        "   catch-up of the stored counts (edits of the last 5 minutes again, at most every 30 s) "
        f"p95 {_ms(figures['dashboard_catch_up']).strip()}   {_load()}"
    )

    print("3. Similar-incident look-ups")
    rng = random.Random(seed)
    ids = list(Incident.objects.values_list("pk", flat=True))
    picks = [rng.choice(ids) for _ in range(lookups)]
    incidents = Incident.objects.in_bulk(picks)
    found = []

    def lookup(pk: int) -> None:
        found.append(len(repeats.similar_incidents(incidents[pk], admin)))

    for pk in picks[:5]:
        lookup(pk)
    samples = []
    reset_queries()
    for pk in picks:
        t = time.perf_counter()
        lookup(pk)
        samples.append(time.perf_counter() - t)
    figures["similar"] = _p95(samples)
    figures["similar p50"] = statistics.median(samples)
    print(
        f"   {lookups} look-ups: p50 {_ms(statistics.median(samples))}  p95 {_ms(figures['similar'])}"
        f"   target < 50 ms: {_verdict(figures['similar'], TARGETS['similar'])}   {_load()}"
    )
    print(
        f"   suggestions per look-up: mean {statistics.mean(found):.1f}, "
        f"{sum(1 for n in found if n) / len(found):.0%} of incidents have at least one"
    )
    catch = _timed(repeats.catch_up, 10, warm=1)
    figures["catch_up"] = _p95(catch)
    print(
        "   catch-up with nothing to do (at most every few seconds) "
        f"p95 {_ms(figures['catch_up']).strip()}   {_load()}"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="incident counts, comma-separated")
    parser.add_argument("--runs", type=int, default=20, help="dashboard runs per case")
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=generate.DB)
    parser.add_argument("--url", default=generate.SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database as it is if it already holds the size asked for (one size only; "
        "it is migrated, not reloaded)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes takes numbers like 10000,100000; got {args.sizes!r}")
    if not sizes or min(sizes) < 100:
        parser.error("--sizes: each size must be at least 100")
    if args.reuse and len(sizes) > 1:
        parser.error("--reuse keeps one database: give one size")
    generate.setup(args.db, args.url)
    from django.core.management import call_command
    from django.db import connections

    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        print(
            f"\n=== {size:,} incidents, {size // 2:,} postmortems, {size * 10:,} action items ==="
        )
        connections.close_all()
        if args.reuse and _holds(size):
            call_command("migrate", verbosity=0)
            call_command("createcachetable", verbosity=0)
            print(f"   reusing {args.db} as loaded")
        else:
            generate.recreate(args.db, args.url)
            call_command("migrate", verbosity=0)
            call_command("createcachetable", verbosity=0)
            t = time.perf_counter()
            counts = generate.generate(size, args.seed, log=lambda m: print(m))
            print(f"   loaded in {time.perf_counter() - t:.1f} s: {counts} {_load()}")
        print(f"   before measuring: {_load()}")
        results[size] = measure(size, args.runs, args.lookups, args.seed)
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print(f"\nGrowth from {small:,} to {large:,} incidents ({large / small:.0f}x the data)")
        for key, label in (
            ("build", "index build"),
            ("deadlines", "deadline build"),
            ("rollups", "action count build"),
            ("facts", "dashboard sums build"),
            ("dashboard organisation, 12 months", "dashboard org 12 mo p95"),
            ("dashboard one team, 12 months", "dashboard team 12 mo p95"),
            ("dashboard organisation, 12 quarters", "dashboard org 12 q p95"),
            ("dashboard", "dashboard worst p95"),
            ("straight", "straight count p50"),
            ("dashboard_catch_up", "dashboard catch-up p95"),
            ("page", "dashboard page p95"),
            ("similar p50", "similar look-up p50"),
            ("similar", "similar look-up p95"),
            ("catch_up", "look-up catch-up p95"),
        ):
            a, b = results[small][key], results[large][key]
            unit = "s" if key in ("build", "deadlines", "rollups", "facts") else "ms"
            scale = 1 if unit == "s" else 1000
            growth = f"x{b / a:.1f}" if a else "-"
            print(f"   {label:26s} {a * scale:9.1f} -> {b * scale:9.1f} {unit}   {growth}")
    connections.close_all()
    if not args.keep:
        generate.drop(args.db, args.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
