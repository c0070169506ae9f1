"""Invitations: an account waiting for its first sign-in, made by an admin (the admin site),
by SCIM, or by the upgrade for accounts that came from single sign-on before identities."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from conftest import Cast
from followthrough.web.accounts.models import SsoIdentity

from .conftest import Configure
from .identity_provider import Provider
from .sso import refusal_on_login_page, sign_in, signed_in_as


def test_an_admin_invites_an_existing_account_in_the_admin_site_and_its_owner_claims_it(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(FOLLOWTHROUGH_OIDC_INVITE_ONLY="true")
    admin = cast.browser(cast.admin)
    form = admin.get("/admin/accounts/ssoidentity/add/").content.decode()
    assert f'value="{provider.issuer}"' in form  # the issuer is filled in
    added = admin.post(
        "/admin/accounts/ssoidentity/add/",
        {"user": cast.bob.pk, "issuer": provider.issuer, "email": "bob@example.com"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    provider.login_as("bob@example.com", sub="00u-bob")
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == cast.bob
    assert SsoIdentity.objects.get(user=cast.bob).subject == "00u-bob"


def test_the_admin_site_refuses_to_invite_an_admin_account(
    cast: Cast, configure: Configure
) -> None:
    admin = cast.browser(cast.admin)
    refused = admin.post(
        "/admin/accounts/ssoidentity/add/",
        {"user": cast.admin.pk, "issuer": "https://login.example.com", "email": "a@example.com"},
    )
    assert refused.status_code == 200
    assert "never takes over an admin" in refused.content.decode()
    assert not SsoIdentity.objects.exists()


def test_an_invitation_for_an_account_made_admin_since_is_refused_at_sign_in(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    configure(FOLLOWTHROUGH_OIDC_INVITE_ONLY="true")
    SsoIdentity.objects.create(user=cast.vera, issuer=provider.issuer, email="vera@example.com")
    User.objects.filter(pk=cast.vera.pk).update(is_superuser=True)
    provider.login_as("vera@example.com")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert "is an admin account" in page


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_invites_the_accounts_single_sign_on_made_before(
    provider: Provider, settings: Any
) -> None:
    from followthrough.web.settings import oidc_settings

    for name, value in oidc_settings(provider.env()).items():
        setattr(settings, name, value)
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_apitoken_scope_and_required_expiry")])
    try:
        came_by_sso = User.objects.create(
            username="sso-made",
            email="sso@example.com",
            password=make_password(None),
            last_login=timezone.now(),
        )
        User.objects.create(  # an API-only account that never signed in
            username="robot", email="robot@example.com", password=make_password(None)
        )
        User.objects.create(
            username="root",
            email="root@example.com",
            password=make_password(None),
            last_login=timezone.now(),
            is_superuser=True,
            is_staff=True,
        )
        User.objects.create(
            username="local",
            email="local@example.com",
            password=make_password("pw"),
            last_login=timezone.now(),
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    invited = SsoIdentity.objects.get()
    assert (invited.user_id, invited.issuer, invited.subject, invited.email) == (
        came_by_sso.pk,
        provider.issuer,
        "",
        "sso@example.com",
    )


def test_an_invitation_claimed_meanwhile_by_another_sign_in_is_not_claimed_twice(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    from django.db import IntegrityError

    from followthrough.web.accounts.identities import Claims, SignInRefused, _claim, admit

    invitation = SsoIdentity.objects.create(
        user=cast.bob, issuer=provider.issuer, email="bob@example.com"
    )
    seen_before = SsoIdentity.objects.get(pk=invitation.pk)
    SsoIdentity.objects.filter(pk=invitation.pk).update(subject="00u-first")  # the other tab
    second = {"sub": "00u-second", "email": "bob@example.com", "email_verified": True}
    with pytest.raises(IntegrityError):
        _claim(seen_before, Claims.of(second))
    with pytest.raises(SignInRefused):
        admit(second)
    assert SsoIdentity.objects.get(pk=invitation.pk).subject == "00u-first"
