"""Final means final, in a real Chromium, both ways: a change typed into a tab opened before
the postmortem went final is refused with the reason and the text kept; ticking "send it back
to review" saves it, the editor reloads in review, and going final again meets the linter."""

from __future__ import annotations

from typing import Any

import pytest

from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import transition
from web.pages.final import BLAME, SOUND_SUMMARY, final_postmortem

from .conftest import Console, log_in, open_tab, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_final_postmortem_refuses_a_stale_tabs_change_then_takes_it_back_to_review(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    postmortem = final_postmortem(cast)
    # The tab was opened while the postmortem was still in review.
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Status.IN_REVIEW)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    summary = page.locator("#id_summary")
    expect(summary).to_have_value(SOUND_SUMMARY)
    page.wait_for_load_state("networkidle")  # the page's own requests done (one database)
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Status.FINAL)

    # Refused, with the reason; the typed text stays; nothing is saved.
    summary.fill(BLAME)
    sections = page.locator("#sections")
    with console.expecting(422):
        page.locator("#section-summary").get_by_role("button", name="Save").click()
        expect(sections).to_contain_text("Not saved. This postmortem is final")
    expect(page.locator("#id_summary")).to_have_value(BLAME)
    assert stored(Postmortem, pk=postmortem.pk).summary == SOUND_SUMMARY

    # Chosen explicitly: back to review with the change.
    page.get_by_label("Send the postmortem back to review with my change").check()
    page.locator("#section-summary").get_by_role("button", name="Save").click()
    expect(page.get_by_text("went back to review with your change")).to_be_visible()
    expect(page.locator("#status .badge")).to_have_text("In review")
    expect(page.locator("#id_summary")).to_have_value(BLAME)
    saved = stored(Postmortem, pk=postmortem.pk)
    assert (saved.status, saved.summary) == (Status.IN_REVIEW, BLAME)

    # The linter's gate applies again.
    page.locator("#status").get_by_role("button", name="Move to final").click()
    expect(page.get_by_text("The postmortem cannot go to final yet:")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("PM101")
    assert stored(Postmortem, pk=postmortem.pk).status == Status.IN_REVIEW


def test_a_final_postmortem_reads_as_locked_and_is_sent_back_with_one_button(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    postmortem = final_postmortem(cast)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    expect(page.get_by_text("Final: the document is locked.")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_count(0)
    open_tab(page, "Five whys")
    expect(page.get_by_role("button", name="Add why")).to_have_count(0)
    # The items' follow-through stays open.
    open_tab(page, "Action items")
    expect(page.locator("#actions").get_by_role("button", name="Change status")).to_be_visible()

    page.get_by_role("button", name="Send back to review").click()
    expect(page.locator("#status .badge")).to_have_text("In review")
    expect(page.locator("#id_summary")).to_be_visible()
    assert stored(Postmortem, pk=postmortem.pk).status == Status.IN_REVIEW


def test_a_closed_postmortem_is_read_only_until_reopened(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    postmortem = final_postmortem(cast)
    postmortem.action_items.update(status="done")
    transition(postmortem, Status.CLOSED, postmortem.version, cast.alice)
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    expect(page.get_by_text("Closed: read-only.")).to_be_visible()
    open_tab(page, "Action items")
    expect(page.locator("#actions").get_by_role("button", name="Change status")).to_have_count(0)
    page.get_by_role("button", name="Reopen for changes (back to review)").click()
    expect(page.locator("#status .badge")).to_have_text("In review")
    expect(page.locator("#id_summary")).to_be_visible()
    assert stored(Postmortem, pk=postmortem.pk).status == Status.IN_REVIEW
