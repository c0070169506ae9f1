"""An identity from the provider is linked to an existing account only when an admin allows
it, and never to an admin's.

The attack (issue 12, item 12): any provider user with an address equal to a local
account's took that account over, the demo admin's included; with
FOLLOWTHROUGH_OIDC_ASSUME_EMAIL_VERIFIED that is the pattern of Grafana's CVE-2023-3128
(an Azure AD user setting their unverified address to an admin's).
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import Cast
from followthrough.web.history.models import Change

from .conftest import Configure
from .identity_provider import Provider
from .sso import refusal_on_login_page, sign_in, signed_in_as

LINKING = {"FOLLOWTHROUGH_OIDC_LINK_EXISTING_ACCOUNTS": "true"}


def test_linking_to_an_existing_account_is_off_by_default_and_says_so(
    cast: Cast,
    provider: Provider,
    configure: Configure,
    client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure(FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS="example.com")
    provider.login_as("alice@example.com", sub="00u-someone-claiming-alice")
    with caplog.at_level(logging.WARNING):
        page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "An account with the address alice@example.com already exists here" in page
    assert "single sign-on may not take over an existing account" in page
    assert any(
        r.levelno == logging.WARNING and "linking_not_allowed" in r.getMessage()
        for r in caplog.records
    )
    refused = Change.objects.get(content_type__model="ssorefusal")
    assert refused.after["reason"] == "linking_not_allowed"
    assert refused.after["email"] == "alice@example.com"
    assert refused.after["user"] == cast.alice.pk
    assert refused.actor_label == "single sign-on"


@pytest.mark.parametrize("verified", [True, False])
def test_the_admin_account_is_never_taken_over_even_with_linking_and_assumed_verification(
    cast: Cast, provider: Provider, configure: Configure, client: Client, verified: bool
) -> None:
    # CVE-2023-3128's pattern: the provider does not verify addresses, followthrough is told
    # to assume it does, and someone sets their address to the admin's.
    configure(**LINKING, FOLLOWTHROUGH_OIDC_ASSUME_EMAIL_VERIFIED="true")
    provider.login_as("admin@example.com", sub="00u-mallory", verified=verified)
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "is an admin account, and single sign-on never signs in to an existing admin" in page
    assert not hasattr(cast.admin, "sso_identity") or cast.admin.sso_identity is None


def test_a_staff_account_is_never_linked_either(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(**LINKING)
    User.objects.filter(pk=cast.vera.pk).update(is_staff=True)
    provider.login_as("vera@example.com")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "is an admin account" in page


def test_with_linking_allowed_an_account_is_linked_once_and_the_link_is_in_the_history(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**LINKING)
    provider.login_as("bob@example.com", sub="00u-bob")
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == cast.bob
    linked = Change.objects.get(content_type__model="ssoidentity", action="create")
    assert linked.after["subject"] == "00u-bob" and linked.after["user"] == cast.bob.pk
    assert "linked" in linked.note and linked.actor_label == "single sign-on"

    # Bob's account now follows 00u-bob: another subject with his address never gets it.
    provider.login_as("bob@example.com", sub="00u-not-bob")
    other = Client()
    page = refusal_on_login_page(other, sign_in(other, provider))
    assert signed_in_as(other) is None
    assert "New accounts are not made through Example SSO here" in page


def test_a_disabled_account_is_not_linked(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(**LINKING)
    User.objects.filter(pk=cast.charlie.pk).update(is_active=False)
    provider.login_as("charlie@example.com")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "Your account is disabled" in page
