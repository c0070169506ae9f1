"""A started postmortem of the cast's Payments incident (resolved Mon 2 March 2026, 15:00 UTC)."""

from __future__ import annotations

from typing import Any

import pytest

from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem


@pytest.fixture
def postmortem(cast: Any) -> Postmortem:
    return start_postmortem(cast.incident(), cast.alice)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """The cast has six users with passwords; PBKDF2 would make every test slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
