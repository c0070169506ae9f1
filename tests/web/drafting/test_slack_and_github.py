"""The draft widened: the incident's Slack channel read through ``conversations.history``,
or from an uploaded Slack export, and GitHub's deploys and merged pull requests offered as
candidate triggers. Slack and GitHub are local servers that check each request the way the
vendor's documentation says (auth header, parameters, pagination cursors and links)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from followthrough.web.drafting.models import DraftEvent, DraftSources, TimelineDraft
from followthrough.web.followup.models import TeamSettings
from followthrough.web.postmortems.models import Postmortem
from web.integrations.fakes.base import Answer, FakeServer, Request

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
GITHUB_TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
CHANNEL = "C0123INC42"


def ts(hour: int, minute: int) -> str:
    return f"{datetime(2026, 3, 2, hour, minute, tzinfo=UTC).timestamp():.6f}"


class Slack(FakeServer):
    """``conversations.history`` as Slack documents it: a bearer bot token, ``channel``
    required, ``oldest``/``latest``/``limit``, and pages joined by ``next_cursor``. Bodies as
    in Slack's example response (``{"ok", "messages", "has_more", "response_metadata"}``)."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, dict[str, Any]] = {
            "": {
                "ok": True,
                "messages": [
                    {
                        "type": "message",
                        "user": "U123ABC456",
                        "text": "Paging in.",
                        "ts": ts(13, 2),
                    },
                    {
                        "type": "message",
                        "subtype": "channel_join",
                        "user": "U2",
                        "text": "<@U2> has joined",
                        "ts": ts(13, 3),
                    },
                ],
                "has_more": True,
                "response_metadata": {"next_cursor": "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz"},
            },
            "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz": {
                "ok": True,
                "messages": [
                    {
                        "type": "message",
                        "user": "U777",
                        "text": "Error rate is back under 1%.",
                        "ts": ts(14, 50),
                    },
                ],
                "has_more": False,
                "response_metadata": {"next_cursor": ""},
            },
        }

    def handle(self, req: Request) -> Answer:
        if req.path != "/api/conversations.history" or req.method != "GET":
            return Answer(404, {"ok": False, "error": "unknown_method"})
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        if req.query.get("channel") != CHANNEL:
            return Answer(200, {"ok": False, "error": "channel_not_found"})
        assert float(req.query["oldest"]) < float(req.query["latest"])
        assert int(req.query["limit"]) <= 999
        page = self.pages.get(req.query.get("cursor", ""))
        if page is None:
            return Answer(200, {"ok": False, "error": "invalid_cursor"})
        return Answer(200, page)


@pytest.fixture
def slack_api(settings: Any, allow_loopback: None) -> Iterator[Slack]:
    fake = Slack().start()
    settings.SLACK_API_URL = fake.url + "/api"
    yield fake
    fake.stop()


def the_draft(postmortem: Postmortem) -> TimelineDraft:
    return TimelineDraft.objects.get(postmortem=postmortem)


def htmx(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data, headers={"HX-Request": "true"})


def base(postmortem: Postmortem) -> str:
    return f"/incidents/{postmortem.incident_id}/postmortem/draft/"


# --- Slack through the Web API ------------------------------------------------------------------


def test_the_channel_is_read_page_by_page_and_each_message_drafted_with_its_link(
    cast: Cast, resolved_postmortem: Postmortem, slack_api: Slack
) -> None:
    TeamSettings.objects.create(team=cast.payments, slack_bot_token=TOKEN)
    bob = cast.browser(cast.bob)
    assert bob.get(base(resolved_postmortem)).status_code == 200
    response = htmx(bob, base(resolved_postmortem) + "slack/", {"channel": CHANNEL})
    assert response.status_code == 200, response.content
    assert "2 message(s) from Slack added" in response.content.decode()
    calls = slack_api.calls("GET", "conversations.history")
    assert [c.query.get("cursor", "") for c in calls] == ["", "bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz"]
    slack = the_draft(resolved_postmortem).events.filter(source=f"Slack {CHANNEL}")
    assert [e.description for e in slack] == [
        "In Slack, U123ABC456 wrote: Paging in.",
        "In Slack, U777 wrote: Error rate is back under 1%.",
    ]
    assert slack[0].link == f"https://slack.com/archives/{CHANNEL}/p{ts(13, 2).replace('.', '')}"
    # Reading again adds nothing new.
    htmx(bob, base(resolved_postmortem) + "slack/", {"channel": CHANNEL})
    assert the_draft(resolved_postmortem).events.filter(source__startswith="Slack").count() == 2


@pytest.mark.parametrize(
    ("token", "channel", "reason"),
    [
        ("", CHANNEL, "Slack bot token (team settings) first"),
        ("xoxb-wrong", CHANNEL, "Slack refused conversations.history: invalid_auth."),
        (TOKEN, "C0NOTHERE", "Slack refused conversations.history: channel_not_found."),
        (TOKEN, "../../api/x", "is not a Slack channel id"),
    ],
)
def test_a_channel_that_cannot_be_read_says_why_and_adds_nothing(
    cast: Cast,
    resolved_postmortem: Postmortem,
    slack_api: Slack,
    token: str,
    channel: str,
    reason: str,
) -> None:
    TeamSettings.objects.create(team=cast.payments, slack_bot_token=token)
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    before = the_draft(resolved_postmortem).events.count()
    response = htmx(bob, base(resolved_postmortem) + "slack/", {"channel": channel})
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert the_draft(resolved_postmortem).events.count() == before


def test_slack_is_called_only_where_outbound_requests_may_go(
    cast: Cast, resolved_postmortem: Postmortem, settings: Any
) -> None:
    """The operator's Slack API on a private address is refused by the transport's rules."""
    settings.SLACK_API_URL = "http://169.254.169.254/api"
    TeamSettings.objects.create(team=cast.payments, slack_bot_token=TOKEN)
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    response = htmx(bob, base(resolved_postmortem) + "slack/", {"channel": CHANNEL})
    assert response.status_code == 422
    assert "Slack could not be read" in response.content.decode()


# --- an uploaded Slack export --------------------------------------------------------------------


def export(members: dict[str, Any], compress: int = zipfile.ZIP_DEFLATED) -> io.BytesIO:
    """A Slack export (Slack help, "How to read Slack data exports"): users.json, channels.json,
    and a folder per channel of per-day message lists."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compress) as z:
        for name, content in members.items():
            z.writestr(name, content if isinstance(content, bytes) else json.dumps(content))
    data.seek(0)
    data.name = "export.zip"
    return data


USERS = [{"id": "U123ABC456", "name": "ivan", "profile": {"real_name": "Ivan Petrov"}}]
DAY = [
    {"type": "message", "user": "U123ABC456", "text": "Checkout 502s confirmed.", "ts": ts(13, 6)},
    {"type": "message", "user": "U123ABC456", "text": "Lunch tomorrow?", "ts": ts(20, 0)},
]


def upload(client: Client, postmortem: Postmortem, file: Any, channel: str = "inc-1042") -> Any:
    return client.post(
        base(postmortem) + "slack-export/",
        {"export": file, "channel": channel},
        headers={"HX-Request": "true"},
    )


def test_an_uploaded_export_drafts_the_channel_messages_of_the_incident_window(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    file = export(
        {
            "users.json": USERS,
            "channels.json": [{"id": CHANNEL, "name": "inc-1042"}],
            "inc-1042/2026-03-02.json": DAY,
            "other/2026-03-02.json": [
                {"type": "message", "user": "U1", "text": "x", "ts": ts(13, 7)}
            ],
            "inc-1042/notes.txt": b"not json, not read",
        }
    )
    response = upload(bob, resolved_postmortem, file)
    assert response.status_code == 200, response.content
    slack = the_draft(resolved_postmortem).events.filter(source="Slack #inc-1042")
    # The message after the incident's window (20:00) is left out.
    assert [e.description for e in slack] == [
        "In Slack, Ivan Petrov wrote: Checkout 502s confirmed."
    ]


def _bomb() -> io.BytesIO:
    return export({"inc-1042/2026-03-02.json": b"[" + b" " * (6 * 1024 * 1024) + b"]"})


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        (io.BytesIO(b"PK\x03\x04 not really a zip"), "not a zip archive"),
        (export({"../inc-1042/2026-03-02.json": DAY}), "unsafe file name"),
        (export({"/etc/inc-1042/2026-03-02.json": DAY}), "unsafe file name"),
        (export({"inc-1042/2026-03-02.json": b"{not json"}), "is not JSON"),
        (export({"inc-1042/2026-03-02.json": {"not": "a list"}}), "is not a list of messages"),
        (export({"general/2026-03-02.json": DAY}), "has no folder “inc-1042”"),
        (_bomb(), "larger than 5 MB"),
    ],
    ids=["not-zip", "traversal", "absolute", "bad-json", "not-list", "no-channel", "bomb"],
)
def test_a_bad_export_is_refused_with_the_reason_and_changes_nothing(
    cast: Cast, resolved_postmortem: Postmortem, file: io.BytesIO, reason: str
) -> None:
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    file.name = "export.zip"
    before = list(the_draft(resolved_postmortem).events.values_list("pk", "state"))
    response = upload(bob, resolved_postmortem, file)
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert list(the_draft(resolved_postmortem).events.values_list("pk", "state")) == before


def test_an_export_over_the_upload_limit_is_not_read(
    cast: Cast, resolved_postmortem: Postmortem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followthrough.web.drafting import views

    monkeypatch.setattr(views, "MAX_UPLOAD", 100)
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    response = upload(bob, resolved_postmortem, export({"inc-1042/2026-03-02.json": DAY * 20}))
    assert response.status_code == 422
    assert "nothing was read" in response.content.decode()


# --- GitHub: candidate triggers ------------------------------------------------------------------


def deployment(n: int, created: str) -> dict[str, Any]:
    """Shaped like GitHub's "List deployments" example response."""
    return {
        "url": f"https://api.github.com/repos/acme/checkout/deployments/{n}",
        "id": n,
        "sha": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
        "ref": "main",
        "task": "deploy",
        "payload": {},
        "environment": "production",
        "description": "Deploy request from hubot",
        "creator": {"login": "octocat", "id": 1},
        "created_at": created,
        "updated_at": created,
    }


def pull(n: int, title: str, updated: str, merged: str | None) -> dict[str, Any]:
    """Shaped like GitHub's "List pull requests" example response."""
    return {
        "url": f"https://api.github.com/repos/acme/checkout/pulls/{n}",
        "html_url": f"https://github.com/acme/checkout/pull/{n}",
        "number": n,
        "state": "closed",
        "title": title,
        "user": {"login": "octocat"},
        "created_at": "2026-03-01T10:00:00Z",
        "updated_at": updated,
        "closed_at": updated,
        "merged_at": merged,
    }


class GitHub(FakeServer):
    """Lists as GitHub documents them: the three headers checked, ``state=closed``, sorting
    by update, newest first; more pages named by ``Link: <…>; rel="next"``."""

    def handle(self, req: Request) -> Answer:
        if req.headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return Answer(401, {"message": "Bad credentials"})
        if req.headers.get("accept") != "application/vnd.github+json":
            return Answer(415, {"message": "Unsupported Accept"})
        if req.headers.get("x-github-api-version") != "2022-11-28":
            return Answer(400, {"message": "Unsupported API version"})
        if req.path == "/repos/acme/checkout/deployments":
            if req.query.get("page") == "2":
                return Answer(200, [deployment(7, "2026-03-01T09:00:00Z")])
            link = f'<{self.url}/repos/acme/checkout/deployments?per_page=100&page=2>; rel="next"'
            return Answer(
                200,
                [deployment(9, "2026-03-02T15:30:00Z"), deployment(8, "2026-03-02T12:55:00Z")],
                {"Link": link},
            )
        if req.path == "/repos/acme/checkout/pulls":
            assert req.query["state"] == "closed"
            assert req.query["sort"] == "updated" and req.query["direction"] == "desc"
            return Answer(
                200,
                [
                    pull(
                        41,
                        "Raise the checkout pool size",
                        "2026-03-02T12:51:00Z",
                        "2026-03-02T12:50:00Z",
                    ),
                    pull(40, "Try a new cache", "2026-03-02T12:40:00Z", None),
                    pull(39, "Old change", "2026-02-27T09:00:00Z", "2026-02-27T09:00:00Z"),
                ],
            )
        return Answer(404, {"message": "Not Found"})


@pytest.fixture
def github_api(allow_loopback: None) -> Iterator[GitHub]:
    fake = GitHub().start()
    yield fake
    fake.stop()


def test_deploys_and_merged_pull_requests_in_the_window_are_offered_as_candidate_triggers(
    cast: Cast, resolved_postmortem: Postmortem, github_api: GitHub
) -> None:
    DraftSources.objects.create(
        team=cast.payments,
        settings={"github_repositories": ["acme/checkout"], "github_api_url": github_api.url},
        github_token=GITHUB_TOKEN,
    )
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    response = htmx(bob, base(resolved_postmortem) + "github/", {})
    assert response.status_code == 200, response.content
    candidates = the_draft(resolved_postmortem).events.filter(kind=DraftEvent.Kind.CANDIDATE)
    assert [e.description for e in candidates] == [
        "Pull request #41 merged in acme/checkout: “Raise the checkout pool size”.",
        "Deployment 8 of acme/checkout@main to production created by octocat.",
    ]
    assert candidates[0].link == "https://github.com/acme/checkout/pull/41"
    # The second page of deployments was followed, and held only older ones.
    pages = [c.query.get("page") for c in github_api.calls("GET", "/deployments")]
    assert pages == [None, "2"]
    assert "Candidate triggers" in response.content.decode()
    # Candidates need no decision before the timeline is accepted.
    draft = the_draft(resolved_postmortem)
    for event in draft.events.filter(kind=DraftEvent.Kind.EVENT):
        htmx(bob, base(resolved_postmortem) + f"events/{event.pk}/", {"decision": "accept"})
    accepted = htmx(bob, base(resolved_postmortem) + "accept/", {})
    assert accepted.status_code == 200 and accepted.headers["HX-Refresh"] == "true"


def test_a_refused_github_token_says_so_and_adds_nothing(
    cast: Cast, resolved_postmortem: Postmortem, github_api: GitHub
) -> None:
    DraftSources.objects.create(
        team=cast.payments,
        settings={"github_repositories": ["acme/checkout"], "github_api_url": github_api.url},
        github_token="ghp_wrong",
    )
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    response = htmx(bob, base(resolved_postmortem) + "github/", {})
    assert response.status_code == 422
    assert "acme/checkout: GitHub could not be read" in response.content.decode()
    assert GITHUB_TOKEN not in response.content.decode()
    assert not the_draft(resolved_postmortem).events.filter(kind="candidate").exists()
