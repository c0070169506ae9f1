"""An SMTP server that hangs: it accepts the connection and never says a word. Sending gives
up after EMAIL_TIMEOUT, the message waits for a retry with the error on it, and the worker
loop carries on."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from followthrough.web.followup.models import Channel, Delivery, Notification
from followthrough.web.followup.notifications import Message, notify
from followthrough.web.followup.worker import run

if TYPE_CHECKING:
    from conftest import Cast


class HangingServer:
    """Accepts TCP connections on loopback and holds them open, silent, until closed."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.closing.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging_smtp(settings: Any) -> Iterator[HangingServer]:
    server = HangingServer()
    server.thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.close()


@pytest.mark.usefixtures("no_weekly_review_today")  # the worker runs on the real clock
@pytest.mark.django_db(transaction=True)
def test_a_hanging_mail_server_times_out_the_message_waits_for_a_retry_and_the_worker_goes_on(
    cast: Cast, hanging_smtp: HangingServer
) -> None:
    message = Message("Your action item is overdue", "Add the pool alert.", "/review/payments/")
    notify(cast.frank, cast.payments, "test", "hang", message)
    assert Notification.objects.filter(channel=Channel.EMAIL).count() == 1

    passes: list[Any] = []
    stop = threading.Event()

    def report(done: Any) -> None:
        passes.append(done)
        if len(passes) >= 2:
            stop.set()

    worker = threading.Thread(
        target=run,
        kwargs={"interval": 0.1, "worker_id": "hang-test", "stop": stop, "report": report},
        daemon=True,
    )
    started = timezone.now()
    worker.start()
    worker.join(60)
    stop.set()
    assert not worker.is_alive(), "the worker hung on the mail server"

    assert len(passes) == 2  # the loop went on after the failed send
    assert passes[0].retrying == 1 and passes[1].retrying == 0
    assert hanging_smtp.accepted, "the worker never reached the mail server"
    row = Notification.objects.get(channel=Channel.EMAIL)
    assert row.status == Delivery.PENDING and row.attempts == 1
    assert "mail server unavailable" in row.last_error and "timed out" in row.last_error
    assert row.next_attempt_at > started + timedelta(seconds=30)
    assert row.claimed_until is None
