"""On PostgreSQL a safe request's transaction begins at its first write, not at its first
statement (web/lib/postgresql/base.py): a read sends neither BEGIN nor COMMIT, and what a
request writes still commits or rolls back as one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import IsolationLevel
from django.test import Client
from psycopg.pq import TransactionStatus

from conftest import Cast
from followthrough.web.accounts.models import ApiToken, Team
from followthrough.web.demo import load_demo

from ..crawl import crawl

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's round trips"),
    pytest.mark.django_db(transaction=True),
]
API = "/api/v1"


@contextmanager
def statements() -> Iterator[list[tuple[str, TransactionStatus]]]:
    """Each statement sent, with whether a transaction was open on the server after it."""
    seen: list[tuple[str, TransactionStatus]] = []

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((sql, connection.connection.info.transaction_status))

    with connection.execute_wrapper(watch):
        yield seen


@contextmanager
def as_a_read_request() -> Iterator[None]:
    """What the middleware does for a GET: the view's transaction may begin late."""
    connection.defer_begin = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection.defer_begin = False  # type: ignore[attr-defined]


IDLE, IN_TRANSACTION = TransactionStatus.IDLE, TransactionStatus.INTRANS


def test_the_incident_list_and_detail_are_read_without_begin_or_commit(cast: Cast) -> None:
    client = cast.api("alice")
    made = client.post(
        f"{API}/incidents",
        data={"team_id": cast.payments.pk, "title": "Checkout down", "severity": "P1"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    for path in (f"{API}/incidents", f"{API}/incidents/{made.json()['id']}"):
        with statements() as seen:
            assert client.get(path).status_code == 200
        assert seen and {status for _, status in seen} == {IDLE}, seen


def test_a_write_request_still_runs_in_one_transaction(cast: Cast) -> None:
    with statements() as seen:
        made = cast.api("alice").post(
            f"{API}/incidents",
            data={"team_id": cast.payments.pk, "title": "Checkout down", "severity": "P1"},
            content_type="application/json",
        )
    assert made.status_code == 201, made.content
    assert {status for _, status in seen} == {IN_TRANSACTION}


def test_a_token_used_on_a_get_is_still_stamped(cast: Cast) -> None:
    token = ApiToken.objects.get(user=cast.alice)
    assert token.last_used_at is None
    assert cast.api("alice").get(f"{API}/incidents").status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_a_write_in_a_read_begins_the_transaction_first_and_rolls_back_with_it(
    cast: Cast,
) -> None:
    with (
        as_a_read_request(),
        statements() as seen,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert Team.objects.filter(slug="payments").exists()
        Team.objects.create(name="Rolled back", slug="rolled-back", timezone="UTC")
        raise RuntimeError("the view failed after its write")
    first, *then = [status for _, status in seen]
    assert first == IDLE and then and set(then) == {IN_TRANSACTION}
    assert not Team.objects.filter(slug="rolled-back").exists()


def test_a_write_in_a_read_commits_at_the_end_of_the_request(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic():
        Team.objects.create(name="Kept", slug="kept", timezone="UTC")
        assert connection.connection.info.transaction_status == IN_TRANSACTION
    assert connection.connection.info.transaction_status == IDLE
    assert Team.objects.filter(slug="kept").exists()


def test_a_locking_read_begins_the_transaction_and_holds_its_lock(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic(), statements() as seen:
        Team.objects.select_for_update().get(slug="payments")
        assert connection.connection.info.transaction_status == IN_TRANSACTION
    assert [status for _, status in seen] == [IN_TRANSACTION]


def test_a_savepoint_in_a_read_begins_the_transaction(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic():
        Team.objects.create(name="Outer", slug="outer", timezone="UTC")
        with pytest.raises(RuntimeError), transaction.atomic():
            Team.objects.create(name="Inner", slug="inner", timezone="UTC")
            raise RuntimeError("inner block fails")
    assert Team.objects.filter(slug="outer").exists()
    assert not Team.objects.filter(slug="inner").exists()


def test_a_savepoint_before_any_write_is_made_inside_the_transaction(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic():
        assert connection.connection.info.transaction_status == IDLE
        with transaction.atomic():
            assert connection.connection.info.transaction_status == IN_TRANSACTION
            Team.objects.create(name="Nested", slug="nested", timezone="UTC")
    assert Team.objects.filter(slug="nested").exists()


def test_under_repeatable_read_a_read_begins_at_once(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """There a transaction's reads share one snapshot: beginning late would change them."""
    monkeypatch.setattr(connection, "isolation_level", IsolationLevel.REPEATABLE_READ)
    with as_a_read_request(), transaction.atomic(), statements() as seen:
        Team.objects.filter(slug="payments").exists()
    assert [status for _, status in seen] == [IN_TRANSACTION]


def test_outside_a_read_request_transactions_begin_at_once(cast: Cast) -> None:
    with transaction.atomic(), statements() as seen:
        Team.objects.filter(slug="payments").exists()
    assert [status for _, status in seen] == [IN_TRANSACTION]


def test_a_read_that_ended_leaves_the_connection_as_django_expects(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic():
        Team.objects.filter(slug="payments").exists()
    assert connection.get_autocommit() and connection.connection.autocommit
    assert connection.execute_wrappers == []
    with transaction.atomic():  # the next request's transaction begins as usual
        Team.objects.filter(pk=cast.payments.pk).update(name="Payments and billing")
        assert connection.connection.info.transaction_status == IN_TRANSACTION
    assert Team.objects.get(pk=cast.payments.pk).name == "Payments and billing"


def test_a_read_whose_connection_is_closed_leaves_nothing_waiting(cast: Cast) -> None:
    with as_a_read_request(), transaction.atomic():
        Team.objects.filter(slug="payments").exists()
        connection.close()  # as Django does with a connection it finds broken
    assert connection.execute_wrappers == []
    with transaction.atomic():
        Team.objects.filter(pk=cast.payments.pk).update(name="Payments and billing")
        assert connection.connection.info.transaction_status == IN_TRANSACTION
    assert Team.objects.get(pk=cast.payments.pk).name == "Payments and billing"


def test_every_page_of_the_demo_answers_with_its_reads_begun_late() -> None:
    login = load_demo()
    browser = Client()
    assert browser.login(username=login.username, password=login.password)
    pages = crawl(browser)
    assert len(pages) > 50
    assert {path: r.status_code for path, r in pages.items() if r.status_code >= 500} == {}


def test_an_isolation_level_named_in_the_url_reaches_the_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from followthrough.web import settings

    monkeypatch.setenv(
        "DATABASE_URL", "postgres://ft@db.internal:5432/followthrough?isolation_level=3"
    )
    db = settings._database()
    assert db["ENGINE"] == "followthrough.web.lib.postgresql"
    assert IsolationLevel(db["OPTIONS"]["isolation_level"]) == IsolationLevel.REPEATABLE_READ  # type: ignore[index]
