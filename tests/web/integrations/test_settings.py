"""Tracker settings per team, in pages and API: "secrets are write-only (never returned by
the API, never logged)"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.integrations.models import (
    SyncState,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
)

from .conftest import WEBHOOK_SECRET, wire
from .fakes.github import FakeGitHub
from .fakes.gitlab import FakeGitLab
from .fakes.jira import FakeJira
from .fakes.linear import FakeLinear

if TYPE_CHECKING:
    from conftest import Cast

API = "/api/v1"
TOKEN = "ghp_very-secret-token-value"


def github_settings(fake: FakeGitHub, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "github",
        "base_url": fake.url,
        "settings": {
            "repository": fake.repo,
            "labels": ["postmortem", "reliability"],
            "milestone": 3,
        },
        "api_token": TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
        "status_map": {"closed:not_planned": "open"},
        **extra,
    }


def test_a_team_lead_sets_up_the_tracker_and_the_secrets_never_come_back(
    cast: Cast, github: FakeGitHub
) -> None:
    api = cast.api("alice")
    url = f"{API}/teams/{cast.payments.pk}/tracker"
    created = api.put_json(url, github_settings(github))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["token_set"] is True and body["webhook_secret_set"] is True
    assert body["settings"] == {
        "repository": "acme/payments",
        "labels": ["postmortem", "reliability"],
        "milestone": 3,
    }
    assert body["effective_status_map"]["closed"] == "done"
    assert body["effective_status_map"]["closed:not_planned"] == "open"
    assert body["webhook_path"] == "/integrations/github/webhook/payments/"
    for answer in (created, api.get(url)):
        assert TOKEN.encode() not in answer.content
        assert WEBHOOK_SECRET.encode() not in answer.content
        assert b"api_token" not in answer.content
    # Omitted secrets are kept; an empty one is forgotten.
    kept = api.put_json(url, {**github_settings(github), "api_token": None, "webhook_secret": ""})
    assert kept.status_code == 200
    assert (kept.json()["token_set"], kept.json()["webhook_secret_set"]) == (True, False)
    config = TrackerConfig.objects.get(team=cast.payments)
    assert config.api_token == TOKEN and config.webhook_secret == ""
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_only_leads_and_admins_manage_tracker_settings(cast: Cast, github: FakeGitHub) -> None:
    url = f"{API}/teams/{cast.payments.pk}/tracker"
    for name in ("bob", "vera"):
        answer = cast.api(name).put_json(url, github_settings(github))
        assert answer.status_code == 403, name
    assert cast.api("charlie").get(f"{API}/teams/{cast.security.pk}/tracker").status_code == 404
    assert cast.api("admin").put_json(url, github_settings(github)).status_code == 201
    assert not TrackerConfig.objects.exclude(team=cast.payments).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"settings": {"repository": "not a repository"}}, "settings.repository"),
        ({"settings": {"repository": ""}}, "settings.repository"),
        ({"settings": {"repository": "acme/pay\x00ments"}}, "settings"),
        ({"settings": {"repository": "a/b", "labels": ["a,b"]}}, "settings.labels.0"),
        ({"settings": {"repository": "a/b", "milestone": 0}}, "settings.milestone"),
        ({"settings": {"repository": "a/b", "repo": "typo"}}, "settings.repo"),
        ({"kind": "jira"}, "settings.project_key"),
        ({"kind": "gitlab", "settings": {"project": "no spaces allowed"}}, "settings.project"),
        ({"kind": "bitbucket"}, "kind"),
        ({"status_map": {"Closed": "finished"}}, "status_map.Closed"),
        ({"base_url": "http://169.254.169.254/latest/"}, "base_url"),
        ({"base_url": "https://localhost/api/v3"}, "base_url"),
        ({"accounts": [{"person_id": 999999, "account_id": "x"}]}, "accounts.0.person_id"),
    ],
)
def test_bad_tracker_settings_are_refused_field_by_field(
    cast: Cast, github: FakeGitHub, change: dict[str, Any], field: str
) -> None:
    answer = cast.api("alice").put_json(
        f"{API}/teams/{cast.payments.pk}/tracker", {**github_settings(github), **change}
    )
    assert answer.status_code == 422, answer.content
    fields = {".".join(str(p) for p in e["loc"][1:]) for e in answer.json()["errors"]}
    assert field in fields
    assert not TrackerConfig.objects.exists()


def test_the_settings_page_saves_and_never_renders_a_secret(cast: Cast, github: FakeGitHub) -> None:
    browser = cast.browser(cast.alice)
    url = "/teams/payments/tracker/"
    assert browser.get(url).status_code == 200
    form = {
        "kind": "github",
        "enabled": "on",
        "base_url": github.url,
        "github__repository": github.repo,
        "github__labels": "postmortem, reliability",
        "jira__issue_type": "Task",
        "api_token": TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
        "status_map_text": "closed:not_planned = open",
    }
    saved = browser.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    config = TrackerConfig.objects.get(team=cast.payments)
    assert config.api_token == TOKEN and config.status_map == {"closed:not_planned": "open"}
    assert config.settings == {
        "repository": github.repo,
        "labels": ["postmortem", "reliability"],
        "milestone": None,
    }
    page = browser.get(url).content.decode()
    assert TOKEN not in page and WEBHOOK_SECRET not in page
    assert "A value is set." in page
    assert "/integrations/github/webhook/payments/" in page
    # A refused save re-renders the form without the secrets typed into it.
    refused = browser.post(url, {**form, "status_map_text": "closed = finished"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "is not one of open, in_progress, done, deprioritised" in html
    assert TOKEN not in html and WEBHOOK_SECRET not in html
    # Saving without retyping the token keeps it.
    browser.post(url, {**form, "api_token": "", "webhook_secret": ""})
    config.refresh_from_db()
    assert config.api_token == TOKEN and config.webhook_secret == WEBHOOK_SECRET
    assert cast.browser(cast.bob).get(url).status_code == 403
    assert cast.browser(cast.charlie).get("/teams/security/tracker/").status_code == 404


def test_secrets_are_never_logged_even_when_the_tracker_refuses_them(
    cast: Cast, jira: FakeJira, assign: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    wire(cast.payments, jira, api_token="jira-wrong-secret-token")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.ERROR
    refused = cast.browser(cast.alice).post(
        "/integrations/jira/webhook/payments/",
        data=b'{"webhookEvent": "jira:issue_updated"}',
        content_type="application/json",
        headers={"X-Hub-Signature": "sha256=00"},
    )
    assert refused.status_code == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the refusals were logged...
    for secret in ("jira-wrong-secret-token", WEBHOOK_SECRET):
        assert secret not in logged  # ...without the secrets
    shown = cast.api("bob").get(f"{API}/action-items/{item.pk}/tracker").json()
    assert shown["sync_state"] == "error" and "401" in shown["last_error"]
    assert "jira-wrong-secret-token" not in shown["last_error"]


def test_an_editor_retries_a_failed_item_and_an_untracked_item_says_so(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    config = wire(cast.payments, github, api_token="ghp_wrong")
    item = assign()
    untracked = assign(owner=None, title="Document the pool sizing rule in the runbook")
    answer = cast.api("bob").get(f"{API}/action-items/{untracked.pk}/tracker")
    assert answer.json() == {
        "action_item_id": untracked.pk,
        "sync_state": "not_tracked",
        "kind": None,
        "key": "",
        "url": "",
        "tracker_status": "",
        "notice": "",
        "last_error": "",
        "last_error_kind": "",
        "last_error_status": None,
        "attempts": 0,
        "next_attempt_at": None,
        "synced_at": None,
    }
    config.api_token = github.token
    config.save()
    assert cast.api("vera").post(f"{API}/action-items/{item.pk}/tracker/retry").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        retried = cast.api("bob").post(f"{API}/action-items/{item.pk}/tracker/retry")
    assert retried.status_code == 202
    shown = cast.api("bob").get(f"{API}/action-items/{item.pk}/tracker").json()
    assert (shown["sync_state"], shown["key"]) == ("synced", "#1")
    assert github.created == 1


def test_moving_a_team_from_jira_to_linear_never_sends_a_jira_account_id_to_linear(
    cast: Cast, jira: FakeJira, linear: FakeLinear, assign: Any
) -> None:
    """Issue 14: "issueCreate sent the owner's Jira accountId as assigneeId"."""
    wire(cast.payments, jira)
    assign()
    jira_id = jira.users["alice@example.com"]
    assert TrackerAccount.objects.get().account_id == jira_id
    api = cast.api("alice")
    url = f"{API}/teams/{cast.payments.pk}/tracker"
    moved = api.put_json(
        url,
        {
            "kind": "linear",
            "base_url": linear.url,
            "settings": {"team_id": next(iter(linear.teams))},
            "api_token": linear.api_key,
        },
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["accounts"] == []  # Jira's accounts are not Linear's
    assign(title="Page the on-call when the pool is saturated")
    [sent] = [i.input for i in linear.issues.values()]
    assert sent["assigneeId"] == linear.users["alice@example.com"] != jira_id
    # Someone Linear does not know gets no assignee at all, never a Jira id.
    del linear.users["alice@example.com"]
    TrackerAccount.objects.filter(kind="linear").delete()
    assign(title="Load-test the pool at twice the peak")
    assert "assigneeId" not in list(linear.issues.values())[-1].input
    # Back to Jira: its accounts are found again, without asking Jira.
    searches = len(jira.calls("GET", "/rest/api/3/user/search"))
    config = TrackerConfig.objects.get(team=cast.payments)
    config.kind, config.base_url, config.api_token = "jira", jira.url, "jira-token"
    config.settings = {"project_key": "PAY", "user_email": "bot@example.com"}
    config.save()
    assign(title="Add a dashboard panel for pool saturation")
    assert jira.issues[-1].fields["assignee"] == {"accountId": jira_id}
    assert len(jira.calls("GET", "/rest/api/3/user/search")) == searches


def test_accounts_given_through_the_api_belong_to_the_trackers_workspace(
    cast: Cast, github: FakeGitHub
) -> None:
    api = cast.api("alice")
    url = f"{API}/teams/{cast.payments.pk}/tracker"
    alice = cast.person(cast.alice).pk
    body = {**github_settings(github), "accounts": [{"person_id": alice, "account_id": "alice-gh"}]}
    answer = api.put_json(url, body)
    assert answer.status_code == 201, answer.content
    assert answer.json()["workspace"] == "127.0.0.1"
    assert answer.json()["accounts"] == [{"person_id": alice, "account_id": "alice-gh"}]
    account = TrackerAccount.objects.get()
    assert (account.kind, account.workspace) == ("github", "127.0.0.1")


def test_the_settings_page_sets_up_gitlab_and_shows_a_vendor_fields_error_beside_it(
    cast: Cast, gitlab: FakeGitLab
) -> None:
    browser = cast.browser(cast.alice)
    url = "/teams/payments/tracker/"
    page = browser.get(f"{url}?kind=gitlab").content.decode()
    assert "<legend>GitLab Issues</legend>" in page and 'name="gitlab__project"' in page
    form = {
        "kind": "gitlab",
        "enabled": "on",
        "base_url": gitlab.url,
        "gitlab__project": "acme/pay ments",
        "gitlab__labels": "postmortem",
        "api_token": gitlab.token,
        "webhook_secret": WEBHOOK_SECRET,
        "status_map_text": "",
    }
    refused = browser.post(url, form)
    assert refused.status_code == 422
    assert "String should match pattern" in refused.content.decode()
    assert not TrackerConfig.objects.exists()
    saved = browser.post(url, {**form, "gitlab__project": "acme/payments"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    config = TrackerConfig.objects.get(team=cast.payments)
    assert (config.kind, config.settings) == (
        "gitlab",
        {"project": "acme/payments", "labels": ["postmortem"]},
    )
    page = browser.get(url).content.decode()
    assert "/integrations/gitlab/webhook/payments/" in page
    assert "Secret token" in page  # GitLab's own words for where the secret goes
    assert 'value="acme/payments"' in page


def test_a_tracker_address_inside_the_network_is_refused_when_saved(
    cast: Cast, github: FakeGitHub, settings: Any
) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = []
    answer = cast.api("alice").put_json(
        f"{API}/teams/{cast.payments.pk}/tracker",
        {**github_settings(github), "base_url": "https://10.0.0.8/api/v3"},
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["loc"] == ["body", "base_url"] and "OUTBOUND_ALLOWED_HOSTS" in error["msg"]


def test_the_settings_page_shows_only_the_chosen_trackers_fields(cast: Cast) -> None:
    browser = cast.browser(cast.alice)
    url = "/teams/payments/tracker/"
    first = browser.get(url).content.decode()
    assert first.count('class="grid-3 vendor-settings"') == 1
    assert "<legend>Jira Cloud</legend>" in first, "nothing saved yet: the first tracker"
    assert "linear__" not in first and "github__" not in first
    for label in ("Jira Cloud", "Linear", "GitHub Issues", "GitLab Issues"):
        assert f">{label}</option>" in first, "every tracker can be chosen"

    # Without JavaScript: the choice is a plain GET form; with htmx, the same address.
    plain = browser.get(url, {"kind": "linear"}).content.decode()
    swapped = browser.get(url, {"kind": "linear"}, HTTP_HX_REQUEST="true").content.decode()
    for page in (plain, swapped):
        assert "<legend>Linear</legend>" in page and 'name="linear__team_id"' in page
        assert "jira__" not in page and "<legend>Jira Cloud</legend>" not in page
        assert '<option value="linear" selected>' in page
        assert '<input type="hidden" name="kind" value="linear"' in page
    unknown = browser.get(url, {"kind": "<script>"}).content.decode()
    assert (
        "<legend>Jira Cloud</legend>" in unknown and "<script>" not in unknown.split("<main", 1)[1]
    )


def test_saving_another_tracker_on_the_page_never_keeps_the_first_ones_secrets(
    cast: Cast, jira: FakeJira, linear: FakeLinear
) -> None:
    wire(cast.payments, jira)
    config = TrackerConfig.objects.get(team=cast.payments)
    jira_token, jira_secret = config.api_token, config.webhook_secret
    assert jira_token and jira_secret
    browser = cast.browser(cast.alice)
    url = "/teams/payments/tracker/"
    page = browser.get(url, {"kind": "linear"}).content.decode()
    assert "Jira Cloud's token and webhook secret are not kept" in page
    assert "A value is set." not in page
    assert jira_token not in page and jira_secret not in page
    form = {
        "kind": "linear",
        "enabled": "on",
        "base_url": linear.url,
        "linear__team_id": next(iter(linear.teams)),
        "api_token": "",
        "webhook_secret": "",
        "status_map_text": "",
    }

    refused = browser.post(url, form)

    assert refused.status_code == 422
    assert "Linear needs an API token." in refused.content.decode()
    config.refresh_from_db()
    assert (config.kind, config.api_token) == ("jira", jira_token), "nothing saved"

    saved = browser.post(url, {**form, "api_token": linear.api_key})

    assert saved.status_code == 302, saved.content.decode()[:2000]
    config.refresh_from_db()
    assert config.kind == "linear" and config.api_token == linear.api_key
    assert config.webhook_secret == "", "Jira's webhook secret is not Linear's"
    assert "A value is set." in browser.get(url).content.decode()


def test_the_api_never_keeps_another_trackers_secrets_either(
    cast: Cast, jira: FakeJira, github: FakeGitHub
) -> None:
    wire(cast.payments, jira)
    api = cast.api("alice")
    url = f"{API}/teams/{cast.payments.pk}/tracker"
    body = {**github_settings(github)}
    del body["api_token"], body["webhook_secret"]

    refused = api.put_json(url, body)

    assert refused.status_code == 422, refused.content
    assert TrackerConfig.objects.get(team=cast.payments).kind == "jira"
    moved = api.put_json(url, {**body, "api_token": TOKEN})
    assert moved.status_code == 200, moved.content
    assert moved.json()["token_set"] is True and moved.json()["webhook_secret_set"] is False
