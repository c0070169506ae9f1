"""Microsoft Teams: a team's channel is its Workflows webhook URL; reminders, escalations and the
weekly review go there as an Adaptive Card in Teams' message envelope, through the outbox.

The fake Teams on loopback checks each request field by field against Microsoft's documented
envelope ("Send Adaptive Cards using an Incoming Webhook", learn.microsoft.com/microsoftteams/
platform/webhooks-and-connectors/how-to/connectors-using: ``{"type": "message", "attachments":
[{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content":
{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
"version": ...}}]}``) and answers as Power Automate's "When a Teams webhook request is
received" trigger does: 202 Accepted with no body; it can be scripted to answer 429 with
Retry-After, 400, or a legacy webhook's 200 with an error in its text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from followthrough.web import transport
from followthrough.web.followup import tasks
from followthrough.web.followup.digest import send_due_digests
from followthrough.web.followup.models import Delivery, Notification, Preferences, TeamSettings
from followthrough.web.followup.notifications import (
    BACKOFF_BASE,
    LEASE,
    RESTRICTED,
    Message,
    Section,
    deliver_due,
    notify,
)
from followthrough.web.integrations.teams.outbound import escape

from .test_delivery import WorkerDied, _dies_after_sending

if TYPE_CHECKING:
    from conftest import Cast
    from followthrough.web.accounts.models import Team

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 23, 9, tzinfo=UTC)
HOOK_PATH = "/workflows/a1b2c3/triggers/manual/paths/invoke?sig=SECRETSIG"


@dataclass
class FakeTeams:
    port: int = 0
    cards: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"


def envelope_problems(body: Any) -> list[str]:
    """What in ``body`` is not the documented message envelope with one Adaptive Card."""
    found = []
    if not isinstance(body, dict) or body.get("type") != "message":
        return ['the body is not {"type": "message", ...}']
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or len(attachments) != 1:
        return ["attachments is not a list of one card"]
    [attachment] = attachments
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        found.append("contentType is not application/vnd.microsoft.card.adaptive")
    if attachment.get("contentUrl", None) is not None:
        found.append("contentUrl is not null")
    card = attachment.get("content")
    if not isinstance(card, dict):
        return [*found, "content is not a card"]
    if card.get("$schema") != "http://adaptivecards.io/schemas/adaptive-card.json":
        found.append("$schema is not the Adaptive Card schema")
    if card.get("type") != "AdaptiveCard":
        found.append('type is not "AdaptiveCard"')
    if card.get("version") not in ("1.0", "1.2", "1.3", "1.4", "1.5"):
        found.append("version is not one Teams renders")
    body_items = card.get("body")
    if not isinstance(body_items, list) or not body_items:
        found.append("body is empty")
    else:
        for n, element in enumerate(body_items):
            if element.get("type") != "TextBlock" or not isinstance(element.get("text"), str):
                found.append(f"body[{n}] is not a TextBlock with text")
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or not action.get("url", "").startswith("http"):
            found.append("an action is not an Action.OpenUrl with a URL")
    if len(json.dumps(body)) > 28 * 1024:
        found.append("the message is over Teams' 28 KB")
    return found


def _handler(fake: FakeTeams) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(
            self, status: int, body: str = "", headers: dict[str, str] | None = None
        ) -> None:
            data = body.encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path != HOOK_PATH:
                return self._answer(404)
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                return self._answer(400, '{"error":{"code":"InvalidRequestContent"}}')
            body = json.loads(raw)
            if problems := envelope_problems(body):
                fake.problems += problems
                return self._answer(400, '{"error":{"code":"InvalidRequestContent"}}')
            if fake.script:
                return self._answer(*fake.script.pop(0))
            fake.cards.append(body["attachments"][0]["content"])
            fake.keys.append(self.headers.get("Idempotency-Key", ""))
            return self._answer(202)

    return Handler


@pytest.fixture
def teams(allow_loopback: None) -> Iterator[FakeTeams]:
    fake = FakeTeams()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield fake
    assert fake.problems == []
    server.shutdown()
    server.server_close()


def with_teams(team: Team, fake: FakeTeams) -> None:
    conf = TeamSettings.of(team)
    conf.channels = {"teams": {"webhook_url": fake.url}}
    conf.save()


def texts(card: dict[str, Any]) -> list[str]:
    return [element["text"] for element in card["body"]]


def _only_teams(*people: Any) -> None:
    for person in people:
        Preferences.objects.create(person=person, email_enabled=False, slack_enabled=False)


def _reminder(cast: Cast, key: str = "1") -> int:
    message = Message(
        "“Alert on [pool] exhaustion” is overdue",
        "It was due Friday; nobody moved it.",
        "/action-items/1/",
        [Section("What to do", [("Move the *due date* or close it", "/action-items/1/")])],
    )
    return notify(cast.frank, cast.payments, "test", key, message)


def test_a_reminder_reaches_the_teams_channel_as_an_adaptive_card_field_by_field(
    cast: Cast, teams: FakeTeams
) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    assert _reminder(cast) == 1
    assert deliver_due("w1")["sent"] == 1
    row = Notification.objects.get()
    assert (row.channel, row.status, row.get_channel_display()) == (
        "teams",
        Delivery.SENT,
        "Microsoft Teams",
    )
    [card] = teams.cards
    lines = texts(card)
    # Markdown typed into a title cannot make a link or formatting in the channel.
    assert lines[0] == "“Alert on \\[pool\\] exhaustion” is overdue"
    assert card["body"][0]["weight"] == "Bolder"
    assert lines[1] == "For Frank Osei"
    assert "It was due Friday; nobody moved it." in lines
    assert "• Move the \\*due date\\* or close it <http://127.0.0.1:8000/action-items/1/>" in (
        lines
    )
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open", "url": "http://127.0.0.1:8000/action-items/1/"}
    ]
    assert lines[-1] == f"followthrough · ref {str(row.delivery_key)[:8]}"
    assert card["body"][-1]["id"] == f"followthrough-{row.delivery_key}"
    assert teams.keys == [str(row.delivery_key)]


def test_markdown_is_escaped_so_a_title_cannot_become_a_link() -> None:
    assert escape("[click](https://evil.example)") == "\\[click\\](https://evil.example)"


def test_the_weekly_review_goes_to_the_teams_channel_with_the_digest(
    cast: Cast, teams: FakeTeams
) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.alice.person)  # type: ignore[attr-defined]
    monday_nine_berlin = datetime(2026, 3, 23, 8, tzinfo=UTC)
    assert send_due_digests(monday_nine_berlin) == "queued 1"
    assert deliver_due("w1")["sent"] == 1
    [card] = teams.cards
    assert "Payments" in texts(card)[0] and texts(card)[1] == "For Alice"


def test_a_security_incident_is_restricted_in_the_channel_even_for_a_reader_of_it(
    cast: Cast, teams: FakeTeams
) -> None:
    with_teams(cast.security, teams)
    dana = cast.dana.person  # type: ignore[attr-defined]
    _only_teams(dana)
    incident = cast.incident(team=cast.security, title="Exfiltration via leaked S3 key")
    message = Message(
        "Escalated: “Rotate the S3 keys” of Exfiltration via leaked S3 key is stuck",
        "Rotate the S3 keys is stuck.",
        "/action-items/9/",
        secret_incident=incident.pk,
        restricted_subject=f"Escalated: an action item of {RESTRICTED} is stuck",
        restricted_intro=f"An action item of {RESTRICTED} is stuck.",
    )
    notify(dana, cast.security, "escalation", "9", message)
    assert deliver_due("w1")["sent"] == 1
    [card] = teams.cards
    shown = json.dumps(card)
    assert "Exfiltration" not in shown and "S3" not in shown
    assert texts(card)[0] == f"Escalated: an action item of {RESTRICTED} is stuck"


def test_a_429_waits_retry_after_and_the_same_card_goes_with_the_same_key(
    cast: Cast, teams: FakeTeams
) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    teams.script = [(429, '{"error":{"message":"secret remote text"}}', {"Retry-After": "120"})]
    with time_machine.travel(NOW, tick=False) as traveller:
        _reminder(cast)
        assert deliver_due("w1")["retrying"] == 1
        row = Notification.objects.get()
        assert row.next_attempt_at == NOW + timedelta(seconds=120)
        assert "429" in row.last_error and "secret remote text" not in row.last_error
        traveller.move_to(row.next_attempt_at)
        assert deliver_due("w1")["sent"] == 1
    assert teams.keys == [str(row.delivery_key)]


def test_a_400_fails_for_good_without_the_remote_body(cast: Cast, teams: FakeTeams) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    teams.script = [(400, '{"error":{"message":"flow SECRETSIG is off"}}', {})]
    _reminder(cast)
    assert deliver_due("w1")["failed"] == 1
    row = Notification.objects.get()
    assert row.status == Delivery.FAILED and "400" in row.last_error
    assert "SECRETSIG" not in row.last_error and "flow" not in row.last_error


def test_a_legacy_webhooks_error_inside_a_200_keeps_only_its_status(
    cast: Cast, teams: FakeTeams
) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    teams.script = [
        (
            200,
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
            "HTTP error 429 with ContextId tcid=0,server=msgapi-production",
            {},
        ),
        (200, "1", {}),
    ]
    with time_machine.travel(NOW, tick=False) as traveller:
        _reminder(cast)
        assert deliver_due("w1")["retrying"] == 1
        row = Notification.objects.get()
        assert row.last_error == "Teams refused the message: http_429"
        traveller.move_to(row.next_attempt_at)
        assert deliver_due("w1")["sent"] == 1


def test_a_team_without_a_teams_channel_gets_no_teams_message(cast: Cast) -> None:
    _only_teams(cast.frank)
    assert _reminder(cast) == 0


def test_the_webhook_url_is_set_on_the_page_and_in_the_api_checked_and_never_shown(
    cast: Cast, teams: FakeTeams
) -> None:
    api = cast.api("alice")
    path = f"/api/v1/teams/{cast.payments.pk}/follow-up"
    answer = api.patch_json(path, {"channels": {"teams": {"webhook_url": teams.url}}})
    assert answer.status_code == 200, answer.content
    assert answer.json()["channels"] == {"teams": {"webhook_url_set": True}}
    assert "SECRETSIG" not in api.get(path).content.decode()
    for bad, why in (
        ("http://prod-12.westeurope.logic.azure.com/workflows/x", "https://"),
        ("https://169.254.169.254/latest/meta-data", "Refused"),
        ("https://teams.internal/hook", "internal name"),
    ):
        refused = api.patch_json(path, {"channels": {"teams": {"webhook_url": bad}}})
        assert refused.status_code == 422 and why in refused.content.decode(), bad
    assert TeamSettings.of(cast.payments).channels == {"teams": {"webhook_url": teams.url}}
    page = cast.browser(cast.alice).get("/teams/payments/follow-up/").content.decode()
    assert 'name="teams__webhook_url"' in page and "SECRETSIG" not in page


def test_a_500_backs_off_and_the_next_attempt_sends(cast: Cast, teams: FakeTeams) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    teams.script = [(502, "Bad Gateway", {})]
    with time_machine.travel(NOW, tick=False) as traveller:
        _reminder(cast)
        assert deliver_due("w1")["retrying"] == 1
        row = Notification.objects.get()
        assert row.next_attempt_at == NOW + BACKOFF_BASE and "502" in row.last_error
        traveller.move_to(row.next_attempt_at)
        assert deliver_due("w1")["sent"] == 1


def test_a_card_resent_after_the_worker_died_mid_send_is_recognisably_the_same(
    cast: Cast, teams: FakeTeams, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_teams(cast.payments, teams)
    _only_teams(cast.frank)
    _dies_after_sending(monkeypatch, transport, "request")
    with time_machine.travel(NOW, tick=False) as traveller:
        _reminder(cast)
        with pytest.raises(WorkerDied):
            deliver_due("w1")
        assert Notification.objects.get().status == Delivery.SENDING
        traveller.move_to(NOW + LEASE + timedelta(seconds=1))
        assert deliver_due("w2")["sent"] == 1
    first, second = teams.cards
    row = Notification.objects.get()
    assert first == second and teams.keys == [str(row.delivery_key)] * 2
    assert first["body"][-1]["id"] == f"followthrough-{row.delivery_key}"


def test_a_lead_sends_a_test_message_to_the_teams_channel_from_the_settings_page(
    cast: Cast, teams: FakeTeams, django_capture_on_commit_callbacks: Any
) -> None:
    page = cast.browser(cast.alice)
    refused = page.post("/teams/payments/follow-up/", {"action": "test-teams"}, follow=True)
    assert "Set the Microsoft Teams webhook URL first." in refused.content.decode()
    with_teams(cast.payments, teams)
    with django_capture_on_commit_callbacks(execute=True):
        page.post("/teams/payments/follow-up/", {"action": "test-teams"})
    assert tasks.send_test_message.call(cast.payments.pk, "teams") == "queued 1"
    assert deliver_due("w1")["sent"] >= 1
    card = teams.cards[-1]
    assert texts(card)[0] == "followthrough can post to Payments's Microsoft Teams"
    assert "For " not in json.dumps(card)  # the team's channel itself, nobody in particular
