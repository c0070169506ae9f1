"""Action items: the workflow, who did what and when, priority order, and closing the loop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.urls import reverse

from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup.loop import forgotten_postmortems, sweep
from followthrough.web.history.recording import history_of
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import Refused

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 16, 10, tzinfo=UTC)


def test_an_item_goes_open_in_progress_done_and_done_records_who_when_and_evidence(
    cast: Cast,
) -> None:
    postmortem = final_postmortem(cast)
    item = add_item(postmortem, cast.frank, "Alert on pool exhaustion", date(2026, 3, 30))
    with time_machine.travel(DAY, tick=False):
        update_action_item(item, item.version, cast.bob, {"status": ActionStatus.IN_PROGRESS})
        update_action_item(
            item,
            item.version,
            cast.bob,
            {"status": ActionStatus.DONE, "evidence_url": "https://ci.example.com/run/42"},
        )
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert item.done_by == cast.bob and item.done_at == DAY
    assert item.evidence_url == "https://ci.example.com/run/42"
    statuses = [c.changed_fields().get("status") for c in history_of(item)]
    assert ("in_progress", "done") in statuses and ("open", "in_progress") in statuses


def test_deprioritising_without_a_written_reason_is_refused_and_with_one_records_who(
    cast: Cast,
) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Rewrite the pool", date(2026, 3, 30))
    with pytest.raises(Refused, match="written reason"):
        update_action_item(item, item.version, cast.bob, {"status": "deprioritised"})
    update_action_item(
        item,
        item.version,
        cast.bob,
        {"status": "deprioritised", "deprioritised_reason": "Pool is being replaced in Q3."},
    )
    item.refresh_from_db()
    assert item.deprioritised_by == cast.bob and item.deprioritised_at is not None


def test_a_done_item_cannot_jump_to_in_progress_but_reopens_to_open(cast: Cast) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Add the index", date(2026, 3, 30))
    update_action_item(item, item.version, cast.bob, {"status": "done"})
    with pytest.raises(Refused, match="from here it can go to: open"):
        update_action_item(item, item.version, cast.bob, {"status": "in_progress"})
    update_action_item(item, item.version, cast.bob, {"status": "open"})
    item.refresh_from_db()
    assert item.status == "open" and item.done_at is None and item.done_by is None


def test_the_item_page_shows_priority_and_the_history_of_who_changed_what(cast: Cast) -> None:
    item = add_item(
        final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 30), effort=1
    )
    update_action_item(item, item.version, cast.bob, {"due_date": date(2026, 4, 6)})
    page = cast.browser(cast.vera).get(reverse("action-item", args=[item.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert str(item.priority().bucket) in html
    assert "bob: changed" in html and "2026-03-30 → 2026-04-06" in html
    assert "created" in html


def test_an_outsider_cannot_see_a_private_teams_item(cast: Cast) -> None:
    secret = cast.incident(team=cast.security, commander=None)
    from followthrough.web.postmortems.operations import start_postmortem

    item = add_item(start_postmortem(secret, cast.dana), cast.dana.person, "Rotate keys")
    assert cast.browser(cast.charlie).get(reverse("action-item", args=[item.pk])).status_code == 404
    assert cast.browser(cast.dana).get(reverse("action-item", args=[item.pk])).status_code == 200


def test_a_final_postmortem_closes_itself_when_every_item_is_done_or_deprioritised(
    cast: Cast,
) -> None:
    postmortem = final_postmortem(cast)
    first = add_item(postmortem, cast.frank, "Alert on pool", date(2026, 3, 30))
    second = add_item(postmortem, cast.rita, "Rewrite pool", date(2026, 3, 30))
    update_action_item(first, first.version, cast.bob, {"status": "done"})
    postmortem.refresh_from_db()
    assert postmortem.status == Status.FINAL
    update_action_item(
        second,
        second.version,
        cast.bob,
        {"status": "deprioritised", "deprioritised_reason": "Replaced by the new pooler."},
    )
    postmortem.refresh_from_db()
    assert postmortem.status == Status.CLOSED and postmortem.closed_at is not None
    assert any("Closed itself" in c.note for c in history_of(postmortem))


def test_a_closed_postmortem_reopens_when_an_item_reopens(cast: Cast) -> None:
    postmortem = final_postmortem(cast)
    item = add_item(postmortem, cast.frank, "Alert on pool", date(2026, 3, 30))
    update_action_item(item, item.version, cast.bob, {"status": "done"})
    postmortem.refresh_from_db()
    assert postmortem.status == Status.CLOSED
    update_action_item(item, item.version, cast.bob, {"status": "open"})
    postmortem.refresh_from_db()
    assert postmortem.status == Status.FINAL and postmortem.closed_at is None
    assert any("Reopened" in c.note for c in history_of(postmortem))


def test_a_new_open_item_reopens_a_closed_postmortem(cast: Cast) -> None:
    postmortem = final_postmortem(cast)
    item = add_item(postmortem, cast.frank, "Alert on pool", date(2026, 3, 30))
    update_action_item(item, item.version, cast.bob, {"status": "done"})
    add_item(Postmortem.objects.get(pk=postmortem.pk), cast.rita, "One more", date(2026, 4, 2))
    assert Postmortem.objects.get(pk=postmortem.pk).status == Status.FINAL


def test_the_sweep_closes_a_postmortem_that_went_final_after_its_items_were_done(
    cast: Cast,
) -> None:
    postmortem = final_postmortem(cast)
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Status.IN_REVIEW)
    item = add_item(Postmortem.objects.get(pk=postmortem.pk), cast.frank, "Alert", None)
    update_action_item(item, item.version, cast.bob, {"status": "done"})
    assert Postmortem.objects.get(pk=postmortem.pk).status == Status.IN_REVIEW
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Status.FINAL)
    assert sweep() == "closed 1, reopened 0"
    assert Postmortem.objects.get(pk=postmortem.pk).status == Status.CLOSED
    assert sweep() == "closed 0, reopened 0"


def test_a_draft_postmortem_never_closes_itself(cast: Cast) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = add_item(postmortem, cast.frank, "Alert", date(2026, 3, 30))
    update_action_item(item, item.version, cast.bob, {"status": "done"})
    assert Postmortem.objects.get(pk=postmortem.pk).status == Status.DRAFT


def test_a_final_postmortem_with_open_items_and_no_activity_for_30_days_is_forgotten(
    cast: Cast,
) -> None:
    with time_machine.travel(DAY, tick=False):
        postmortem = final_postmortem(cast)
        item = add_item(postmortem, cast.frank, "Alert", date(2026, 3, 30))
    assert not forgotten_postmortems(DAY + timedelta(days=29)).exists()
    assert list(forgotten_postmortems(DAY + timedelta(days=31))) == [postmortem]
    with time_machine.travel(DAY + timedelta(days=31), tick=False):
        update_action_item(item, item.version, cast.bob, {"status": "in_progress"})
    assert not forgotten_postmortems(DAY + timedelta(days=32)).exists()
