"""The drafted timeline in a real Chromium: an incident ingested from PagerDuty's samples
(PagerDuty developer docs, Webhooks v3 "Event Types"; the shapes of
tests/web/ingest/fixtures/pagerduty), its events, its resolution, the drafted timeline
shown, decided, accepted, and the IC's T+24h milestone done."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from followthrough.web.drafting.models import TimelineDraft
from followthrough.web.ingest.models import IngestedIncident, IngestSource
from followthrough.web.postmortems.models import Postmortem

from .conftest import Console, log_in, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "pd-signing-secret-browser"
FIXTURES = "tests/web/ingest/fixtures/pagerduty"
# Each sample, minutes before now: the incident ran from five hours ago to two hours ago.
SAMPLES = [
    ("incident_triggered", 300),
    ("incident_acknowledged", 296),
    ("incident_escalated", 290),
    ("incident_annotated", 240),
    ("incident_resolved", 120),
]


def sample(name: str, minutes_ago: int, now: datetime) -> bytes:
    with open(f"{FIXTURES}/{name}.json") as f:
        payload: dict[str, Any] = json.load(f)
    when = now - timedelta(minutes=minutes_ago)
    payload["event"]["occurred_at"] = when.isoformat().replace("+00:00", "Z")
    if "created_at" in payload["event"]["data"]:
        payload["event"]["data"]["created_at"] = (now - timedelta(minutes=300)).isoformat()
    if name == "incident_annotated":
        payload["event"]["data"]["content"] = "Rolled back the deploy, which was a mistake."
    return json.dumps(payload).encode()


def test_an_incident_from_pagerduty_gets_its_timeline_drafted_accepted_and_its_milestone_done(
    live_server: Any, cast: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    source = IngestSource.objects.create(
        name="PagerDuty", kind="pagerduty", team=cast.payments, secret=SECRET
    )
    now = datetime.now(UTC).replace(microsecond=0)
    for name, minutes_ago in SAMPLES:
        body = sample(name, minutes_ago, now)
        signature = "v1=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = httpx.post(
            f"{live_server.url}/ingest/pagerduty/{source.pk}/",
            content=body,
            headers={"Content-Type": "application/json", "X-PagerDuty-Signature": signature},
            timeout=60,
        )
        assert answer.status_code in (200, 201), answer.text
    incident = stored(IngestedIncident, external_id="Q2ABC3DEF45GHI").incident
    assert incident.resolved_at is not None

    # An editor of the team starts the postmortem of the resolved incident.
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.get_by_role("button", name="Start postmortem").click()

    # The drafted timeline is shown under the Timeline tab: facts with their source and link,
    # in Berlin time.
    page.locator("nav.editor-tabs").get_by_role("link", name="Timeline").click()
    draft = page.locator("#timeline-draft")
    expect(draft).to_contain_text("PagerDuty incident #1042 triggered on Checkout API")
    expect(draft).to_contain_text("PagerDuty incident #1042 acknowledged by Ivan Petrov.")
    expect(draft).to_contain_text("Ivan Petrov wrote: Rolled back the deploy, which was a mistake.")
    link = draft.get_by_role("link", name="PagerDuty").first
    expect(link).to_have_attribute("href", "https://acme.pagerduty.com/incidents/Q2ABC3DEF45GHI")
    expect(draft.locator("time").first).to_contain_text(
        "CET" if now.month in (1, 2, 3, 11, 12) else "CEST"
    )
    # The note's judgement is the linter's finding, shown beside it.
    expect(draft).to_contain_text("PM403 Analysis in the timeline")

    # Drop the escalation, accept the rest.
    draft.get_by_role("button", name=re.compile(r"^Drop the event .* escalated")).click()
    expect(draft).to_contain_text("Event dropped.")
    accept = draft.get_by_role("button", name=re.compile(r"^Accept the event"))
    # (A dropped event can still be accepted again: leave the escalation dropped.)
    labels = [b.get_attribute("aria-label") for b in accept.all()]
    labels = [label for label in labels if label and "escalated" not in label]
    assert len(labels) == 4
    for label in labels:
        button = draft.get_by_role("button", name=label, exact=True)
        button.click()
        expect(button).to_have_count(0)

    # Accepting is refused while an accepted event holds analysis.
    with console.expecting(422):
        draft.get_by_role("button", name="Accept timeline").click()
        expect(draft.get_by_role("alert")).to_contain_text("Edit it down to the fact, or drop it.")

    # The commander edits the note down to the fact.
    draft.get_by_role("button", name=re.compile(r"^Edit the event .* Note on")).click()
    draft.get_by_label("What happened").fill("Ivan Petrov rolled back the deploy.")
    draft.get_by_role("button", name="Save and accept").click()
    expect(draft).to_contain_text("Event edited and accepted.")
    expect(draft).not_to_contain_text("PM403")

    # Accepting the timeline: the editor reloads with the timeline and the milestone done.
    draft.get_by_role("button", name="Accept timeline").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("PagerDuty incident #1042 triggered on Checkout API")
    expect(timeline).to_contain_text("Ivan Petrov rolled back the deploy.")
    expect(timeline).not_to_contain_text("escalated")
    milestone = page.locator("#milestones li.milestone").nth(1)
    expect(milestone).to_contain_text("Initial timeline documented")
    expect(milestone).to_contain_text("done on time")
    expect(page.locator("#timeline-draft")).to_contain_text("Accepted by bob")

    postmortem = stored(Postmortem, incident=incident)
    assert postmortem.timeline_documented_at is not None
    assert stored(TimelineDraft, postmortem=postmortem).accepted_by == cast.bob
