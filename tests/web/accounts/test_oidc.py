"""Single sign-on: the real flow against a provider on loopback, browser to callback."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from conftest import Cast
from followthrough.web.accounts import oidc
from followthrough.web.accounts.models import Membership, Person, Role
from followthrough.web.settings import oidc_settings

from .conftest import Configure
from .identity_provider import Provider
from .sso import DOMAIN, refusal_on_login_page, sign_in, signed_in_as


def test_the_login_page_offers_the_configured_provider(
    db: None, configure: Configure, client: Client
) -> None:
    page = client.get("/login/").content.decode()
    assert "Sign in with Example SSO" in page
    assert 'href="/oidc/authenticate/"' in page


def test_a_new_person_signs_in_and_gets_an_account_they_can_be_put_on_a_team_with(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(**DOMAIN)
    provider.login_as(
        "nia.newcomer@example.com", name="Nia Newcomer", given_name="Nia", family_name="Newcomer"
    )
    response = sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_as(client)
    assert user is not None
    assert (user.username, user.email) == ("nia.newcomer", "nia.newcomer@example.com")
    assert (user.first_name, user.last_name) == ("Nia", "Newcomer")
    assert not user.has_usable_password()
    person = Person.objects.get(user=user)
    assert (person.name, person.email) == ("Nia Newcomer", "nia.newcomer@example.com")
    Membership.objects.create(team=cast.payments, person=person, role=Role.EDITOR)
    assert client.get("/").status_code == 200


def test_an_existing_account_is_linked_by_its_address_whatever_its_case_when_an_admin_allows_it(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(FOLLOWTHROUGH_OIDC_LINK_EXISTING_ACCOUNTS="true")
    users_before = User.objects.count()
    provider.login_as("ALICE@Example.COM")
    sign_in(client, provider)
    assert signed_in_as(client) == cast.alice
    assert User.objects.count() == users_before
    assert Person.objects.filter(user=cast.alice).count() == 1


def test_someone_already_on_a_team_without_a_login_gets_their_person_linked_when_linking_is_allowed(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(**DOMAIN, FOLLOWTHROUGH_OIDC_LINK_EXISTING_ACCOUNTS="true")
    provider.login_as("ivan@example.com", name="Ivan P.")
    sign_in(client, provider)
    user = signed_in_as(client)
    assert user is not None and user.username == "ivan"
    cast.ivan.refresh_from_db()
    assert cast.ivan.user == user
    assert Person.objects.filter(email__iexact="ivan@example.com").count() == 1


def test_a_forged_id_token_signed_with_another_key_is_refused(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    users_before = User.objects.count()
    provider.login_as("alice@example.com")
    provider.forge_with_other_key = True
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "could not be verified, so you were not signed in" in page
    assert User.objects.count() == users_before


def test_an_id_token_issued_to_another_client_is_refused(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    provider.login_as("alice@example.com")
    provider.audience = "some-other-application"
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "could not be verified" in page


def test_signing_in_returns_to_the_page_that_asked_and_only_to_this_site(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(**DOMAIN)
    provider.login_as("nia@example.com")
    assert (
        'href="/oidc/authenticate/?next=/teams/"'
        in client.get("/login/?next=/teams/").content.decode()
    )
    assert (
        sign_in(client, provider, start="/oidc/authenticate/?next=/teams/")["Location"] == "/teams/"
    )
    client.logout()
    evil = sign_in(client, provider, start="/oidc/authenticate/?next=https://evil.example/")
    assert evil["Location"] == "/"


def test_a_wrong_state_is_refused_before_the_code_is_used(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    provider.login_as("alice@example.com")
    page = refusal_on_login_page(client, sign_in(client, provider, tamper_state=True))
    assert signed_in_as(client) is None
    assert "was not started in this browser or has already been used" in page
    assert provider.token_requests == 0


def test_a_callback_replayed_after_signing_in_is_refused(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("nia@example.com")
    first = Client()
    start = first.get("/oidc/authenticate/")
    back = urlsplit(httpx.get(start["Location"]).headers["location"])
    callback = back.path + "?" + back.query
    assert first.get(callback)["Location"] == "/"
    first.logout()
    page = refusal_on_login_page(first, first.get(callback))
    assert "has already been used" in page
    assert signed_in_as(first) is None


def test_an_address_outside_the_allowed_domains_is_refused(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(
        FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS="example.com, example.org",
        FOLLOWTHROUGH_OIDC_LINK_EXISTING_ACCOUNTS="true",
    )
    provider.login_as("mallory@elsewhere.net")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "Addresses at elsewhere.net may not get an account here" in page
    assert not User.objects.filter(email="mallory@elsewhere.net").exists()
    provider.login_as("Bob@EXAMPLE.com")
    sign_in(client, provider)
    assert signed_in_as(client) == cast.bob


def test_an_address_the_provider_has_not_verified_is_refused(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    provider.login_as("alice@example.com", verified=False)
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "has not verified the address alice@example.com" in page


def test_explicit_endpoints_need_no_discovery(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(
        **DOMAIN,
        FOLLOWTHROUGH_OIDC_AUTHORIZATION_ENDPOINT=provider.issuer + "/authorize",
        FOLLOWTHROUGH_OIDC_TOKEN_ENDPOINT=provider.issuer + "/token",
        FOLLOWTHROUGH_OIDC_USERINFO_ENDPOINT=provider.issuer + "/userinfo",
        FOLLOWTHROUGH_OIDC_JWKS_ENDPOINT=provider.issuer + "/jwks",
        FOLLOWTHROUGH_OIDC_ISSUER=provider.issuer,
    )
    provider.login_as("nia@example.com")
    sign_in(client, provider)
    user = signed_in_as(client)
    assert user is not None and user.email == "nia@example.com"
    assert oidc._discover.cache_info().currsize == 0


def test_a_provider_that_cannot_be_reached_is_a_message_not_an_error(
    db: None, settings: Any, client: Client
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    env = Provider(issuer=f"http://127.0.0.1:{closed}").env()
    for name, value in oidc_settings(env).items():
        setattr(settings, name, value)
    oidc._discover.cache_clear()
    page = refusal_on_login_page(client, client.get("/oidc/authenticate/"))
    assert "cannot be reached just now" in page


def test_with_single_sign_on_off_there_is_no_button_and_its_routes_are_404(
    db: None, client: Client
) -> None:
    from django.conf import settings

    assert settings.OIDC_ENABLED is False
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_half_configured_single_sign_on_stops_the_start_with_the_missing_names() -> None:
    with pytest.raises(ImproperlyConfigured, match="FOLLOWTHROUGH_OIDC_CLIENT_SECRET"):
        oidc_settings(
            {
                "FOLLOWTHROUGH_OIDC_ISSUER": "https://id.example.com",
                "FOLLOWTHROUGH_OIDC_CLIENT_ID": "x",
            }
        )
    assert oidc_settings({})["OIDC_ENABLED"] is False


def test_a_newcomer_whose_name_is_taken_gets_the_next_free_username(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS="partner.example.net")
    provider.login_as("alice@partner.example.net")
    sign_in(client, provider)
    user = signed_in_as(client)
    assert user is not None and user != cast.alice
    assert (user.username, user.email) == ("alice-2", "alice@partner.example.net")


def test_two_accounts_sharing_the_address_are_refused_rather_than_guessed(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    User.objects.create_user("alice-old", email="Alice@example.com")
    provider.login_as("alice@example.com")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "More than one account has the address alice@example.com" in page
