"""Team roles and admin rights follow the provider's groups claim at every sign-in, added and
removed, and every change is in the history."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.test import Client

from conftest import Cast
from followthrough.web.accounts.models import Membership, Role, Team
from followthrough.web.history.models import Change

from .conftest import Configure
from .identity_provider import Provider
from .sso import DOMAIN, sign_in, signed_in_as

MAPPING = {
    "FOLLOWTHROUGH_OIDC_TEAM_GROUPS": json.dumps(
        {
            "payments-oncall": "payments:lead",
            "engineering": ["payments:viewer", "security:viewer"],
        }
    ),
    "FOLLOWTHROUGH_OIDC_ADMIN_GROUP": "followthrough-admins",
    **DOMAIN,
}


def _sign_in_with_groups(provider: Provider, *groups: str) -> User:
    provider.login_as("nia@example.com", sub="00u-nia", groups=list(groups))
    client = Client()
    sign_in(client, provider)
    user = signed_in_as(client)
    assert user is not None
    return user


def _roles(user: User) -> dict[str, str]:
    return dict(Membership.objects.filter(person__user=user).values_list("team__slug", "role"))


def test_groups_set_team_roles_at_each_sign_in_added_changed_and_removed(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**MAPPING)
    nia = _sign_in_with_groups(provider, "engineering", "payments-oncall")
    assert _roles(nia) == {"payments": Role.LEAD, "security": Role.VIEWER}

    checkout = Team.objects.create(name="Checkout", slug="checkout")
    Membership.objects.create(team=checkout, person=nia.person, role=Role.EDITOR)  # type: ignore[attr-defined]

    nia = _sign_in_with_groups(provider, "engineering")
    assert _roles(nia) == {"payments": Role.VIEWER, "security": Role.VIEWER, "checkout": "editor"}

    nia = _sign_in_with_groups(provider)
    assert _roles(nia) == {"checkout": Role.EDITOR}  # a team no group names is left alone


def test_role_changes_from_groups_are_in_the_history_with_the_groups(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**MAPPING)
    nia = _sign_in_with_groups(provider, "payments-oncall")
    _sign_in_with_groups(provider)
    changes = Change.objects.filter(
        content_type__model="membership", team_id=cast.payments.pk, actor_label="single sign-on"
    )
    added = changes.get(action="create")
    removed = changes.get(action="delete")
    assert added.after["person"] == removed.before["person"] == nia.person.pk  # type: ignore[attr-defined]
    assert "payments-oncall" in added.note
    assert added.after["role"] == Role.LEAD
    assert "none" in removed.note


def test_the_admin_group_gives_and_takes_admin_rights_and_says_so_in_the_history(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**MAPPING)
    nia = _sign_in_with_groups(provider, "followthrough-admins")
    assert nia.is_superuser and nia.is_staff
    nia = _sign_in_with_groups(provider, "engineering")
    assert not nia.is_superuser and not nia.is_staff
    account_changes = Change.objects.filter(
        content_type__model="user", object_id=str(nia.pk), action="update"
    ).order_by("at", "id")
    assert [c.after["is_superuser"] for c in account_changes] == [True, False]
    assert all(c.actor_label == "single sign-on" for c in account_changes)


def test_without_an_admin_group_admin_rights_are_never_touched(
    cast: Cast, provider: Provider, configure: Configure
) -> None:
    configure(**{**MAPPING, "FOLLOWTHROUGH_OIDC_ADMIN_GROUP": ""})
    nia = _sign_in_with_groups(provider, "followthrough-admins")
    assert not nia.is_superuser
    User.objects.filter(pk=nia.pk).update(is_superuser=True)
    assert _sign_in_with_groups(provider).is_superuser


def test_a_mapping_with_a_role_that_does_not_exist_is_a_system_check_error(
    db: None, configure: Configure
) -> None:
    configure(
        **DOMAIN,
        FOLLOWTHROUGH_OIDC_TEAM_GROUPS=json.dumps({"sre": "payments:owner"}),
    )
    errors = [m for m in checks.run_checks() if m.id == "followthrough.E102"]
    assert errors and "owner" in errors[0].msg


@pytest.mark.parametrize("claim", [None, "not-a-list"])
def test_a_missing_or_malformed_groups_claim_counts_as_no_groups(
    cast: Cast, provider: Provider, configure: Configure, claim: object
) -> None:
    configure(**MAPPING)
    nia = _sign_in_with_groups(provider, "payments-oncall")
    provider.login_as("nia@example.com", sub="00u-nia", groups=claim)
    if claim is None:
        del provider.claims["groups"]
    client = Client()
    sign_in(client, provider)
    assert signed_in_as(client) == nia
    assert _roles(nia) == {}
