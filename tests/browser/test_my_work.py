"""A facilitator's day in a real Chromium: "My work" from the navigation lists what is
theirs across teams with its due dates, and the meeting panel hands them the invite."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from icalendar import Calendar

PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bob_finds_his_work_from_the_navigation_and_downloads_the_meeting_invite(
    live_server: Any, cast: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    from followthrough.web.actions.operations import create_action_item
    from followthrough.web.postmortems.operations import start_postmortem, update_meeting

    bob = cast.bob.person
    resolved = timezone.now() - timedelta(hours=2)
    incident = cast.incident(
        title="Checkout returned 502",
        started_at=resolved - timedelta(hours=2),
        detected_at=resolved - timedelta(hours=1),
        resolved_at=resolved,
    )
    postmortem = start_postmortem(incident, cast.alice)
    meeting = postmortem.meeting
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    update_meeting(meeting, meeting.version, {"facilitator": bob, "scheduled_for": start})
    create_action_item(
        postmortem,
        None,
        title="Alert on connection pool exhaustion",
        owner=bob,
        due_date=date.today() - timedelta(days=2),
        done_condition="An alert fires in staging at 90% of the pool.",
    )
    key = postmortem.incident.key

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()

    rows = page.locator("table.my-work tbody tr")
    # The overdue item first, then his meeting and the milestones he owns as facilitator.
    expect(rows.first).to_contain_text("Alert on connection pool exhaustion")
    expect(rows.first).to_contain_text("overdue")
    table = page.locator("table.my-work")
    expect(table).to_contain_text(f"Postmortem meeting of {key}")
    expect(table).to_contain_text("Postmortem meeting held")
    expect(table).to_contain_text("Postmortem document finalized")

    # Each entry links to where the work is done.
    page.get_by_role("link", name=f"Postmortem meeting of {key}").click()
    panel = page.locator("#meeting")
    expect(panel).to_be_visible()
    with page.expect_download() as download:
        panel.get_by_role("link", name="Add the meeting to your calendar (.ics)").click()
    path = download.value.path()
    with open(path, "rb") as f:
        cal = Calendar.from_ical(f.read())
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == start
    assert str(event["ORGANIZER"]) == "mailto:bob@example.com"

    page.go_back()
    page.get_by_role("link", name="Alert on connection pool exhaustion").click()
    expect(page.get_by_role("heading", name="Alert on connection pool exhaustion")).to_be_visible()
    assert errors == []
