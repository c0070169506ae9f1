"""Simulated PostgreSQL restarts: a second connection terminates a backend, which is what a
restart looks like to the client (the next query on that connection fails). The shared
server itself is never restarted."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from ..followup.conftest import slack  # noqa: F401  (the fake Slack, for the worker test)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="simulates a PostgreSQL restart by terminating server backends; "
    "SQLite has no server to lose (its full disk is tested instead)",
)


def _admin() -> Any:
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
        connect_timeout=10,
    )


def backend_pid() -> int:
    """The server process of this test's (Django's default) connection."""
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)


def terminate(*pids: int) -> None:
    """Kill these backends, as a restart would, and wait until they are gone."""
    with _admin() as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(200):
            alive = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(pids)]
            ).fetchone()
            if not alive or alive[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"backends {pids} survived pg_terminate_backend")


def other_backends(mine: int | None = None) -> list[int]:
    """Backends on the test database other than this thread's (or ``mine``) and the admin's
    own."""
    mine = backend_pid() if mine is None else mine
    with _admin() as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid NOT IN (pg_backend_pid(), %s)",
            [mine],
        ).fetchall()
    return [int(r[0]) for r in rows]
