"""The editor one section at a time, in a real Chromium: tabs swap only the section, each
section saves on its own, and text typed but not saved is never dropped without asking.
The linter sits beside the text on a wide screen and below it on a narrow one."""

from __future__ import annotations

from typing import Any

import pytest

from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import Console, log_in, open_tab, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_tabs_asks_before_dropping_unsaved_text_and_each_section_saves_alone(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    postmortem = start_postmortem(cast.incident(), cast.alice)
    editor = f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/"
    log_in(page, live_server.url, "bob")
    page.goto(editor)
    tabs = page.get_by_role("navigation", name="Sections of the postmortem")
    # Real links: each section has its own address.
    expect(tabs.get_by_role("link", name="Impact", exact=True)).to_have_attribute(
        "href", f"/incidents/{postmortem.incident_id}/postmortem/?section=impact"
    )
    expect(page.get_by_role("button", name="Save summary")).to_have_count(1)
    expect(page.locator("#sections button[type=submit]")).to_have_count(1)

    # Unsaved text in the summary: switching tabs asks; staying keeps the text.
    page.locator("#id_summary").fill("Checkout failed for EU cards for 47 minutes.")
    page.wait_for_load_state("networkidle")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    tabs.get_by_role("link", name="Impact", exact=True).click()
    expect(page.locator("#id_summary")).to_have_value(
        "Checkout failed for EU cards for 47 minutes."
    )
    assert asked and "unsaved changes" in asked[0]
    assert page.url == editor

    # Saved, the tab switch goes through without asking, and only the section is swapped.
    page.get_by_role("button", name="Save summary").click()
    expect(page.locator("#sections .notice")).to_contain_text("Saved (version 2)")
    page.evaluate("document.body.dataset.stayed = 'yes'")  # gone if the page reloaded
    open_tab(page, "Impact")
    expect(page.get_by_label("Impact narrative")).to_be_visible()
    assert page.url == editor + "?section=impact"
    assert page.evaluate("document.body.dataset.stayed") == "yes"

    # Another section's unsaved text is not lost without asking: leaving it is a choice.
    page.get_by_label("Impact narrative").fill("About 1,200 customers could not pay.")
    page.wait_for_load_state("networkidle")
    page.once("dialog", lambda dialog: dialog.accept())
    tabs.get_by_role("link", name="Lessons", exact=True).click()
    expect(tabs.get_by_role("link", name="Lessons", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    saved = stored(Postmortem, pk=postmortem.pk)
    assert saved.summary == "Checkout failed for EU cards for 47 minutes."
    assert saved.impact == "" and saved.version == 2

    # Back to the summary: the saved text, from the server.
    open_tab(page, "Summary")
    expect(page.locator("#id_summary")).to_have_value(
        "Checkout failed for EU cards for 47 minutes."
    )


def test_the_linter_is_beside_the_text_when_wide_and_below_it_when_narrow(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    for width in (1024, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        text, lint = page.locator("#sections").bounding_box(), page.locator("#lint").bounding_box()
        assert lint["x"] >= text["x"] + text["width"], width  # beside, to the right
        assert lint["y"] < text["y"] + text["height"], width
    page.set_viewport_size({"width": 600, "height": 900})
    text, lint = page.locator("#sections").bounding_box(), page.locator("#lint").bounding_box()
    assert lint["y"] >= text["y"] + text["height"]  # below


def test_a_tab_opened_while_the_linter_refreshes_takes_the_late_answer_without_an_error(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    """A save refreshes the linter, whose answer carries the open tab's findings; a person
    who opens the next tab before it arrives has taken that list away. The answer still
    updates the summary, and nothing is reported missing (htmx logs a console error)."""
    from playwright.sync_api import expect

    postmortem = start_postmortem(cast.incident(), cast.alice)
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/?section=whys")
    page.wait_for_load_state("networkidle")
    held: list[Any] = []
    page.route(
        "**/postmortem/lint/**",
        lambda route: held.append(route) if not held else route.continue_(),
    )

    whys = page.locator("#whys")
    whys.get_by_label("Question", exact=True).fill("Why did checkout fail?")
    whys.get_by_label("Answer", exact=True).fill("The pool ran out of connections.")
    whys.get_by_role("button", name="Add why").click()
    expect(whys.locator("li[id^=why-]")).to_have_count(1)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the save did not refresh the linter"
    open_tab(page, "Contributing factors")
    for route in held:
        route.continue_()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)
    expect(page.locator("#lint-summary")).to_be_visible()
    assert console.errors == []
