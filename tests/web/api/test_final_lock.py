"""Final means final, through the API: a change to a final postmortem's document is 422 with
the reason, unless ``?send_back_to_review=true`` sends it back to review with the change; a
closed postmortem is read-only except reopening."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Meeting, Postmortem, Status

from ..pages.final import BLAME, SOUND_SUMMARY, closed_postmortem, final_postmortem
from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

BACK = "?send_back_to_review=true"


@pytest.fixture
def final(cast: Cast) -> Postmortem:
    return final_postmortem(cast)


def refused(response: Any) -> str:
    body = ok(response, 422)
    assert isinstance(body["detail"], str) and body["reasons"], body
    return str(body["detail"])


def test_john_forgot_to_run_the_migration_is_refused_in_a_final_postmortem(
    cast: Cast, final: Postmortem
) -> None:
    api = cast.api("alice")
    detail = refused(
        api.patch_json(
            f"{API}/postmortems/{final.pk}", {"summary": BLAME, "version": final.version}
        )
    )
    assert "This postmortem is final" in detail
    assert "?send_back_to_review=true" in detail
    final.refresh_from_db()
    assert (final.summary, final.status) == (SOUND_SUMMARY, Status.FINAL)


def test_sending_it_back_applies_the_change_and_the_lint_gate_refuses_final_again(
    cast: Cast, final: Postmortem
) -> None:
    api = cast.api("alice")
    body = ok(
        api.patch_json(
            f"{API}/postmortems/{final.pk}{BACK}", {"summary": BLAME, "version": final.version}
        )
    )
    assert (body["status"], body["summary"]) == ("in_review", BLAME)
    again = api.post_json(
        f"{API}/postmortems/{final.pk}/transition", {"to": "final", "version": body["version"]}
    )
    assert any("PM101" in reason for reason in ok(again, 422)["reasons"])


def test_a_stale_version_sent_back_is_a_conflict_and_the_postmortem_stays_final(
    cast: Cast, final: Postmortem
) -> None:
    response = cast.api("alice").patch_json(
        f"{API}/postmortems/{final.pk}{BACK}", {"summary": BLAME, "version": final.version - 1}
    )
    assert ok(response, 409)["current"]["status"] == "final"
    assert Postmortem.objects.get(pk=final.pk).summary == SOUND_SUMMARY


def _document_writes(final: Postmortem) -> list[tuple[str, str, dict[str, Any] | None]]:
    why = final.whys.first()
    event = final.timeline_events.first()
    factor = final.factors.first()
    item = final.action_items.get()
    meeting = Meeting.objects.get(postmortem=final)
    assert why and event and factor
    pm = f"/postmortems/{final.pk}"
    return [
        ("POST", f"{pm}/whys", {"question": "Why?", "answer": BLAME}),
        ("PATCH", f"/whys/{why.pk}", {"answer": BLAME, "version": why.version}),
        ("DELETE", f"/whys/{why.pk}?version={why.version}", None),
        (
            "POST",
            f"{pm}/whys/reorder",
            {"order": [why.pk, *final.whys.exclude(pk=why.pk).values_list("pk", flat=True)][::-1]},
        ),
        ("POST", f"{pm}/timeline", {"occurred_at": "2026-03-02T14:00:00Z", "description": BLAME}),
        ("PATCH", f"/timeline/{event.pk}", {"description": BLAME, "version": event.version}),
        ("DELETE", f"/timeline/{event.pk}?version={event.version}", None),
        ("POST", f"{pm}/factors", {"description": BLAME}),
        ("PATCH", f"/factors/{factor.pk}", {"description": BLAME, "version": factor.version}),
        ("DELETE", f"/factors/{factor.pk}?version={factor.version}", None),
        ("POST", f"{pm}/factors/reorder", {"order": [factor.pk]}),
        ("PATCH", f"{pm}/meeting", {"notes": BLAME, "version": meeting.version}),
        ("POST", f"{pm}/action-items", {"title": "Tell John to be careful"}),
        ("PATCH", f"/action-items/{item.pk}", {"title": BLAME, "version": item.version}),
        ("PATCH", f"/action-items/{item.pk}", {"owner_id": None, "version": item.version}),
        ("DELETE", f"/action-items/{item.pk}?version={item.version}", None),
    ]


def send(api: Any, method: str, path: str, body: dict[str, Any] | None) -> Any:
    import json

    if body is None:
        return api.generic(method, f"{API}{path}")
    return api.generic(method, f"{API}{path}", json.dumps(body), "application/json")


def test_every_part_of_a_final_document_is_locked(cast: Cast, final: Postmortem) -> None:
    api = cast.api("bob")
    for method, path, body in _document_writes(final):
        assert "This postmortem is final" in refused(send(api, method, path, body)), path
    final.refresh_from_db()
    assert final.status == Status.FINAL
    assert (final.whys.count(), final.timeline_events.count(), final.factors.count()) == (3, 1, 1)
    assert final.meeting.notes == ""
    assert final.action_items.get().owner == cast.frank


@pytest.mark.parametrize("index", range(16))
def test_each_part_can_be_changed_by_sending_it_back(
    cast: Cast, final: Postmortem, index: int
) -> None:
    method, path, body = _document_writes(final)[index]
    path += ("&" if "?" in path else "?") + BACK[1:]
    response = send(cast.api("bob"), method, path, body)
    assert response.status_code in (200, 201, 204), response.content[:500]
    assert Postmortem.objects.get(pk=final.pk).status == Status.IN_REVIEW


def test_a_final_postmortems_items_keep_their_follow_through(cast: Cast, final: Postmortem) -> None:
    item = final.action_items.get()
    body = {
        "status": "in_progress",
        "owner_id": cast.person(cast.bob).pk,
        "due_date": "2026-12-24",
        "effort": 1,
        "version": item.version,
    }
    out = ok(cast.api("bob").patch_json(f"{API}/action-items/{item.pk}", body))
    assert (out["status"], out["owner"]["id"], out["effort"]) == (
        "in_progress",
        cast.person(cast.bob).pk,
        1,
    )
    assert Postmortem.objects.get(pk=final.pk).status == Status.FINAL


def test_a_closed_postmortem_is_read_only_even_when_asked_to_send_it_back(cast: Cast) -> None:
    closed = closed_postmortem(cast)
    api = cast.api("alice")
    detail = refused(
        api.patch_json(
            f"{API}/postmortems/{closed.pk}{BACK}", {"lessons": BLAME, "version": closed.version}
        )
    )
    assert "This postmortem is closed" in detail and "send_back_to_review" not in detail
    item = closed.action_items.get()
    refused(
        api.patch_json(
            f"{API}/action-items/{item.pk}{BACK}", {"title": BLAME, "version": item.version}
        )
    )
    assert Postmortem.objects.get(pk=closed.pk).status == Status.CLOSED


def test_reopening_a_closed_postmortems_item_reopens_the_postmortem(cast: Cast) -> None:
    closed = closed_postmortem(cast)
    item = closed.action_items.get()
    ok(
        cast.api("alice").patch_json(
            f"{API}/action-items/{item.pk}", {"status": "open", "version": item.version}
        )
    )
    assert ActionItem.objects.get(pk=item.pk).status == "open"
    assert Postmortem.objects.get(pk=closed.pk).status == Status.FINAL


def test_a_closed_postmortem_reopens_for_changes_back_to_review(cast: Cast) -> None:
    closed = closed_postmortem(cast)
    out = ok(
        cast.api("alice").post_json(
            f"{API}/postmortems/{closed.pk}/transition",
            {"to": "in_review", "version": closed.version},
        )
    )
    assert (out["status"], out["closed_at"]) == ("in_review", None)
