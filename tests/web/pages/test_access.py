"""Every page is behind login; a team you cannot see does not exist; a viewer only reads."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from followthrough.web.postmortems.models import Postmortem, Status

from .helpers import text


@pytest.mark.django_db
def test_a_visitor_is_sent_to_the_login_page() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/")


@pytest.mark.django_db
def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_login() -> None:
    response = Client().get(
        "/?severity=P1",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/?severity=P1"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login") + "?next=%2F%3Fseverity%3DP1"


@pytest.mark.django_db
def test_the_login_page_has_labelled_fields() -> None:
    body = text(Client().get(reverse("login")))
    assert '<label for="id_username">' in body
    assert '<label for="id_password">' in body


def test_a_person_logs_in_with_their_password_and_lands_on_the_incidents(cast: Any) -> None:
    client = Client()
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("incident-list")
    assert "Log out" in text(response)


def test_a_wrong_password_is_refused_with_a_message(cast: Any) -> None:
    response = Client().post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)


def test_logging_out_ends_the_session(cast: Any) -> None:
    client = cast.browser(cast.alice)
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_staff_see_the_admin_link_and_others_do_not(cast: Any) -> None:
    assert 'href="/admin/"' in text(cast.browser(cast.admin).get("/"))
    assert 'href="/admin/"' not in text(cast.browser(cast.alice).get("/"))


def test_an_incident_of_a_private_team_does_not_exist_for_outsiders(cast: Any) -> None:
    incident = cast.incident(team=cast.security, commander=None)
    for user in (cast.alice, cast.charlie, cast.vera):
        client = cast.browser(user)
        assert client.get(reverse("incident-detail", args=[incident.pk])).status_code == 404
        assert client.post(reverse("postmortem-start", args=[incident.pk])).status_code == 404
    assert (
        cast.browser(cast.dana).get(reverse("incident-detail", args=[incident.pk])).status_code
        == 200
    )
    assert not Postmortem.objects.exists()


def test_a_private_teams_incidents_are_not_listed_for_outsiders(cast: Any) -> None:
    cast.incident(team=cast.security, title="Leaked signing key", commander=None)
    assert "Leaked signing key" not in text(cast.browser(cast.charlie).get("/"))
    assert "Leaked signing key" in text(cast.browser(cast.dana).get("/"))


@pytest.mark.parametrize("who", ["vera", "charlie"])
def test_a_viewer_reads_the_postmortem_without_any_edit_form(
    cast: Any, postmortem: Postmortem, who: str
) -> None:
    client = cast.browser(getattr(cast, who))
    page = client.get(reverse("postmortem", args=[postmortem.incident_id]))
    assert page.status_code == 200
    body = text(page)
    assert "You can read this postmortem but not change it" in body
    assert 'method="post"' not in body.split("<main", 1)[1]
    assert "Start postmortem" not in text(
        client.get(reverse("incident-detail", args=[postmortem.incident_id]))
    )


@pytest.mark.parametrize("who", ["vera", "charlie"])
def test_a_viewers_changes_are_forbidden(cast: Any, postmortem: Postmortem, who: str) -> None:
    client = cast.browser(getattr(cast, who))
    pk = postmortem.incident_id
    posts = {
        reverse("postmortem-sections", args=[pk]): {"summary": "mine", "version": 1},
        reverse("postmortem-status", args=[pk]): {"to": Status.IN_REVIEW, "version": 1},
        reverse("why-add", args=[pk]): {"new-why-question": "Why?", "new-why-answer": "Because."},
        reverse("event-add", args=[pk]): {
            "new-event-occurred_at": "2026-03-02T15:00",
            "new-event-description": "x",
        },
        reverse("factor-add", args=[pk]): {
            "new-factor-kind": "other",
            "new-factor-description": "x",
        },
        reverse("action-add", args=[pk]): {"new-action-title": "x"},
        reverse("meeting-save", args=[pk]): {"meeting-version": 1, "meeting-duration_minutes": 60},
        reverse("postmortem-start", args=[pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    postmortem.refresh_from_db()
    assert postmortem.version == 1
    assert postmortem.summary == ""
    assert not postmortem.whys.exists()


def test_a_viewer_cannot_open_the_new_incident_form(cast: Any) -> None:
    response = cast.browser(cast.vera).get(reverse("incident-create"), follow=True)
    assert "not an editor on any team" in text(response)


def test_an_editor_sees_the_edit_forms(cast: Any, postmortem: Postmortem) -> None:
    editor = reverse("postmortem", args=[postmortem.incident_id])
    body = text(cast.browser(cast.bob).get(editor))
    assert 'name="summary"' in body
    assert "Add why" in text(cast.browser(cast.bob).get(editor + "?section=whys"))
    assert "You can read this postmortem but not change it" not in body
