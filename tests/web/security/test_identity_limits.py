"""Every limit keys on the identity as Django signs it in, and on the client address.

Django signs in the NFKC form of the username (``AuthenticationForm``'s username field,
``AbstractBaseUser.normalize_username``): ``ａｌｉｃｅ`` in fullwidth letters signs in as
alice. Ten failures for alice must therefore refuse every spelling that signs in as her,
on the sign-in page and the admin's; and an API client is counted per account, whichever
of its tokens it sends, an unknown token per address.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from conftest import ApiClient
from followthrough.web.accounts.models import ApiToken

from .test_rate_limits import PASSWORD, fail_ten_times, sign_in

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

FULLWIDTH_ALICE = "ａｌｉｃｅ"  # U+FF41 ...: NFKC makes it "alice"
SPELLINGS = [FULLWIDTH_ALICE, "ａlice", " alice ", "ALICE", "Ａｌｉｃｅ", "alice\u00a0"]


def test_a_fullwidth_username_signs_in_as_the_same_person(cast: Cast) -> None:
    client = Client()
    assert sign_in(client, FULLWIDTH_ALICE, PASSWORD).status_code == 302
    assert client.get("/").wsgi_request.user == cast.alice


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_after_ten_failures_for_alice_no_spelling_of_her_name_may_try_again(
    cast: Cast, spelling: str
) -> None:
    fail_ten_times(Client(), "alice")
    response = sign_in(Client(), spelling, PASSWORD)
    assert response.status_code == 429, spelling
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_failures_under_a_fullwidth_spelling_count_for_the_person(cast: Cast) -> None:
    for i in range(10):
        sign_in(Client(), SPELLINGS[i % len(SPELLINGS)], "wrong password")
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429


def test_the_admin_sign_in_keys_on_the_same_identity(cast: Cast) -> None:
    fail_ten_times(Client(), "admin", "/admin/login/")
    assert sign_in(Client(), "ａｄｍｉｎ", PASSWORD, "/admin/login/").status_code == 429
    assert sign_in(Client(), "ａｄｍｉｎ", PASSWORD, "/login/").status_code == 429


def test_the_limit_still_keys_on_the_address_too(cast: Cast) -> None:
    fail_ten_times(Client(), "alice")
    elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert sign_in(elsewhere, FULLWIDTH_ALICE, PASSWORD).status_code == 302


def test_the_identity_is_djangos_own_normal_form_caseless() -> None:
    from followthrough.web.security import identity_of_username

    assert identity_of_username("ｖictim") == identity_of_username("victim")
    assert identity_of_username("Victim ") == identity_of_username("victim")
    assert identity_of_username("ﬁona") == identity_of_username("fiona")  # the fi ligature
    assert identity_of_username("victim") != identity_of_username("victim2")


def test_a_second_token_of_the_same_account_does_not_buy_more_requests(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE_LIMIT = (5, 60)
    _, second = ApiToken.issue(cast.alice, "second")
    first = cast.api("alice")
    assert [first.get("/api/v1/teams").status_code for _ in range(5)] == [200] * 5
    refused = ApiClient(second).get("/api/v1/teams")
    assert refused.status_code == 429
    assert "your account may make 5 requests" in refused.json()["detail"]
    # The same account signed in on a page shares the count as well.
    assert cast.browser(cast.alice).get("/api/v1/teams").status_code == 429
    assert cast.api("bob").get("/api/v1/teams").status_code == 200


def test_made_up_tokens_are_counted_per_address_not_each_afresh(cast: Cast, settings: Any) -> None:
    settings.API_RATE_LIMIT = (5, 60)
    statuses = [
        ApiClient("ft_" + secrets.token_urlsafe(32)).get("/api/v1/teams").status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    elsewhere = Client(REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION=f"Bearer {cast.tokens['bob']}")
    assert elsewhere.get("/api/v1/teams").status_code == 200
