"""Every page of the demo organisation for one user: p50/p95 latency and SQL time per page.

    .venv/bin/python bench/web/pages.py                     # SQLite, 20 requests per page
    .venv/bin/python bench/web/pages.py --repeat 20 --top 15
    .venv/bin/python bench/web/pages.py --dump /tmp/before  # also write every page's HTML
    .venv/bin/python bench/web/pages.py --compare /tmp/before   # and compare with a dump
    .venv/bin/python bench/web/pages.py --only postmortem --sort cpu   # some pages, by CPU

A fresh data folder (SQLite, or PostgreSQL with ``--postgres``: the database
``followthrough_pagebench`` is dropped and created again), the process warmed as a server
warms itself at start (web/warmup.py; ``--no-warm-up`` leaves it cold), the demo
organisation loaded at a fixed instant, the admin signed in. Every page reachable from ``/``
by following links (tests/web/crawl.py) is requested once (the first request of each page
in the process: what a person opening it after a start waits for; timed) and then
``--repeat`` times in-process (Django's test client: the whole middleware stack and the
view, no network), with the clock frozen at the same instant so that pages are comparable
between runs. Prints, for the slowest pages, p50 and p95 wall time (p95 of ``--repeat``
requests: with the default 20, the second slowest; one odd request does not make it),
p50/p95 CPU time of the request (``time.thread_time``: on a machine other work keeps busy
the wall time mostly measures waiting for a core), the SQL time (the sum of the queries'
times, as Django measures them) and query count, then the worst p95 and SQL time over all
pages against the targets (p95 under 50 ms, SQL under 5 ms), the slowest first requests,
and full passes of the garbage collector during the timed requests, with the load
average. ``--only`` times just the pages
whose address matches a regular expression (every page is still crawled and dumped). ``--dump``/``--compare`` write
and compare the pages' HTML (CSRF tokens blanked), to show a change left them identical.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # a Wednesday morning
PG_URL = "postgres://postgres@127.0.0.1:5432/followthrough_pagebench"
CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")|("csrfToken"?:\s*")[^"]*(")')
TOKEN_HEADER = re.compile(rb"(X-CSRFToken&quot;: &quot;|X-CSRFToken\": \")[A-Za-z0-9]+")


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _crawl_module() -> Any:
    spec = importlib.util.spec_from_file_location("crawl", ROOT / "tests" / "web" / "crawl.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _blank_csrf(body: bytes) -> bytes:
    body = CSRF.sub(lambda m: (m.group(1) or m.group(3)) + b"-" + (m.group(2) or m.group(4)), body)
    return TOKEN_HEADER.sub(lambda m: m.group(1) + b"-", body)


def _timed(spent: list[Any]) -> Any:
    """An execute wrapper adding each query's wall time (perf_counter: the frozen clock
    does not stop it) and count to ``spent``."""

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started
            spent[1] += 1

    return wrapper


class _FirstRequests:
    """The test client, timing the first request of each address (wall, CPU ms)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.times: dict[str, tuple[float, float]] = {}

    def get(self, url: str) -> Any:
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = self.client.get(url)
        if url not in self.times:
            self.times[url] = (
                (time.perf_counter() - started) * 1000,
                (time.thread_time() - cpu_started) * 1000,
            )
        return response


class _FullPasses:
    """A garbage-collector callback noting the CPU time of each full (generation 2) pass."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self.started = time.thread_time()
        else:
            self.times.append((time.thread_time() - self.started) * 1000)


def _p50_p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _file_name(url: str) -> str:
    return quote(url, safe="") + ".html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest to list")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--only", help="time only the pages whose address matches this regex")
    parser.add_argument("--sort", choices=("wall", "cpu", "sql"), default="wall")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="as a server did before warming"
    )
    args = parser.parse_args(argv)

    os.environ["FOLLOWTHROUGH_DATA_DIR"] = tempfile.mkdtemp(prefix="followthrough-pagebench-")
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from run import recreate

        recreate(PG_URL)
        os.environ["DATABASE_URL"] = PG_URL
    import time_machine

    from followthrough.commands.service import setup_django

    setup_django()
    if args.warm_up:
        from followthrough.web.warmup import warm_up

        warm_up()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from followthrough.web.demo import load_demo

    setup_test_environment()
    crawl = _crawl_module().crawl
    with time_machine.travel(AT, tick=False):
        login = load_demo(AT)
        client = Client()
        assert client.login(username=login.username, password=login.password)
        firsts = _FirstRequests(client)
        # Only the bodies are kept: a server holds no hundreds of earlier test responses
        # (each with its templates' contexts) for the collector to walk.
        html = {
            url: response.content
            for url, response in crawl(firsts).items()
            if response.get("Content-Type", "").startswith("text/")
        }
        gc.collect()  # the crawl's garbage, not charged to the first page timed
        full_passes = _FullPasses()
        only = re.compile(args.only) if args.only else None
        rows = []
        for url in html:
            if only and not only.search(url):
                continue
            walls: list[float] = []
            cpus: list[float] = []
            sqls: list[float] = []
            for _ in range(args.repeat):
                spent = [0.0, 0]
                with connection.execute_wrapper(_timed(spent)):
                    started, cpu_started = time.perf_counter(), time.thread_time()
                    response = client.get(url)
                    walls.append((time.perf_counter() - started) * 1000)
                    cpus.append((time.thread_time() - cpu_started) * 1000)
                sqls.append(spent[0] * 1000)
                queries = int(spent[1])
            rows.append((url, *_p50_p95(walls), *_p50_p95(cpus), statistics.median(sqls), queries))
            html[url] = response.content
        gc.callbacks.remove(full_passes)
        cpu_started = time.thread_time()
        gc.collect()
        full_pass = (time.thread_time() - cpu_started) * 1000
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{database}: {len(rows)} pages of the demo organisation, one user (admin), "
        f"{args.repeat} requests each after a first one, in-process, "
        f"{'warmed as the server warms at start' if args.warm_up else 'not warmed'}"
    )
    print(
        f"  {'page':<52} {'p50 ms':>7} {'p95 ms':>7} {'CPU p50':>7} {'CPU p95':>7} "
        f"{'SQL ms':>7} {'queries':>7}   load avg"
    )
    key = {"wall": 2, "cpu": 4, "sql": 5}[args.sort]
    for url, p50, p95, cpu50, cpu95, sql, n in sorted(rows, key=lambda r: -r[key])[: args.top]:
        print(
            f"  {url[:52]:<52} {p50:7.1f} {p95:7.1f} {cpu50:7.1f} {cpu95:7.1f} {sql:7.2f} "
            f"{n:7d}   {load()}"
        )
    if rows:
        worst = max(rows, key=lambda r: r[2])
        worst_cpu = max(rows, key=lambda r: r[4])
        worst_sql = max(rows, key=lambda r: r[5])
        print(
            f"  worst p95 {worst[2]:.1f} ms ({worst[0]}; target < 50), worst CPU p95 "
            f"{worst_cpu[4]:.1f} ms ({worst_cpu[0]}), worst SQL time {worst_sql[5]:.2f} ms "
            f"({worst_sql[0]}; target < 5); pages over 50 ms p95: "
            f"{sum(1 for r in rows if r[2] >= 50)} of {len(rows)} (by CPU time: "
            f"{sum(1 for r in rows if r[4] >= 50)})   load avg {load()}"
        )
    first = sorted(firsts.times.items(), key=lambda item: -item[1][0])
    print(
        f"  first request of each page: {sum(1 for _, (w, _c) in first if w >= 50)} of "
        f"{len(first)} at 50 ms or more; slowest "
        + ", ".join(f"{url} {w:.1f} ms (CPU {c:.1f})" for url, (w, c) in first[:3])
    )
    print(
        f"  full garbage-collector passes during the timed requests: {len(full_passes.times)}"
        + (f", CPU {max(full_passes.times):.1f} ms at most" if full_passes.times else "")
        + f"; one after them: CPU {full_pass:.1f} ms over {len(gc.get_objects())} objects "
        f"({gc.get_freeze_count()} frozen at start, not walked)"
    )
    bodies = {url: _blank_csrf(body) for url, body in html.items()}
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for url, body in bodies.items():
            (args.dump / _file_name(url)).write_bytes(body)
        print(f"  wrote {len(bodies)} pages to {args.dump}")
    if args.compare:
        before = {p.name: p.read_bytes() for p in args.compare.glob("*.html")}
        now = {_file_name(u): b for u, b in bodies.items()}
        differ = sorted(n for n in before.keys() & now.keys() if before[n] != now[n])
        print(
            f"  compared with {args.compare}: {len(before.keys() & now.keys())} pages in both, "
            f"{len(differ)} differ, {len(before.keys() - now.keys())} only before, "
            f"{len(now.keys() - before.keys())} only now"
        )
        for name in differ[:20]:
            print(f"    differs: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
