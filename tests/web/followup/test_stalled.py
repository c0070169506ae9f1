"""One definition of stalled: "the weekly review says Stalled (0) while the worker has just
escalated three items as stuck for 19 days" (issue 13) must not happen again. The review
page, its API, the digest and escalation all ask ``ActionItem.stalled_reason``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
import time_machine

from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup.digest import digest_message, team_review
from followthrough.web.followup.models import Escalation
from followthrough.web.followup.worker import one_pass

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def test_the_items_the_worker_escalates_are_exactly_the_reviews_stalled_items(
    cast: Cast,
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as traveller:
        postmortem = final_postmortem(cast)
        untouched = add_item(postmortem, cast.frank, "Alert on pool", date(2026, 5, 4))
        overdue_untouched = add_item(postmortem, cast.rita, "Add the checklist", date(2026, 3, 13))
        no_owner = add_item(postmortem, None, "Load-test the pooler", date(2026, 5, 4))
        moving = add_item(postmortem, cast.ivan, "Rehearse the failover", date(2026, 3, 13))
        traveller.move_to(datetime(2026, 3, 18, 9, tzinfo=UTC))
        fresh = add_item(postmortem, cast.frank, "Document the pooler", date(2026, 4, 30))
        # Overdue, but someone works on it: overdue, not stalled.
        update_action_item(moving, moving.version, cast.bob, {"status": "in_progress"})
        traveller.move_to(datetime(2026, 3, 21, 9, tzinfo=UTC))  # 19 days after the start
        one_pass("w1")
        escalated = set(Escalation.objects.values_list("item_id", flat=True))
        review = team_review(cast.payments)
        page = cast.browser(cast.alice).get("/review/payments/").content.decode()
        api = cast.api("alice").get(f"/api/v1/teams/{cast.payments.pk}/review").json()
    assert escalated == {untouched.pk, overdue_untouched.pk, no_owner.pk}
    assert {i.pk for i in review.stalled} == escalated
    assert {i["id"] for i in api["stalled"]} == escalated
    assert [i.pk for i in review.overdue] == [moving.pk]
    assert [i.pk for i in review.open] == [fresh.pk]
    assert "Stalled (overdue and untouched since, or no activity for 14 days) " in page
    assert '<span class="muted">(3)</span>' in page
    assert "Overdue since Fri 13 Mar 2026 and not updated since" in page
    assert "No activity for 19 days" in page
    digest = digest_message(review, review.now)
    assert digest.subject.endswith("1 overdue, 0 due soon, 3 stalled")
    assert "no activity for 19 days" in digest.text()
    # The item nobody owns goes to the team lead.
    assert Escalation.objects.get(item=no_owner).to_person == cast.alice.person  # type: ignore[attr-defined]
