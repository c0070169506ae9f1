"""Each role's job on the demo organisation, walked end to end in a real Chromium through the
pages only (click, fill, keyboard), checking what a person would read after each step: the
incident commander records and documents, the facilitator runs the meeting and takes the
document to final, the engineering manager follows the items through to closing. Each walk
is one browser context; any console error fails it (``console``). First-run onboarding on an
empty database is walked in test_onboarding.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from icalendar import Calendar

from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem
from followthrough.web.demo import load_demo
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, Status

from .conftest import PASSWORD, Console, log_in, open_tab, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo's Payments team works in Berlin; its people chose no zone of their own.
BERLIN = ZoneInfo("Europe/Berlin")
TYPED = "%Y-%m-%dT%H:%M"  # what a datetime-local input takes


def demo_with_logins(*handles: str) -> None:
    """The demo organisation, and a login (the cast's password) for each named person."""
    try:
        load_demo()
        for handle in handles:
            person = Person.objects.get(handle=handle)
            person.user = User.objects.create_user(handle, person.email, PASSWORD)
            person.save()
    finally:
        connection.close()


def incident_titled(title: str) -> Incident:
    return stored(Incident, title=title)


def local(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime(TYPED)


def test_the_incident_commander_corrects_the_facts_and_documents_every_part_of_the_postmortem(
    live_server: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    demo_with_logins("ben")
    incident = incident_titled("Typo in the invoice PDF footer")
    log_in(page, live_server.url, "ben")

    # From the list to the incident Ben commanded.
    row = page.locator("table.incidents tr").filter(has_text="Typo in the invoice PDF footer")
    row.get_by_role("link", name=incident.key).click()
    expect(page.locator("#policy")).not_to_contain_text("Required")

    # It was worse than first recorded: every fact corrected in place.
    resolved = (datetime.now(BERLIN) - timedelta(days=1)).replace(second=0, microsecond=0)
    page.get_by_role("link", name="Edit facts").click()
    page.get_by_label("Title").fill("Invoice PDFs showed another merchant's VAT number")
    page.get_by_label("Severity").select_option("P1")
    page.get_by_label("Started at").fill(local(resolved - timedelta(hours=3)))
    page.get_by_label("Detected at").fill(local(resolved - timedelta(hours=2)))
    page.get_by_label("Mitigated at").fill(local(resolved - timedelta(hours=1)))
    page.get_by_label("Resolved at").fill(local(resolved))
    page.get_by_label("Customer facing").check()
    page.get_by_label("Significant impact").check()
    page.get_by_label("Incident commander").select_option(label="Ben Okafor")
    page.get_by_label("Chiara Rossi").check()
    page.get_by_role("button", name="Save facts").click()

    policy = page.locator("#policy")
    expect(policy).to_contain_text("Postmortem now required")
    expect(policy.locator(".badge")).to_have_text("Required")
    facts = page.locator("#facts")
    expect(facts).to_contain_text("P1 — major")
    expect(facts).to_contain_text("customer-facing")
    expect(facts).to_contain_text("Chiara Rossi")
    expect(facts).to_contain_text(resolved.strftime("%H:%M"))
    head = page.locator("#incident-head")
    expect(head).to_contain_text("Invoice PDFs showed another merchant's VAT number")

    # The history says what changed, before and after.
    head.get_by_role("link", name="History").click()
    changes = page.locator("ol.history")
    expect(changes).to_contain_text("Typo in the invoice PDF footer")
    expect(changes).to_contain_text("Invoice PDFs showed another merchant's VAT number")
    page.go_back()

    # The postmortem, section by section.
    page.get_by_role("button", name="Start postmortem").click()
    expect(page.get_by_role("navigation", name="Sections of the postmortem")).to_be_visible()
    summary = "For 3 hours invoice PDFs showed another merchant's VAT number in the footer."
    page.locator("#id_summary").fill(summary)
    page.locator("#section-summary").get_by_role("button", name="Save").click()
    expect(page.locator("#sections")).to_contain_text("Saved (version")

    open_tab(page, "Timeline")
    timeline = page.locator("#timeline")
    page.get_by_label("When (Europe/Berlin time)").fill(local(resolved - timedelta(hours=2)))
    page.get_by_label("What happened").fill("Support forwards a merchant's complaint")
    page.get_by_role("button", name="Add event").click()
    expect(timeline).to_contain_text("Support forwards a merchant's complaint")
    timeline.get_by_role("link", name="Edit").first.click()
    event = timeline.locator("li[id^=event-]").first
    event.get_by_label("When (Europe/Berlin time)").fill(
        local(resolved - timedelta(hours=2, minutes=10))
    )
    event.get_by_label("What happened").fill("Support forwards two merchants' complaints")
    event.get_by_role("button", name="Save event").click()
    expect(timeline).to_contain_text("Support forwards two merchants' complaints")
    shown = (resolved - timedelta(hours=2, minutes=10)).strftime("%H:%M")
    expect(timeline.locator("time").first).to_contain_text(shown)

    open_tab(page, "Five whys")
    whys = page.locator("#whys")
    whys.locator("form.add").get_by_label("Question").fill(
        "Why did the footer show another VAT number?"
    )
    whys.locator("form.add").get_by_label("Answer").fill("The template cached the first merchant.")
    whys.get_by_role("button", name="Add why").click()
    expect(whys.locator("li[id^=why-]")).to_have_count(1)
    whys.get_by_label("Answer, why 1").fill("The PDF template cached the first merchant's details.")
    whys.get_by_role("button", name="Save why 1").click()
    expect(whys.get_by_label("Answer, why 1")).to_have_value(
        "The PDF template cached the first merchant's details."
    )

    open_tab(page, "Contributing factors")
    factors = page.locator("#factors")
    factors.locator("form.add").get_by_label("Kind").select_option(label="Detection delay")
    factors.locator("form.add").get_by_label("Description").fill("No check of rendered PDFs")
    factors.get_by_role("button", name="Add factor").click()
    expect(factors).to_contain_text("No check of rendered PDFs")
    factors.get_by_role("link", name="Edit factor 1").click()
    factor = factors.locator("li[id^=factor-]").first
    factor.get_by_label("Description").fill("No automated check of rendered PDFs before release")
    factor.get_by_role("button", name="Save factor").click()
    expect(factors).to_contain_text("No automated check of rendered PDFs before release")

    open_tab(page, "Action items")
    actions = page.locator("#actions")
    add = actions.locator("form.add")
    add.get_by_label("Title").fill("Compare a rendered invoice PDF against its merchant in CI")
    add.get_by_label("Owner (one person)").select_option(label="Daniel Weber")
    add.get_by_label("Due date").fill((resolved + timedelta(days=14)).strftime("%Y-%m-%d"))
    add.get_by_label("Done when").fill("CI fails when a PDF shows another merchant's VAT number.")
    add.get_by_role("button", name="Add action item").click()
    expect(actions).to_contain_text("Daniel Weber")
    title = "Compare a rendered invoice PDF against its merchant in CI"
    actions.get_by_role("link", name=f"Edit “{title}”").click()
    item = actions.locator("li.action-item").filter(
        has=page.get_by_role("heading", name=f"Edit “{title}”")
    )
    item.get_by_label("Owner (one person)").select_option(label="Chiara Rossi")
    item.get_by_label("Consequence if it recurs (1–5)").select_option("5")
    item.get_by_role("button", name="Save action item").click()
    expect(actions).to_contain_text("Chiara Rossi")
    expect(actions).to_contain_text("consequence 5")

    # The meeting: the commander cannot facilitate; someone uninvolved can.
    open_tab(page, "Meeting")
    meeting = page.locator("#meeting")
    meeting.get_by_label("Facilitator").select_option(label="Ben Okafor")
    with console.expecting(422):
        meeting.get_by_role("button", name="Save meeting").click()
        expect(meeting).to_contain_text("Ben Okafor was the incident commander")
    when = (datetime.now(BERLIN) + timedelta(days=2)).replace(hour=10, minute=0)
    meeting.get_by_label("Facilitator").select_option(label="Daniel Weber")
    meeting.get_by_label("Scheduled for (Europe/Berlin time)").fill(local(when))
    meeting.get_by_role("button", name="Save meeting").click()
    expect(
        meeting.get_by_role("link", name="Add the meeting to your calendar (.ics)")
    ).to_be_visible()

    # The document's history lists the edits of its parts.
    page.locator("#main").get_by_role("link", name="History", exact=True).click()
    changes = page.locator("ol.history")
    expect(changes).to_contain_text("Support forwards two merchants' complaints")
    expect(changes).to_contain_text("No automated check of rendered PDFs before release")

    postmortem = stored(Postmortem, incident_id=incident.pk)
    assert postmortem.summary == summary
    saved = stored(ActionItem, postmortem=postmortem)
    assert (saved.owner.handle, saved.severity, saved.version) == ("chiara", 5, 2)  # type: ignore[union-attr]


def test_the_facilitator_runs_the_meeting_and_takes_the_document_to_final_and_back(
    live_server: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    from followthrough.web.postmortems.operations import update_meeting

    demo_with_logins("daniel")
    incident = incident_titled("Refund e-mails delayed by six hours")
    try:
        postmortem = Postmortem.objects.get(incident=incident)
        meeting = postmortem.meeting
        start = (datetime.now(BERLIN) - timedelta(hours=3)).replace(second=0, microsecond=0)
        daniel = Person.objects.get(handle="daniel")
        update_meeting(meeting, meeting.version, {"facilitator": daniel, "scheduled_for": start})
    finally:
        connection.close()
    log_in(page, live_server.url, "daniel")

    # "My work" lists the meeting he facilitates and leads to it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
    page.get_by_role("link", name=f"Postmortem meeting of {incident.key}").click()
    panel = page.locator("#meeting")
    with page.expect_download() as download:
        panel.get_by_role("link", name="Add the meeting to your calendar (.ics)").click()
    with open(download.value.path(), "rb") as f:
        calendar = Calendar.from_ical(f.read())
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == start
    assert str(event["ORGANIZER"]) == "mailto:daniel@acme.example"
    invited = event.get("ATTENDEE", [])
    invited = invited if isinstance(invited, list) else [invited]
    assert "mailto:daniel@acme.example" in {str(a).lower() for a in invited}  # always invited

    # Recording the meeting: a time still to come is refused with the reason.
    held = panel.get_by_label("Held at (Europe/Berlin time)")
    held.fill(local(datetime.now(BERLIN) + timedelta(days=1)))
    with console.expecting(422):
        panel.get_by_role("button", name="Save meeting").click()
        expect(panel).to_contain_text("in the future: record the meeting once it has happened")
    panel.get_by_label("Held at (Europe/Berlin time)").fill(local(start + timedelta(minutes=5)))
    panel.get_by_label("Chiara Rossi").check()
    panel.get_by_label("Notes").fill("Walked the timeline; agreed on two items.")
    panel.get_by_role("button", name="Save meeting").click()
    expect(page.locator("#milestones")).to_contain_text("Postmortem meeting held")
    expect(panel.get_by_label("Notes")).to_have_value("Walked the timeline; agreed on two items.")

    # Final is refused with every reason; each is mended where it is named.
    page.locator("#status").get_by_role("button", name="Move to final").click()
    expect(page.get_by_text("The postmortem cannot go to final yet:")).to_be_visible()
    reasons = page.locator(".messages")
    expect(reasons).to_contain_text("Give the root cause a category")
    expect(reasons).to_contain_text("“Improve monitoring” has no owner")
    expect(reasons).to_contain_text("“Improve monitoring” has no due date")
    expect(reasons).to_contain_text("PM302 Root cause stops at the proximate cause")
    open_tab(page, "Root cause")
    page.get_by_label("Root cause statement").fill(
        "Our mail worker has no dead-letter queue: nothing sets aside a message that keeps "
        "failing, so one bad message stops every e-mail (a tooling gap)."
    )
    page.get_by_label("Category").select_option(label="Tooling gap")
    page.locator("#section-root_cause").get_by_role("button", name="Save").click()
    expect(page.locator("#sections")).to_contain_text("Saved (version")
    open_tab(page, "Action items")
    actions = page.locator("#actions")
    actions.get_by_role("link", name="Edit “Improve monitoring”").click()
    item = actions.locator("li.action-item").filter(
        has=page.get_by_role("heading", name="Edit “Improve monitoring”")
    )
    specific = "Alert when the mail worker consumes nothing for 5 minutes"
    item.get_by_label("Title").fill(specific)
    item.get_by_label("Owner (one person)").select_option(label="Chiara Rossi")
    item.get_by_label("Due date").fill((start + timedelta(days=10)).strftime("%Y-%m-%d"))
    item.get_by_label("Done when").fill("A stalled worker in staging pages on-call in 5 minutes.")
    item.get_by_role("button", name="Save action item").click()
    expect(actions).to_contain_text(f"“{specific}” saved.")
    page.locator("#status").get_by_role("button", name="Move to final").click()
    expect(page.locator("#status .badge")).to_have_text("Final")
    expect(page.get_by_text("Final: the document is locked.")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_count(0)

    # A correction after final: sent back to review, where it can be made.
    page.get_by_role("button", name="Send back to review").click()
    expect(page.locator("#status .badge")).to_have_text("In review")
    page.locator("#id_summary").fill("Refund e-mails waited six hours in a stuck queue.")
    page.locator("#section-summary").get_by_role("button", name="Save").click()
    expect(page.locator("#sections")).to_contain_text("Saved (version")
    saved = stored(Postmortem, incident_id=incident.pk)
    assert (saved.status, saved.summary) == (
        Status.IN_REVIEW,
        "Refund e-mails waited six hours in a stuck queue.",
    )


def test_the_engineering_manager_follows_the_items_through_and_closes_the_postmortem(
    live_server: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    demo_with_logins("alice")
    incident = incident_titled("Card tokenisation latency above 4 s")
    log_in(page, live_server.url, "alice")

    # "My work": the milestone the seed gives the engineering manager, across her teams.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My work").click()
    expect(page.locator("table.my-work")).to_contain_text("Action items assigned and tracked")

    # The weekly review, reached from the team's page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="Payments", exact=True).first.click()
    page.get_by_role("link", name="Weekly review").click()
    expect(page.get_by_role("heading", name="Payments: weekly review")).to_be_visible()
    page.get_by_role("link", name=f"{incident.key} {incident.title}").first.click()

    # Closing is refused while items are open, with the reason.
    expect(page.locator("#status .badge")).to_have_text("Final")
    page.locator("#status").get_by_role("button", name="Move to closed").click()
    expect(page.get_by_text("The postmortem cannot go to closed yet:")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("not done yet")

    # Each open item done, or deprioritised with its reason (refused without one).
    open_tab(page, "Action items")
    actions = page.locator("#actions")
    done = "Set a 1.5 s timeout and circuit breaker in the payments SDK"
    row = actions.locator("li.action-item").filter(has_text=done)
    row.get_by_label(f"Status, {done}").select_option("done")
    row.get_by_role("button", name=f"Change status of “{done}”").click()
    expect(row).to_have_class(re.compile(r"\bstatus-done\b"))
    dropped = "Subscribe the on-call channel to the provider's status feed"
    row = actions.locator("li.action-item").filter(has_text=dropped)
    row.get_by_label(f"Status, {dropped}").select_option("deprioritised")
    with console.expecting(422):
        row.get_by_role("button", name=f"Change status of “{dropped}”").click()
        expect(row.locator(".error, .errors")).to_contain_text("reason")
    row.get_by_label(f"Why deprioritised (required to deprioritise), {dropped}").fill(
        "Superseded: the new tokenisation vendor pushes incidents to on-call itself."
    )
    row.get_by_role("button", name=f"Change status of “{dropped}”").click()
    expect(row).to_have_class(re.compile(r"\bstatus-deprioritised\b"))
    expect(row).to_contain_text("Superseded: the new tokenisation vendor")

    # Every item is done or deprioritised with a reason: the postmortem closes itself, and
    # reads as closed and read-only.
    expect(page.locator("#status .badge")).to_have_text("Closed")
    page.reload()
    expect(page.get_by_text("Closed: read-only.")).to_be_visible()
    open_tab(page, "Action items")
    expect(page.locator("#actions").get_by_role("button", name="Change status")).to_have_count(0)
    page.get_by_role("button", name="Reopen for changes (back to review)").click()
    expect(page.locator("#status .badge")).to_have_text("In review")
    assert stored(Postmortem, incident_id=incident.pk).status == Status.IN_REVIEW
