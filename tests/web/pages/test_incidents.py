"""The incident list, recording a new incident, the incident page, starting the postmortem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.urls import reverse

from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import start_postmortem

from .helpers import text

LATER = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def keys(response: Any) -> set[str]:
    return {row.incident.key for row in response.context["rows"]}


def test_the_list_shows_the_policy_decision_with_its_reasons_and_the_next_milestone(
    cast: Any,
) -> None:
    incident = cast.incident()
    start_postmortem(incident, cast.alice)
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, tzinfo=UTC), tick=False):
        body = text(cast.browser(cast.bob).get("/"))
    assert incident.key in body
    assert "Required" in body
    assert "P1 incident with significant impact: always run a postmortem." in body
    assert "Initial timeline documented" in body
    # Due 24 hours after resolution, shown in Berlin time.
    assert "due Tue 3 Mar, 16:00 CET" in body
    assert "pending" in body


def test_the_list_filters_by_team_severity_policy_status_and_overdue(cast: Any) -> None:
    with_pm = cast.incident(title="With postmortem")
    start_postmortem(with_pm, cast.alice)
    p3 = cast.incident(title="Minor", severity="P3", significant_impact=False)
    security = cast.incident(team=cast.security, title="Security", severity="P2", commander=None)
    client = cast.browser(cast.admin)
    with time_machine.travel(LATER, tick=False):
        assert keys(client.get("/")) == {with_pm.key, p3.key, security.key}
        assert keys(client.get("/", {"team": cast.security.pk})) == {security.key}
        assert keys(client.get("/", {"severity": "P3"})) == {p3.key}
        assert keys(client.get("/", {"decision": "required"})) == {with_pm.key}
        assert keys(client.get("/", {"decision": "recommended"})) == {security.key}
        assert keys(client.get("/", {"decision": "not_required"})) == {p3.key}
        assert keys(client.get("/", {"status": "none"})) == {p3.key, security.key}
        assert keys(client.get("/", {"status": Status.DRAFT})) == {with_pm.key}
        assert keys(client.get("/", {"status": Status.FINAL})) == set()
        # Weeks after resolution, the postmortem's milestones are overdue.
        assert keys(client.get("/", {"overdue": "yes"})) == {with_pm.key}
        assert keys(client.get("/", {"overdue": "no"})) == {p3.key, security.key}


def test_a_bad_filter_value_is_ignored_not_a_crash(cast: Any) -> None:
    cast.incident()
    response = cast.browser(cast.alice).get("/", {"team": "nope", "severity": "P9"})
    assert response.status_code == 200


def test_changing_a_filter_with_htmx_swaps_only_the_table(cast: Any) -> None:
    cast.incident()
    response = cast.browser(cast.alice).get("/", {"severity": "P1"}, headers={"HX-Request": "true"})
    body = text(response)
    assert body.lstrip().startswith('<div id="incident-table"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_the_filter_form_asks_htmx_to_swap_the_table_and_push_the_url(cast: Any) -> None:
    body = text(cast.browser(cast.alice).get("/"))
    assert 'hx-get="/"' in body
    assert 'hx-target="#incident-table"' in body
    assert 'hx-push-url="true"' in body


def test_the_list_is_paginated(cast: Any) -> None:
    for n in range(27):
        cast.incident(title=f"Incident {n}")
    client = cast.browser(cast.alice)
    first = client.get("/")
    assert len(first.context["rows"]) == 25
    assert "Page 1 of 2" in text(first)
    assert len(client.get("/", {"page": 2}).context["rows"]) == 2


def _incidents_with_everything(cast: Any, n: int) -> None:
    for i in range(n):
        incident = cast.incident(title=f"Incident {i}")
        postmortem = start_postmortem(incident, cast.alice)
        ActionItem.objects.create(postmortem=postmortem, title="Add an alert", owner=cast.frank)


def test_the_list_does_not_query_once_per_incident(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    _incidents_with_everything(cast, 20)
    client = cast.browser(cast.alice)
    client.get("/")  # warm up: the organisation row is created on first use
    with django_assert_max_num_queries(12):
        response = client.get("/")
    assert len(response.context["rows"]) == 20


def test_recording_an_incident_needs_a_title_and_keeps_nothing_on_error(cast: Any) -> None:
    client = cast.browser(cast.bob)
    response = client.post(
        reverse("incident-create"),
        {
            "team": cast.payments.pk,
            "title": "",
            "severity": "P1",
            "started_at": "2026-03-02T16:00",
            "resolved_at": "2026-03-02T15:00",
        },
    )
    assert response.status_code == 422
    body = text(response)
    assert "This field is required." in body
    assert "Resolved cannot be before started." in body
    assert 'id="id_resolved_at_error"' in body
    assert not Incident.objects.exists()


def test_recording_an_incident_reads_times_in_the_teams_timezone(cast: Any) -> None:
    client = cast.browser(cast.bob)
    response = client.post(
        reverse("incident-create"),
        {
            "team": cast.payments.pk,
            "title": "Card payments declined",
            "severity": "P0",
            "summary": "Card payments were declined for 40 minutes.",
            "started_at": "2026-03-02T10:00",
            "detected_at": "2026-03-02T10:05",
            "resolved_at": "2026-03-02T10:40",
            "commander": cast.ivan.pk,
            "responders": [cast.rita.pk, cast.frank.pk],
            "customer_facing": "on",
            "failure_tags": "card-network, timeouts ,",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incident-detail", args=[incident.pk])
    assert incident.resolved_at == datetime(2026, 3, 2, 9, 40, tzinfo=UTC)  # Berlin is UTC+1
    assert incident.customer_facing and not incident.data_loss
    assert set(incident.responders.all()) == {cast.rita, cast.frank}
    assert incident.failure_tags == ["card-network", "timeouts"]
    assert incident.created_by == cast.bob


def test_a_team_you_cannot_edit_is_not_offered_for_a_new_incident(cast: Any) -> None:
    response = cast.browser(cast.bob).post(
        reverse("incident-create"),
        {"team": cast.security.pk, "title": "Sneaky", "severity": "P3"},
    )
    assert response.status_code == 422
    assert "Select a valid choice" in text(response)
    assert not Incident.objects.exists()


def test_the_incident_page_shows_every_policy_reason(cast: Any) -> None:
    incident = cast.incident(severity="P2", security=True, process_failure=True, near_miss=True)
    body = text(cast.browser(cast.vera).get(reverse("incident-detail", args=[incident.pk])))
    assert "Required" in body
    reasons = incident.policy().reasons
    assert len(reasons) >= 3
    for reason in reasons:
        assert reason in body
    assert "Ivan Petrov" in body and "Rita Gomez" in body


def test_starting_the_postmortem_opens_the_editor(cast: Any) -> None:
    incident = cast.incident()
    client = cast.browser(cast.bob)
    page = text(client.get(reverse("incident-detail", args=[incident.pk])))
    assert "Start postmortem" in page
    response = client.post(reverse("postmortem-start", args=[incident.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("postmortem", args=[incident.pk])
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.created_by == cast.bob
    assert set(postmortem.meeting.attendees.all()) == {cast.ivan, cast.rita, cast.alice.person}
    assert "Open the postmortem" in text(client.get(reverse("incident-detail", args=[incident.pk])))


def test_starting_a_postmortem_twice_leads_to_the_one_that_exists(cast: Any) -> None:
    incident = cast.incident()
    client = cast.browser(cast.bob)
    client.post(reverse("postmortem-start", args=[incident.pk]))
    response = client.post(reverse("postmortem-start", args=[incident.pk]), follow=True)
    assert "already has a postmortem" in text(response)
    assert Postmortem.objects.count() == 1


def test_the_start_button_only_posts(cast: Any) -> None:
    incident = cast.incident()
    assert (
        cast.browser(cast.bob).get(reverse("postmortem-start", args=[incident.pk])).status_code
        == 405
    )


def test_an_unresolved_incident_has_no_milestones_yet(cast: Any) -> None:
    incident = cast.incident(resolved_at=None)
    start_postmortem(incident, cast.alice)
    body = text(cast.browser(cast.bob).get(reverse("postmortem", args=[incident.pk])))
    assert "the milestones start from its resolution" in body


def test_an_incident_without_postmortem_has_no_editor(cast: Any) -> None:
    incident = cast.incident()
    assert cast.browser(cast.bob).get(reverse("postmortem", args=[incident.pk])).status_code == 404
