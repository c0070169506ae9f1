"""Everything the API creates, it can change: PATCH takes a partial body and the version read,
refuses a stale version (409, with the row as it is now, nothing changed), checks the body
as creating does, and the change is in the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.actions.models import ActionItem
from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Patchable:
    model: Any
    path: str  # formatted with the row's id and its postmortem's id
    change: dict[str, Any]  # a partial body (without the version)
    invalid: dict[str, Any]  # a body creating would refuse too
    invalid_field: str


def make(kind: str, cast: Cast, postmortem: Postmortem) -> Any:
    if kind == "incident":
        return postmortem.incident
    if kind == "postmortem":
        return postmortem
    if kind == "meeting":
        return Meeting.objects.get(postmortem=postmortem)
    if kind == "why":
        return Why.objects.create(postmortem=postmortem, question="Why?", answer="Pool full")
    if kind == "event":
        return TimelineEvent.objects.create(
            postmortem=postmortem,
            occurred_at=postmortem.incident.started_at,
            description="Alert fired",
        )
    if kind == "factor":
        return ContributingFactor.objects.create(postmortem=postmortem, description="No alert")
    return ActionItem.objects.create(postmortem=postmortem, title="Page on pool saturation")


KINDS: dict[str, Patchable] = {
    "incident": Patchable(
        Incident,
        "/incidents/{id}",
        {"title": "Checkout 502s in the EU", "near_miss": True},
        {"detected_at": "2026-03-01T00:00:00Z"},
        "detected_at",
    ),
    "postmortem": Patchable(
        Postmortem,
        "/postmortems/{id}",
        {"lessons": "Watch the pool."},
        {"users_affected": -1},
        "users_affected",
    ),
    "meeting": Patchable(
        Meeting,
        "/postmortems/{pm}/meeting",
        {"location": "Room 4"},
        {"duration_minutes": 240},
        "duration_minutes",
    ),
    "why": Patchable(Why, "/whys/{id}", {"answer": "No index"}, {"question": "   "}, "question"),
    "event": Patchable(
        TimelineEvent,
        "/timeline/{id}",
        {"description": "Error-rate alert fired"},
        {"description": ""},
        "description",
    ),
    "factor": Patchable(
        ContributingFactor,
        "/factors/{id}",
        {"kind": "detection"},
        {"kind": "luck"},
        "kind",
    ),
    "item": Patchable(
        ActionItem,
        "/action-items/{id}",
        {"due_date": "2026-04-01", "effort": 1},
        {"likelihood": 9},
        "likelihood",
    ),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: Any) -> str:
    return str(request.param)


def path_of(kind: str, row: Any) -> str:
    pm = getattr(row, "postmortem_id", None) or getattr(getattr(row, "postmortem", None), "pk", 0)
    return API + KINDS[kind].path.format(id=row.pk, pm=pm)


def test_a_partial_patch_changes_only_what_it_names_and_is_recorded(
    cast: Cast, postmortem: Postmortem, kind: str
) -> None:
    row = make(kind, cast, postmortem)
    spec = KINDS[kind]
    before = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    body = ok(
        cast.api("bob").patch_json(path_of(kind, row), {**spec.change, "version": row.version})
    )
    assert body["version"] == row.version + 1
    row.refresh_from_db()
    for name, value in before.items():
        if name in spec.change or name in ("version", "updated_at", "last_activity_at"):
            continue
        if name in derived.FIELDS:  # follow their inputs (test_stored_derived_values.py)
            continue
        assert getattr(row, name) == value, name
    change = history_of(row).filter(action="update").latest("at")
    assert change.actor == cast.bob
    assert set(spec.change) <= set(change.after) and change.before != change.after


def test_a_patch_without_the_version_is_refused(
    cast: Cast, postmortem: Postmortem, kind: str
) -> None:
    row = make(kind, cast, postmortem)
    response = cast.api("bob").patch_json(path_of(kind, row), KINDS[kind].change)
    assert "version" in field_errors(response)


def test_a_stale_patch_is_a_conflict_showing_the_row_as_it_is(
    cast: Cast, postmortem: Postmortem, kind: str
) -> None:
    row = make(kind, cast, postmortem)
    api = cast.api("bob")
    spec = KINDS[kind]
    ok(api.patch_json(path_of(kind, row), {**spec.change, "version": row.version}))
    stale = ok(api.patch_json(path_of(kind, row), {**spec.change, "version": row.version}), 409)
    assert stale["current"]["version"] == row.version + 1
    assert type(row)._default_manager.get(pk=row.pk).version == row.version + 1


def test_a_patch_is_checked_as_creating_is(cast: Cast, postmortem: Postmortem, kind: str) -> None:
    row = make(kind, cast, postmortem)
    spec = KINDS[kind]
    response = cast.api("bob").patch_json(
        path_of(kind, row), {**spec.invalid, "version": row.version}
    )
    assert spec.invalid_field in field_errors(response)
    assert type(row)._default_manager.get(pk=row.pk).version == row.version


def test_patching_an_incidents_severity_answers_with_the_new_policy(
    cast: Cast, postmortem: Postmortem
) -> None:
    incident = postmortem.incident
    body = ok(
        cast.api("bob").patch_json(
            f"{API}/incidents/{incident.pk}",
            {"severity": "P2", "significant_impact": False, "version": incident.version},
        )
    )
    assert body["policy"]["decision"] == "recommended"
