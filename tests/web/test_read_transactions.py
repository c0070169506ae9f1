"""Reads never take SQLite's write lock; writes still queue for it.

A safe request (GET, HEAD, OPTIONS) runs its view in a plain, deferred transaction; every
other request keeps ``BEGIN IMMEDIATE`` (web/lib/read_transactions.py). Before, every GET
took the write lock at BEGIN, so readers took turns with each other and with every writer.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client

from followthrough.web.demo import load_demo
from followthrough.web.lib.read_transactions import WRITES_IN_READS

from .crawl import crawl

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="the write lock taken at BEGIN is SQLite's; PostgreSQL reads never block writers",
)
BIN = Path(sys.executable).parent


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_no_page_of_the_demo_writes_inside_its_read_transaction() -> None:
    login = load_demo()
    browser = Client()
    assert browser.login(username=login.username, password=login.password)
    WRITES_IN_READS.seen.clear()
    pages = crawl(browser)
    assert len(pages) > 50
    assert all(r.status_code < 500 for r in pages.values())
    assert WRITES_IN_READS.seen == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    """``followthrough serve --demo`` (two gunicorn workers) on a fresh SQLite file."""
    if connection.vendor != "sqlite":
        pytest.skip("the write lock taken at BEGIN is SQLite's")
    data = Path(tempfile.mkdtemp(prefix="followthrough-reads-"))
    env = {**os.environ, "FOLLOWTHROUGH_DATA_DIR": str(data), "API_RATE_LIMIT_BATCH": "100000"}
    env.pop("DATABASE_URL", None)
    made = subprocess.run(
        [str(BIN / "followthrough"), "createuser", "reader", "--admin", "--token"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = next(w for w in made.split() if w.startswith("ft_"))
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "followthrough"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/api/v1/incidents")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        created = client.post("/api/v1/teams", json={"name": "Readers", "timezone": "UTC"})
        assert created.status_code == 201, created.text
        yield {"client": client, "db": data / "db.sqlite3", "team": created.json()["id"]}
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)


def _hold(db: Path, mode: str) -> sqlite3.Connection:
    held = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    held.execute(f"BEGIN {mode}")
    held.execute("SELECT count(*) FROM incidents_incident").fetchone()
    return held


def _new_incident(server: dict[str, Any], title: str) -> httpx.Response:
    return server["client"].post(  # type: ignore[no-any-return]
        "/api/v1/incidents",
        json={"team_id": server["team"], "title": title, "severity": "P2", "summary": "x"},
    )


def test_readers_are_answered_while_a_writer_holds_the_lock(server: dict[str, Any]) -> None:
    made = _new_incident(server, "Read while a write is in progress")
    assert made.status_code == 201, made.text
    held = _hold(server["db"], "IMMEDIATE")  # another writer, mid-transaction
    try:
        started = time.monotonic()
        listing = server["client"].get("/api/v1/incidents")
        detail = server["client"].get(f"/api/v1/incidents/{made.json()['id']}")
        took = time.monotonic() - started
    finally:
        held.rollback()
        held.close()
    # With BEGIN IMMEDIATE the reads would wait out the 20 s busy timeout, then answer 503.
    assert listing.status_code == 200 and detail.status_code == 200
    assert took < 5


def test_a_write_goes_through_while_a_read_is_open_and_is_seen_after(
    server: dict[str, Any],
) -> None:
    held = _hold(server["db"], "DEFERRED")  # a long read, snapshot taken
    try:
        made = _new_incident(server, "Written during a read")
        assert made.status_code == 201, made.text
        # The open read still sees its snapshot, without the new incident.
        seen = held.execute(
            "SELECT count(*) FROM incidents_incident WHERE title = ?", ["Written during a read"]
        ).fetchone()
        assert seen == (0,)
    finally:
        held.rollback()
        held.close()
    titles = [i["title"] for i in server["client"].get("/api/v1/incidents").json()["items"]]
    assert "Written during a read" in titles


def test_a_write_waits_for_the_writer_before_it_and_loses_nothing(
    server: dict[str, Any],
) -> None:
    held = _hold(server["db"], "IMMEDIATE")
    answers: list[httpx.Response] = []

    writer = threading.Thread(target=lambda: answers.append(_new_incident(server, "Queued write")))
    writer.start()
    time.sleep(1.0)
    assert not answers  # waiting for the lock, not refused
    held.rollback()
    held.close()
    writer.join(timeout=30)
    assert answers and answers[0].status_code == 201, answers
