"""Sources, fixture payloads and signers for the ingest tests.

The signers here compute each vendor's scheme directly with ``hmac`` (not with our
verify.py), so the tests check the scheme, not our code against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from followthrough.web.ingest.models import IngestSource, Kind, SlackWorkspace

if TYPE_CHECKING:
    from conftest import Cast

FIXTURES = Path(__file__).parent / "fixtures"
PD_SECRET = "pd-signing-secret-0123456789"
OPSGENIE_SECRET = "opsgenie-shared-token-abcdef"
WEBHOOK_SECRET = "whsec-generic-0123456789abcdef"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_WORKSPACE = "T0001"  # the team_id of Slack's documented slash-command example


# The fixtures' events happened on 2026-03-02 between 12:00 and 15:30 UTC; the tests run that
# evening, inside PagerDuty's replay window (a day), with the clock ticking.
FIXTURE_EVENING = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_the_evening_of_the_fixtures() -> Iterator[None]:
    with time_machine.travel(FIXTURE_EVENING, tick=True):
        yield


def fixture(kind: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / kind / f"{name}.json").read_text())  # type: ignore[no-any-return]


def body_of(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def pd_signature(body: bytes, secret: str = PD_SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_signature(body: bytes, t: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    t = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def slack_headers(body: bytes, t: int | None = None, secret: str = SLACK_SECRET) -> dict[str, str]:
    t = int(time.time()) if t is None else t
    base = f"v0:{t}:".encode() + body
    return {
        "X-Slack-Request-Timestamp": str(t),
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
    }


class Sender:
    """Posts like a vendor: raw bytes, the vendor's headers, no session, no CSRF token."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.invocations = 0

    def pagerduty(
        self, source: IngestSource, payload: dict[str, Any] | bytes, signature: str | None = None
    ) -> Any:
        body = body_of(payload)
        sig = pd_signature(body) if signature is None else signature
        return self.client.post(
            f"/ingest/pagerduty/{source.pk}/",
            body,
            content_type="application/json",
            headers={"X-PagerDuty-Signature": sig} if sig else {},
        )

    def opsgenie(
        self,
        source: IngestSource,
        payload: dict[str, Any] | bytes,
        token: str | None = OPSGENIE_SECRET,
        basic: str | None = None,
    ) -> Any:
        headers = {}
        if token is not None:
            headers["X-Followthrough-Token"] = token
        if basic is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
        return self.client.post(
            f"/ingest/opsgenie/{source.pk}/",
            body_of(payload),
            content_type="application/json",
            headers=headers,
        )

    def webhook(
        self, source: IngestSource, payload: dict[str, Any] | bytes, signature: str | None = None
    ) -> Any:
        body = body_of(payload)
        sig = webhook_signature(body) if signature is None else signature
        return self.client.post(
            f"/ingest/webhook/{source.pk}/",
            body,
            content_type="application/json",
            headers={"X-Followthrough-Signature": sig} if sig else {},
        )

    def slack(
        self,
        fields: dict[str, str],
        *,
        t: int | None = None,
        secret: str = SLACK_SECRET,
        raw: bytes | None = None,
    ) -> Any:
        """A slash command as Slack sends it: each invocation with its own trigger_id (unless
        ``raw`` replays exact bytes)."""
        if raw is None and "trigger_id" in fields:
            self.invocations += 1
            fields = {**fields, "trigger_id": f"{self.invocations}.47445629121.803a0bc887a1"}
        body = raw if raw is not None else urlencode(fields).encode()
        return self.client.post(
            "/ingest/slack/commands/",
            body,
            content_type="application/x-www-form-urlencoded",
            headers=slack_headers(body, t=t, secret=secret),
        )


def post_with_token(
    client: Client,
    source: IngestSource,
    payload: dict[str, Any] | bytes,
    secret: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """A delivery from a vendor that cannot sign (JSM, Grafana OnCall): the source's secret in
    ``X-Followthrough-Token``, unless ``headers`` are given."""
    return client.post(
        f"/ingest/{source.kind}/{source.pk}/",
        body_of(payload),
        content_type="application/json",
        headers=headers if headers is not None else {"X-Followthrough-Token": secret},
    )


@pytest.fixture
def send() -> Sender:
    return Sender()


def make_source(cast: Cast, kind: str, secret: str, **settings: Any) -> IngestSource:
    return IngestSource.objects.create(
        name=f"{kind} for Payments",
        kind=kind,
        team=cast.payments,
        secret=secret,
        created_by=cast.alice,
        settings=settings,
    )


@pytest.fixture
def pagerduty(cast: Cast) -> IngestSource:
    """Payments' PagerDuty; the Security service routes to Security."""
    return make_source(
        cast,
        Kind.PAGERDUTY,
        PD_SECRET,
        routing=[{"field": "service", "value": "PSECURE1", "team_id": cast.security.pk}],
    )


@pytest.fixture
def opsgenie(cast: Cast) -> IngestSource:
    return make_source(
        cast,
        Kind.OPSGENIE,
        OPSGENIE_SECRET,
        routing=[{"field": "tag", "value": "pci", "team_id": cast.security.pk}],
    )


@pytest.fixture
def webhook(cast: Cast) -> IngestSource:
    return make_source(cast, Kind.WEBHOOK, WEBHOOK_SECRET, severity_map={"sev-a": "P0"})


@pytest.fixture
def slack(cast: Cast) -> IngestSource:
    """Payments' Slack source, bound by the admin to workspace T0001 with the app's secret."""
    source = make_source(cast, Kind.SLACK, SLACK_SECRET)
    SlackWorkspace.objects.create(
        team_id=SLACK_WORKSPACE, name="Example", source=source, bound_by=cast.admin
    )
    return source
