"""Who gets a new account through single sign-on: only allowed domains (Google: the `hd`
claim), nobody when no domain is allowed, only invited people when invite-only; and the
provider must be https, except on loopback.

The attack (issue 12, item 12): accounts were made just in time with an empty domain list
by default (with Google as issuer, any Google account got in and read every public
incident), and http:// issuers were accepted anywhere.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from conftest import Cast
from followthrough.cli import main
from followthrough.web.accounts import oidc
from followthrough.web.history.models import Change
from followthrough.web.settings import oidc_settings

from .conftest import Configure
from .identity_provider import Provider
from .sso import DOMAIN, refusal_on_login_page, sign_in, signed_in_as


def test_with_no_allowed_domain_nobody_new_gets_in(
    cast: Cast, provider: Provider, configure: Configure, client: Client
) -> None:
    users = User.objects.count()
    provider.login_as("stranger@gmail.example")
    page = refusal_on_login_page(client, sign_in(client, provider))
    assert signed_in_as(client) is None
    assert "New accounts are not made through Example SSO here (no domain is allowed)" in page
    assert User.objects.count() == users


def test_only_addresses_of_an_allowed_domain_get_a_new_account(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("nia@example.com", sub="00u-nia")
    nia = Client()
    sign_in(nia, provider)
    account = signed_in_as(nia)
    assert account is not None
    made = Change.objects.get(content_type__model="user", object_id=str(account.pk))
    assert (made.action, made.actor_label) == ("create", "single sign-on")
    assert "new account for nia@example.com (subject 00u-nia" in made.note
    provider.login_as("nia@example.com.evil.example")
    other = Client()
    page = refusal_on_login_page(other, sign_in(other, provider))
    assert "Addresses at example.com.evil.example may not get an account here" in page


def _as_google(settings: Any, **env: str) -> None:
    """Google as the issuer (a decision about claims: no browser can reach Google here)."""
    for name, value in oidc_settings(
        {
            "FOLLOWTHROUGH_OIDC_ISSUER": "https://accounts.google.com",
            "FOLLOWTHROUGH_OIDC_CLIENT_ID": "x.apps.googleusercontent.com",
            "FOLLOWTHROUGH_OIDC_CLIENT_SECRET": "s",
            "FOLLOWTHROUGH_OIDC_NAME": "Google",
            **env,
        }
    ).items():
        setattr(settings, name, value)


def test_with_google_as_issuer_only_workspace_accounts_of_an_allowed_hd_get_in(
    cast: Cast, settings: Any
) -> None:
    from followthrough.web.accounts.identities import SignInRefused, admit

    _as_google(settings, FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS="example.com")
    # A personal Google account registered with a company address (a former employee's,
    # say) has a verified address of the domain but no hd claim.
    personal = {"sub": "1001", "email": "leaver@example.com", "email_verified": True}
    with pytest.raises(SignInRefused, match="personal Google account"):
        admit(personal)
    other_workspace = {**personal, "sub": "1002", "email": "x@other.example", "hd": "other.example"}
    with pytest.raises(SignInRefused, match="Addresses at other.example may not get an account"):
        admit(other_workspace)
    ours = admit({**personal, "sub": "1003", "email": "ok@example.com", "hd": "example.com"})
    assert ours.email == "ok@example.com"  # type: ignore[attr-defined]


def test_invite_only_lets_in_only_people_an_admin_invited(
    cast: Cast, provider: Provider, configure: Configure, settings: Any
) -> None:
    configure(FOLLOWTHROUGH_OIDC_INVITE_ONLY="true", **DOMAIN)
    provider.login_as("walk-in@example.com")
    walk_in = Client()
    page = refusal_on_login_page(walk_in, sign_in(walk_in, provider))
    assert "Only people an admin has invited can sign in here" in page

    invited = CliRunner().invoke(main, ["invite", "Olu@Example.com", "--name", "Olu Ade"])
    assert invited.exit_code == 0, invited.output
    account = User.objects.get(email__iexact="olu@example.com")
    assert not account.has_usable_password()
    provider.login_as("olu@example.com", sub="00u-olu")
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == account
    assert account.person.name == "Olu Ade"  # type: ignore[attr-defined]
    # The invitation is used up: the same address from another subject is someone else.
    provider.login_as("olu@example.com", sub="00u-not-olu")
    other = Client()
    refusal_on_login_page(other, sign_in(other, provider))
    assert signed_in_as(other) is None


def test_an_admin_account_cannot_be_invited(cast: Cast, configure: Configure) -> None:
    result = CliRunner().invoke(main, ["invite", "admin@example.com"])
    assert result.exit_code == 2 and "is an admin account" in result.output


def _ids(found: list[checks.CheckMessage]) -> set[str]:
    return {m.id for m in found if m.id}


def test_manage_check_warns_when_nobody_can_get_an_account_and_not_invite_only(
    db: None, configure: Configure
) -> None:
    assert "followthrough.W101" in _ids(checks.run_checks())
    configure(**DOMAIN)
    assert "followthrough.W101" not in _ids(checks.run_checks())
    configure(FOLLOWTHROUGH_OIDC_INVITE_ONLY="true")
    assert "followthrough.W101" not in _ids(checks.run_checks())


@pytest.mark.parametrize(
    "variable",
    ["FOLLOWTHROUGH_OIDC_ISSUER", "FOLLOWTHROUGH_OIDC_TOKEN_ENDPOINT"],
)
def test_an_http_provider_off_loopback_is_a_system_check_error(
    db: None, configure: Configure, variable: str
) -> None:
    configure(**{variable: "http://login.example.com/realms/staff"})
    with pytest.raises(SystemCheckError, match=re.escape(variable)):
        call_command("check")
    assert oidc.insecure_urls() == {variable: "http://login.example.com/realms/staff"}


@pytest.mark.parametrize(
    "url",
    [
        "https://login.example.com",
        "http://127.0.0.1:8081",
        "http://localhost:8081",
        "http://[::1]:8",
    ],
)
def test_https_and_loopback_providers_pass_the_check(
    db: None, configure: Configure, url: str
) -> None:
    configure(FOLLOWTHROUGH_OIDC_ISSUER=url, **DOMAIN)
    assert not [m for m in checks.run_checks() if m.is_serious()]


def test_an_http_provider_is_refused_at_sign_in_too(
    db: None, configure: Configure, client: Client
) -> None:
    # Endpoints given explicitly: nothing to discover, so only the scheme can stop it.
    configure(
        FOLLOWTHROUGH_OIDC_ISSUER="http://login.example.com",
        FOLLOWTHROUGH_OIDC_AUTHORIZATION_ENDPOINT="http://login.example.com/authorize",
        FOLLOWTHROUGH_OIDC_TOKEN_ENDPOINT="http://login.example.com/token",
        FOLLOWTHROUGH_OIDC_USERINFO_ENDPOINT="http://login.example.com/userinfo",
        FOLLOWTHROUGH_OIDC_JWKS_ENDPOINT="http://login.example.com/jwks",
    )
    page = refusal_on_login_page(client, client.get("/oidc/authenticate/"))
    assert "Example SSO is not set up with an https address" in page


def test_a_group_mapping_that_is_not_json_stops_the_start() -> None:
    env = {
        "FOLLOWTHROUGH_OIDC_ISSUER": "https://login.example.com",
        "FOLLOWTHROUGH_OIDC_CLIENT_ID": "x",
        "FOLLOWTHROUGH_OIDC_CLIENT_SECRET": "y",
    }
    with pytest.raises(ImproperlyConfigured, match="FOLLOWTHROUGH_OIDC_TEAM_GROUPS"):
        oidc_settings({**env, "FOLLOWTHROUGH_OIDC_TEAM_GROUPS": "sre=payments:lead"})
    with pytest.raises(ImproperlyConfigured, match="must be true or false"):
        oidc_settings({**env, "FOLLOWTHROUGH_OIDC_INVITE_ONLY": "sometimes"})


def test_hostile_claims_are_cut_or_refused_never_an_error(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as(
        "nul@example.com",
        sub="00u-nul",
        name="Nia\x00 " + "N" * 300,
        given_name="Nia\x00",
        family_name="F" * 400,
        groups=["a\x00b"],
    )
    client = Client()
    sign_in(client, provider)
    nia = signed_in_as(client)
    assert nia is not None and nia.first_name == "Nia" and len(nia.last_name) == 150
    assert "\x00" not in nia.person.name and len(nia.person.name) == 150  # type: ignore[attr-defined]

    provider.login_as("x" * 250 + "@example.com", sub="00u-long")
    long_address = Client()
    page = refusal_on_login_page(long_address, sign_in(long_address, provider))
    assert "did not share a usable e-mail address" in page

    provider.login_as("nia2@example.com", sub="00u-\x00")
    nul_subject = Client()
    page = refusal_on_login_page(nul_subject, sign_in(nul_subject, provider))
    assert "subject id followthrough cannot use" in page
