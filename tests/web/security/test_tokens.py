"""API tokens: scopes, expiry and revocation, and a secret that is shown exactly once."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from conftest import ApiClient, Cast
from followthrough.cli import main
from followthrough.web.accounts.models import ApiToken, TokenRefused, TokenScope
from followthrough.web.incidents.models import Incident

API = "/api/v1"


def incident_body(cast: Cast) -> dict[str, Any]:
    return {
        "team_id": cast.payments.pk,
        "title": "Card payments declined in the EU",
        "severity": "P2",
        "started_at": "2026-03-06T09:00:00+01:00",
    }


def create_on_page(browser: Client, **fields: Any) -> tuple[Any, str | None]:
    """Submit the new-token form: (response, the secret shown on it or None)."""
    data = {"name": "CI lint job", "scope": "write", "expires_days": "90", **fields}
    response = browser.post("/account/tokens/", data)
    found = re.search(r"ft_[A-Za-z0-9_-]{20,}", response.content.decode())
    return response, found.group(0) if found else None


def test_a_read_token_cannot_create_an_incident_and_says_why(cast: Cast) -> None:
    _, raw = ApiToken.issue(cast.alice, name="dashboard", scope=TokenScope.READ)
    client = ApiClient(raw)
    before = Incident.objects.count()
    response = client.post_json(f"{API}/incidents", incident_body(cast))
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert "POST refused" in response.json()["detail"]
    assert Incident.objects.count() == before
    assert client.get(f"{API}/incidents").status_code == 200


@pytest.mark.parametrize("method", ["patch", "delete"])  # the API has no PUT
def test_a_read_token_is_refused_on_every_unsafe_method(cast: Cast, method: str) -> None:
    incident = cast.incident()
    _, raw = ApiToken.issue(cast.alice, scope=TokenScope.READ)
    response = getattr(ApiClient(raw), method)(
        f"{API}/incidents/{incident.pk}", {"title": "changed"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.title == "Checkout returned 502 for EU customers"


def test_a_write_token_and_the_browser_session_may_still_create_incidents(cast: Cast) -> None:
    _, raw = ApiToken.issue(cast.alice, scope=TokenScope.WRITE)
    assert ApiClient(raw).post_json(f"{API}/incidents", incident_body(cast)).status_code == 201
    browser = cast.browser(cast.alice)
    response = browser.post(
        f"{API}/incidents", incident_body(cast), content_type="application/json"
    )
    assert response.status_code == 201


def test_the_secret_is_shown_once_and_the_list_never_shows_it(cast: Cast) -> None:
    browser = cast.browser(cast.bob)
    response, raw = create_on_page(browser, name="laptop script", scope="read")
    assert response.status_code == 200 and raw is not None
    assert "shown this once" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=cast.bob, name="laptop script")
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.scope == TokenScope.READ
    listing = browser.get("/account/tokens/")
    page = listing.content.decode()
    assert listing.status_code == 200
    assert raw not in page and token.digest not in page
    assert token.prefix in page and "laptop script" in page and "live" in page
    assert raw not in browser.get("/account/tokens/").content.decode()


def test_a_new_token_expires_after_the_days_chosen(cast: Cast) -> None:
    browser = cast.browser(cast.alice)
    create_on_page(browser, name="short", expires_days="7")
    token = ApiToken.objects.get(user=cast.alice, name="short")
    assert timedelta(days=7) - (token.expires_at - timezone.now()) < timedelta(minutes=1)
    default, _ = ApiToken.issue(cast.alice)
    assert timedelta(days=90) - (default.expires_at - timezone.now()) < timedelta(minutes=1)
    with pytest.raises(TokenRefused):
        ApiToken.issue(cast.alice, expires_at=timezone.now() + timedelta(days=366))


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "at least 1 day"),
        ("366", "at most 365 days"),
        ("ninety", "whole number of days"),
        ("", "This field is required"),
    ],
)
def test_a_bad_expiry_gives_a_form_error_and_creates_nothing(
    cast: Cast, days: str, message: str
) -> None:
    before = ApiToken.objects.count()
    response, raw = create_on_page(cast.browser(cast.alice), expires_days=days)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "no token was created" in response.content.decode()
    assert raw is None
    assert ApiToken.objects.count() == before


def test_a_token_revoked_on_the_page_gets_401(cast: Cast) -> None:
    browser = cast.browser(cast.alice)
    _, raw = create_on_page(browser)
    assert raw is not None
    client = ApiClient(raw)
    assert client.get(f"{API}/incidents").status_code == 200
    token = ApiToken.objects.get(user=cast.alice, name="CI lint job")
    response = browser.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked" in response.content.decode()
    assert client.get(f"{API}/incidents").status_code == 401
    assert "revoked" in browser.get("/account/tokens/").content.decode()


def test_an_expired_token_gets_401(cast: Cast) -> None:
    _, raw = ApiToken.issue_for_days(cast.alice, "short-lived", days=1, scope=TokenScope.READ)
    client = ApiClient(raw)
    assert client.get(f"{API}/incidents").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = client.get(f"{API}/incidents")
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]
        page = cast.browser(cast.alice).get("/account/tokens/").content.decode()
        assert "expired" in page


def test_someone_elses_token_cannot_be_revoked(cast: Cast) -> None:
    alices = ApiToken.objects.get(user=cast.alice)
    response = cast.browser(cast.bob).post(f"/account/tokens/{alices.pk}/revoke/")
    assert response.status_code == 404
    alices.refresh_from_db()
    assert alices.revoked_at is None
    assert cast.api("alice").get(f"{API}/incidents").status_code == 200
    assert alices.prefix not in cast.browser(cast.bob).get("/account/tokens/").content.decode()


def test_revoking_needs_a_post_with_the_csrf_token(cast: Cast) -> None:
    token = ApiToken.objects.get(user=cast.alice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    assert browser.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert browser.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revokes_anyones_token_in_the_admin(cast: Cast) -> None:
    token = ApiToken.objects.get(user=cast.bob)
    response = cast.browser(cast.admin).post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [str(token.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Revoked 1 token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert cast.api("bob").get(f"{API}/incidents").status_code == 401


def test_the_api_tokens_page_is_in_the_navigation_for_signed_in_people(cast: Cast) -> None:
    assert 'href="/account/tokens/"' in cast.browser(cast.vera).get("/").content.decode()
    assert Client().get("/account/tokens/")["Location"].startswith("/login/")


@pytest.mark.django_db(transaction=True)
def test_createuser_issues_a_token_with_the_scope_and_expiry_asked_for() -> None:
    result = CliRunner().invoke(
        main, ["createuser", "reader", "--token", "--scope", "read", "--expires-days", "30"]
    )
    assert result.exit_code == 0, result.output
    token = ApiToken.objects.get(user__username="reader")
    assert token.scope == TokenScope.READ
    assert timedelta(days=30) - (token.expires_at - timezone.now()) < timedelta(minutes=1)
    assert "read, expires" in result.output
    refused = CliRunner().invoke(
        main, ["createuser", "longlived", "--token", "--expires-days", "400"]
    )
    assert refused.exit_code == 2
    assert not ApiToken.objects.filter(user__username="longlived").exists()
