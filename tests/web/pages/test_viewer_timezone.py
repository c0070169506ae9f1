"""Every moment a page shows is in the viewer's timezone and says which zone it is.

A person may choose a timezone (the preferences page, or PATCH /api/v1/me); without a
choice, their team's is theirs. Date-and-time fields are read in that zone and stored in UTC.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse

from followthrough.web.accounts.models import ApiToken, Invitation, Role
from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.escalation import escalate_stuck_items
from followthrough.web.postmortems.models import Postmortem, TimelineEvent
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem
from followthrough.web.recovery import delete

pytestmark = pytest.mark.django_db

# A clock time (14:05, 9:30:12) and what follows it.
CLOCK = re.compile(r"\b(\d{1,2}:\d{2}(?::\d{2})?)(.{0,8})", re.S)


def shown_text(body: str) -> str:
    """What a person reads: no tags, no attributes (a <time datetime> is for machines)."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def unlabelled_times(body: str, zone: str) -> list[str]:
    """Clock times not followed by the zone ``zone`` (or, for a label recorded in the
    history when the object was named, by the zone it was recorded in: UTC)."""
    return [
        f"{clock}{after!r}"
        for clock, after in CLOCK.findall(shown_text(body))
        if not re.match(rf"\s*(?:{zone}|UTC)\b", after)
    ]


def in_tokyo(cast: Any, user: Any) -> None:
    person = cast.person(user)
    person.timezone = "Asia/Tokyo"
    person.save()


def everything_with_a_moment(cast: Any) -> tuple[Postmortem, Any]:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 5, tzinfo=UTC), "Pager fired")
    gone = add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 9, tzinfo=UTC), "Duplicate")
    delete(gone, cast.admin)
    meeting = postmortem.meeting
    meeting.scheduled_for = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    meeting.save()
    item = create_action_item(
        postmortem, cast.alice, title="Alert on pool", owner=cast.rita, due_date=date.today()
    )
    escalate_stuck_items(datetime.now(UTC) + timedelta(days=15))
    ApiToken.issue(cast.admin, "ci", datetime.now(UTC) + timedelta(days=30))
    Invitation.issue(cast.frank, cast.payments, Role.EDITOR, cast.admin)
    return postmortem, item


def test_every_page_listing_moments_shows_them_in_the_viewers_zone_with_its_name(
    cast: Any,
) -> None:
    postmortem, item = everything_with_a_moment(cast)
    in_tokyo(cast, cast.admin)
    client = cast.browser(cast.admin)
    pk = postmortem.incident_id
    editor = reverse("postmortem", args=[pk])
    pages = [
        reverse("incident-list"),
        reverse("incident-detail", args=[pk]),
        *(f"{editor}?section={tab}" for tab in ("summary", "timeline", "actions", "meeting")),
        reverse("postmortem-history", args=[pk]),
        reverse("history"),
        reverse("trash"),
        reverse("action-item", args=[item.pk]),
        reverse("weekly-review", args=[cast.payments.slug]),
        reverse("my-work"),
        reverse("token-list"),
        reverse("team-detail", args=[cast.payments.slug]),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert unlabelled_times(body, "JST") == [], page
    # The times are there, in Tokyo: 13:05 UTC is 22:05 JST.
    timeline = client.get(f"{editor}?section=timeline").content.decode()
    assert "22:05 JST" in shown_text(timeline)
    assert "Times are shown in Asia/Tokyo." in shown_text(timeline)
    # The meeting's form shows 09:30 UTC as the Tokyo wall time it reads back in Tokyo.
    meeting = client.get(f"{editor}?section=meeting").content.decode()
    assert 'value="2026-03-05T18:30"' in meeting
    trash = shown_text(client.get(reverse("trash")).content.decode())
    assert "JST" in trash


def test_without_a_choice_the_viewer_sees_their_teams_zone(cast: Any) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 5, tzinfo=UTC), "Pager fired")
    page = reverse("postmortem", args=[postmortem.incident_id]) + "?section=timeline"
    body = shown_text(cast.browser(cast.bob).get(page).content.decode())
    assert "14:05 CET" in body  # Payments keeps Europe/Berlin
    assert unlabelled_times(body, "CET") == []


def test_a_time_typed_by_a_viewer_in_tokyo_is_read_in_tokyo_and_stored_in_utc(
    cast: Any,
) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    in_tokyo(cast, cast.bob)
    response = cast.browser(cast.bob).post(
        reverse("event-add", args=[postmortem.incident_id]),
        {"new-event-occurred_at": "2026-03-02T22:05", "new-event-description": "Pager fired"},
    )
    assert response.status_code == 302
    event = TimelineEvent.objects.get(postmortem=postmortem)
    assert event.occurred_at == datetime(2026, 3, 2, 13, 5, tzinfo=UTC)


def test_the_preferences_page_sets_the_zone_and_refuses_one_that_does_not_exist(
    cast: Any,
) -> None:
    client = cast.browser(cast.bob)
    form = html.unescape(client.get(reverse("followup-preferences")).content.decode())
    assert "My team's timezone (Europe/Berlin)" in form
    base = {"email_enabled": "on", "reminders_enabled": "on"}
    refused = client.post(reverse("followup-preferences"), {**base, "tz-timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert cast.person(cast.bob).__class__.objects.get(pk=cast.person(cast.bob).pk).timezone == ""
    saved = client.post(reverse("followup-preferences"), {**base, "tz-timezone": "Asia/Tokyo"})
    assert saved.status_code == 302
    assert cast.person(cast.bob).__class__.objects.get(pk=cast.person(cast.bob).pk).timezone == (
        "Asia/Tokyo"
    )


def test_the_api_reads_and_sets_the_viewers_zone(cast: Any) -> None:
    api = cast.api("bob")
    me = api.get("/api/v1/me").json()
    assert me["timezone"] == "" and me["effective_timezone"] == "Europe/Berlin"
    changed = api.patch_json("/api/v1/me", {"timezone": "Asia/Tokyo"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["timezone"] == "Asia/Tokyo"
    assert changed.json()["effective_timezone"] == "Asia/Tokyo"
    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 65, None):
        refused = api.patch_json("/api/v1/me", {"timezone": bad})
        assert refused.status_code == 422, bad
    assert api.get("/api/v1/me").json()["timezone"] == "Asia/Tokyo"
    back = api.patch_json("/api/v1/me", {"timezone": ""})
    assert back.json()["effective_timezone"] == "Europe/Berlin"


def test_each_time_field_names_the_zone_it_is_read_in_the_one_its_page_shows(
    cast: Any,
) -> None:
    """A viewer who chose Tokyo types Tokyo times into a Berlin team's forms: the labels say
    Tokyo, never "team time"; a viewer without a choice is told the team's zone."""
    postmortem = start_postmortem(cast.incident(), cast.alice)
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 5, tzinfo=UTC), "Pager fired")
    event = TimelineEvent.objects.get(postmortem=postmortem)
    pk = postmortem.incident_id
    editor = reverse("postmortem", args=[pk])
    pages = [
        f"{editor}?section=timeline",
        f"{editor}?section=meeting",
        reverse("event-edit", args=[pk, event.pk]),
        reverse("incident-edit", args=[pk]),
        reverse("incident-create"),
    ]
    in_tokyo(cast, cast.bob)
    for viewer, zone in ((cast.bob, "Asia/Tokyo"), (cast.alice, "Europe/Berlin")):
        client = cast.browser(viewer)
        shown = {page: shown_text(client.get(page).content.decode()) for page in pages}
        for page, body in shown.items():
            assert "team time" not in body, page
        assert f"When ({zone} time)" in shown[pages[0]]
        assert f"Scheduled for ({zone} time)" in shown[pages[1]]
        assert f"Held at ({zone} time)" in shown[pages[1]]
        assert f"When ({zone} time)" in shown[pages[2]]
        assert f"In {zone} time." in shown[pages[3]]
    # A new incident's team is chosen in the form: without a chosen zone, the team's is used.
    assert "In Asia/Tokyo time." in shown_text(
        cast.browser(cast.bob).get(pages[4]).content.decode()
    )
    assert "In the chosen team's timezone." in shown[pages[4]]
