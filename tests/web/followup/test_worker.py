"""The worker: `followthrough worker --once` runs jobs, queued tasks and the outbox; SIGTERM
stops it; on PostgreSQL two real worker processes send each message exactly once, and a
worker killed mid-send loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from django.db import connection

from followthrough.cli import main
from followthrough.web.followup import tasks
from followthrough.web.followup.jobs import JOBS, Job, registry
from followthrough.web.followup.models import Delivery, JobRun, Notification, TeamSettings
from followthrough.web.followup.notifications import Message, notify
from followthrough.web.followup.worker import run

from .conftest import FakeSlack, with_slack

if TYPE_CHECKING:
    from conftest import Cast

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: worker processes share the test database only on a server "
    "(SQLite's test database lives in this process's memory)",
)
FOLLOWTHROUGH = str(Path(sys.executable).parent / "followthrough")
pytestmark = pytest.mark.usefixtures("no_weekly_review_today")


@pytest.mark.django_db
def test_worker_once_runs_the_periodic_jobs_the_queued_tasks_and_sends_the_messages(
    cast: Cast, slack: FakeSlack
) -> None:
    with_slack(cast, slack)
    tasks.send_test_message.enqueue(cast.payments.pk)
    result = CliRunner().invoke(main, ["worker", "--once", "--worker-id", "w-cli"])
    assert result.exit_code == 0, result.output
    for job in registry():
        assert f"job {job.name}: " in result.output
    assert "tasks 1, messages sent 1, retrying 0, failed 0" in result.output
    assert slack.texts() == ["followthrough can post to Payments's Slack"]
    assert set(JobRun.objects.values_list("job", "worker")) == {
        (j.name, "w-cli") for j in registry()
    }


@pytest.mark.django_db
def test_a_second_worker_in_the_same_slot_runs_no_job_twice(cast: Cast) -> None:
    runner = CliRunner()
    runner.invoke(main, ["worker", "--once", "--worker-id", "first"])
    again = runner.invoke(main, ["worker", "--once", "--worker-id", "second"])
    assert again.exit_code == 0 and "job " not in again.output
    assert JobRun.objects.filter(worker="second").count() == 0


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_the_others_still_run(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(now: datetime) -> str:
        raise RuntimeError("tracker down")

    from followthrough.web.followup import jobs

    monkeypatch.setattr(jobs, "JOBS", (Job("broken", JOBS[0].every, broken), *JOBS))
    result = CliRunner().invoke(main, ["worker", "--once", "--worker-id", "w"])
    assert result.exit_code == 0
    broken_run = JobRun.objects.get(job="broken")
    assert broken_run.failed and broken_run.outcome == "RuntimeError: tracker down"
    assert JobRun.objects.filter(failed=False).count() == len(registry()) - 1


def test_other_apps_add_periodic_jobs_with_a_jobs_module(monkeypatch: pytest.MonkeyPatch) -> None:
    module = type(sys)("followthrough.web.integrations.jobs")
    module.JOBS = (Job("tracker-poll", JOBS[0].every, lambda now: "polled"),)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "followthrough.web.integrations.jobs", module)
    assert "tracker-poll" in [j.name for j in registry()][len(JOBS) :]
    module.JOBS = (Job("escalations", JOBS[0].every, lambda now: ""),)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Two periodic jobs share a name: escalations"):
        registry()


def test_the_worker_rejects_a_bad_interval_with_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["worker", "--interval", "0"])
    assert result.exit_code == 2 and "--interval" in result.output


@pytest.mark.django_db
def test_sigterm_stops_the_worker_loop_cleanly(cast: Cast) -> None:
    passes: list[Any] = []
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        run(interval=60, worker_id="w-term", report=passes.append)
    finally:
        timer.cancel()
    assert len(passes) == 1  # one pass, then waiting; SIGTERM ended the wait
    assert signal.getsignal(signal.SIGTERM) == previous


# --- PostgreSQL: real processes ---------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_NAME",)}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="worker-test-secret",
        FOLLOWTHROUGH_DATA_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="ERROR",
        OUTBOUND_ALLOWED_HOSTS="127.0.0.1",  # the fake Slack
    )
    return env


def _worker(tmp_path: Path, name: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [FOLLOWTHROUGH, "worker", "--worker-id", name, *extra],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _message(n: int) -> Message:
    return Message(f"Reminder number {n}", f"Body of reminder {n}.", "/review/payments/")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_in_parallel_deliver_each_message_exactly_once(
    cast: Cast, slack: FakeSlack, tmp_path: Path
) -> None:
    with_slack(cast, slack)
    # The weekly review is due this very hour: both workers reach that check at once.
    berlin = datetime.now(ZoneInfo("Europe/Berlin"))
    TeamSettings.objects.filter(team=cast.payments).update(
        review_weekday=berlin.weekday(), review_hour=berlin.hour
    )
    people = [cast.frank, cast.rita, cast.ivan]
    for n in range(30):
        notify(people[n % 3], cast.payments, "test", str(n), _message(n))
    expected = Notification.objects.filter(channel="slack").count()
    workers = [_worker(tmp_path, f"parallel-{i}", "--once") for i in (1, 2)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    texts = slack.texts()
    assert len(texts) == len(set(texts)) == expected + 1  # 30 reminders + one digest to alice
    assert sum("weekly review" in t for t in texts) == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {Delivery.SENT}
    assert {n.claimed_by for n in Notification.objects.all()} <= {"parallel-1", "parallel-2"}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_nothing_the_next_one_sends_after_the_lease(
    cast: Cast, slack: FakeSlack, tmp_path: Path
) -> None:
    with_slack(cast, slack)
    notify(cast.frank, cast.payments, "test", "slow", _message(1))
    slack.slow.set()
    doomed = _worker(tmp_path, "doomed", "--once")
    assert slack.arrived.wait(60), "the first worker never reached Slack"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(30)
    row = Notification.objects.get(channel="slack")
    assert row.status == Delivery.SENDING and row.claimed_by == "doomed"
    # Five minutes later (the lease, moved instead of waited for), the next worker sends it.
    # (That a live lease is respected is tested in-process in test_delivery.py.)
    Notification.objects.filter(pk=row.pk).update(claimed_until=row.created_at)
    slack.slow.clear()
    rescuer = _worker(tmp_path, "rescuer", "--once")
    out = rescuer.communicate(timeout=120)[0]
    assert rescuer.returncode == 0, out
    row.refresh_from_db()
    assert row.status == Delivery.SENT and row.claimed_by == "rescuer"
    # Slack saw the killed worker's request too, and accepted it after the worker died: the
    # documented at-least-once window (the row could not be marked sent by a dead worker).
    assert slack.texts() == ["@frank Reminder number 1"] * 2
    # ... and recognisably the same message: one delivery key on both.
    keys = {r["headers"]["Idempotency-Key"] for r in slack.received}
    assert keys == {str(row.delivery_key)}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_running_worker_process_stops_cleanly_on_sigterm(cast: Cast, tmp_path: Path) -> None:
    worker = _worker(tmp_path, "long-running", "--interval", "60")
    assert worker.stdout is not None
    first = worker.stdout.readline()
    assert first.startswith("Worker long-running: a pass every 60 s")
    last = f"job {registry()[-1].name}:"
    while not worker.stdout.readline().startswith(last):
        pass  # the first pass is done; the worker now waits
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0


@pytest.mark.django_db
def test_job_runs_and_webhook_deliveries_older_than_the_retention_are_pruned_daily(
    cast: Cast, settings: Any
) -> None:
    from datetime import UTC, timedelta

    from followthrough.web.ingest.models import Delivery as SourceDelivery
    from followthrough.web.ingest.models import IngestSource, Kind
    from followthrough.web.integrations.models import WebhookDelivery

    settings.LOG_RETENTION_DAYS = 30
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    source = IngestSource.objects.create(team=cast.payments, kind=Kind.WEBHOOK, name="hooks")
    for i, at in enumerate((old, recent)):
        JobRun.objects.create(job="weekly-review", slot=i, started_at=at)
        WebhookDelivery.objects.create(
            kind="jira", delivery_id=f"d{i}", team=cast.payments, received_at=at
        )
        row = SourceDelivery.objects.create(source=source, event_id=f"e{i}")
        SourceDelivery.objects.filter(pk=row.pk).update(received_at=at)
    by_name = {job.name: job for job in registry()}
    for name in ("prune-job-runs", "tracker-webhook-prune", "ingest-prune"):
        assert by_name[name].run(now) == "pruned 1"
    assert list(JobRun.objects.values_list("started_at", flat=True)) == [recent]
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["d1"]
    assert list(SourceDelivery.objects.values_list("event_id", flat=True)) == ["e1"]
