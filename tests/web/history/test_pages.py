"""The history pages and API: per object, organisation-wide, filtered, only what you may see."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from conftest import Cast
from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.models import TeamSettings
from followthrough.web.history.context import acting_as
from followthrough.web.postmortems.models import TimelineEvent
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

pytestmark = pytest.mark.django_db


def _postmortem(cast: Cast, **incident: object):  # type: ignore[no-untyped-def]
    with acting_as(user=cast.alice):
        return start_postmortem(cast.incident(**incident), cast.alice)


def test_the_postmortem_history_page_shows_timeline_event_changes(cast: Cast) -> None:
    postmortem = _postmortem(cast)
    with acting_as(user=cast.bob):
        event = add_timeline_event(
            postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), "Pager fired for 502s"
        )
        event.description = "Pager fired for 502s in the EU"
        event.save()
    page = cast.browser(cast.vera).get(f"/history/incidents/{postmortem.incident_id}/postmortem/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("timeline event") >= 2
    assert "Pager fired for 502s in the EU" in html
    assert "<del>Pager fired for 502s</del>" in html
    assert "bob" in html
    flat = " ".join(html.split())
    assert (
        "occurred at: 2026-03-02 14:00 CET" in flat
    )  # in the viewer's zone (Berlin's)  # a created event: its values


def test_the_incident_page_and_postmortem_editor_link_to_their_history(cast: Cast) -> None:
    postmortem = _postmortem(cast)
    browser = cast.browser(cast.alice)
    pk = postmortem.incident_id
    assert f"/history/incidents/{pk}/" in browser.get(f"/incidents/{pk}/").content.decode()
    editor = browser.get(f"/incidents/{pk}/postmortem/").content.decode()
    assert f"/history/incidents/{pk}/postmortem/" in editor
    assert "/history/teams/payments/" in browser.get("/teams/").content.decode()


def test_every_page_links_to_the_history_and_an_action_item_to_its_own(cast: Cast) -> None:
    postmortem = _postmortem(cast)
    item = create_action_item(
        postmortem, cast.alice, title="Alert on pool saturation", owner=cast.frank
    )
    viewer = cast.browser(cast.vera)
    assert 'href="/history/"' in viewer.get("/").content.decode()
    page = viewer.get(f"/action-items/{item.pk}/").content.decode()
    assert f"/history/action-items/{item.pk}/" in page


def test_long_text_is_a_compact_diff_with_the_full_text_on_expand(cast: Cast) -> None:
    incident = cast.incident(summary="word " * 60)
    with acting_as(user=cast.alice):
        incident.summary = "word " * 30 + "changed " + "word " * 29
        incident.save()
    html = cast.browser(cast.alice).get(f"/history/incidents/{incident.pk}/").content.decode()
    assert "<ins>changed</ins>" in html
    assert "<details><summary>Full text before and after</summary>" in html
    # The creation shows the long text folded, whole on expand.
    assert "<details><summary>word word word" in html


def test_an_outsider_does_not_see_history_of_a_private_team_on_history(cast: Cast) -> None:
    secret = cast.incident(team=cast.security, title="Leaked keys rotated")
    public = cast.incident(title="Checkout 502s")
    outsider = cast.browser(cast.charlie).get("/history/").content.decode()
    assert "Checkout 502s" in outsider and "Leaked keys rotated" not in outsider
    assert cast.browser(cast.charlie).get(f"/history/incidents/{secret.pk}/").status_code == 404
    member = cast.browser(cast.dana).get("/history/").content.decode()
    assert "Leaked keys rotated" in member
    listed = cast.api("charlie").get("/api/v1/history").json()["items"]
    assert {c["incident_id"] for c in listed if c["incident_id"]} == {public.pk}
    assert cast.security.pk not in {c["team_id"] for c in listed}
    assert "Payments" in {c["object_repr"] for c in listed}  # a public team's settings
    one = cast.api("charlie").get(f"/api/v1/history/incident/{secret.pk}")
    assert one.status_code == 404


def test_a_security_incident_is_hidden_from_a_viewer_of_a_public_team(cast: Cast) -> None:
    cast.incident(title="Card data exposed", security=True)
    assert "Card data exposed" not in cast.browser(cast.charlie).get("/history/").content.decode()
    assert "Card data exposed" in cast.browser(cast.vera).get("/history/").content.decode()


def test_the_team_settings_history_shows_who_changed_the_review_day(cast: Cast) -> None:
    with acting_as(user=cast.alice):
        settings = TeamSettings.objects.create(team=cast.payments, slack_bot_token="xoxb-1")
        settings.review_weekday = 3
        settings.save()
    html = " ".join(
        cast.browser(cast.vera).get("/history/teams/payments/").content.decode().split()
    )
    assert "review weekday: <del>Monday</del> → <ins>Thursday</ins>" in html
    # A secret is the lead's to know about: set or replaced, never its value.
    assert "xoxb-1" not in html and "slack bot token:" not in html
    lead = " ".join(
        cast.browser(cast.alice).get("/history/teams/payments/").content.decode().split()
    )
    assert "xoxb-1" not in lead and "slack bot token: set" in lead
    assert cast.browser(cast.charlie).get("/history/teams/security/").status_code == 404


def test_filters_narrow_the_organisation_wide_history(cast: Cast) -> None:
    postmortem = _postmortem(cast, title="Checkout 502s")
    with acting_as("worker"):
        create_action_item(postmortem, None, title="Alert on pool", owner=cast.rita)
    cast.incident(team=cast.security, title="Leaked keys rotated")
    api = cast.api("admin")

    def names(**query: str) -> set[str]:
        answer = api.get("/api/v1/history", query)
        assert answer.status_code == 200, answer.content
        return {c["object_repr"] for c in answer.json()["items"]}

    assert names(type="action-item") == {"Alert on pool"}
    assert names(actor="worker") == {"Alert on pool"}
    assert "Alert on pool" not in names(actor="alice")
    security = names(team="security")
    assert f"INC-{postmortem.incident_id + 1} Leaked keys rotated" in security
    assert not any("Checkout" in n or "Alert" in n for n in security)
    assert names(q="leaked") == {f"INC-{postmortem.incident_id + 1} Leaked keys rotated"}
    assert names(action="delete") == set()
    today = date.today()
    assert names(since=str(today + timedelta(days=1))) == set()
    assert "Alert on pool" in names(since=str(today), until=str(today))
    refused = api.get("/api/v1/history", {"action": "explode"})
    assert refused.status_code == 422 and "Unknown action" in refused.content.decode()
    page = cast.browser(cast.admin).get("/history/", {"type": "action-item", "actor": "worker"})
    assert page.status_code == 200
    assert "Alert on pool" in page.content.decode()
    assert "Leaked keys rotated" not in page.content.decode()
    bad = cast.browser(cast.admin).get("/history/", {"since": "yesterday"})
    assert bad.status_code == 400 and "is not a date" in bad.content.decode()


def test_the_history_is_paginated(cast: Cast) -> None:
    incident = cast.incident()
    postmortem = start_postmortem(incident, cast.alice)
    for n in range(60):
        TimelineEvent.objects.create(
            postmortem=postmortem,
            occurred_at=datetime(2026, 3, 2, 13, tzinfo=UTC),
            description=f"e{n}",
        )
    first = cast.browser(cast.alice).get(f"/history/incidents/{incident.pk}/postmortem/")
    assert "Page 1 of 2" in first.content.decode()
    second = cast.browser(cast.alice).get(f"/history/incidents/{incident.pk}/postmortem/?page=2")
    assert "Page 2 of 2" in second.content.decode()
    api = cast.api("alice").get("/api/v1/history", {"incident": incident.pk, "limit": 10}).json()
    assert len(api["items"]) == 10 and api["count"] >= 63


def test_an_action_items_history_is_served_per_object(cast: Cast) -> None:
    postmortem = _postmortem(cast)
    item = create_action_item(postmortem, cast.alice, title="Alert on pool", owner=cast.rita)
    page = cast.browser(cast.vera).get(f"/history/action-items/{item.pk}/")
    assert page.status_code == 200 and "Alert on pool" in page.content.decode()
    one = cast.api("vera").get(f"/api/v1/history/action-item/{item.pk}").json()
    assert [(c["action"], c["who"], c["type"]) for c in one["items"]] == [
        ("create", "alice", "action-item")
    ]
    assert cast.api("charlie").get(f"/api/v1/history/nonsense/{item.pk}").status_code == 404


def test_the_history_page_costs_the_same_queries_for_ten_or_fifty_changes(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    browser = cast.browser(cast.vera)
    postmortem = _postmortem(cast)
    for n in range(10):
        add_timeline_event(postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), f"event {n}")
    browser.get("/history/")  # warm the content-type cache
    with django_assert_max_num_queries(30) as few:
        assert browser.get("/history/").status_code == 200
    for n in range(40):
        add_timeline_event(postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), f"more {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get("/history/").status_code == 200
