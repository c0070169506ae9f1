"""Single sign-on tests run against a real OpenID Connect provider on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from followthrough.web.accounts import oidc
from followthrough.web.settings import oidc_settings

from .identity_provider import Provider, RunningProvider

Configure = Callable[..., None]


@pytest.fixture
def provider() -> Iterator[Provider]:
    running = RunningProvider()
    yield running.provider
    running.stop()


@pytest.fixture
def configure(settings: Any, provider: Provider) -> Iterator[Configure]:
    """Turn single sign-on on from the environment a deployment would set (its defaults,
    plus what a test passes: ``configure(FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS="example.com")``)."""

    def apply(**env: str) -> None:
        for name, value in oidc_settings(provider.env(**env)).items():
            setattr(settings, name, value)
        oidc._discover.cache_clear()

    apply()
    yield apply
    oidc._discover.cache_clear()
