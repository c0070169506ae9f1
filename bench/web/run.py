"""The API's throughput as a share of a bare Django JSON view, on the same gunicorn settings.

    .venv/bin/python bench/web/run.py                                  # SQLite and PostgreSQL
    .venv/bin/python bench/web/run.py --databases sqlite --clients 10 --seconds 5   # a quick look

Needs wrk (Debian: ``apt-get install wrk``). For each database: a fresh data folder with the
demo organisation and an admin token; two gunicorn servers with the same settings (workers,
no access log) side by side: the real service, and ``bare_django.py`` (one view returning
twelve incident-shaped dicts: no database, no middleware). For each number of clients, wrk
runs against the bare view, the incident list and one incident's detail, interleaved, and
the script prints requests per second, the p99 latency, the API's share of the bare view,
and the load average beside each figure. Asserts nothing. PostgreSQL's database
(``--pg-database``, ``followthrough_webbench`` unless named: give each parallel run its own)
is dropped and created again.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def recreate(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres") as conn:
        conn.autocommit = True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(env: dict[str, str]) -> str:
    """Migrate, load the demo organisation, and return an admin's API token."""
    ft = str(BIN / "followthrough")
    subprocess.run([ft, "manage", "migrate", "--noinput"], env=env, check=True, capture_output=True)
    subprocess.run([ft, "manage", "createcachetable"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from followthrough.commands.service import setup_django; setup_django(); "
            "from followthrough.web.demo import load_demo; load_demo()",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    made = subprocess.run(
        [ft, "createuser", "webbench", "--admin", "--token"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = re.search(r"(ft_\S+)", made)
    assert token, made
    return token.group(1)


def gunicorn(app: str, port: int, workers: int, env: dict[str, str], chdir: Path | None = None):  # type: ignore[no-untyped-def]
    argv = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers)]
    if chdir is not None:
        argv += ["--chdir", str(chdir)]
    return subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_up(url: str, headers: dict[str, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"no answer from {url}")


def wrk(url: str, clients: int, seconds: int, token: str) -> tuple[float, str]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}: {errors.group(1)} error answers\n{out}")
    return float(rps.group(1)) if rps else 0.0, p99.group(1) if p99 else "?"


def bench(database: str, args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="followthrough-webbench-"))
    env = {
        **os.environ,
        "FOLLOWTHROUGH_DATA_DIR": str(data),
        "API_REQUESTS_PER_MINUTE": "100000000",  # the limiter runs; one token must not trip it
    }
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        url = f"{PG_SERVER}/{args.pg_database}"
        recreate(url)
        env["DATABASE_URL"] = url
    token = prepare(env)
    api_port, bare_port = free_port(), free_port()
    servers = [
        gunicorn("followthrough.web.wsgi:application", api_port, args.workers, env),
        gunicorn("bare_django:application", bare_port, args.workers, env, chdir=HERE),
    ]
    auth = {"Authorization": f"Bearer {token}"}
    try:
        api = f"http://127.0.0.1:{api_port}/api/v1/incidents"
        wait_up(api, auth)
        wait_up(f"http://127.0.0.1:{bare_port}/api/v1/incidents", {})
        listing = json.loads(
            urllib.request.urlopen(urllib.request.Request(api, headers=auth)).read()
        )
        first = listing["items"][0]["id"]
        targets = {
            "bare Django view": f"http://127.0.0.1:{bare_port}/api/v1/incidents",
            "GET /incidents": api,
            f"GET /incidents/{first}": f"{api}/{first}",
        }
        print(
            f"\n{database}: {args.workers} gunicorn workers each, wrk -t2, {args.seconds} s per run"
        )
        print(f"  {'clients':>7}  {'target':<22} {'req/s':>9} {'p99':>9} {'share':>7}   load avg")
        for clients in args.clients:
            bare = 0.0
            for name, url in targets.items():
                rps, p99 = wrk(url, clients, args.seconds, token)
                if name.startswith("bare"):
                    bare = rps
                share = f"{rps / bare:6.1%}" if bare and not name.startswith("bare") else ""
                print(f"  {clients:>7}  {name:<22} {rps:9.1f} {p99:>9} {share:>7}   {load()}")
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--clients", default="10,50", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-database", default="followthrough_webbench")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    for database in args.databases.split(","):
        bench(database.strip(), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
