"""A lead's first postmortem, in a real Chromium: log in, record, start, see the milestones."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import open_tab

SCREENSHOT = Path("/tmp/followthrough-editor.png")
PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_records_an_incident_starts_its_postmortem_and_sees_the_six_milestones(
    live_server: Any, cast: Any, page: Any
) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A refused form answers 422, which Chromium logs as a failed load; anything else is a bug.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )

    # A visitor is sent to the login page.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login/?next=/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()

    # Record an incident resolved three days ago (Berlin time, the team's zone).
    berlin = ZoneInfo("Europe/Berlin")
    resolved = (datetime.now(berlin) - timedelta(days=3)).replace(second=0, microsecond=0)
    page.get_by_role("link", name="New incident").first.click()
    page.get_by_label("Title").fill("Checkout returned 502 for EU customers")
    page.get_by_label("Severity").select_option("P1")
    page.get_by_label("Started at").fill((resolved - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Detected at").fill(
        (resolved - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Resolved at").fill(resolved.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Incident commander").select_option(label="Ivan Petrov")
    page.get_by_label("Rita Gomez").check()
    page.get_by_label("Significant impact").check()
    page.get_by_role("button", name="Record incident").click()

    # The incident page gives the policy decision with its reason.
    expect(
        page.get_by_text("P1 incident with significant impact: always run a postmortem.")
    ).to_be_visible()
    page.get_by_role("button", name="Start postmortem").click()

    # The editor shows the six milestones with their states.
    milestones = page.locator("#milestones li.milestone")
    expect(milestones).to_have_count(6)
    expect(milestones.nth(0)).to_contain_text("Incident resolved")
    expect(milestones.nth(0)).to_contain_text("done on time")
    expect(milestones.nth(1)).to_contain_text("Initial timeline documented")
    expect(milestones.nth(1)).to_contain_text("overdue")
    expect(milestones.nth(2)).to_contain_text("overdue")
    for n in (3, 4, 5):
        expect(milestones.nth(n)).to_contain_text("pending")
    expect(milestones.nth(5)).to_contain_text("Engineering manager")

    # Documenting the timeline (an htmx swap) completes its milestone, late.
    open_tab(page, "Timeline")
    page.get_by_label("When (Europe/Berlin time)").fill(
        (resolved - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("What happened").fill("Error-rate alert fired for checkout.")
    page.get_by_role("button", name="Add event").click()
    expect(page.locator("#timeline")).to_contain_text("Error-rate alert fired for checkout.")
    expect(milestones.nth(1)).to_contain_text("done late")

    # An involved facilitator is refused inline.
    open_tab(page, "Meeting")
    page.get_by_label("Facilitator").select_option(label="Ivan Petrov")
    page.get_by_role("button", name="Save meeting").click()
    expect(page.locator("#meeting")).to_contain_text("Ivan Petrov was the incident commander")

    page.evaluate("window.scrollTo(0, 0)")  # the side panel is sticky: shoot it at the top
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []
