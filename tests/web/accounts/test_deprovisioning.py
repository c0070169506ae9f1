"""A disabled account's sessions and tokens stop at once, and `followthrough deprovision`
takes an account's access away for good.

The attack (issue 12, item 12): deleting someone at the provider ended nothing: their
14-day session (the single sign-on one was never re-checked) and their API tokens of up to
365 days went on working.
"""

from __future__ import annotations

from click.testing import CliRunner
from django.contrib.auth.models import User
from django.test import Client

from conftest import PASSWORD, ApiClient, Cast
from followthrough.cli import main
from followthrough.web.accounts.models import ApiToken
from followthrough.web.history.models import Change

from .conftest import Configure
from .identity_provider import Provider
from .sso import DOMAIN, sign_in, signed_in_as


def test_a_deactivated_accounts_token_gets_401_and_its_session_the_login_page_at_once(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**DOMAIN)
    provider.login_as("nia@example.com")
    browser = Client()
    sign_in(browser, provider)
    nia = signed_in_as(browser)
    assert nia is not None
    _, raw = ApiToken.issue(nia)
    api = ApiClient(raw)
    assert api.get("/api/v1/incidents").status_code == 200
    assert browser.get("/").status_code == 200

    User.objects.filter(pk=nia.pk).update(is_active=False)  # however it was disabled

    assert api.get("/api/v1/incidents").status_code == 401
    page = browser.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_deprovision_disables_revokes_every_token_and_ends_every_session(cast: Cast) -> None:
    browser = Client()
    browser.post("/login/", {"username": "bob", "password": PASSWORD})
    assert browser.get("/").status_code == 200
    api = cast.api("bob")
    result = CliRunner().invoke(main, ["deprovision", "bob"])
    assert result.exit_code == 0, result.output
    assert "bob disabled: 1 token(s) revoked, every session ended." in result.stdout
    assert "Deprovisioned bob (by followthrough deprovision)" in result.stderr  # the log

    assert api.get("/api/v1/incidents").status_code == 401
    assert browser.get("/")["Location"].startswith("/login/")
    # Enabling the account again brings neither the token nor the session back.
    User.objects.filter(pk=cast.bob.pk).update(is_active=True)
    assert api.get("/api/v1/incidents").status_code == 401
    assert browser.get("/")["Location"].startswith("/login/")
    assert not ApiToken.objects.filter(user=cast.bob, revoked_at=None).exists()

    change = Change.objects.get(
        content_type__model="user", object_id=str(cast.bob.pk), action="update"
    )
    assert change.before["is_active"] is True and change.after["is_active"] is False
    assert change.after["password"] == "replaced"
    assert change.actor_label == "cli: deprovision"


def test_deprovision_refuses_an_unknown_account_and_the_last_admin(cast: Cast) -> None:
    unknown = CliRunner().invoke(main, ["deprovision", "nobody"])
    assert unknown.exit_code == 2 and "there is no account named 'nobody'" in unknown.output
    last = CliRunner().invoke(main, ["deprovision", "admin"])
    assert last.exit_code == 2 and "last active admin" in last.output
    assert User.objects.get(pk=cast.admin.pk).is_active


def test_account_changes_are_in_the_history_for_admins_only(cast: Cast) -> None:
    CliRunner().invoke(main, ["deprovision", "vera"])
    query = {"type": "account", "action": "update"}
    admin_sees = cast.api("admin").get("/api/v1/history", query).json()["items"]
    assert [c["object_repr"] for c in admin_sees] == ["vera"]
    for who in ("alice", "charlie"):
        items = cast.api(who).get("/api/v1/history").json()["items"]
        assert not [c for c in items if c["type"] in ("account", "sso-identity", "sso-refusal")]
