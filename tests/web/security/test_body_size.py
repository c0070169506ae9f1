"""Oversized request bodies are refused with 413, unread: JSON on the API, a page elsewhere."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from followthrough.web.incidents.models import Incident

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limit(settings: Any) -> int:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    return 4096


def incident_body(cast: Cast, title: str) -> str:
    return json.dumps(
        {
            "team_id": cast.payments.pk,
            "title": title,
            "severity": "P2",
            "started_at": "2026-03-02T12:00:00Z",
        }
    )


def test_an_api_body_over_the_limit_gets_413_json_and_creates_nothing(
    cast: Cast, small_limit: int
) -> None:
    body = incident_body(cast, "x" * small_limit)
    response = cast.api("alice").post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "type": "urn:followthrough:problem:too-large",
        "title": "Request body too large",
        "status": 413,
        "detail": "The request body is larger than the 4 KiB this server accepts.",
        "errors": [],
    }
    assert not Incident.objects.exists()


def test_an_api_body_under_the_limit_is_read_as_usual(cast: Cast, small_limit: int) -> None:
    body = incident_body(cast, "Checkout failed")
    response = cast.api("alice").post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_page_form_over_the_limit_gets_a_413_page(cast: Cast, small_limit: int) -> None:
    response = cast.browser(cast.alice).post(
        "/incidents/new/", {"title": "x" * small_limit, "team": cast.payments.pk}
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Request too large" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_login_form_over_the_limit_gets_413_not_a_server_error(small_limit: int) -> None:
    response = Client().post("/login/", {"username": "a" * small_limit, "password": "p"})
    assert response.status_code == 413


def test_the_api_answers_413_json_even_when_a_view_reads_an_oversized_body(
    cast: Cast, small_limit: int, settings: Any
) -> None:
    # Without the middleware's early refusal, ninja reads the body and Django objects to its size.
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("RequestLimitsMiddleware")
    ]
    body = incident_body(cast, "x" * small_limit)
    response = cast.api("alice").post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 413
    assert "4 KiB" in response.json()["detail"]
    assert not Incident.objects.exists()
