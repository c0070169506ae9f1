"""Editing in place, in a real Chromium: an incident's facts swap into a form and back, and
raising its severity says the postmortem is now required; an action item is edited where it
is listed. No console error on the way."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import Console, log_in, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_raising_an_incidents_severity_in_place_says_the_postmortem_is_now_required(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    incident = cast.incident(severity="P2", significant_impact=False, title="Refunds slow in DE")
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    policy = page.locator("#policy")
    expect(policy).to_contain_text("Recommended")

    page.get_by_role("link", name="Edit facts").click()
    expect(page.get_by_role("heading", name="Edit the facts")).to_be_visible()
    expect(page.get_by_label("Title")).to_be_focused()
    page.get_by_label("Severity").select_option("P1")
    page.get_by_label("Significant impact").check()
    page.get_by_role("button", name="Save facts").click()

    expect(policy).to_contain_text(
        "Postmortem now required (was recommended): P1 incident with significant impact"
    )
    expect(policy.locator(".badge")).to_have_text("Required")
    facts = page.locator("#facts")
    expect(facts).to_contain_text("P1 — major")
    expect(facts).to_contain_text("significant impact")
    expect(page.locator("#incident-head")).to_contain_text("P1 — major")
    assert page.url == f"{live_server.url}/incidents/{incident.pk}/"  # never left the page
    saved = stored(Incident, pk=incident.pk)
    assert (saved.severity, saved.significant_impact, saved.version) == ("P1", True, 2)


def test_a_stale_incident_save_shows_their_change_and_keeps_yours(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    incident = cast.incident(title="Refunds slow in DE")
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.get_by_role("link", name="Edit facts").click()
    page.get_by_label("Title").fill("Mine: refunds slow in DE and AT")
    page.wait_for_load_state("networkidle")  # the page's own requests done (one database)
    Incident.objects.filter(pk=incident.pk).update(title="Theirs", version=2)
    with console.expecting(409):
        page.get_by_role("button", name="Save facts").click()
        expect(page.locator(".conflict")).to_contain_text("Theirs")
    expect(page.get_by_label("Title")).to_have_value("Mine: refunds slow in DE and AT")
    page.get_by_role("button", name="Save facts").click()
    expect(page.locator("#facts")).not_to_contain_text("Edit the facts")
    assert stored(Incident, pk=incident.pk).title == "Mine: refunds slow in DE and AT"


def test_an_action_item_is_edited_where_it_is_listed(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = ActionItem.objects.create(postmortem=postmortem, title="Improve monitoring")
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    page.get_by_role("navigation", name="Sections of the postmortem").get_by_role(
        "link", name="Action items"
    ).click()
    row = page.locator(f"#action-item-{item.pk}")
    row.get_by_role("link", name="Edit “Improve monitoring”").click()

    expect(row.get_by_label("Title")).to_be_focused()
    row.get_by_label("Title").fill("Alert when the connection pool is 80% used")
    row.get_by_label("Owner (one person)").select_option(label="Frank Osei")
    row.get_by_label("Due date").fill("2026-04-01")
    row.get_by_label("Done when").fill("The alert pages on-call in staging at 80% pool use.")
    row.get_by_label("Likelihood of recurrence (1–5)").select_option("4")
    row.get_by_label("Consequence if it recurs (1–5)").select_option("5")
    row.get_by_label("Effort to implement (1–5)").select_option("1")
    row.get_by_role("button", name="Save action item").click()

    actions = page.locator("#actions")
    expect(actions).to_contain_text("“Alert when the connection pool is 80% used” saved.")
    expect(actions).to_contain_text("Frank Osei")
    expect(actions).to_contain_text("likelihood 4, consequence 5, effort 1")
    saved = stored(ActionItem, pk=item.pk)
    assert (saved.owner_id, saved.due_date, saved.version) == (cast.frank.pk, date(2026, 4, 1), 2)

    # Cancel puts the row back as it was, unchanged.
    row.get_by_role("link", name="Edit “Alert when the connection pool is 80% used”").click()
    row.get_by_label("Title").fill("Something else")
    row.get_by_role("link", name="Cancel").click()
    expect(row).to_contain_text("Alert when the connection pool is 80% used")
    assert stored(ActionItem, pk=item.pk).version == 2
