"""Security tests start with empty rate-limit counters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from followthrough.web.security import API_COUNTS, TOKEN_OWNERS


@pytest.fixture(autouse=True)
def _empty_counters(db: None, settings: Any) -> Iterator[None]:
    settings.API_RATE_LIMIT_BATCH = 1  # every request reaches the shared count: exact limits
    cache.clear()
    API_COUNTS.counts.clear()
    TOKEN_OWNERS.owners.clear()
    yield
    cache.clear()
    API_COUNTS.counts.clear()
    TOKEN_OWNERS.owners.clear()
