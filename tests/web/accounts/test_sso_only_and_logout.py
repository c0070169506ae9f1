"""Passwords for admins only, and logging out at the provider (RP-initiated logout)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from django.test import Client

from conftest import PASSWORD, Cast

from .conftest import Configure
from .identity_provider import CLIENT_ID, Provider
from .sso import DOMAIN, sign_in, signed_in_as

SSO_ONLY = {"FOLLOWTHROUGH_OIDC_SSO_ONLY": "true"}


def _password_sign_in(client: Client, username: str) -> object:
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_with_sso_only_the_password_form_refuses_a_non_admin_with_a_sentence(
    cast: Cast, configure: Configure
) -> None:
    configure(**SSO_ONLY)
    client = Client()
    page = _password_sign_in(client, "bob")
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert "Only admins sign in with a password here; everyone else signs in with Example SSO" in (
        page.content.decode()  # type: ignore[attr-defined]
    )
    assert signed_in_as(client) is None
    assert "Admins only: sign in with a followthrough password" in page.content.decode()  # type: ignore[attr-defined]


def test_with_sso_only_an_admin_still_signs_in_with_a_password(
    cast: Cast, configure: Configure
) -> None:
    configure(**SSO_ONLY)
    client = Client()
    assert _password_sign_in(client, "admin")["Location"] == "/"  # type: ignore[index]
    assert signed_in_as(client) == cast.admin
    assert client.get("/").status_code == 200


def test_turning_sso_only_on_ends_the_password_sessions_of_non_admins(
    cast: Cast, configure: Configure
) -> None:
    client = Client()
    _password_sign_in(client, "bob")
    assert client.get("/").status_code == 200
    configure(**SSO_ONLY)
    assert client.get("/")["Location"].startswith("/login/")


def test_without_sso_only_passwords_work_for_everyone(cast: Cast, configure: Configure) -> None:
    client = Client()
    assert _password_sign_in(client, "bob")["Location"] == "/"  # type: ignore[index]


def test_logging_out_ends_the_session_at_the_provider_too_when_asked(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN, FOLLOWTHROUGH_OIDC_LOGOUT_AT_PROVIDER="true")
    provider.login_as("nia@example.com")
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) is not None

    out = client.post("/logout/")
    assert out.status_code == 302
    location = urlsplit(out["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == provider.issuer + "/logout"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["id_token_hint"] == provider.issued_id_tokens[-1]
    assert query["post_logout_redirect_uri"] == "http://testserver/login/"
    assert query["client_id"] == CLIENT_ID
    assert signed_in_as(client) is None
    # The provider accepts it and sends the browser back to our login page.
    at_provider = httpx.get(out["Location"], follow_redirects=False)
    assert at_provider.status_code == 302
    assert at_provider.headers["location"] == "http://testserver/login/"


def test_logout_stays_local_without_the_option_or_for_a_password_session(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("nia@example.com")
    client = Client()
    sign_in(client, provider)
    assert client.post("/logout/")["Location"] == "/login/"

    configure(**DOMAIN, FOLLOWTHROUGH_OIDC_LOGOUT_AT_PROVIDER="true")
    password = Client()
    _password_sign_in(password, "bob")
    assert password.post("/logout/")["Location"] == "/login/"
    assert provider.logouts == []


def test_a_provider_without_an_end_session_endpoint_gets_a_local_logout(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    provider.with_end_session = False
    configure(**DOMAIN, FOLLOWTHROUGH_OIDC_LOGOUT_AT_PROVIDER="true")
    provider.login_as("nia@example.com")
    client = Client()
    sign_in(client, provider)
    assert client.post("/logout/")["Location"] == "/login/"
    assert signed_in_as(client) is None
