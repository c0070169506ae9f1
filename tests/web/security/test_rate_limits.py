"""Too many failed sign-ins, or too many API requests, are refused with 429 and a wait."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from followthrough.web.security import API_COUNTS

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(client: Client, username: str, password: str, path: str = "/login/") -> Any:
    return client.post(path, {"username": username, "password": password, "next": "/"})


def fail_ten_times(client: Client, username: str = "alice", path: str = "/login/") -> None:
    for _ in range(10):
        response = sign_in(client, username, "wrong password", path)
        assert response.status_code == 200  # the form again, with the usual error


def test_after_ten_failed_sign_ins_the_login_form_says_to_wait_even_for_the_right_password(
    cast: Cast,
) -> None:
    client = Client()
    fail_ten_times(client)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900" or 890 <= int(response["Retry-After"]) <= 900
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "Wait 15 minutes and try again." in page
    assert 'name="username"' in page  # the form is still there to try later
    assert SESSION_KEY not in client.session


def test_the_sign_in_limit_is_per_username_and_address(cast: Cast) -> None:
    fail_ten_times(Client())
    # Another person from the same address, and alice from another address, may still sign in.
    assert sign_in(Client(), "bob", PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="10.0.0.7")
    assert sign_in(elsewhere, "alice", PASSWORD).status_code == 302
    # Capitals do not buy more attempts.
    assert sign_in(Client(), "ALICE", PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_the_limit_keys_on_the_forwarded_client_address(
    cast: Cast, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # The client forges a left-hand entry; only the proxy's own entry (rightmost) counts.
    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    fail_ten_times(attacker)
    assert sign_in(attacker, "alice", PASSWORD).status_code == 429
    forged = Client(**proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")
    assert sign_in(forged, "alice", PASSWORD).status_code == 429
    colleague = Client(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert sign_in(colleague, "alice", PASSWORD).status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(cast: Cast) -> None:
    fail_ten_times(Client(HTTP_X_FORWARDED_FOR="203.0.113.9"))
    other = Client(HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert sign_in(other, "alice", PASSWORD).status_code == 429


def test_sign_in_works_again_after_the_fifteen_minute_window(cast: Cast) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_ten_times(Client())
        clock.shift(timedelta(minutes=14))
        assert sign_in(Client(), "alice", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=1, seconds=1))
        assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_a_successful_sign_in_forgets_the_earlier_failures(cast: Cast) -> None:
    for _ in range(9):
        sign_in(Client(), "alice", "wrong password")
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    for _ in range(9):
        sign_in(Client(), "alice", "wrong password")
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_limited_too(cast: Cast) -> None:
    fail_ten_times(Client(), "admin", "/admin/login/")
    response = sign_in(Client(), "admin", PASSWORD, "/admin/login/")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_an_api_token_over_its_requests_per_minute_gets_429_with_retry_after(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE_LIMIT = (5, 60)
    alice = cast.api("alice")
    with time_machine.travel(timezone.now().replace(second=10), tick=False) as clock:
        statuses = [alice.get("/api/v1/incidents").status_code for _ in range(4)]
        # A refused request counts too (its transaction is rolled back, the count is not).
        statuses.append(alice.get("/api/v1/incidents/424242").status_code)
        assert statuses == [200, 200, 200, 200, 404]
        refused = alice.get("/api/v1/incidents")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "50"
        assert refused["Content-Type"] == "application/problem+json"
        body = refused.json()
        assert body["retry_after"] == 50
        assert body["type"] == "urn:followthrough:problem:rate-limited"
        assert body["detail"] == (
            "Too many requests: your account may make 5 requests a minute. Try again in 50 seconds."
        )
        # Another person's token is counted apart.
        assert cast.api("bob").get("/api/v1/incidents").status_code == 200
        clock.shift(timedelta(seconds=50))
        assert alice.get("/api/v1/incidents").status_code == 200


def test_a_new_minute_starts_every_count_afresh_and_forgets_the_last_ones(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE_LIMIT = (3, 60)
    alice, bob = cast.api("alice"), cast.api("bob")
    with time_machine.travel(timezone.now().replace(second=10), tick=False) as clock:
        assert [alice.get("/api/v1/teams").status_code for _ in range(4)] == [200] * 3 + [429]
        assert bob.get("/api/v1/teams").status_code == 200
        assert len(API_COUNTS.counts) == 2
        clock.shift(timedelta(seconds=60))
        assert [alice.get("/api/v1/teams").status_code for _ in range(4)] == [200] * 3 + [429]
        slot = int(time.time() // 60)
        assert list(API_COUNTS.counts) == [(f"user:{cast.alice.pk}", slot)]  # bob's is gone


def test_a_signed_in_browser_calling_the_api_is_counted_per_person(
    cast: Cast, settings: Any
) -> None:
    settings.API_RATE_LIMIT = (3, 60)
    with time_machine.travel(timezone.now().replace(second=0), tick=False):
        first, second = cast.browser(cast.alice), cast.browser(cast.alice)
        assert [first.get("/api/v1/incidents").status_code for _ in range(3)] == [200] * 3
        response = second.get("/api/v1/incidents")
        assert response.status_code == 429
        assert "your account may make 3 requests a minute" in response.json()["detail"]
        # Pages are not API requests.
        assert second.get("/").status_code == 200


def test_without_the_cache_table_requests_still_work_and_the_problem_is_logged(
    cast: Cast, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "missing": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        },
    }
    settings.RATE_LIMIT_CACHE = "missing"
    with caplog.at_level(logging.ERROR, logger="followthrough.security"):
        assert cast.api("alice").get("/api/v1/incidents").status_code == 200
        assert sign_in(Client(), "alice", "wrong password").status_code == 200
        assert sign_in(Client(), "alice", PASSWORD).status_code == 302
    assert "createcachetable" in caplog.text


def test_a_busy_token_adds_to_the_shared_count_once_per_batch(cast: Cast, settings: Any) -> None:
    settings.API_RATE_LIMIT_BATCH = 5
    alice = cast.api("alice")
    with time_machine.travel(timezone.now().replace(second=0), tick=False):
        slot = int(time.time() // 60)
        key = f"api:user:{cast.alice.pk}:{slot}"
        for _ in range(9):
            assert alice.get("/api/v1/teams").status_code == 200
        assert cache.get(key) == 5  # the second batch is still this process's own
        alice.get("/api/v1/teams")
        assert cache.get(key) == 10
