"""Requests that only read never take SQLite's write lock.

Every request runs in one transaction (``ATOMIC_REQUESTS``). On SQLite the connection opens
it with ``BEGIN IMMEDIATE``: the write lock is taken at BEGIN, so two writers queue (for up
to the busy timeout) instead of one failing with "database is locked" when it upgrades a
read snapshot that the other has made stale. Taken by a read, that lock makes every reader
wait for every other reader and writer: with WAL, SQLite lets readers run beside each other
and beside one writer, but only if they do not ask for the write lock.

So a safe request (GET, HEAD, OPTIONS) runs its view in a plain, deferred transaction
(``BEGIN``): one consistent snapshot, no lock. Unsafe requests keep ``BEGIN IMMEDIATE``.
Work outside the view (the session, sign-in throttles, the API's shared rate counter) keeps
the connection's own mode: it opens its own short transaction, or writes in autocommit, and
waits for the lock like any writer.

A safe view must not write inside its transaction: upgrading a deferred snapshot fails
immediately with "database is locked" (a 503) when another writer committed meanwhile. The
few views that must write on a GET say so with :func:`writes_on_safe_methods`, and keep the
immediate lock; a derived index that catches up on read calls :func:`take_write_lock` when
(and only when) it has work to do; a "last used" stamp waits for the end of the read
(:func:`write_after_read`). Any other write in a deferred request is logged (and counted, for tests:
``tests/web/test_read_transactions.py`` walks every page of the demo organisation).
PostgreSQL has no such lock. There a safe request's transaction begins at its first
statement that writes (web/lib/postgresql/base.py): a request that only reads sends
neither BEGIN nor COMMIT, two of the four round trips of an API read.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)

F = TypeVar("F", bound=Callable[..., Any])


def in_read_transaction(using: str = "default") -> bool:
    """Whether this thread is inside a safe request's deferred (read) transaction."""
    return bool(getattr(connections[using], "_followthrough_reading", False))


def write_after_read(write: Callable[[], object], using: str = "default") -> None:
    """Run a small write a safe request needs (a "last used" stamp): at once normally, and
    inside a read transaction after it ends, in autocommit, where it waits for the lock like
    any writer. A failure there is logged, never the request's answer (it has been given)."""
    if in_read_transaction(using):
        transaction.on_commit(write, using=using, robust=True)
    else:
        write()


def take_write_lock(using: str = "default") -> None:
    """Turn this safe request's read transaction into a write transaction, before a write
    it cannot avoid (a derived index caught up on read). Nothing has been written in it, so
    ending it loses nothing; ``BEGIN IMMEDIATE`` then waits for the lock like any writer,
    and the rest of the request reads the newest data. Outside a read transaction (a write
    request, the worker, PostgreSQL) it does nothing."""
    conn = connections[using]
    if not in_read_transaction(using):
        return
    if conn.savepoint_ids:
        # A savepoint is open: its RELEASE would fail after a COMMIT. The write then tries
        # to upgrade the snapshot, and is logged (and fails the page walk in the tests).
        logger.warning("take_write_lock inside a savepoint: the read transaction stays")
        return
    with conn.cursor() as cursor:
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
    conn._followthrough_reading = False


@contextlib.contextmanager
def reading(using: str = "default") -> Iterator[None]:
    """A transaction that only reads, outside a view (a middleware's look-up): on SQLite
    it opens with a plain BEGIN, so it never waits for, nor holds, the write lock."""
    conn = connections[using]
    if conn.vendor == "sqlite":
        conn.ensure_connection()  # connecting sets the mode from the settings
    mode = getattr(conn, "transaction_mode", None)
    if conn.vendor != "sqlite" or mode is None or conn.in_atomic_block:
        with transaction.atomic(using=using):
            yield
        return
    conn.transaction_mode = None
    try:
        with transaction.atomic(using=using):
            conn.transaction_mode = mode  # BEGIN has been sent; nested blocks are savepoints
            yield
    finally:
        conn.transaction_mode = mode


def writes_on_safe_methods(view: F) -> F:
    """Mark a view that writes even when answering a GET: it keeps ``BEGIN IMMEDIATE``."""
    view.writes_on_safe_methods = True  # type: ignore[attr-defined]
    return view


class _Writes:
    """Write statements seen inside deferred (read) transactions, for tests and logs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str]] = []

    def add(self, path: str, sql: str) -> None:
        with self.lock:
            self.seen.append((path, sql))


WRITES_IN_READS = _Writes()


def _watch_writes(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """Log (and count, for tests) a write inside a safe request's read transaction."""
    conn = context["connection"]
    if conn.in_atomic_block and conn._followthrough_reading and _WRITE.match(sql):
        path = conn._followthrough_read_path
        logger.warning("A safe request wrote inside its read transaction: %s %s", path, sql)
        WRITES_IN_READS.add(path, sql)
    return execute(sql, params, many, context)


class ReadTransactionMiddleware:
    """Open a safe request's view transaction on SQLite with a plain (deferred) BEGIN."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # (connection, its transaction mode) for each connection this request reads on:
        # restored when the request ends, however it ends.
        reads: list[tuple[Any, str | None]] = []
        request._followthrough_reads = reads  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            for conn, mode in reversed(reads):
                if conn.vendor == "postgresql":
                    conn.defer_begin = False
                    continue
                conn.execute_wrappers.remove(_watch_writes)
                conn._followthrough_reading = False
                conn.transaction_mode = mode

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        # Called after the URL is resolved and before Django wraps the view in its
        # ATOMIC_REQUESTS transaction: the mode set here is the one its BEGIN uses.
        if request.method not in SAFE_METHODS or getattr(view, "writes_on_safe_methods", False):
            return
        reads: list[tuple[Any, str | None]] = request._followthrough_reads  # type: ignore[attr-defined]
        for conn in connections.all():
            if conn.vendor == "postgresql":
                self._defer_begin(conn, reads)
                continue
            if conn.vendor != "sqlite":
                continue
            conn.ensure_connection()  # connecting sets the mode from the settings
            if conn.transaction_mode is None or conn.in_atomic_block:
                continue  # an enclosing transaction (a test's) already holds what it holds
            reads.append((conn, conn.transaction_mode))
            conn.transaction_mode = None
            conn._followthrough_reading = True
            conn._followthrough_read_path = request.path
            # What ``conn.execute_wrapper(...)`` does, without a context manager and a new
            # closure on every request (this runs for every read); removed in __call__.
            conn.execute_wrappers.append(_watch_writes)

    @staticmethod
    def _defer_begin(conn: Any, reads: list[tuple[Any, str | None]]) -> None:
        """On PostgreSQL, the view's transaction begins at its first write
        (web/lib/postgresql/base.py): a read sends neither BEGIN nor COMMIT."""
        if not hasattr(conn, "defer_begin") or conn.in_atomic_block:
            return  # Django's own backend, or inside a transaction already (a test's)
        conn.defer_begin = True
        reads.append((conn, None))
