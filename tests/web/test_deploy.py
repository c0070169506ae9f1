"""A company on one PostgreSQL: two servers and two workers driven together (docs/deploy.md).

Real processes: two ``followthrough serve`` (two gunicorn workers each, a connection pool of
one per process) on free ports, two ``followthrough worker``, a loopback SMTP server, one
fresh PostgreSQL database. Edits go through both servers at once; invitations made through
either are e-mailed by whichever worker claims them, each exactly once; the processes keep
no more connections open than the pool sizes allow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from .followup.conftest import Inbox, free_port

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" and os.environ.get("FOLLOWTHROUGH_REQUIRE_PG") != "1",
    reason="servers and workers sharing one database need PostgreSQL: runs in the "
    "PostgreSQL pass (FOLLOWTHROUGH_REQUIRE_PG=1 makes it run, and fail without one)",
)

BIN = Path(sys.executable).parent
PG = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SERVE_WORKERS = 2


def _admin() -> Any:
    import psycopg

    base = PG.replace("postgres://", "postgresql://", 1).rsplit("/", 1)[0]
    return psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=10)


@pytest.fixture(scope="module")
def company() -> Iterator[dict[str, Any]]:
    name = f"followthrough_deploy_{os.getpid()}"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    data = Path(tempfile.mkdtemp(prefix="followthrough-deploy-"))
    env = {
        **os.environ,
        "DATABASE_URL": PG.rsplit("/", 1)[0] + "/" + name,
        "DATABASE_POOL_MAX_SIZE": "1",
        "FOLLOWTHROUGH_DATA_DIR": str(data),
        "SECRET_KEY": "deploy-test-" + "x" * 40,
        "BASE_URL": "http://127.0.0.1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "API_REQUESTS_PER_MINUTE": "100000",
    }
    env.pop("TEST_DATABASE_NAME", None)
    made = subprocess.run(
        [str(BIN / "followthrough"), "createuser", "boss", "--admin", "--token"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = next(w for w in made.split() if w.startswith("ft_"))
    procs: list[subprocess.Popen[bytes]] = []
    clients: list[httpx.Client] = []

    def start(*argv: str) -> None:
        procs.append(
            subprocess.Popen(
                [str(BIN / "followthrough"), *argv],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    try:
        for _ in range(2):
            port = free_port()
            start("serve", "--port", str(port), "--workers", str(SERVE_WORKERS))
            clients.append(
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
            )
        for client in clients:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if client.get("/api/v1/teams").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a server did not start"
                time.sleep(0.5)
        yield {"clients": clients, "inbox": inbox, "database": name, "start": start}
    finally:
        for client in clients:
            client.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        smtp.stop()
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connections(database: str) -> int:
    with _admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchone()
    return int(row[0]) if row else 0


def test_two_servers_and_two_workers_share_one_database(company: dict[str, Any]) -> None:
    one, two = company["clients"]
    team = one.post("/api/v1/teams", json={"name": "Payments", "timezone": "UTC"})
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]

    # Edits through both servers at once: every one lands, none is lost.
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def create(client: httpx.Client, n: int) -> None:
        for i in range(6):
            body = {"team_id": team_id, "title": f"Edit {n}-{i}", "severity": "P2", "summary": "."}
            answer = client.post("/api/v1/incidents", json=body)
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=create, args=(c, n)) for n, c in enumerate([one, two] * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [a.status_code for a in answers] == [201] * 24, [
        a.text for a in answers if a.status_code != 201
    ]
    titles = {
        i["title"] for i in two.get("/api/v1/incidents", params={"limit": 100}).json()["items"]
    }
    assert {f"Edit {n}-{i}" for n in range(4) for i in range(6)} <= titles

    # A change made through one server is what the other shows, with the version check.
    first = answers[0].json()
    changed = two.patch(
        f"/api/v1/incidents/{first['id']}", json={"title": "Renamed", "version": first["version"]}
    )
    assert changed.status_code == 200, changed.text
    stale = one.patch(
        f"/api/v1/incidents/{first['id']}", json={"title": "Lost", "version": first["version"]}
    )
    assert stale.status_code == 409
    assert one.get(f"/api/v1/incidents/{first['id']}").json()["title"] == "Renamed"

    # Invitations through either server; two workers deliver each e-mail exactly once.
    people = [f"new{n}@example.com" for n in range(8)]
    for n, address in enumerate(people):
        invited = (one, two)[n % 2].post(
            "/api/v1/invitations", json={"email": address, "team_id": team_id}
        )
        assert invited.status_code == 201, invited.text
    company["start"]("worker", "--interval", "0.5", "--quiet", "--worker-id", "w1")
    company["start"]("worker", "--interval", "0.5", "--quiet", "--worker-id", "w2")
    inbox = company["inbox"]
    deadline = time.monotonic() + 120
    while len(inbox.messages) < len(people) and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # a second copy would arrive within a few passes
    sent = Counter(m["To"] for m in inbox.messages)
    assert sent == Counter(people), sent

    # Each process keeps at most its pool open: 2 servers x 2 gunicorn workers + 2 workers.
    assert _connections(company["database"]) <= 2 * SERVE_WORKERS + 2
