"""My work: "No list of 'my action items' across teams" (issue 13). One page and one API
list a person's open action items, the milestones they own and the meetings they
facilitate, across every team they may see, overdue first, then by priority and due date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from followthrough.web.actions.operations import update_action_item
from followthrough.web.postmortems.operations import start_postmortem, update_meeting

from .conftest import add_item

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 9, tzinfo=UTC)  # the cast's incidents resolved Monday 2 March


@pytest.fixture
def work(cast: Cast) -> dict[str, Any]:
    """Bob commands one incident, facilitates another's meeting and owns four items."""
    bob = cast.bob.person  # type: ignore[attr-defined]
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        commanded = start_postmortem(cast.incident(commander=bob, title="Bob commands"), None)
        facilitated = start_postmortem(cast.incident(title="Ivan commands"), None)
        meeting = facilitated.meeting
        update_meeting(
            meeting,
            meeting.version,
            {"facilitator": bob, "scheduled_for": datetime(2026, 3, 6, 10, tzinfo=UTC)},
        )
        urgent = add_item(
            facilitated, bob, "Alert on pool", date(2026, 3, 20), likelihood=5, severity=5, effort=1
        )
        late = add_item(
            facilitated,
            bob,
            "Tidy the runbook",
            date(2026, 3, 3),
            likelihood=1,
            severity=1,
            effort=5,
        )
        done = add_item(facilitated, bob, "Already done", date(2026, 3, 10))
        update_action_item(done, done.version, cast.bob, {"status": "done"})
        hidden = start_postmortem(cast.incident(team=cast.security, commander=None), None)
        secret = add_item(hidden, bob, "Rotate the keys", date(2026, 3, 5))
    return {
        "commanded": commanded,
        "facilitated": facilitated,
        "urgent": urgent,
        "late": late,
        "done": done,
        "secret": secret,
    }


def test_the_api_lists_my_items_milestones_and_meetings_overdue_first_then_by_priority(
    cast: Cast, work: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        answer = cast.api("bob").get("/api/v1/me/work")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    rows = [(e["kind"], e["title"], e["overdue"]) for e in body["items"]]
    assert rows == [
        # Overdue: the initial timeline (a deadline) before the low-priority item.
        ("milestone", "Initial timeline documented", True),
        ("action_item", "Tidy the runbook", True),
        # Then deadlines by due date, then items by priority.
        ("milestone", "Postmortem meeting scheduled", False),
        ("meeting", f"Postmortem meeting of {work['facilitated'].incident.key}", False),
        ("milestone", "Postmortem meeting held", False),
        ("milestone", "Postmortem document finalized", False),
        ("action_item", "Alert on pool", False),
    ]
    assert body["count"] == 7
    timeline = body["items"][0]
    assert timeline["role"] == "incident commander" and timeline["milestone"] == "initial_timeline"
    assert timeline["url"] == (
        f"http://testserver/incidents/{work['commanded'].incident_id}/postmortem/"
    )
    assert timeline["due_at"] == "2026-03-03T15:00:00Z"
    assert body["items"][1]["url"] == f"http://testserver/action-items/{work['late'].pk}/"
    assert body["items"][1]["due_date"] == "2026-03-03"
    assert body["items"][-1]["priority"] == "do it now"


def test_done_items_and_incidents_i_may_not_see_are_not_my_work(
    cast: Cast, work: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        titles = [e["title"] for e in cast.api("bob").get("/api/v1/me/work").json()["items"]]
    assert "Already done" not in titles
    assert "Rotate the keys" not in titles  # a private team bob is not on


def test_sorted_by_due_date_the_soonest_comes_first_after_the_overdue(
    cast: Cast, work: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        items = cast.api("bob").get("/api/v1/me/work?sort=due_date").json()["items"]
    dues = [e["due_at"] for e in items if not e["overdue"]]
    assert dues == sorted(dues)
    assert cast.api("bob").get("/api/v1/me/work?sort=owner").status_code == 422


def test_the_engineering_manager_owns_tracking_the_items_of_their_teams_postmortems(
    cast: Cast, work: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        items = cast.api("alice").get("/api/v1/me/work").json()["items"]
    tracked = [e for e in items if e["milestone"] == "actions_tracked"]
    # The other postmortem's items all have an owner and a date: that milestone is done.
    assert [(e["incident_id"], e["role"]) for e in tracked] == [
        (work["commanded"].incident_id, "engineering manager")
    ]
    # Nobody facilitates the first postmortem yet: its lead hears, and sees it here.
    assert [(e["incident_id"], e["role"]) for e in items if e["milestone"] == "meeting_held"] == [
        (work["commanded"].incident_id, "team lead, standing in for the facilitator")
    ]


def test_the_page_is_in_the_navigation_and_links_each_entry(
    cast: Cast, work: dict[str, Any]
) -> None:
    client = cast.browser(cast.bob)
    with time_machine.travel(NOW, tick=False):
        home = client.get("/").content.decode()
        page = client.get("/me/work/").content.decode()
    assert '<a href="/me/work/"' in home and ">My work</a>" in home
    assert "7 open things to do" in page
    assert f'href="/action-items/{work["late"].pk}/"' in page
    assert (
        f'href="/incidents/{work["facilitated"].incident_id}/postmortem/?section=meeting#meeting"'
        in page
    )
    assert "Tue 03 Mar 2026 16:00 CET" in page  # the timeline's deadline, in Berlin time
    assert page.count('class="state state-overdue"') == 2
    assert "Rotate the keys" not in page


def test_someone_with_nothing_to_do_is_told_so_and_a_visitor_must_sign_in(cast: Cast) -> None:
    assert "Nothing to do" in cast.browser(cast.vera).get("/me/work/").content.decode()
    assert cast.api("vera").get("/api/v1/me/work").json() == {
        "items": [],
        "count": 0,
        "limit": 50,
        "offset": 0,
        "next": None,
    }
    from django.test import Client

    assert Client().get("/api/v1/me/work").status_code == 401
    assert Client().get("/me/work/").status_code == 302


def test_the_page_costs_the_same_queries_for_two_items_or_twelve(
    cast: Cast, work: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = cast.browser(cast.bob)
    with time_machine.travel(NOW, tick=False):
        client.get("/me/work/")  # warm the session and the holiday tables
        with CaptureQueriesContext(connection) as few:
            client.get("/me/work/")
        for n in range(10):
            add_item(work["facilitated"], cast.bob.person, f"Item {n}", date(2026, 3, 20))  # type: ignore[attr-defined]
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert "17 open things to do" in client.get("/me/work/").content.decode()
