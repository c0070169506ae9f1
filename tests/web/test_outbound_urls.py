"""URLs people type are places the worker will call: checked when saved, checked again (after
DNS) when called, and what a server answers there never comes back in a stored error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.models import TeamSettings
from followthrough.web.integrations.models import SyncState, TrackerConfig, TrackerLink
from followthrough.web.integrations.sync import push
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

INSIDE = "INTERNAL-ONLY admin_password=hunter2"


class _Inside(BaseHTTPRequestHandler):
    """A server on the inside network that answers whatever is asked with something secret."""

    hits: list[str] = []
    status = 500
    body = INSIDE

    def _answer(self) -> None:
        self.hits.append(self.path)
        body = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def inside() -> Iterator[str]:
    _Inside.hits, _Inside.status, _Inside.body = [], 500, INSIDE
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Inside)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


# --- checked when saved ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.7/",
        "https://localhost/",
        "http://github.example.com/",
    ],
)
def test_a_tracker_base_url_inside_the_network_is_refused_by_the_api_with_422(
    cast: Cast, url: str
) -> None:
    response = cast.api("alice").put_json(
        f"/api/v1/teams/{cast.payments.pk}/tracker",
        {
            "kind": "github",
            "settings": {"repository": "shop/checkout"},
            "api_token": "t",
            "base_url": url,
        },
    )
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["loc"][-1] == "base_url"
    assert not TrackerConfig.objects.exists()


def test_the_tracker_page_refuses_an_inside_base_url_and_says_the_rule(cast: Cast) -> None:
    page = cast.browser(cast.alice)
    form = page.get("/teams/payments/tracker/").content.decode()
    assert "OUTBOUND_ALLOWED_HOSTS" in form
    answer = page.post(
        "/teams/payments/tracker/",
        {
            "kind": "github",
            "enabled": "on",
            "github__repository": "shop/checkout",
            "api_token": "ghp_x",
            "base_url": "https://169.254.169.254/",
        },
    )
    assert "cloud metadata" in answer.content.decode()
    assert not TrackerConfig.objects.exists()


def test_a_slack_webhook_url_inside_the_network_is_refused_by_page_and_api(cast: Cast) -> None:
    api = cast.api("alice").patch_json(
        f"/api/v1/teams/{cast.payments.pk}/follow-up",
        {"slack_webhook_url": "https://127.0.0.1/services/T/B/x"},
    )
    assert api.status_code == 422, api.content
    assert api.json()["errors"][0]["loc"][-1] == "slack_webhook_url"
    page = cast.browser(cast.alice).post(
        "/teams/payments/follow-up/",
        {
            "review_weekday": 0,
            "review_hour": 9,
            "stalled_after_days": 14,
            "escalate_after_days": 7,
            "remind_before_hours": 24,
            "slack_webhook_url": "https://metadata.google.internal/computeMetadata/v1/",
        },
    )
    assert "internal name" in page.content.decode()
    assert not TeamSettings.of(cast.payments).slack_webhook_url


def test_the_operator_may_allow_an_on_premises_host(cast: Cast, settings: Any) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["jira.corp", "10.2.0.0/16"]
    response = cast.api("alice").put_json(
        f"/api/v1/teams/{cast.payments.pk}/tracker",
        {
            "kind": "github",
            "settings": {"repository": "shop/checkout"},
            "api_token": "t",
            "base_url": "http://jira.corp:8080",
        },
    )
    assert response.status_code in (200, 201), response.content


# --- checked again when called, and nothing of the answer kept ---------------------------------


def _tracked_item(cast: Cast, base_url: str, kind: str = "github") -> TrackerLink:
    TrackerConfig.objects.create(
        team=cast.payments,
        kind=kind,
        settings=(
            {"repository": "shop/checkout"}
            if kind == "github"
            else {"team_id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d"}
        ),
        api_token="ghp_token",
        base_url=base_url,
    )
    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = create_action_item(
        postmortem,
        cast.alice,
        title="Alert on pool",
        owner=cast.person(cast.alice),
        due_date=date(2026, 3, 20),
    )
    return TrackerLink.objects.get(action_item=item)


def test_a_base_url_saved_before_the_rule_is_refused_when_called_and_nothing_is_sent(
    cast: Cast, inside: str
) -> None:
    """A lead's base URL on loopback (stored before it was checked on save): the worker does
    not call it, and the item says why, in words anyone may read."""
    link = _tracked_item(cast, inside)
    push(link.pk)
    link.refresh_from_db()
    assert _Inside.hits == []
    assert link.sync_state == SyncState.ERROR
    assert link.last_error.startswith("refused: 127.0.0.1 resolves to a loopback address")
    shown = cast.api("vera").get(f"/api/v1/action-items/{link.action_item_id}/tracker")
    assert "loopback" in shown.content.decode()


@pytest.mark.parametrize("status", [302, 401, 404, 500])
def test_what_a_tracker_answered_never_reaches_last_error_the_api_or_the_review_page(
    cast: Cast, inside: str, allow_loopback: None, status: int
) -> None:
    _Inside.status = status
    link = _tracked_item(cast, inside)
    push(link.pk)
    link.refresh_from_db()
    assert _Inside.hits, "the allowed host was called"
    assert f"answered {status}" in link.last_error
    showing = (
        cast.api("vera").get(f"/api/v1/action-items/{link.action_item_id}/tracker"),
        cast.browser(cast.alice).get("/teams/payments/tracker/"),
    )
    for answer in (*showing, cast.browser(cast.alice).get("/review/payments/")):
        assert answer.status_code == 200
        assert b"hunter2" not in answer.content and b"INTERNAL-ONLY" not in answer.content
    for answer in showing:
        assert f"answered {status}".encode() in answer.content
    assert "hunter2" not in link.last_error


def test_a_graphql_error_message_from_linear_is_never_kept_only_its_code(
    cast: Cast, inside: str, allow_loopback: None
) -> None:
    _Inside.status = 200
    _Inside.body = json.dumps(
        {"errors": [{"message": INSIDE, "extensions": {"code": "INVALID_INPUT"}}]}
    )
    link = _tracked_item(cast, inside, kind="linear")
    push(link.pk)
    link.refresh_from_db()
    assert "INVALID_INPUT" in link.last_error
    assert "hunter2" not in link.last_error
