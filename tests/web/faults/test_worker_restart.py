"""PostgreSQL restarted during a worker job: a real `followthrough worker` process loses its
connection while a message is on its way to Slack; it reconnects, records the message as
sent, and goes on: every message is delivered exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from followthrough.web.followup.models import Delivery, Notification
from followthrough.web.followup.notifications import Message, notify

from ..followup.conftest import FakeSlack, with_slack
from .conftest import other_backends, postgres_only, terminate

if TYPE_CHECKING:
    from conftest import Cast

FOLLOWTHROUGH = str(Path(sys.executable).parent / "followthrough")


def _env(tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_NAME"}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="worker-test-secret",
        FOLLOWTHROUGH_DATA_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        OUTBOUND_ALLOWED_HOSTS="127.0.0.1",  # the fake Slack
    )
    return env


@postgres_only
@pytest.mark.usefixtures("no_weekly_review_today")  # the worker runs on the real clock
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_connection_dies_mid_send_reconnects_and_delivers_each_message_once(
    cast: Cast, slack: FakeSlack, tmp_path: Path
) -> None:
    with_slack(cast, slack)
    for n in (1, 2):
        notify(
            cast.frank,
            cast.payments,
            "test",
            f"restart-{n}",
            Message(f"Reminder {n}", ".", "/review/payments/"),
        )
    slack.slow.set()
    worker = subprocess.Popen(
        [FOLLOWTHROUGH, "worker", "--worker-id", "restarted", "--interval", "0.5"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert slack.arrived.wait(60), "the worker never reached Slack"
        doomed = other_backends()
        assert doomed, "the worker holds no connection to lose"
        terminate(*doomed)  # the server restarts while Slack holds the request
        slack.slow.clear()
        for _ in range(300):
            if set(Notification.objects.values_list("status", flat=True)) == {Delivery.SENT}:
                break
            time.sleep(0.1)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert set(Notification.objects.values_list("status", flat=True)) == {Delivery.SENT}, output
    assert "reconnecting" in output
    assert sorted(slack.texts()) == ["@frank Reminder 1", "@frank Reminder 2"], output
