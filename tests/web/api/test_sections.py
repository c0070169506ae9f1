"""The five whys, the timeline and the contributing factors of a postmortem."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from followthrough.web.postmortems.models import ContributingFactor, Postmortem, Why
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

CHAIN = [
    ("Why did the outage happen?", "The database ran out of connections."),
    ("Why did it run out of connections?", "A query held connections open too long."),
    ("Why was the index missing?", "The schema migration did not include it."),
]


def add_whys(cast: Cast, postmortem: Postmortem) -> list[dict[str, object]]:
    client = cast.api("bob")
    return [
        ok(
            client.post_json(
                f"{API}/postmortems/{postmortem.pk}/whys", {"question": q, "answer": a}
            ),
            201,
        )
        for q, a in CHAIN
    ]


def test_whys_are_added_at_the_end_of_the_chain(cast: Cast, postmortem: Postmortem) -> None:
    made = add_whys(cast, postmortem)
    assert [w["position"] for w in made] == [0, 1, 2]
    listed = ok(cast.api("vera").get(f"{API}/postmortems/{postmortem.pk}/whys"))["items"]
    assert [w["question"] for w in listed] == [q for q, _ in CHAIN]
    detail = ok(cast.api("vera").get(f"{API}/postmortems/{postmortem.pk}"))
    assert [w["id"] for w in detail["whys"]] == [w["id"] for w in made]


def test_reordering_the_whys_puts_them_in_the_order_given(
    cast: Cast, postmortem: Postmortem
) -> None:
    ids = [w["id"] for w in add_whys(cast, postmortem)]
    new_order = [ids[2], ids[0], ids[1]]
    body = ok(
        cast.api("alice").post_json(
            f"{API}/postmortems/{postmortem.pk}/whys/reorder", {"order": new_order}
        )
    )
    assert [w["id"] for w in body["items"]] == new_order
    assert (body["count"], body["limit"], body["offset"], body["next"]) == (3, 3, 0, None)
    assert [
        w["id"]
        for w in ok(cast.api("alice").get(f"{API}/postmortems/{postmortem.pk}/whys"))["items"]
    ] == new_order


def test_a_reorder_that_leaves_out_a_why_is_refused_on_the_order_field(
    cast: Cast, postmortem: Postmortem
) -> None:
    ids = [w["id"] for w in add_whys(cast, postmortem)]
    response = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/whys/reorder", {"order": ids[:2]}
    )
    assert "exactly once" in field_errors(response)["order"]
    assert list(Why.objects.order_by("position").values_list("pk", flat=True)) == ids


def test_a_why_is_edited_with_its_version_and_a_stale_edit_is_a_conflict(
    cast: Cast, postmortem: Postmortem
) -> None:
    why = add_whys(cast, postmortem)[0]
    client = cast.api("alice")
    edited = ok(
        client.patch_json(
            f"{API}/whys/{why['id']}", {"answer": "Pool of 10 for 200 workers.", "version": 1}
        )
    )
    assert (edited["answer"], edited["version"]) == ("Pool of 10 for 200 workers.", 2)
    stale = ok(
        client.patch_json(f"{API}/whys/{why['id']}", {"answer": "Older.", "version": 1}), 409
    )
    assert stale["current"]["answer"] == "Pool of 10 for 200 workers."
    assert "question" in field_errors(
        client.patch_json(f"{API}/whys/{why['id']}", {"question": "", "version": 2})
    )


def test_a_why_is_deleted_with_its_version(cast: Cast, postmortem: Postmortem) -> None:
    why = add_whys(cast, postmortem)[0]
    client = cast.api("alice")
    assert ok(client.delete(f"{API}/whys/{why['id']}?version=7"), 409)["detail"]
    assert ok(client.delete(f"{API}/whys/{why['id']}"), 422)
    assert ok(cast.api("vera").delete(f"{API}/whys/{why['id']}?version=1"), 403)
    assert ok(client.delete(f"{API}/whys/{why['id']}?version=1"), 204) is None
    assert not Why.objects.filter(pk=why["id"]).exists()
    assert ok(client.delete(f"{API}/whys/{why['id']}?version=1"), 404)


def test_the_first_timeline_event_documents_the_initial_timeline(
    cast: Cast, postmortem: Postmortem
) -> None:
    client = cast.api("bob")
    later = ok(
        client.post_json(
            f"{API}/postmortems/{postmortem.pk}/timeline",
            {"occurred_at": "2026-03-02T14:05:00+01:00", "description": "Rolled back the deploy."},
        ),
        201,
    )
    ok(
        client.post_json(
            f"{API}/postmortems/{postmortem.pk}/timeline",
            {"occurred_at": "2026-03-02T12:58:00Z", "description": "Error rate alert fired."},
        ),
        201,
    )
    events = ok(client.get(f"{API}/postmortems/{postmortem.pk}/timeline"))["items"]
    assert [e["description"] for e in events] == [
        "Error rate alert fired.",
        "Rolled back the deploy.",
    ]
    detail = ok(client.get(f"{API}/postmortems/{postmortem.pk}"))
    timeline = next(m for m in detail["milestones"] if m["key"] == "initial_timeline")
    assert timeline["completed_at"] is not None
    moved = ok(
        client.patch_json(
            f"{API}/timeline/{later['id']}", {"occurred_at": "2026-03-02T12:00:00Z", "version": 1}
        )
    )
    assert moved["occurred_at"] == "2026-03-02T12:00:00Z"
    assert ok(client.delete(f"{API}/timeline/{later['id']}?version=2"), 204) is None


def test_a_timeline_event_needs_an_aware_time(cast: Cast, postmortem: Postmortem) -> None:
    response = cast.api("bob").post_json(
        f"{API}/postmortems/{postmortem.pk}/timeline",
        {"occurred_at": "2026-03-02T12:58:00", "description": "Alert."},
    )
    assert "timezone" in field_errors(response)["occurred_at"]


def test_contributing_factors_are_added_edited_reordered_and_deleted(
    cast: Cast, postmortem: Postmortem
) -> None:
    client = cast.api("alice")
    url = f"{API}/postmortems/{postmortem.pk}/factors"
    first = ok(
        client.post_json(url, {"kind": "detection", "description": "Alert fired 12 minutes late."}),
        201,
    )
    second = ok(client.post_json(url, {"description": "Runbook out of date."}), 201)
    assert second["kind"] == "other"
    assert "kind" in field_errors(client.post_json(url, {"kind": "blame", "description": "Bob."}))
    order = ok(client.post_json(f"{url}/reorder", {"order": [second["id"], first["id"]]}))
    assert [f["id"] for f in order["items"]] == [second["id"], first["id"]]
    edited = ok(
        client.patch_json(f"{API}/factors/{second['id']}", {"kind": "process", "version": 1})
    )
    assert edited["kind"] == "process"
    assert ok(client.delete(f"{API}/factors/{first['id']}?version=1"), 204) is None
    assert list(ContributingFactor.objects.values_list("pk", flat=True)) == [second["id"]]


def test_sections_of_a_private_teams_postmortem_are_invisible_to_an_outsider(cast: Cast) -> None:
    secret = start_postmortem(cast.incident(team=cast.security), cast.dana)
    why = Why.objects.create(postmortem=secret, question="Why?", answer="Because.")
    charlie = cast.api("charlie")
    assert ok(charlie.get(f"{API}/postmortems/{secret.pk}/whys"), 404)
    assert ok(charlie.patch_json(f"{API}/whys/{why.pk}", {"answer": "x", "version": 1}), 404)
    assert ok(
        charlie.post_json(f"{API}/postmortems/{secret.pk}/factors", {"description": "x"}), 404
    )
