"""Action items: one owner, a date, a done-condition, a priority; followed until done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import ContributingFactor, Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def item(cast: Cast, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Alert on connection pool exhaustion",
        "owner_id": cast.frank.pk,
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "done_condition": "The alert fires in staging when the pool is 90% used.",
    }
    body.update(fields)
    return body


def add(cast: Cast, postmortem: Postmortem, **fields: Any) -> dict[str, Any]:
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    return ok(cast.api("alice").post_json(url, item(cast, **fields)), 201)


def test_an_action_item_says_how_urgent_it_is(cast: Cast, postmortem: Postmortem) -> None:
    now = add(cast, postmortem, likelihood=5, consequence=5, effort=1)
    never = add(cast, postmortem, title="Rewrite the ledger", likelihood=1, consequence=1, effort=5)
    assert now["priority"] == {"bucket": "do it now", "score": 25.0}
    assert never["priority"] == {"bucket": "do not bother", "score": 0.2}
    assert now["owner"] == {"id": cast.frank.pk, "name": "Frank Osei"}
    assert now["incident"]["key"] == f"INC-{postmortem.incident_id}"
    assert now["status"] == "open" and now["overdue"] is False
    # the 1-5 rating is "consequence": "severity" is an incident's P0-P3 only
    assert now["consequence"] == 5 and "severity" not in now
    refused = cast.api("alice").post_json(
        f"{API}/postmortems/{postmortem.pk}/action-items", item(cast, severity=5)
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "severity"]


def test_owned_and_dated_items_complete_the_actions_tracked_milestone(
    cast: Cast, postmortem: Postmortem
) -> None:
    add(cast, postmortem)
    detail = ok(cast.api("alice").get(f"{API}/postmortems/{postmortem.pk}"))
    tracked = next(m for m in detail["milestones"] if m["key"] == "actions_tracked")
    assert tracked["completed_at"] is not None


def test_a_rating_outside_one_to_five_is_refused(cast: Cast, postmortem: Postmortem) -> None:
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    errors = field_errors(cast.api("alice").post_json(url, item(cast, likelihood=7, effort=0)))
    assert set(errors) == {"likelihood", "effort"}
    assert not ActionItem.objects.exists()


def test_an_action_item_without_a_title_is_refused(cast: Cast, postmortem: Postmortem) -> None:
    body = item(cast)
    del body["title"]
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    assert field_errors(cast.api("alice").post_json(url, body)) == {"title": "Field required"}


def test_deprioritising_without_a_written_reason_is_refused(
    cast: Cast, postmortem: Postmortem
) -> None:
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    errors = field_errors(cast.api("alice").post_json(url, item(cast, status="deprioritised")))
    assert "written reason" in errors["deprioritised_reason"]
    made = add(cast, postmortem)
    patch = cast.api("alice").patch_json(
        f"{API}/action-items/{made['id']}", {"status": "deprioritised", "version": 1}
    )
    assert "written reason" in field_errors(patch)["deprioritised_reason"]
    assert ActionItem.objects.get(pk=made["id"]).status == "open"
    reasoned = ok(
        cast.api("alice").patch_json(
            f"{API}/action-items/{made['id']}",
            {
                "status": "deprioritised",
                "deprioritised_reason": "The service is retired in May.",
                "version": 1,
            },
        )
    )
    assert reasoned["status"] == "deprioritised" and reasoned["version"] == 2


def test_marking_an_item_done_records_when(cast: Cast, postmortem: Postmortem) -> None:
    made = add(cast, postmortem)
    done = ok(
        cast.api("bob").patch_json(
            f"{API}/action-items/{made['id']}", {"status": "done", "version": 1}
        )
    )
    assert done["done_at"] is not None
    stale = ok(
        cast.api("bob").patch_json(
            f"{API}/action-items/{made['id']}", {"title": "Older", "version": 1}
        ),
        409,
    )
    assert stale["current"]["status"] == "done"


def test_the_owner_is_one_known_person_and_the_factor_belongs_to_the_postmortem(
    cast: Cast, postmortem: Postmortem
) -> None:
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    assert "owner_id" in field_errors(cast.api("alice").post_json(url, item(cast, owner_id=98765)))
    elsewhere = start_postmortem(cast.incident(title="Other"), cast.alice)
    foreign = ContributingFactor.objects.create(postmortem=elsewhere, description="Elsewhere.")
    own = ContributingFactor.objects.create(postmortem=postmortem, description="Alert was late.")
    errors = field_errors(
        cast.api("alice").post_json(url, item(cast, addresses_factor_id=foreign.pk))
    )
    assert "no contributing factor" in errors["addresses_factor_id"]
    assert add(cast, postmortem, addresses_factor_id=own.pk)["addresses_factor_id"] == own.pk


def test_a_viewer_cannot_add_or_change_action_items(cast: Cast, postmortem: Postmortem) -> None:
    url = f"{API}/postmortems/{postmortem.pk}/action-items"
    assert ok(cast.api("vera").post_json(url, item(cast)), 403)
    made = add(cast, postmortem)
    assert ok(
        cast.api("vera").patch_json(
            f"{API}/action-items/{made['id']}", {"title": "x", "version": 1}
        ),
        403,
    )
    assert ok(cast.api("vera").get(f"{API}/action-items/{made['id']}"))["title"] == made["title"]
    assert ok(cast.api("vera").get(f"{API}/action-items/777777"), 404)


def _items(cast: Cast, postmortem: Postmortem) -> dict[str, ActionItem]:
    today = timezone.localdate()
    make = ActionItem.objects.create
    secret = start_postmortem(cast.incident(team=cast.security, title="Phishing"), cast.dana)
    return {
        "late": make(
            postmortem=postmortem,
            title="Late",
            owner=cast.frank,
            due_date=today - timedelta(days=3),
            likelihood=2,
            severity=2,
            effort=2,
        ),
        "urgent": make(
            postmortem=postmortem,
            title="Urgent",
            owner=cast.rita,
            due_date=today + timedelta(days=9),
            likelihood=5,
            severity=5,
            effort=1,
        ),
        "done": make(
            postmortem=postmortem,
            title="Done late",
            owner=cast.frank,
            due_date=today - timedelta(days=9),
            status="done",
        ),
        "undated": make(postmortem=postmortem, title="Undated", likelihood=1, severity=1, effort=5),
        "secret": make(postmortem=secret, title="Rotate keys", due_date=date(2026, 1, 1)),
    }


def test_action_items_filter_by_team_status_owner_and_overdue(
    cast: Cast, postmortem: Postmortem
) -> None:
    made = _items(cast, postmortem)
    client = cast.api("alice")

    def titles(query: str = "") -> list[str]:
        return [i["title"] for i in ok(client.get(f"{API}/action-items?{query}"))["items"]]

    assert titles() == ["Done late", "Late", "Urgent", "Undated"]
    assert titles("overdue=true") == ["Late"]
    assert titles("overdue=false") == ["Done late", "Urgent", "Undated"]
    assert titles("status=done") == ["Done late"]
    assert titles(f"owner={cast.frank.pk}") == ["Done late", "Late"]
    assert titles(f"team={cast.security.pk}") == []
    assert titles(f"postmortem={postmortem.pk}&limit=2") == ["Done late", "Late"]
    assert ok(client.get(f"{API}/action-items?limit=2"))["count"] == 4
    assert [
        i["title"]
        for i in ok(cast.api("dana").get(f"{API}/action-items?team={cast.security.pk}"))["items"]
    ] == ["Rotate keys"]
    assert ok(client.get(f"{API}/action-items/{made['secret'].pk}"), 404)
    listed = ok(client.get(f"{API}/postmortems/{postmortem.pk}/action-items"))["items"]
    assert [i["title"] for i in listed] == ["Done late", "Late", "Urgent", "Undated"]


def test_action_items_sort_by_priority_most_urgent_first(
    cast: Cast, postmortem: Postmortem
) -> None:
    _items(cast, postmortem)
    body = ok(cast.api("alice").get(f"{API}/action-items?sort=priority&limit=3&offset=0"))
    assert [i["title"] for i in body["items"]] == ["Urgent", "Done late", "Late"]
    assert body["count"] == 4
    assert [i["priority"]["bucket"] for i in body["items"]] == ["do it now", "plan it", "plan it"]
    rest = ok(cast.api("alice").get(f"{API}/action-items?sort=priority&limit=3&offset=3"))
    assert [i["title"] for i in rest["items"]] == ["Undated"]
    bad = cast.api("alice").get(f"{API}/action-items?sort=owner")
    assert bad.status_code == 422
