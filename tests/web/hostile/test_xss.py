"""Hostile input: script in any free-text field renders inert on every page that shows it.

No page renders Markdown to HTML (nothing in followthrough.web uses ``mark_safe``,
``|safe`` or nh3): every field goes through Django's autoescaping, which these tests pin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from django.utils.html import escape

from followthrough.web.accounts.models import Person
from followthrough.web.actions.operations import create_action_item
from followthrough.web.postmortems.models import ContributingFactor, TimelineEvent, Why
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

PAYLOADS = (
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    '"><svg onload=alert({n})>',
    "[click](javascript:alert({n}))",
)


class _Attributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.values.append(value or "")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
        if tag == "script" and not dict(attrs).get("src"):
            self.handlers.append("inline script")


def _attributes(html: str) -> list[str]:
    """Every attribute value of the page; fails on any inline handler or inline script."""
    parser = _Attributes()
    parser.feed(html)
    assert parser.handlers == [], parser.handlers
    return parser.values


def _hostile(field: str, n: int) -> str:
    return f"{field}: " + PAYLOADS[n % len(PAYLOADS)].format(n=n)


def test_script_in_every_free_text_field_renders_escaped_on_the_pages(cast: Cast) -> None:
    values: dict[str, str] = {}

    def hostile(field: str) -> str:
        values[field] = _hostile(field, len(values))
        return values[field]

    incident = cast.incident(title=hostile("title"), summary=hostile("incident summary"))
    postmortem = start_postmortem(incident, cast.alice)
    for field in ("impact", "root_cause", "trigger", "detection", "resolution", "lessons"):
        setattr(postmortem, field, hostile(field))
    postmortem.save()
    Why.objects.create(postmortem=postmortem, question=hostile("question"), answer=hostile("why"))
    TimelineEvent.objects.create(
        postmortem=postmortem,
        occurred_at=datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
        description=hostile("event"),
    )
    factor = ContributingFactor.objects.create(postmortem=postmortem, description=hostile("factor"))
    owner = Person.objects.create(name=hostile("name"), email="mallory@example.com", handle="m")
    item = create_action_item(
        postmortem,
        cast.alice,
        title=hostile("action"),
        done_condition=hostile("done condition"),
        owner=owner,
        addresses_factor=factor,
    )
    meeting = postmortem.meeting
    meeting.notes = hostile("notes")
    meeting.location = hostile("location")
    meeting.save()

    browser = cast.browser(cast.alice)
    pages = [
        "/",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/postmortem/",
        *(
            f"/incidents/{incident.pk}/postmortem/?section={tab}"
            for tab in ("impact", "root_cause", "trigger", "detection", "resolution", "lessons")
        ),
        *(
            f"/incidents/{incident.pk}/postmortem/?section={tab}"
            for tab in ("timeline", "whys", "factors", "actions", "meeting")
        ),
        f"/action-items/{item.pk}/",
    ]
    html = ""
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        for payload in values.values():
            # A Markdown link has no markup to escape: it must stay text, never an href.
            if "<" in payload:
                assert payload not in body, f"{page} rendered raw markup: {payload}"
        assert "javascript:" not in " ".join(_attributes(body)).lower(), page
        html += body
    for field, payload in values.items():
        assert escape(payload) in html, f"{field} was not rendered on any page"


def test_a_javascript_evidence_link_is_refused_by_the_api(cast: Cast) -> None:
    incident = cast.incident()
    postmortem = start_postmortem(incident, cast.alice)
    item = create_action_item(
        postmortem, cast.alice, title="Add a circuit breaker", done_condition="Breaker trips."
    )
    api = cast.api("alice")
    response = api.patch_json(
        f"/api/v1/action-items/{item.pk}",
        {"version": item.version, "status": "done", "evidence_url": "javascript:alert(1)"},
    )
    assert response.status_code == 422, response.content
    item.refresh_from_db()
    assert item.evidence_url == "" and item.status == "open"
