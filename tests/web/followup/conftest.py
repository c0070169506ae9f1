"""Fixtures for follow-through: a final postmortem with items, a fake Slack, a real SMTP server.

The fake Slack checks requests the way Slack does (JSON body with ``text`` or ``blocks``;
a bot token on chat.postMessage) and answers like Slack: the plain body ``ok`` from an
incoming webhook, ``{"ok": true, ...}`` from chat.postMessage. Tests can script failures
(429 with Retry-After, 500) or make it slow.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller

from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.models import TeamSettings
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

WEBHOOK_PATH = "/services/T0001/B0001/abcdefghijklmnop"
BOT_TOKEN = "xoxb-1111-2222-secretsecret"


@dataclass
class FakeSlack:
    """A local Slack: webhook at ``WEBHOOK_PATH``, Web API under ``/api/``."""

    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    # Scripted answers, consumed first: (status, body, headers).
    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    slow: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def texts(self) -> list[str]:
        return [r["body"].get("text", "") for r in self.received]


def _handler(slack: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            try:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client (a killed worker) is gone

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                return self._answer(400, "invalid_payload")
            try:
                body = json.loads(raw)
            except ValueError:
                return self._answer(400, "invalid_payload")
            if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
                return self._answer(400, "no_text")
            for block in body.get("blocks", []):
                text = block.get("text", {}).get("text", "")
                if len(text) > 3000:
                    return self._answer(400, "invalid_blocks")
            is_api = self.path == "/api/chat.postMessage"
            if is_api:
                if self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                    return self._answer(
                        200, json.dumps({"ok": False, "error": "invalid_auth"}), _JSON
                    )
                if not body.get("channel"):
                    return self._answer(
                        200, json.dumps({"ok": False, "error": "channel_not_found"}), _JSON
                    )
            elif self.path != WEBHOOK_PATH:
                return self._answer(404, "no_service")
            slack.arrived.set()
            while slack.slow.is_set():
                time.sleep(0.05)
            with slack.lock:
                scripted = slack.script.pop(0) if slack.script else None
                if scripted is None:
                    slack.received.append(
                        {"path": self.path, "body": body, "headers": dict(self.headers)}
                    )
            if scripted is not None:
                return self._answer(*scripted)
            if is_api:
                ok = {"ok": True, "channel": body["channel"], "ts": "1700000000.000100"}
                return self._answer(200, json.dumps(ok), _JSON)
            return self._answer(200, "ok", {"Content-Type": "text/html"})

    return Handler


_JSON = {"Content-Type": "application/json; charset=utf-8"}


@pytest.fixture
def slack(allow_loopback: None) -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.slow.clear()
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def with_slack(cast: Cast, fake: FakeSlack, bot: bool = False) -> TeamSettings:
    conf = TeamSettings.of(cast.payments)
    if bot:
        conf.slack_bot_token, conf.slack_channel = BOT_TOKEN, "#payments-ops"
    else:
        conf.slack_webhook_url = fake.webhook_url
    conf.save()
    return conf


def final_postmortem(cast: Cast, **incident: Any) -> Postmortem:
    """A Payments postmortem made final by hand (its process is tested elsewhere)."""
    postmortem = start_postmortem(cast.incident(**incident), cast.alice)
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status=Status.FINAL, finalized_at=datetime(2026, 3, 12, 12, tzinfo=UTC)
    )
    postmortem.refresh_from_db()
    return postmortem


def add_item(
    postmortem: Postmortem, owner: Any, title: str, due: date | None = None, **fields: Any
) -> ActionItem:
    return create_action_item(
        postmortem,
        None,
        title=title,
        owner=owner,
        due_date=due,
        done_condition="An alert fires in staging when the pool is 90% used.",
        **fields,
    )
