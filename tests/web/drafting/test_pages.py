"""Who sees and who changes the drafted timeline, and the team's timeline sources: only
people who may edit the postmortem decide or accept; only the team's leads set sources, and
the GitHub token is never shown back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.drafting.models import DraftEvent, DraftSources, TimelineDraft
from followthrough.web.postmortems.models import Postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def base(postmortem: Postmortem) -> str:
    return f"/incidents/{postmortem.incident_id}/postmortem/draft/"


def test_the_editor_includes_the_drafted_timeline_which_loads_with_its_events(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    bob = cast.browser(cast.bob)
    editor = bob.get(f"/incidents/{resolved_postmortem.incident_id}/postmortem/?section=timeline")
    assert f'hx-get="{base(resolved_postmortem)}"' in editor.content.decode()
    page = bob.get(base(resolved_postmortem)).content.decode()
    assert "PagerDuty incident #1042 acknowledged by Ivan Petrov." in page
    assert 'href="https://acme.pagerduty.com/incidents/Q2ABC3DEF45GHI"' in page
    # Times in the team's timezone (Berlin): 13:04 UTC is 14:04 CET.
    assert "14:04 CET" in page
    assert "Accept timeline" in page


def test_the_draft_panel_reads_the_draft_and_its_events_once_for_an_editor(
    cast: Cast, resolved_postmortem: Postmortem, django_assert_max_num_queries: Any
) -> None:
    """Bringing the draft up to date and showing it read the draft once, and its events
    once for both stored sources (paging, recorded changes) and once for the list; the
    postmortem comes with its incident, and bringing the draft up to date makes no
    savepoint inside the request's transaction (16 statements here, savepoints included;
    21 before)."""
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))  # made on first sight
    with django_assert_max_num_queries(16) as page:
        body = bob.get(base(resolved_postmortem)).content.decode()
    assert "acknowledged by Ivan Petrov" in body and "Accept timeline" in body
    tables = [
        m.group(1)
        for q in page.captured_queries
        if (m := re.match(r'SELECT .*? FROM "(\w+)"', q["sql"]))
    ]
    assert tables.count("drafting_timelinedraft") == 1
    assert tables.count("drafting_draftevent") == 2
    assert tables.count("postmortems_postmortem") == 1  # with its incident


def test_a_viewer_reads_the_draft_but_cannot_decide_or_accept(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    cast.browser(cast.bob).get(base(resolved_postmortem))
    event = DraftEvent.objects.first()
    assert event is not None
    vera = cast.browser(cast.vera)
    page = vera.get(base(resolved_postmortem)).content.decode()
    assert "acknowledged by Ivan Petrov" in page and "Accept timeline" not in page
    assert (
        vera.post(
            base(resolved_postmortem) + f"events/{event.pk}/", {"decision": "drop"}
        ).status_code
        == 403
    )
    assert vera.post(base(resolved_postmortem) + "accept/").status_code == 403
    assert DraftEvent.objects.get(pk=event.pk).state == DraftEvent.State.PROPOSED
    assert TimelineDraft.objects.get().accepted_at is None


def test_an_outsider_reads_a_public_teams_draft_but_changes_nothing(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    cast.browser(cast.bob).get(base(resolved_postmortem))
    event = DraftEvent.objects.first()
    assert event is not None
    charlie = cast.browser(cast.charlie)
    assert "Accept timeline" not in charlie.get(base(resolved_postmortem)).content.decode()
    decided = charlie.post(base(resolved_postmortem) + f"events/{event.pk}/", {"decision": "drop"})
    assert decided.status_code == 403
    assert DraftEvent.objects.get(pk=event.pk).state == DraftEvent.State.PROPOSED


def test_a_private_teams_draft_is_not_found_by_an_outsider(cast: Cast) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    secret = start_postmortem(cast.incident(team=cast.security), cast.admin)
    cast.browser(cast.dana).get(base(secret))
    assert TimelineDraft.objects.filter(postmortem=secret).exists()
    charlie = cast.browser(cast.charlie)
    assert charlie.get(base(secret)).status_code == 404
    assert charlie.post(base(secret) + "accept/").status_code == 404


def test_a_viewer_is_refused_a_change_before_being_told_there_is_no_postmortem(
    cast: Cast,
) -> None:
    """As when the incident was read first: 403 for a read-only reader, 404 for an editor."""
    incident = cast.incident()
    url = f"/incidents/{incident.pk}/postmortem/draft/accept/"
    assert cast.browser(cast.vera).post(url).status_code == 403
    assert cast.browser(cast.bob).post(url).status_code == 404
    assert (
        cast.browser(cast.charlie).get(f"/incidents/{incident.pk}/postmortem/draft/").status_code
        == 404
    )


def test_an_event_of_another_postmortems_draft_is_not_found(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    other = start_postmortem(cast.incident(), cast.alice)
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    bob.get(base(other))
    event = DraftEvent.objects.filter(draft__postmortem=resolved_postmortem).first()
    assert event is not None
    assert bob.post(base(other) + f"events/{event.pk}/", {"decision": "drop"}).status_code == 404


def test_an_edit_without_a_description_is_refused_and_changes_nothing(
    cast: Cast, resolved_postmortem: Postmortem
) -> None:
    bob = cast.browser(cast.bob)
    bob.get(base(resolved_postmortem))
    event = DraftEvent.objects.first()
    assert event is not None
    response = bob.post(
        base(resolved_postmortem) + f"events/{event.pk}/",
        {
            "decision": "edit",
            f"d{event.pk}-occurred_at": "2026-03-02T14:00",
            f"d{event.pk}-description": "",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert DraftEvent.objects.get(pk=event.pk).description == event.description
    assert (
        bob.post(
            base(resolved_postmortem) + f"events/{event.pk}/", {"decision": "nope"}
        ).status_code
        == 422
    )


def test_a_lead_sets_the_github_sources_and_the_token_is_never_shown_back(cast: Cast) -> None:
    alice = cast.browser(cast.alice)
    path = "/teams/payments/timeline-sources/"
    response = alice.post(
        path,
        {
            "github_repositories": "acme/checkout\nacme/payments-api",
            "github_api_url": "https://api.github.com",
            "github_token": "ghp_secret_value_123",
        },
    )
    assert response.status_code == 302
    sources = DraftSources.objects.get(team=cast.payments)
    assert sources.parsed().github_repositories == ["acme/checkout", "acme/payments-api"]
    assert sources.github_token == "ghp_secret_value_123"
    page = alice.get(path).content.decode()
    assert "ghp_secret_value_123" not in page and "A GitHub token is set." in page
    from followthrough.web.history.models import Change

    recorded = Change.objects.filter(object_repr__contains="Timeline sources").get()
    assert "ghp_secret_value_123" not in str(recorded.after)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("github_repositories", "../../etc/passwd", "is not a GitHub repository"),
        ("github_api_url", "http://169.254.169.254/latest", ""),
    ],
)
def test_a_bad_source_is_refused_with_the_reason_and_nothing_saved(
    cast: Cast, field: str, value: str, reason: str
) -> None:
    alice = cast.browser(cast.alice)
    data = {"github_repositories": "acme/checkout", "github_api_url": "https://api.github.com"}
    data[field] = value
    response = alice.post("/teams/payments/timeline-sources/", data)
    assert response.status_code == 422
    assert reason in response.content.decode()
    assert not DraftSources.objects.exists()


def test_an_editor_who_is_not_a_lead_cannot_change_the_sources(cast: Cast) -> None:
    bob = cast.browser(cast.bob)
    response = bob.post("/teams/payments/timeline-sources/", {"github_repositories": "acme/x"})
    assert response.status_code == 403
    assert not DraftSources.objects.exists()
