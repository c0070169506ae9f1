"""Load test: `followthrough serve` on 127.0.0.1 with the demo organisation, 50 locust users.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/load/run.py                      # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/followthrough_load \\
        .venv/bin/python bench/load/run.py                  # PostgreSQL (database recreated)

Loopback only, bounded: --users (50, all started at once) for --seconds (60); figures count
from the moment the last user started; then the server is stopped. Prints requests per second, median and p95 per endpoint, and the failures (the run
exits 1 if there were any).
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}")
        try:
            urllib.request.urlopen(url + "/login/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not answer at {url} within {timeout:.0f} s")


def sign_in(url: str, username: str, password: str) -> str:
    """The session cookie of a signed-in browser."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/login/").read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf, "no CSRF token on the login page"
    form = {"username": username, "password": password, "csrfmiddlewaretoken": csrf.group(1)}
    opener.open(url + "/login/", urllib.parse.urlencode(form).encode()).read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    assert session, "sign-in failed"
    return session


def postmortems(url: str, token: str) -> list[tuple[int, int]]:
    """(postmortem id, incident id) of every postmortem in the demo organisation."""
    request = urllib.request.Request(
        url + "/api/v1/postmortems?limit=200", headers={"Authorization": f"Bearer {token}"}
    )
    items = json.loads(urllib.request.urlopen(request).read())["items"]
    return [(p["id"], p["incident"]["id"]) for p in items]


def recreate_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres") as conn:
        conn.autocommit = True
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="followthrough-load-"))
    env = {
        **os.environ,
        "FOLLOWTHROUGH_DATA_DIR": str(data),
        # The limiter runs (its cost is part of the figures) but 50 users share one token.
        "API_REQUESTS_PER_MINUTE": "10000000",
    }
    if env.get("DATABASE_URL"):
        recreate_postgres_database(env["DATABASE_URL"])
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            str(BIN / "followthrough"),
            "serve",
            "--demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        # The access log goes nowhere: a pipe nobody reads fills up and stalls the workers.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(url, server)
        made = subprocess.run(
            [str(BIN / "followthrough"), "createuser", "loadtest", "--admin", "--token"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        password = re.search(r"Password: (\S+)", made)
        token = re.search(r"API token \([^)]*\): (ft_\S+)", made)
        assert password and token, made
        session = sign_in(url, "loadtest", password.group(1))
        targets = postmortems(url, token.group(1))
        csv_prefix = data / "locust"
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--host",
                url,
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--stop-timeout",
                "5",
                "--csv",
                str(csv_prefix),
                "--only-summary",
                "--reset-stats",
                "--loglevel",
                "WARNING",
            ],
            env={
                **env,
                "LOAD_SESSION": session,
                "LOAD_TOKEN": token.group(1),
                "LOAD_TARGETS": ",".join(f"{pm}:{incident}" for pm, incident in targets),
            },
            stdout=subprocess.DEVNULL,
            check=False,
        )
        return report(csv_prefix, env)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def report(csv_prefix: Path, env: dict[str, str]) -> int:
    database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
    rows = list(csv.DictReader(Path(f"{csv_prefix}_stats.csv").read_text().splitlines()))
    failures = list(csv.DictReader(Path(f"{csv_prefix}_failures.csv").read_text().splitlines()))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{database}: {os.cpu_count()} cores (load average {load} at the end), "
        "requests per second, median and p95 in ms"
    )
    print("| endpoint | requests | failures | req/s | median | p95 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} |"
        )
    for failure in failures:
        print(
            f"FAILED {failure['Method']} {failure['Name']}: {failure['Error']} x{failure['Occurrences']}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
