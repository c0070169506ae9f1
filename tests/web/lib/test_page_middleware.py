"""A script's API call passes the page middleware untouched; browsers still go through it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from followthrough.web.incidents.models import Incident
from followthrough.web.lib.page_middleware import is_token_call

pytestmark = pytest.mark.django_db


def test_a_scripts_token_call_has_no_session_messages_or_htmx_and_acts_as_the_token(
    cast: Any,
) -> None:
    response = cast.api("alice").get("/api/v1/incidents", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    request = response.wsgi_request
    assert is_token_call(request)
    assert not hasattr(request, "session")
    assert not hasattr(request, "htmx")
    assert not hasattr(request, "_messages")
    assert request.user == cast.alice
    assert not response.cookies
    assert "Vary" not in response


def test_a_bad_token_is_refused_as_before_and_the_call_stays_anonymous(cast: Any) -> None:
    response = Client(HTTP_AUTHORIZATION="Bearer ft_made_up").get("/api/v1/incidents")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert not response.wsgi_request.user.is_authenticated
    assert "Vary" not in response and not response.cookies


def test_a_token_call_to_no_route_gets_the_404_problem(cast: Any) -> None:
    response = cast.api("alice").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:followthrough:problem:not-found"


def test_a_token_call_that_sends_a_cookie_goes_through_djangos_middleware(cast: Any) -> None:
    browser = cast.browser(cast.bob)
    response = browser.get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {cast.tokens['alice']}")
    assert response.status_code == 200
    request = response.wsgi_request
    assert not is_token_call(request)
    assert hasattr(request, "session") and hasattr(request, "htmx")
    assert request.user == cast.alice  # the token decides, never the session


def test_a_signed_in_browser_still_needs_its_csrf_token_to_write_through_the_api(
    cast: Any,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.bob)
    response = browser.post(
        "/api/v1/incidents",
        {"team_id": cast.payments.pk, "title": "Forged", "severity": "P3"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Incident.objects.filter(title="Forged").exists()
    assert not is_token_call(response.wsgi_request)
    assert response.wsgi_request.session.accessed


def test_a_page_with_an_authorization_header_is_still_a_page(cast: Any) -> None:
    browser = cast.browser(cast.bob)
    response = browser.get("/", HTTP_AUTHORIZATION="Bearer anything")
    assert response.status_code == 200
    assert not is_token_call(response.wsgi_request)
    assert response.wsgi_request.user == cast.bob


def test_an_empty_authorization_header_is_no_token_and_varies_on_the_cookie_as_before(
    cast: Any,
) -> None:
    response = Client(HTTP_AUTHORIZATION="").get("/api/v1/incidents")
    assert response.status_code == 401
    assert not is_token_call(response.wsgi_request)
    assert response["Vary"] == "Cookie"  # the session was asked who this is
