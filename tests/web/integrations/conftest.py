"""Fixtures for the integrations tests: fake trackers on loopback, a team wired to one,
and tasks that run the moment their transaction commits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item
from followthrough.web.integrations.models import TrackerConfig
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .fakes.github import FakeGitHub
from .fakes.gitlab import FakeGitLab
from .fakes.jira import FakeJira
from .fakes.linear import FakeLinear

if TYPE_CHECKING:
    from conftest import Cast

WEBHOOK_SECRET = "It's a Secret to Everybody"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    """The immediate backend runs an enqueued task in place; on_commit decides when."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.BASE_URL = "https://followthrough.example.com"


@pytest.fixture
def jira(allow_loopback: None) -> Iterator[FakeJira]:
    fake = FakeJira().start()
    yield fake
    fake.stop()


@pytest.fixture
def linear(allow_loopback: None) -> Iterator[FakeLinear]:
    fake = FakeLinear().start()
    yield fake
    fake.stop()


@pytest.fixture
def github(allow_loopback: None) -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


@pytest.fixture
def gitlab(allow_loopback: None) -> Iterator[FakeGitLab]:
    fake = FakeGitLab().start()
    yield fake
    fake.stop()


Fake = FakeJira | FakeLinear | FakeGitHub | FakeGitLab
# Each registry entry's fake vendor (test_registry checks there is one per tracker).
FAKES: dict[str, type[Fake]] = {
    "jira": FakeJira,
    "linear": FakeLinear,
    "github": FakeGitHub,
    "gitlab": FakeGitLab,
}


def settings_for(fake: Fake) -> tuple[str, dict[str, Any], str]:
    """The kind, vendor settings and API token the fake accepts."""
    kind = next(kind for kind, cls in FAKES.items() if isinstance(fake, cls))
    return kind, fake.settings(), fake.api_token


def wire(
    team: Team, fake: Fake, settings: dict[str, Any] | None = None, **fields: Any
) -> TrackerConfig:
    """Point ``team`` at ``fake`` with the credentials the fake accepts; ``settings``
    changes some of the vendor's settings, ``fields`` the config's own fields."""
    kind, vendor, token = settings_for(fake)
    values: dict[str, Any] = {
        "kind": kind,
        "settings": {**vendor, **(settings or {})},
        "api_token": token,
        "base_url": fake.url,
        "webhook_secret": WEBHOOK_SECRET,
        **fields,
    }
    return TrackerConfig.objects.create(team=team, **values)


def deliver(kind: str, body: bytes, headers: dict[str, str], team: str = "payments") -> Any:
    """POST a webhook delivery to the team's address, as the vendor does."""
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return Client().post(
        f"/integrations/{kind}/webhook/{team}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def postmortem(cast: Cast) -> Postmortem:
    return start_postmortem(cast.incident(), cast.alice)


@pytest.fixture
def assign(
    cast: Cast, postmortem: Postmortem, django_capture_on_commit_callbacks: Any
) -> Callable[..., ActionItem]:
    """Add an action item owned by alice (by default) and let its commit run the tasks."""

    def add(owner: Person | None | str = "alice", **fields: Any) -> ActionItem:
        values: dict[str, Any] = {
            "title": "Alert on connection-pool saturation above 80% for 5 minutes",
            "owner": cast.person(cast.alice) if owner == "alice" else owner,
            "due_date": date(2026, 3, 20),
            "done_condition": "The alert fires in the staging drill.",
        }
        values.update(fields)
        with django_capture_on_commit_callbacks(execute=True):
            return create_action_item(postmortem, cast.alice, **values)

    return add
