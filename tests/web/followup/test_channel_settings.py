"""A new notification channel is a folder and a registry line: its team settings (a webhook URL)
live in TeamSettings.channels, validated by its own model, shown on the page and in the API,
and the outbox sends through it. Proved with a channel made up for the test ("walkie")."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web import transport
from followthrough.web.followup.models import Delivery, Notification, Preferences, TeamSettings
from followthrough.web.followup.notifications import Message, deliver_due, notify
from followthrough.web.integrations import vendors
from followthrough.web.integrations.base import OutboundURL, Vendor, VendorSettings, secret

if TYPE_CHECKING:
    from conftest import Cast
    from followthrough.web.accounts.models import Person, Team

pytestmark = pytest.mark.django_db

API = "/api/v1/teams/{}/follow-up"


class WalkieSettings(VendorSettings):
    webhook_url: OutboundURL = secret("The channel's incoming webhook URL.")
    room: str = ""


def _send(row: Notification) -> None:
    assert row.team is not None
    conf = TeamSettings.of(row.team).channel_settings("walkie")
    transport.request(
        "POST",
        conf.webhook_url,
        json={"room": conf.room, "text": row.subject},
        headers={"Idempotency-Key": str(row.delivery_key)},
    )


def _wants(
    person: Person, prefs: Preferences, team: Team | None, conf: TeamSettings | None
) -> bool:
    return conf is not None and conf.channel_settings("walkie") is not None


WALKIE = Vendor(
    kind="walkie",
    label="Walkie",
    folder="tests",
    settings=VendorSettings,
    channel_label="Walkie",
    send=_send,
    wants=_wants,
    team_settings=WalkieSettings,
)


@pytest.fixture(autouse=True)
def walkie(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(vendors.VENDORS, "walkie", WALKIE)


class _Room(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append({"body": body, "key": self.headers.get("Idempotency-Key")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def room(allow_loopback: None) -> Iterator[str]:
    _Room.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Room)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks/secret-path"
    httpd.shutdown()


def test_the_page_shows_the_new_channels_settings_and_never_its_secret(
    cast: Cast, room: str
) -> None:
    page = cast.browser(cast.alice)
    form = page.get("/teams/payments/follow-up/").content.decode()
    assert "Walkie: webhook url" in form and 'name="walkie__webhook_url"' in form
    base = {
        "review_weekday": 0,
        "review_hour": 9,
        "stalled_after_days": 14,
        "escalate_after_days": 7,
        "remind_before_hours": 24,
    }
    saved = page.post(
        "/teams/payments/follow-up/", {**base, "walkie__webhook_url": room, "walkie__room": "ops"}
    )
    assert saved.status_code == 302
    assert TeamSettings.of(cast.payments).channels == {
        "walkie": {"webhook_url": room, "room": "ops"}
    }
    again = page.get("/teams/payments/follow-up/").content.decode()
    assert "secret-path" not in again and "A value is set." in again
    # Blank keeps the secret; another field changes.
    page.post("/teams/payments/follow-up/", {**base, "walkie__room": "incidents"})
    assert TeamSettings.of(cast.payments).channels["walkie"]["webhook_url"] == room
    refused = page.post(
        "/teams/payments/follow-up/", {**base, "walkie__webhook_url": "https://10.0.0.1/hook"}
    )
    assert refused.status_code == 422 and "private address" in refused.content.decode()
    page.post("/teams/payments/follow-up/", {**base, "walkie__clear": "on"})
    assert TeamSettings.of(cast.payments).channels == {}


def test_the_api_sets_merges_and_removes_a_channels_settings_and_hides_its_secret(
    cast: Cast, room: str
) -> None:
    api = cast.api("alice")
    path = API.format(cast.payments.pk)
    answer = api.patch_json(path, {"channels": {"walkie": {"webhook_url": room, "room": "ops"}}})
    assert answer.status_code == 200, answer.content
    assert answer.json()["channels"] == {"walkie": {"room": "ops", "webhook_url_set": True}}
    assert "secret-path" not in api.get(path).content.decode()
    merged = api.patch_json(path, {"channels": {"walkie": {"room": "incidents"}}}).json()
    assert merged["channels"]["walkie"] == {"room": "incidents", "webhook_url_set": True}
    inside = api.patch_json(path, {"channels": {"walkie": {"webhook_url": "https://[::1]/x"}}})
    assert inside.status_code == 422 and "loopback" in inside.content.decode()
    unknown = api.patch_json(path, {"channels": {"pager": {"x": "y"}}})
    assert unknown.status_code == 422
    assert api.patch_json(path, {"channels": {"walkie": {}}}).json()["channels"] == {}


def test_the_outbox_sends_through_the_new_channel_with_the_delivery_key(
    cast: Cast, room: str
) -> None:
    conf = TeamSettings.of(cast.payments)
    conf.channels = {"walkie": {"webhook_url": room, "room": "ops"}}
    conf.save()
    Preferences.objects.create(person=cast.frank, email_enabled=False, slack_enabled=False)
    assert notify(cast.frank, cast.payments, "test", "1", Message("Hello", "Hi", "/")) == 1
    assert deliver_due("w1")["sent"] == 1
    row = Notification.objects.get()
    assert (row.channel, row.status, row.get_channel_display()) == (
        "walkie",
        Delivery.SENT,
        "Walkie",
    )
    assert _Room.received == [
        {"body": {"room": "ops", "text": "Hello"}, "key": str(row.delivery_key)}
    ]
