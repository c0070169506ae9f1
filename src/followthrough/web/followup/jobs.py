"""Periodic jobs, each declaring its interval (netbox ``JobRunner`` style), in a plain tuple.

Time is cut into slots of each job's interval (slot = seconds since 1970 // interval). A
worker runs a job for the current slot only after inserting ``JobRun(job, slot)``; the
unique constraint lets exactly one of several workers win, so two workers never run the
same slot. A worker killed mid-job leaves its slot claimed: the job runs again in the next
slot. Every job here is an idempotent sweep (messages have unique dedupe keys, escalation
steps unique levels), so a slot lost that way delays work by one interval and loses none.

Other apps add jobs without touching this file: a module ``<app>/jobs.py`` of an app in
``JOB_APPS`` defines ``JOBS = (Job(...), ...)`` and ``registry()`` picks it up, e.g. in
``followthrough/web/integrations/jobs.py``::

    from datetime import timedelta
    from followthrough.web.followup.jobs import Job

    def poll_trackers(now): ...   # returns a short outcome string, e.g. "synced 3"

    JOBS = (Job("tracker-poll", timedelta(minutes=5), poll_trackers, "Poll trackers"),)
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from followthrough.web.followup import digest, escalation, loop, reminders
from followthrough.web.followup.models import JobRun
from followthrough.web.lib import deferred

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic check: ``run(now)`` every ``every``; returns a short outcome to record."""

    name: str
    every: timedelta
    run: Callable[[datetime], str | None]
    description: str = ""

    def slot(self, now: datetime) -> int:
        return int(now.timestamp() // self.every.total_seconds())


def prune(rows: QuerySet[Any], field: str, now: datetime) -> int:
    """Delete the rows whose ``field`` is older than ``settings.LOG_RETENTION_DAYS``.

    For logs that only serve to spot a redelivery or show recent runs (job runs, webhook
    deliveries): vendors redeliver within hours, so a quarter's worth is plenty.
    """
    cutoff = now - timedelta(days=settings.LOG_RETENTION_DAYS)
    deleted, _ = rows.filter(**{f"{field}__lt": cutoff}).delete()
    return deleted


def prune_job_runs(now: datetime) -> str:
    return f"pruned {prune(JobRun.objects.all(), 'started_at', now)}"


JOBS: tuple[Job, ...] = (
    Job(
        "milestone-reminders",
        timedelta(minutes=5),
        reminders.check_milestones,
        "Remind milestone owners before a deadline and when it is missed.",
    ),
    Job(
        "owner-reminders",
        timedelta(minutes=15),
        reminders.remind_owners,
        "Remind action-item owners before the due date, and weekly once it is overdue.",
    ),
    Job(
        "weekly-review",
        timedelta(minutes=5),
        digest.send_due_digests,
        "Send each team lead the weekly review digest at the team's weekday and hour.",
    ),
    Job(
        "escalations",
        timedelta(minutes=15),
        escalation.escalate_stuck_items,
        "Escalate stalled or overdue items to the owner's manager, then one level up.",
    ),
    Job(
        "close-the-loop",
        timedelta(minutes=15),
        loop.sweep,
        "Close final postmortems whose items are complete; reopen ones with open items.",
    ),
    Job(
        "tasks-stuck",
        timedelta(minutes=5),
        deferred.requeue_stuck,
        "Queue again derived work whose worker died while running it.",
    ),
    Job(
        "prune-job-runs",
        timedelta(days=1),
        prune_job_runs,
        "Forget job runs older than LOG_RETENTION_DAYS.",
    ),
)

# Apps whose ``jobs`` module (if any) contributes a ``JOBS`` tuple.
JOB_APPS: tuple[str, ...] = (
    "followthrough.web.api",
    "followthrough.web.integrations",
    "followthrough.web.ingest",
    "followthrough.web.insights",
)


def registry() -> tuple[Job, ...]:
    """Every periodic job: these, then each of ``JOB_APPS``'s. Names must be unique."""
    jobs = list(JOBS)
    for app in JOB_APPS:
        try:
            module = importlib.import_module(f"{app}.jobs")
        except ModuleNotFoundError as e:
            if e.name != f"{app}.jobs":
                raise
            continue
        jobs.extend(getattr(module, "JOBS", ()))
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Two periodic jobs share a name: {', '.join(duplicates)}.")
    return tuple(jobs)


def claim(job: Job, now: datetime, worker: str) -> JobRun | None:
    """The run of ``job`` for the slot of ``now``, if this worker got it (else None)."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=job.name, slot=job.slot(now), worker=worker[:64], started_at=now
            )
    except IntegrityError:
        return None


def run_due_jobs(worker: str, now: datetime | None = None, stop: object = None) -> list[JobRun]:
    """Run every job whose current slot nobody has claimed yet. A failing job is recorded
    (``JobRun.failed``) and logged; it never stops the others or the worker."""
    now = now or timezone.now()
    runs = []
    for job in registry():
        if stop is not None and getattr(stop, "is_set", lambda: False)():
            break
        run = claim(job, now, worker)
        if run is None:
            continue
        try:
            outcome = job.run(now) or ""
            failed = False
        except Exception as e:
            log.exception("Periodic job %s failed", job.name)
            outcome, failed = f"{type(e).__name__}: {e}", True
        JobRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), outcome=outcome[:2000], failed=failed
        )
        run.outcome, run.failed = outcome, failed
        runs.append(run)
    return runs
