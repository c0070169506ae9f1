"""Idempotency keys: a client may retry any POST of the API safely.

The same key with the same request gets the first answer again and writes nothing; the
same key with another request is refused; keys belong to one account and are kept at
least a day; a failed request keeps no key; the key is stored with the write or not at all.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import DatabaseError
from django.utils import timezone

from conftest import ApiClient
from followthrough.web.accounts.models import ApiToken
from followthrough.web.api.models import IdempotencyKey
from followthrough.web.incidents.models import Incident
from followthrough.web.lib import idempotency
from followthrough.web.postmortems.models import Why
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents"


def _body(cast: Cast, title: str = "Checkout 502s for EU customers") -> dict[str, Any]:
    return {"team_id": cast.payments.pk, "title": title, "severity": "P2"}


def _post(client: Any, body: Any, key: str | None, url: str = URL) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, body, content_type="application/json", **headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_makes_no_second_row(
    cast: Cast,
) -> None:
    key = str(uuid.uuid4())
    api = cast.api("alice")
    first = _post(api, _body(cast), key)
    assert first.status_code == 201
    again = _post(api, _body(cast), key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Incident.objects.filter(title=_body(cast)["title"]).count() == 1


def test_the_same_json_written_differently_is_the_same_request(cast: Cast) -> None:
    key = str(uuid.uuid4())
    api = cast.api("alice")
    assert _post(api, _body(cast), key).status_code == 201
    reordered = '{"severity": "P2",  "title": "Checkout 502s for EU customers", "team_id": %d}'
    replay = _post(api, reordered % cast.payments.pk, key)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused_with_a_clear_message(cast: Cast) -> None:
    key = str(uuid.uuid4())
    api = cast.api("alice")
    assert _post(api, _body(cast), key).status_code == 201
    other = _post(api, _body(cast, "Another incident"), key)
    assert other.status_code == 422
    assert other.json()["detail"].startswith(
        "This Idempotency-Key was first used for another request (POST /api/v1/incidents"
    )
    assert not Incident.objects.filter(title="Another incident").exists()
    postmortem = start_postmortem(cast.incident(), cast.alice)
    why = {"question": "Why?", "answer": "Because."}
    elsewhere = _post(api, why, key, f"/api/v1/postmortems/{postmortem.pk}/whys")
    assert elsewhere.status_code == 422
    assert not Why.objects.exists()


def test_a_failed_request_keeps_no_key_and_its_retry_runs_again(cast: Cast) -> None:
    key = str(uuid.uuid4())
    api = cast.api("alice")
    refused = _post(api, {**_body(cast), "severity": "P9"}, key)
    assert refused.status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert _post(api, _body(cast), key).status_code == 201


def test_keys_belong_to_the_account_every_token_of_it_and_no_one_else(cast: Cast) -> None:
    key = str(uuid.uuid4())
    first = _post(cast.api("alice"), _body(cast), key)
    _, second_token = ApiToken.issue(cast.alice, "laptop")
    replay = _post(ApiClient(second_token), _body(cast), key)
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    bobs = _post(cast.api("bob"), _body(cast), key)  # the same key, another person
    assert bobs.status_code == 201 and "Idempotent-Replayed" not in bobs
    assert bobs.json()["id"] != first.json()["id"]


def test_a_key_that_is_not_visible_ascii_is_refused(cast: Cast) -> None:
    for bad in ("", "x" * 256, "naïve", "two words"):
        answer = _post(cast.api("alice"), _body(cast), bad)
        assert answer.status_code == 400, bad
        assert (
            "Idempotency-Key must be 1 to 255 visible ASCII characters" in answer.json()["detail"]
        )
    assert not Incident.objects.exists()


def test_without_a_key_nothing_changes_and_anonymous_requests_get_401(cast: Cast) -> None:
    api = cast.api("alice")
    assert _post(api, _body(cast), None).status_code == 201
    assert _post(api, _body(cast), None).status_code == 201
    assert Incident.objects.count() == 2
    from django.test import Client

    assert _post(Client(), _body(cast), str(uuid.uuid4())).status_code == 401
    assert not IdempotencyKey.objects.exists()


def test_keys_are_kept_a_day_at_least_then_pruned(cast: Cast, settings: Any) -> None:
    settings.IDEMPOTENCY_KEY_HOURS = 1  # below the floor: a day it is
    key = str(uuid.uuid4())
    assert _post(cast.api("alice"), _body(cast), key).status_code == 201
    now = timezone.now()
    assert idempotency.prune(now + timedelta(hours=23)) == "pruned 0"
    assert _post(cast.api("alice"), _body(cast), key)["Idempotent-Replayed"] == "true"
    assert idempotency.prune(now + timedelta(hours=25)) == "pruned 1"


def test_the_key_is_stored_in_the_transaction_of_the_write(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the answer cannot be kept, the write is not kept either: 503, nothing saved."""
    key = str(uuid.uuid4())
    original = IdempotencyKey.save

    def broken(self: IdempotencyKey, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("update_fields"):
            raise DatabaseError("disk full")
        original(self, *args, **kwargs)

    monkeypatch.setattr(IdempotencyKey, "save", broken)
    answer = _post(cast.api("alice"), _body(cast), key)
    assert answer.status_code == 503
    assert not Incident.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_post_on_any_route_of_the_api_is_keyed(cast: Cast) -> None:
    """Keys are taken before any route is chosen: a why, not only an incident."""
    api = cast.api("alice")
    postmortem = start_postmortem(cast.incident(), cast.alice)
    url = f"/api/v1/postmortems/{postmortem.pk}/whys"
    key = str(uuid.uuid4())
    body = {"question": "Why?", "answer": "Because."}
    assert _post(api, body, key, url).status_code == 201
    assert _post(api, body, key, url)["Idempotent-Replayed"] == "true"
    assert Why.objects.count() == 1
