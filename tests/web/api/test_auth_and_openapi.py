"""The API describes itself, and only answers people who say who they are."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from followthrough.web.accounts.models import ApiToken

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_served_as_json_with_every_path(cast: Cast) -> None:
    response = Client().get(f"{API}/openapi.json")
    document = json.loads(ok(response) and response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "followthrough"
    paths = document["paths"]
    for path, methods in {
        "/teams": {"get"},
        "/teams/{team_id}": {"get"},
        "/people": {"get"},
        "/incidents": {"get", "post"},
        "/incidents/{incident_id}": {"get", "patch"},
        "/incidents/{incident_id}/postmortem": {"get", "post"},
        "/postmortems": {"get"},
        "/postmortems/{postmortem_id}": {"get", "patch"},
        "/postmortems/{postmortem_id}/transition": {"post"},
        "/postmortems/{postmortem_id}/whys": {"get", "post"},
        "/postmortems/{postmortem_id}/whys/reorder": {"post"},
        "/whys/{why_id}": {"patch", "delete"},
        "/postmortems/{postmortem_id}/timeline": {"get", "post"},
        "/timeline/{event_id}": {"patch", "delete"},
        "/postmortems/{postmortem_id}/factors": {"get", "post"},
        "/postmortems/{postmortem_id}/factors/reorder": {"post"},
        "/factors/{factor_id}": {"patch", "delete"},
        "/action-items": {"get"},
        "/postmortems/{postmortem_id}/action-items": {"get", "post"},
        "/action-items/{item_id}": {"get", "patch"},
        "/postmortems/{postmortem_id}/meeting": {"get", "patch"},
    }.items():
        assert methods <= set(paths[f"{API}{path}"]), path
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_operation_ids_stay_as_published_when_a_route_moves_to_its_app(cast: Cast) -> None:
    # Generated clients name their methods after operationId: moving a route's module (the
    # core domain's routes went from web/api/ into their apps) must not rename them.
    response = Client().get(f"{API}/openapi.json")
    paths = json.loads(ok(response) and response.content)["paths"]
    published = {
        ("/teams", "get"): "followthrough_web_api_teams_list_teams",
        ("/people", "get"): "followthrough_web_api_people_list_people",
        ("/incidents", "post"): "followthrough_web_api_incidents_create_incident",
        ("/postmortems/{postmortem_id}", "patch"): (
            "followthrough_web_api_postmortems_update_postmortem"
        ),
        ("/factors/{factor_id}", "delete"): "followthrough_web_api_sections_delete_factor",
        ("/action-items/{item_id}", "get"): "followthrough_web_api_actions_get_action_item",
        ("/postmortems/{postmortem_id}/meeting", "patch"): (
            "followthrough_web_api_meetings_patch_meeting"
        ),
    }
    for (path, method), operation_id in published.items():
        assert paths[f"{API}{path}"][method]["operationId"] == operation_id, (path, method)
    every = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(every) == len(set(every))


def test_a_request_without_a_token_gets_401_with_a_message(cast: Cast) -> None:
    response = Client().get(f"{API}/incidents")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_gets_401_with_a_message(cast: Cast) -> None:
    client = Client(HTTP_AUTHORIZATION="Bearer ft_not-a-real-token")
    response = client.get(f"{API}/incidents")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


def test_the_token_is_read_however_the_scheme_is_written_and_only_after_bearer(
    cast: Cast,
) -> None:
    token = cast.tokens["alice"]
    for header, status in [
        (f"Bearer {token}", 200),
        (f"bearer {token}", 200),
        (f"BEARER {token}", 200),
        (f"Token {token}", 401),
        (token, 401),
        ("Bearer", 401),
        ("Bearer ", 401),
        ("", 401),
    ]:
        response = Client(HTTP_AUTHORIZATION=header).get(f"{API}/incidents")
        assert response.status_code == status, header
        # One header is looked at: a script's read never builds the dict of all of them.
        assert "headers" not in response.wsgi_request.__dict__, header


def test_a_revoked_token_gets_401(cast: Cast) -> None:
    ApiToken.objects.filter(user=cast.alice).update(revoked_at=timezone.now())
    assert cast.api("alice").get(f"{API}/incidents").status_code == 401


def test_an_expired_token_gets_401(cast: Cast) -> None:
    ApiToken.objects.filter(user=cast.alice).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert cast.api("alice").get(f"{API}/incidents").status_code == 401


def test_a_token_records_when_it_was_last_used_at_most_once_a_minute(cast: Cast) -> None:
    token = ApiToken.objects.get(user=cast.alice)
    assert token.last_used_at is None
    client = cast.api("alice")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ok(client.get(f"{API}/teams"))
        first = ApiToken.objects.get(pk=token.pk).last_used_at
        assert first is not None
        clock.shift(timedelta(seconds=30))
        ok(client.get(f"{API}/teams"))
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first
        clock.shift(timedelta(seconds=31))
        ok(client.get(f"{API}/teams"))
        assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_the_signed_in_page_session_may_call_the_api(cast: Cast) -> None:
    body = ok(cast.browser(cast.alice).get(f"{API}/teams"))
    assert [t["slug"] for t in body["items"]] == ["payments"]


def test_a_session_write_without_the_csrf_token_is_refused(cast: Cast) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    response = browser.post(
        f"{API}/incidents",
        {"team_id": cast.payments.pk, "title": "x", "severity": "P3"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_tokens_are_never_returned(cast: Cast) -> None:
    client = cast.api("admin")
    secrets = list(cast.tokens.values())
    digests = list(ApiToken.objects.values_list("digest", flat=True))
    for path in ("/teams", "/people", "/incidents", "/openapi.json"):
        text = client.get(f"{API}{path}").content.decode()
        assert not any(s in text for s in secrets + digests), path
