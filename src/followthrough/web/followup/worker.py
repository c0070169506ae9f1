"""The worker loop: periodic jobs, the django-tasks database queue, then the outbox.

Each pass: run the periodic jobs whose slot nobody has claimed (``jobs.run_due_jobs``), run
every queued django-tasks task (django_tasks_db's own ``Worker`` in batch mode: SKIP LOCKED
on PostgreSQL), then send every due notification (``notifications.deliver_due``). SIGTERM
or SIGINT finishes the current step and stops; ``once`` makes one pass and returns.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from types import FrameType

from django.db import OperationalError, close_old_connections, connections
from django.utils.crypto import get_random_string

from followthrough.web.followup.jobs import run_due_jobs
from followthrough.web.followup.notifications import deliver_due

log = logging.getLogger(__name__)

# Tasks per pass, so periodic jobs and messages are not starved by a long queue.
TASKS_PER_PASS = 100


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(6)}"


@dataclass
class Pass:
    jobs: list[str] = field(default_factory=list)
    tasks: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def run_tasks(worker_id: str, limit: int = TASKS_PER_PASS) -> int:
    """Run ready django-tasks tasks (all queues) until none is left or ``limit``.

    The claim (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, an exclusive transaction on
    SQLite) and the run are django_tasks_db's own (``DBTaskResult.get_locked``/``claim`` and
    ``Worker.run_task``); the loop is ours because ``Worker.run`` closes the database
    connection between tasks, which must not happen inside a caller's transaction.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    runner = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=limit,
        worker_id=worker_id[:64],
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        ready = DBTaskResult.objects.ready().filter(backend_name="default")
        try:
            with exclusive_transaction(ready.db):
                result = ready.get_locked()
                if result is not None:
                    result.claim(worker_id[:64])
        except OperationalError as e:
            if is_locked_database_exception(e):
                break  # another worker holds the queue; next pass
            raise
        if result is None:
            break
        runner.run_task(result)
        ran += 1
    return ran


def _refresh_connections() -> None:
    """Drop broken or expired connections between passes (as Django does per request), but
    never one inside a transaction (a test's, or a caller's)."""
    if not any(c.in_atomic_block for c in connections.all(initialized_only=True)):
        close_old_connections()


def one_pass(worker_id: str, stop: threading.Event | None = None) -> Pass:
    done = Pass()
    _refresh_connections()
    done.jobs = [f"{run.job}: {run.outcome}" for run in run_due_jobs(worker_id, stop=stop)]
    if stop is None or not stop.is_set():
        done.tasks = run_tasks(worker_id)
    while stop is None or not stop.is_set():
        counts = deliver_due(worker_id, stop=stop)
        done.sent += counts["sent"]
        done.retrying += counts["retrying"]
        done.failed += counts["failed"]
        if not any(counts[outcome] for outcome in ("sent", "retrying", "failed", "withdrawn")):
            break
    _refresh_connections()
    return done


def run(
    *,
    once: bool = False,
    interval: float = 30.0,
    worker_id: str | None = None,
    stop: threading.Event | None = None,
    report: object = None,
) -> None:
    """Loop until SIGTERM/SIGINT (or ``stop``), a pass every ``interval`` seconds."""
    worker_id = worker_id or default_worker_id()
    stop = stop or threading.Event()

    def shutdown(signum: int, frame: FrameType | None) -> None:
        log.warning("Received %s: stopping after the current step.", signal.strsignal(signum))
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, shutdown)
    try:
        _loop(once, interval, worker_id, stop, report)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _loop(
    once: bool, interval: float, worker_id: str, stop: threading.Event, report: object
) -> None:
    while not stop.is_set():
        try:
            result = one_pass(worker_id, stop)
        except OperationalError as e:
            # The database went away or stayed locked: try again next pass.
            log.warning("Worker pass failed on the database: %s", e)
            result = None
        if result is not None and callable(report):
            report(result)
        if once:
            return
        stop.wait(interval)
