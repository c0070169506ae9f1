"""The cache's incr writes what Django's writes, in two statements instead of five."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connection

from followthrough.web.lib.cache import DatabaseCache

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 15, 0, 30, 250_000, tzinfo=UTC)


@pytest.fixture
def ours() -> Any:
    cache = caches["default"]
    assert isinstance(cache, DatabaseCache)
    cache.clear()
    yield cache
    cache.clear()


def _row(key: str) -> tuple[str, object]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value, expires FROM followthrough_cache WHERE cache_key = %s", [f":1:{key}"]
        )
        return cursor.fetchone()  # type: ignore[no-any-return]


def test_a_count_added_to_is_stored_exactly_as_djangos_incr_stores_it(ours: Any) -> None:
    djangos = DjangoDatabaseCache(ours._table, {})
    with time_machine.travel(AT, tick=False):
        ours.add("ours", 20, timeout=65)
        djangos.add("djangos", 20, timeout=65)
        assert ours.incr("ours", 20) == djangos.incr("djangos", 20) == 40
        assert ours.incr("ours", 3) == djangos.incr("djangos", 3) == 43
        assert _row("ours") == _row("djangos")  # same pickle, same expiry (the default timeout)
        assert ours.get("ours") == 43


def test_adding_to_a_count_takes_two_statements(ours: Any, django_assert_num_queries: Any) -> None:
    ours.add("count", 1, timeout=60)
    with django_assert_num_queries(2):  # read it, write it: no COUNT(*), savepoint, re-read
        assert ours.incr("count", 19) == 20


def test_a_missing_or_expired_count_cannot_be_added_to(ours: Any) -> None:
    with pytest.raises(ValueError):
        ours.incr("never-set", 1)
    with time_machine.travel(AT, tick=False):
        ours.add("short", 5, timeout=10)
    with time_machine.travel(AT.replace(minute=1), tick=False), pytest.raises(ValueError):
        ours.incr("short", 1)
    assert _row("short") is None  # an expired entry is deleted, as Django's get deletes it


def test_a_count_that_vanishes_between_read_and_write_is_written_again(
    ours: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours.add("gone", 7, timeout=60)
    real_get = ours.get

    def read_then_lose(*args: Any, **kwargs: Any) -> Any:
        value = real_get(*args, **kwargs)
        ours.delete("gone")  # another process culled it meanwhile
        return value

    monkeypatch.setattr(ours, "get", read_then_lose)
    assert ours.incr("gone", 3) == 10
    monkeypatch.setattr(ours, "get", real_get)
    assert ours.get("gone") == 10
