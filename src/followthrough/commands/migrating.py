"""Bring the database up to date before a command uses it, once, whoever gets there first.

A command on a fresh data folder (``createuser`` before anyone ran ``serve``) used to fail
on a missing table and leave an empty database file behind. Now every command that touches
the database checks for unapplied migrations first; that costs one read of
``django_migrations`` when there is nothing to do.

When there is something to do, it happens under a lock, so two commands started together
(``serve`` and ``createuser``, two workers on one PostgreSQL) never run the same migration
twice: a PostgreSQL advisory lock, or an exclusive ``flock`` on a file beside the SQLite
database. Whoever waited finds the work done and goes on.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# An arbitrary constant: the advisory lock every followthrough process migrates under.
ADVISORY_LOCK = 0x466F6C6C  # "Foll"


def pending_migrations() -> list[str]:
    """``app.name`` of every migration not applied to the default database yet."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


@contextmanager
def migration_lock() -> Iterator[None]:
    """Held by one process at a time, across processes, for the default database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or name.startswith("file:"):
        yield  # nothing another process could share
        return
    lock_path = Path(name).with_name(Path(name).name + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate_first(say: Callable[[str], None] = lambda line: None) -> int:
    """Apply every pending migration (and create the cache table); the number applied."""
    if not pending_migrations():
        return 0
    from django.core.management import call_command

    with migration_lock():
        pending = pending_migrations()  # another process may have done it while we waited
        if pending:
            say(f"Preparing the database: applying {len(pending)} migration(s)…")
            call_command("migrate", "--noinput", verbosity=0)
        # The rate limits' counters live in a database cache table (settings.CACHES).
        call_command("createcachetable", verbosity=0)
    return len(pending)
