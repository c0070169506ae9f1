"""CSRF is enforced on the pages: a signed-in POST without the token is refused and changes
nothing; with the token (as htmx sends it, in a header) it goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from followthrough.web.postmortems.models import ContributingFactor, Postmortem, Why
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

FORMS = [
    ("whys/", {"new-why-question": "Why did it fail?", "new-why-answer": "The pool ran out."}),
    ("factors/", {"new-factor-kind": "other", "new-factor-description": "No load test."}),
]


def _browser(cast: Cast) -> tuple[Client, Postmortem]:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    return client, postmortem


def _rows(postmortem: Postmortem) -> int:
    return Why.objects.filter(postmortem=postmortem).count() + (
        ContributingFactor.objects.filter(postmortem=postmortem).count()
    )


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_a_signed_in_post_without_the_csrf_token_is_refused_and_changes_nothing(
    cast: Cast, path: str, data: dict[str, str]
) -> None:
    client, postmortem = _browser(cast)
    url = f"/incidents/{postmortem.incident_id}/postmortem/{path}"
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert _rows(postmortem) == 0


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_the_same_post_with_the_token_from_the_page_goes_through(
    cast: Cast, path: str, data: dict[str, str]
) -> None:
    client, postmortem = _browser(cast)
    page = client.get(f"/incidents/{postmortem.incident_id}/postmortem/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    url = f"/incidents/{postmortem.incident_id}/postmortem/{path}"
    response = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content[:500]
    assert _rows(postmortem) == 1


def test_signing_out_without_the_token_is_refused(cast: Cast) -> None:
    client, _ = _browser(cast)
    assert client.post("/logout/").status_code == 403
    assert client.get("/").status_code == 200  # still signed in
