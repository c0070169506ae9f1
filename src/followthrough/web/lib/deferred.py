"""Work that follows a write: queued with the write, run by the worker, retried until done.

The promise (at least once, never inside the answer):

- ``defer(task, *args)`` queues a django-tasks task *in the current transaction*: with the
  database queue (django-tasks-db) the task's row is written beside the write itself, so
  the work is queued exactly when the write commits and never when it rolls back, and a
  failure to queue it is a failure of the write (503, nothing saved). Nothing runs after
  the commit inside the request, so nothing after the commit can turn a saved write into
  an error answer. (With a backend that is not the database, used by some tests, the task
  is enqueued once the transaction commits.)
- The worker (``followthrough worker``) runs it. A task declared ``@retried`` that fails is
  queued again with a growing delay (``BACKOFF``), up to ``ATTEMPTS`` times; one whose
  worker died while running it (still "running" after ``LEASE``) is queued again by the
  ``tasks-stuck`` job. Such tasks must be idempotent: they recompute, never add.

Derived data (the similar-incident index, milestone deadlines, the dashboard's facts) is
refreshed this way; the periodic catch-ups of ``insights`` stay as the last safety net.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

#: delay before attempt n+1 (the last one repeats)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
ATTEMPTS = 8
#: a retried task still "running" this long after it started lost its worker
LEASE = timedelta(minutes=15)

F = TypeVar("F", bound=Callable[..., Any])

# The dotted paths of the tasks declared @retried (the stuck-task job looks only at them).
RETRIED: set[str] = set()


def _transactional(task: Any) -> bool:
    """Whether enqueueing ``task`` writes a row in the database of the current transaction."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def defer(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` to run in the worker once the current transaction commits."""
    if _transactional(task) or not transaction.get_connection().in_atomic_block:
        task.enqueue(*args, **kwargs)
        return
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def backoff(attempt: int) -> timedelta:
    """How long to wait after failed attempt number ``attempt`` (1-based)."""
    return BACKOFF[min(attempt, len(BACKOFF)) - 1]


def retried(function: F) -> F:
    """Declare a task function retried: place it under ``@task()``.

    The function receives its own arguments; the attempt number travels as the keyword
    ``attempt`` and is taken off before the call.
    """
    path = f"{function.__module__}.{function.__qualname__}"
    RETRIED.add(path)

    @functools.wraps(function)
    def run(*args: Any, attempt: int = 1, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception:
            if attempt < ATTEMPTS:
                _again(path, args, kwargs, attempt + 1, timezone.now() + backoff(attempt))
            raise

    return run  # type: ignore[return-value]


def _again(path: str, args: Any, kwargs: dict[str, Any], attempt: int, at: datetime) -> None:
    try:
        with transaction.atomic():
            import_string(path).using(run_after=at).enqueue(*args, attempt=attempt, **kwargs)
    except DatabaseError:
        # The database is away: the task stays "running" and the stuck-task job queues it
        # again once its lease is over.
        log.warning("Could not queue attempt %s of %s; the stuck-task job will", attempt, path)


def requeue_stuck(now: datetime) -> str:
    """Queue again every retried task whose worker died while running it (a periodic job)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stuck = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - LEASE, task_path__in=RETRIED
    )
    requeued = 0
    for result in stuck.order_by("started_at")[:500]:
        arguments = result.args_kwargs or {}
        kwargs = dict(arguments.get("kwargs") or {})
        attempt = int(kwargs.pop("attempt", 1)) + 1
        with transaction.atomic():
            # Conditional: of two workers sweeping at once, one takes it.
            taken = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="followthrough.web.lib.deferred.LeaseExpired",
                traceback=f"Still running {LEASE} after it started: its worker died.",
            )
            if taken and attempt <= ATTEMPTS:
                import_string(result.task_path).enqueue(
                    *(arguments.get("args") or []), attempt=attempt, **kwargs
                )
                requeued += 1
    return f"requeued {requeued}"
