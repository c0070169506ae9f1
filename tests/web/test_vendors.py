"""The vendor registry against the checklist of docs/development/adding-an-integration.md: every
entry is in every place it must be, and the check itself catches an entry that is not."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
from django.urls import reverse

from followthrough.web.incidents.models import Source
from followthrough.web.ingest import api as ingest_api
from followthrough.web.integrations.base import PagingSettings, Vendor, VendorSettings
from followthrough.web.integrations.vendors import VENDORS

ROOT = Path(__file__).parents[2]
INTEGRATIONS = ROOT / "src" / "followthrough" / "web" / "integrations"
FIXTURES = ROOT / "tests" / "web" / "ingest" / "fixtures"
CHECKLIST = ROOT / "docs" / "development" / "adding-an-integration.md"


def problems(vendor: Vendor) -> list[str]:
    """What the checklist asks of ``vendor`` that it lacks, in words."""
    found: list[str] = []
    folder = INTEGRATIONS / vendor.kind
    if vendor.folder != f"followthrough.web.integrations.{vendor.kind}":
        found.append(f"its folder is integrations/{vendor.kind}/ (folder={vendor.folder!r})")
    for name in ("__init__.py", "settings.py", "vendor.py"):
        if not (folder / name).exists():
            found.append(f"integrations/{vendor.kind}/{name} is missing")
    if found:
        return found
    package = importlib.import_module(vendor.folder)
    if not (package.__doc__ or "").strip():
        found.append("__init__.py has no docstring saying the vendor's API in three lines")
    if importlib.import_module(f"{vendor.folder}.vendor").VENDOR is not vendor:
        found.append("the registry line is not the VENDOR of its vendor.py")
    settings = importlib.import_module(f"{vendor.folder}.settings")
    if getattr(settings, "Settings", None) is not vendor.settings:
        found.append("settings.py's Settings is not the entry's settings model")
    if not issubclass(vendor.settings, VendorSettings):
        found.append("its settings model is not a VendorSettings")
    if vendor.is_source:
        found += _source_problems(vendor, folder)
    if vendor.is_channel:
        if not (folder / "outbound.py").exists():
            found.append("a channel sends from outbound.py, which is missing")
        if vendor.wants is None or not vendor.channel_label:
            found.append("a channel needs wants() and a channel_label")
        model = vendor.team_settings
        if model is not None and getattr(settings, model.__name__, None) is not model:
            found.append("its team_settings model is not defined in its settings.py")
    if not vendor.is_source and not vendor.is_channel:
        found.append("it is neither a source (source_label) nor a channel (send)")
    return found


def _source_problems(vendor: Vendor, folder: Path) -> list[str]:
    found: list[str] = []
    if vendor.kind not in Source.values:
        found.append(f"incidents.Source has no {vendor.kind!r} (Incident.source)")
    if not vendor.actor_label:
        found.append("no actor_label: the history would not say who changed the incident")
    if not vendor.setup_steps:
        found.append("no setup_steps: the source page would not say what to do at the vendor")
    if vendor.kind not in ingest_api.SourceKind.__args__:
        found.append("the API's SourceKind does not offer it")
    if vendor.verify is not None or vendor.parse is not None:
        for name in ("verify.py", "parse.py"):
            if not (folder / name).exists():
                found.append(f"integrations/{vendor.kind}/{name} is missing")
        if vendor.verify is None or vendor.parse is None:
            found.append("verify and parse come together (the shared endpoint needs both)")
        else:
            if len(inspect.signature(vendor.parse).parameters) != 3:
                found.append("parse(body, headers, received_at) takes three arguments")
            reverse("ingest-receive", args=[vendor.kind, 1])
        if not vendor.supported_events:
            found.append("no supported_events: say which vendor events are acted on")
        if not (FIXTURES / vendor.kind).is_dir():
            found.append(f"no sample payloads in tests/web/ingest/fixtures/{vendor.kind}/")
        if not (ROOT / "tests" / "web" / "ingest" / f"test_{vendor.kind}.py").exists():
            found.append(f"no tests/web/ingest/test_{vendor.kind}.py")
    elif not (vendor.endpoint and vendor.urls):
        found.append("a source without verify/parse needs its own endpoint and urls")
    else:
        importlib.import_module(vendor.urls)
        reverse(vendor.endpoint)
    if issubclass(vendor.settings, PagingSettings):
        if not vendor.settings.ROUTING_FIELDS:
            found.append("a paging source says what its routing rules match (ROUTING_FIELDS)")
        if "*" not in vendor.settings.DEFAULT_SEVERITY_MAP:
            found.append('its DEFAULT_SEVERITY_MAP has no "*" for events without a priority')
    return found


@pytest.mark.parametrize("kind", sorted(VENDORS))
def test_every_registry_entry_is_in_every_place_of_the_checklist(kind: str) -> None:
    assert VENDORS[kind].kind == kind
    assert problems(VENDORS[kind]) == []


def test_the_check_catches_an_entry_that_lacks_a_place() -> None:
    pagerduty = VENDORS["pagerduty"]
    pager = dataclasses.replace(
        pagerduty, kind="walkie", folder="followthrough.web.integrations.walkie"
    )
    assert "integrations/walkie/__init__.py is missing" in problems(pager)
    unnamed = dataclasses.replace(pagerduty, actor_label="", setup_steps=())
    assert {p.split(":")[0] for p in problems(unnamed)} >= {"no actor_label", "no setup_steps"}
    half = dataclasses.replace(pagerduty, parse=None)
    assert "verify and parse come together (the shared endpoint needs both)" in problems(half)

    class Elsewhere(VendorSettings):
        webhook_url: str = ""

    elsewhere = dataclasses.replace(VENDORS["email"], team_settings=Elsewhere)
    assert "its team_settings model is not defined in its settings.py" in problems(elsewhere)


def test_the_checklist_names_every_place_the_check_looks_at() -> None:
    text = CHECKLIST.read_text()
    for place in (
        "vendor.py",
        "settings.py",
        "verify.py",
        "parse.py",
        "outbound.py",
        "vendors.py",
        "incidents.Source",
        "actor_label",
        "setup_steps",
        "supported_events",
        "tests/web/ingest/fixtures/",
        "tests/web/test_vendors.py",
    ):
        assert place in text, place
