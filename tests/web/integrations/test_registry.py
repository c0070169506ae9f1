"""The registry of trackers: every entry has every piece ``docs/development/adding-a-tracker.md``
lists, so a vendor added with one of them missing fails here, not in production."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from followthrough.web.actions.models import ActionStatus
from followthrough.web.integrations.common import TrackerSettings
from followthrough.web.integrations.models import TrackerAccount, TrackerConfig, TrackerLink
from followthrough.web.integrations.trackers import TRACKERS, Tracker

from . import conftest

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).parent
CHECKLIST = ROOT / "docs" / "development" / "adding-a-tracker.md"
VENDOR_DOCS = ROOT / "docs" / "trackers.md"

CLIENT = {
    "create": ["config", "item", "link", "about_to_create"],
    "find": ["config", "link"],
    "status": ["config", "link"],
    "move": ["config", "link", "wanted"],
    "comment": ["config", "link", "key", "body"],
}
WEBHOOK = {
    "verify": ["config", "body", "headers", "now"],
    "delivery_id": ["headers", "payload"],
    "parse": ["payload", "headers"],
}
SETTINGS_TEXT = ("LABEL", "BASE_URL_HELP", "TOKEN_HELP", "WEBHOOK_HELP")


def entries() -> list[tuple[str, Tracker]]:
    return list(TRACKERS.items())


@pytest.mark.parametrize(("kind", "tracker"), entries(), ids=list(TRACKERS))
def test_each_registry_entry_has_its_settings_model_and_texts(kind: str, tracker: Tracker) -> None:
    module = tracker.settings
    assert kind == module.KIND, "the registry key is the folder's KIND"
    assert inspect.getdoc(module), f"{kind}/settings.py has a docstring"
    for name in SETTINGS_TEXT:
        assert isinstance(getattr(module, name, None), str) and getattr(module, name), name
    assert isinstance(module.DEFAULT_BASE_URL, str)
    assert issubclass(tracker.model, TrackerSettings) and issubclass(tracker.model, BaseModel)
    for name, info in tracker.model.model_fields.items():
        assert info.title and info.description, f"{kind}.{name} has a title and a description"
    targets = set(module.DEFAULT_STATUS_MAP.values())
    assert targets <= set(ActionStatus.values)
    assert {ActionStatus.OPEN, ActionStatus.DONE} <= targets, "open and done both map"
    assert all(k == k.lower() for k in module.DEFAULT_STATUS_MAP), "default keys are lower case"


@pytest.mark.parametrize(("kind", "tracker"), entries(), ids=list(TRACKERS))
def test_each_registry_entry_has_its_client_and_webhook_functions(
    kind: str, tracker: Tracker
) -> None:
    package = inspect.getmodule(tracker.client)
    assert package is not None
    assert inspect.getdoc(__import__(tracker.client.__name__.rsplit(".", 1)[0], fromlist=["x"]))
    for module, functions in ((tracker.client, CLIENT), (tracker.webhook, WEBHOOK)):
        for name, parameters in functions.items():
            function = getattr(module, name, None)
            assert callable(function), f"{module.__name__}.{name}"
            assert list(inspect.signature(function).parameters) == parameters, name
    assert isinstance(tracker.client.FIND_SETTLES_AFTER, timedelta)
    assert inspect.getdoc(tracker.webhook), "the webhook module says how it is signed"


@pytest.mark.parametrize(("kind", "tracker"), entries(), ids=list(TRACKERS))
def test_each_registry_entry_has_a_fake_server_sample_payloads_and_a_fixture(
    kind: str, tracker: Tracker
) -> None:
    fake = HERE / "fakes" / f"{kind}.py"
    assert fake.exists(), f"tests/web/integrations/fakes/{kind}.py"
    assert "(FakeServer)" in fake.read_text()
    samples = sorted((HERE / "fixtures" / kind).glob("*.json"))
    assert samples, f"fixtures/{kind}/ holds the vendor's published sample payloads"
    sources = (HERE / "fixtures" / "SOURCES.md").read_text()
    for sample in samples:
        assert f"`{kind}/{sample.name}`" in sources, f"SOURCES.md names where {sample.name} is from"
    assert callable(getattr(conftest, kind, None)), f"conftest has a `{kind}` fixture"
    fake_class = conftest.FAKES.get(kind)
    assert fake_class is not None, f"conftest.FAKES has {kind}"
    assert fake_class.__module__.endswith(f"fakes.{kind}")
    for method in ("settings", "handle"):
        assert callable(getattr(fake_class, method, None)), f"{fake_class.__name__}.{method}"
    # The settings the fake accepts are valid settings of the vendor.
    fake = fake_class()
    try:
        tracker.model.model_validate(fake.settings())
        assert fake.api_token
    finally:
        fake.httpd.server_close()


@pytest.mark.parametrize(("kind", "tracker"), entries(), ids=list(TRACKERS))
def test_each_registry_entry_is_in_the_vendor_docs(kind: str, tracker: Tracker) -> None:
    docs = VENDOR_DOCS.read_text()
    assert re.search(rf"^## {re.escape(tracker.label)}$", docs, re.M), (
        f"docs/trackers.md has a section “## {tracker.label}”"
    )


def test_the_checklist_names_every_piece_this_test_checks() -> None:
    checklist = CHECKLIST.read_text()
    for piece in (
        "settings.py",
        "client.py",
        "webhook.py",
        "__init__.py",
        "TRACKERS",
        *SETTINGS_TEXT,
        "DEFAULT_BASE_URL",
        "DEFAULT_STATUS_MAP",
        "FIND_SETTLES_AFTER",
        *CLIENT,
        *WEBHOOK,
        "fakes/<vendor>.py",
        "fixtures/<vendor>/",
        "SOURCES.md",
        "conftest.py",
        "FAKES",
        "docs/trackers.md",
        "test_registry.py",
    ):
        assert piece in checklist, piece


def test_a_new_vendor_needs_no_migration() -> None:
    """Nothing stored lists the vendors: kinds are free text checked against the registry."""
    for model in (TrackerConfig, TrackerLink, TrackerAccount):
        assert not model._meta.get_field("kind").choices, model.__name__
    assert TrackerConfig._meta.get_field("settings").get_internal_type() == "JSONField"
