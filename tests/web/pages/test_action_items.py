"""Action items on the editor: owned, dated, verifiable, prioritised; deprioritising needs a why."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.postmortems.models import Postmortem

from .helpers import panel, text

HTMX = {"HX-Request": "true"}


def add(
    client: Any, postmortem: Postmortem, headers: dict[str, str] | None = None, **fields: Any
) -> Any:
    data = {
        "new-action-title": "Add alerting for connection pool exhaustion",
        "new-action-owner": "",
        "new-action-due_date": "2026-03-20",
        "new-action-done_condition": "An alert fires in staging when the pool is 90% used.",
        "new-action-likelihood": 3,
        "new-action-severity": 3,
        "new-action-effort": 3,
    }
    data.update({f"new-action-{k}": v for k, v in fields.items()})
    return client.post(
        reverse("action-add", args=[postmortem.incident_id]), data, headers=headers or {}
    )


def set_status(
    client: Any, item: ActionItem, status: str, reason: str = "", version: int | None = None
) -> Any:
    p = f"action-{item.pk}"
    return client.post(
        reverse("action-status", args=[item.postmortem.incident_id, item.pk]),
        {
            f"{p}-status": status,
            f"{p}-deprioritised_reason": reason,
            f"{p}-version": version or item.version,
        },
    )


def test_an_action_item_is_added_with_one_owner_and_shows_its_priority(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    response = add(
        client, postmortem, HTMX, owner=cast.frank.pk, likelihood=5, severity=5, effort=1
    )
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<section id="actions"')
    assert "do it now" in body
    assert "Frank Osei" in body
    item = ActionItem.objects.get()
    assert item.owner == cast.frank and item.done_condition.startswith("An alert fires")
    postmortem.refresh_from_db()
    assert postmortem.actions_tracked_at is not None


def test_a_low_value_high_effort_item_is_labelled_do_not_bother(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    add(client, postmortem, owner=cast.frank.pk, likelihood=1, severity=1, effort=5)
    assert "do not bother" in panel(
        client.get(reverse("postmortem", args=[postmortem.incident_id]) + "?section=actions"),
        "actions",
    )


def test_the_editor_lists_open_items_by_priority_then_closed_ones(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    add(client, postmortem, title="Low value tidy-up", likelihood=1, severity=1, effort=5)
    add(client, postmortem, title="Alert on pool exhaustion", likelihood=5, severity=5, effort=1)
    add(client, postmortem, title="Already done thing", likelihood=5, severity=5, effort=1)
    done = ActionItem.objects.get(title="Already done thing")
    set_status(client, done, ActionStatus.DONE)
    add(client, postmortem, title="Runbook for failover", likelihood=3, severity=3, effort=3)
    actions = panel(
        client.get(reverse("postmortem", args=[postmortem.incident_id]) + "?section=actions"),
        "actions",
    )
    actions = actions[actions.index('<ul class="action-items">') :]  # after the lint findings
    titles = ["Alert on pool exhaustion", "Runbook for failover", "Low value tidy-up"]
    positions = [actions.index(t) for t in [*titles, "Already done thing"]]
    assert positions == sorted(positions)


def test_an_action_item_without_a_title_or_with_a_bad_rating_is_refused_inline(
    cast: Any, postmortem: Postmortem
) -> None:
    response = add(cast.browser(cast.bob), postmortem, title="", likelihood=9)
    assert response.status_code == 422
    body = panel(response, "actions")
    assert "This field is required." in body
    assert "Select a valid choice. 9 is not one of the available choices." in body
    assert not ActionItem.objects.exists()


def test_deprioritising_needs_a_written_reason(cast: Any, postmortem: Postmortem) -> None:
    client = cast.browser(cast.bob)
    add(client, postmortem, owner=cast.frank.pk)
    item = ActionItem.objects.get()
    response = set_status(client, item, ActionStatus.DEPRIORITISED)
    assert response.status_code == 422
    assert "Deprioritising needs a written reason" in panel(response, "actions")
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    response = set_status(
        client, item, ActionStatus.DEPRIORITISED, "The service is retired in April."
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
    assert item.deprioritised_reason == "The service is retired in April."


def test_marking_an_item_done_records_who_and_when(cast: Any, postmortem: Postmortem) -> None:
    client = cast.browser(cast.bob)
    add(client, postmortem, owner=cast.frank.pk)
    item = ActionItem.objects.get()
    set_status(client, item, ActionStatus.DONE)
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert item.done_by == cast.bob and item.done_at is not None


def test_a_stale_status_change_is_refused_and_says_what_it_is_now(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    add(client, postmortem, owner=cast.frank.pk)
    item = ActionItem.objects.get()
    set_status(client, item, ActionStatus.IN_PROGRESS)
    response = set_status(client, item, ActionStatus.DONE, version=1)
    assert response.status_code == 409
    assert "It is now “In progress”" in panel(response, "actions")
    item.refresh_from_db()
    assert item.status == ActionStatus.IN_PROGRESS


def test_the_rating_of_a_recurrence_is_called_consequence_as_in_the_api_never_severity(
    cast: Any, postmortem: Postmortem
) -> None:
    """An incident's severity is P0-P3; an item's 1-5 rating of a recurrence is its consequence."""
    client = cast.browser(cast.bob)
    add(client, postmortem, likelihood=4, severity=5, effort=1)
    item = ActionItem.objects.get(postmortem=postmortem)
    editor = reverse("postmortem", args=[postmortem.incident_id]) + "?section=actions"
    edit = reverse("action-edit", args=[postmortem.incident_id, item.pk])
    pages = {
        "editor": text(client.get(editor)),
        "edit form": text(client.get(edit, headers=HTMX)),
        "item": text(client.get(reverse("action-item", args=[item.pk]))),
        "review": text(client.get(reverse("weekly-review", args=[cast.payments.slug]))),
    }
    assert "Consequence if it recurs (1–5)" in pages["editor"]
    assert "Consequence if it recurs (1–5)" in pages["edit form"]
    assert "likelihood 4, consequence 5, effort 1" in pages["editor"]
    assert "consequence 5" in pages["item"]
    for name, body in pages.items():
        assert "Severity if it recurs" not in body, name
        assert not re.search(r"severity \d", body), name
