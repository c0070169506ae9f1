"""A look-up prepared once gives the rows the ORM gives, and runs like any other query."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Cast
from followthrough.web.accounts.models import ApiToken, TokenScope, _digest
from followthrough.web.lib.prepared import Lookup, NotPreparable, Var, cursor, prepare

TOKEN_AND_USER: Lookup[ApiToken] = Lookup(
    lambda digest: ApiToken.objects.select_related("user").filter(digest=digest)
)


def fields_of(row: object) -> dict[str, object]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}  # type: ignore[attr-defined]


def test_a_token_and_its_account_are_read_as_the_orm_reads_them(cast: Cast) -> None:
    token, raw = ApiToken.issue(cast.alice, name="nightly export", scope=TokenScope.READ)
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=5), revoked_at=timezone.now()
    )
    cast.alice.last_login = timezone.now() - timedelta(days=1)
    cast.alice.save()

    found = TOKEN_AND_USER.find(_digest(raw))
    expected = ApiToken.objects.select_related("user").get(digest=_digest(raw))

    assert found is not None
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.user) == fields_of(expected.user)
    assert found._state.db == expected._state.db and not found._state.adding
    # the account came with the token: reading it asks nothing more
    with CaptureQueriesContext(connection) as queries:
        assert found.user.username == cast.alice.username
    assert len(queries) == 0


def test_an_unknown_digest_finds_nothing_and_asks_one_query(cast: Cast) -> None:
    ApiToken.issue(cast.alice)
    with CaptureQueriesContext(connection) as queries:
        assert TOKEN_AND_USER.find(_digest("ft_made-up")) is None
    assert len(queries) == 1
    assert "accounts_apitoken" in queries[0]["sql"]


def test_each_value_finds_its_own_row(cast: Cast) -> None:
    _, alices = ApiToken.issue(cast.alice)
    _, bobs = ApiToken.issue(cast.bob)
    for _ in range(2):  # the second round runs the SQL compiled in the first
        alice, bob = TOKEN_AND_USER.find(_digest(alices)), TOKEN_AND_USER.find(_digest(bobs))
        assert alice is not None and alice.user == cast.alice
        assert bob is not None and bob.user == cast.bob


def test_a_query_built_from_a_value_in_python_is_never_prepared(cast: Cast) -> None:
    # the names looked up in Python while building: the SQL holds the samples' answer, which
    # the prepared query would give for every value
    def build(values: Mapping[str, Any]) -> QuerySet[ApiToken, Any]:
        names = list(ApiToken.objects.filter(prefix=values["value"]).values_list("name", flat=True))
        return ApiToken.objects.filter(name__in=[*names, "default"]).values_list("pk")

    with pytest.raises(NotPreparable, match="reach no parameter"):
        prepare(build, {"value": Var(("zqx-a", "zqx-b"))})


def prepared_statements() -> list[str]:
    with connection.cursor() as found:
        found.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in found.fetchall()]


def test_on_postgresql_a_lookup_asked_often_is_planned_once_per_connection(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    _, raw = ApiToken.issue(cast.alice)
    for _ in range(6):  # psycopg prepares a statement at its fifth run on a connection
        found = TOKEN_AND_USER.find(_digest(raw))
        assert found is not None and found.user == cast.alice
    assert [s for s in prepared_statements() if "accounts_apitoken" in s] != []


def test_on_postgresql_the_orm_own_queries_stay_unprepared(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for _ in range(6):
        list(ApiToken.objects.filter(user=cast.alice))
        with cursor(connection) as ours:
            ours.execute("SELECT 1 WHERE %s > 0", [1])
    statements = prepared_statements()
    assert [s for s in statements if "accounts_apitoken" in s] == []
    assert [s for s in statements if "SELECT 1 WHERE" in s] != []


def test_prepared_statements_are_on_for_postgresql_unless_a_pooler_cannot_keep_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from followthrough.web import settings

    monkeypatch.setenv("DATABASE_URL", "postgres://ft@db.internal:5432/followthrough")
    assert settings._database()["OPTIONS"]["prepare_threshold"] == 5  # type: ignore[index]
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
    assert "prepare_threshold" not in settings._database()["OPTIONS"]  # type: ignore[operator]


def test_on_sqlite_a_prepared_shape_is_turned_into_sqlite3s_placeholders_once(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's placeholders")
    from django.db.backends.sqlite3.base import SQLiteCursorWrapper

    converted: list[str] = []
    convert = SQLiteCursorWrapper.convert_query

    def counted(self: Any, query: str, **kwargs: Any) -> str:
        converted.append(query)
        return convert(self, query, **kwargs)

    monkeypatch.setattr(SQLiteCursorWrapper, "convert_query", counted)
    # a literal "%" in the SQL ("%%" in Django's form) and a LIKE pattern as a parameter
    shape = prepare(
        lambda v: (
            ApiToken.objects.filter(name__contains="50%", user__username=v["who"])
            .extra(where=["name NOT LIKE '%%zz%%'"])
            .values_list("name")
        ),
        {"who": Var(("\x00sample-1", "\x00sample-2"))},
    )
    ApiToken.issue(cast.alice, name="50% of reads", scope=TokenScope.READ)
    ApiToken.issue(cast.bob, name="50% of writes", scope=TokenScope.READ)
    converted.clear()
    answers = [shape.rows({"who": who}) for who in ("alice", "bob", "alice")]
    expected = [[list(row)] for row in (("50% of reads",), ("50% of writes",), ("50% of reads",))]
    assert answers == expected
    assert converted.count(shape.sql) <= 1
