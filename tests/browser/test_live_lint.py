"""The linter follows an editor's typing in a real Chromium: findings appear beside the
section before anything is saved, and a half-typed reason to go final survives other saves."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

from .conftest import open_tab

SCREENSHOT = Path("/tmp/followthrough-live-lint.png")
PASSWORD = "correct horse battery staple"
BLAME = "The root cause was human error by Bob"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def stored(pk: int) -> Postmortem:
    """The postmortem as the database has it now.

    Playwright's sync API runs the test in a greenlet, which gets its own connection: close
    it, or PostgreSQL cannot drop the test database afterwards.
    """
    try:
        return Postmortem.objects.get(pk=pk)
    finally:
        connection.close()


@pytest.fixture
def in_review(cast: Any) -> Postmortem:
    """In review, meeting held, one vague action item (a lint error): made before the page."""
    postmortem = start_postmortem(cast.incident(), cast.alice)
    add_timeline_event(
        postmortem, datetime(2026, 3, 2, 13, 10, tzinfo=UTC), "Error-rate alert fired."
    )
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status=Status.IN_REVIEW,
        summary="Checkout returned 502 for EU customers for 47 minutes.",
    )
    type(postmortem.meeting).objects.filter(pk=postmortem.meeting.pk).update(
        held_at=datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
    )
    ActionItem.objects.create(
        postmortem=postmortem, title="Improve monitoring", owner=cast.frank, due_date=date.today()
    )
    postmortem.refresh_from_db()
    return postmortem


def test_a_blame_phrase_typed_into_the_summary_is_flagged_before_saving(
    live_server: Any, in_review: Postmortem, page: Any
) -> None:
    from playwright.sync_api import expect

    postmortem, version = in_review, in_review.version

    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    editor = f"/incidents/{postmortem.incident_id}/postmortem/"
    page.goto(f"{live_server.url}/login/?next={editor}")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The summary tab is open; the linter beside it counts the action items' error.
    expect(page.locator("#lint-summary")).to_contain_text("Action items")
    expect(page.locator("#findings-summary")).not_to_contain_text("human error")

    # A reason to go final anyway, half typed, then the summary is changed.
    reason = page.get_by_label("Reason to go final anyway")
    reason.fill("Agreed in the meeting to")
    summary = page.locator("#id_summary")
    summary.fill("")
    summary.press_sequentially(BLAME, delay=20)

    # The blame finding appears beside the summary without saving; typing is undisturbed.
    found = page.locator("#findings-summary")
    expect(found).to_contain_text("PM102", timeout=5_000)
    expect(found).to_contain_text("Blame or hindsight phrasing: 'human error'")
    expect(found).to_contain_text("Fix:")
    expect(page.locator("#lint-counts")).to_contain_text("As typed, not saved yet.")
    assert page.evaluate("document.activeElement.id") == "id_summary"
    expect(summary).to_have_value(BLAME)
    unsaved = stored(postmortem.pk)
    assert unsaved.version == version and "human error" not in unsaved.summary

    # Saving the summary (an htmx swap) redraws the status panel: the reason stays, and the
    # finding stays too: now it is of the saved document.
    page.locator("#section-summary").get_by_role("button", name="Save").click()
    expect(page.locator("#sections .notice")).to_contain_text("Saved (version")
    expect(reason).to_have_value("Agreed in the meeting to")
    expect(page.locator("#findings-summary")).to_contain_text("PM102")
    expect(page.locator("#lint-counts")).not_to_contain_text("not saved yet")
    assert stored(postmortem.pk).summary == BLAME

    # Another tab's save: the reason still stays.
    open_tab(page, "Timeline")
    page.get_by_label("When (Europe/Berlin time)").fill("2026-03-02T14:20")
    page.get_by_label("What happened").fill("Pool size raised; errors stopped.")
    page.get_by_role("button", name="Add event").click()
    expect(page.locator("#timeline")).to_contain_text("Pool size raised; errors stopped.")
    expect(reason).to_have_value("Agreed in the meeting to")

    # The action items' tab shows their finding where the items are.
    open_tab(page, "Action items")
    expect(page.locator("#findings-action_items")).to_contain_text("PM203")

    page.locator("#lint").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []
