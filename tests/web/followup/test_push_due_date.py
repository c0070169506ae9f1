"""Date shifts land on business days: "'push due date a week' from an item without a date
set a Sunday" (issue 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
import time_machine

from followthrough.web.actions.models import ActionItem

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def push(cast: Cast, item: ActionItem) -> date | None:
    answer = cast.browser(cast.bob).post(
        f"/action-items/{item.pk}/push/", {f"v-{item.pk}-version": item.version}
    )
    assert answer.status_code == 302
    return ActionItem.objects.get(pk=item.pk).due_date


def test_an_item_without_a_date_pushed_on_a_sunday_lands_on_the_monday_after(
    cast: Cast,
) -> None:
    # Sunday 1 March 2026, 23:30 in Berlin (22:30 UTC): a week later is a Sunday too.
    with time_machine.travel(datetime(2026, 3, 1, 22, 30, tzinfo=UTC), tick=False):
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool")
        assert push(cast, item) == date(2026, 3, 9)


def test_a_week_from_a_friday_landing_on_good_friday_skips_to_the_tuesday_after_easter(
    cast: Cast,
) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 27))
    assert push(cast, item) == date(2026, 4, 7)


def test_a_week_after_a_business_day_is_the_same_weekday(cast: Cast) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 11))
    assert push(cast, item) == date(2026, 3, 18)


def test_the_team_lead_reads_the_new_date_in_the_htmx_answer(cast: Cast) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 27))
    answer = cast.browser(cast.bob).post(
        f"/action-items/{item.pk}/push/",
        {f"v-{item.pk}-version": item.version},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    assert "is now due Tue 07 Apr 2026" in answer.content.decode()
