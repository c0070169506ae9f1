"""Security tests start with empty rate-limit counters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_counters(db: None) -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
