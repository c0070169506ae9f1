"""Whatever goes wrong, the client gets JSON that says what, and nothing half-done stays."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.db import IntegrityError

from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def test_two_starts_racing_past_the_existence_check_get_a_conflict(
    cast: Cast, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    def racing_start(incident: Incident, user: Any) -> Postmortem:
        raise IntegrityError("UNIQUE constraint failed: postmortems_postmortem.incident_id")

    monkeypatch.setattr(
        "followthrough.web.postmortems.api.postmortems.start_postmortem", racing_start
    )
    body = ok(cast.api("alice").post(f"{API}/incidents/{incident.pk}/postmortem"), 409)
    assert "same moment" in body["detail"]


def test_an_unexpected_error_is_a_json_500_and_changes_nothing(
    cast: Cast, incident: Incident, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DEBUG = False

    def broken(incident: Incident, user: Any) -> Postmortem:
        Incident.objects.filter(pk=incident.pk).update(title="Half-done")
        raise RuntimeError("boom")

    monkeypatch.setattr("followthrough.web.postmortems.api.postmortems.start_postmortem", broken)
    response = cast.api("alice").post(f"{API}/incidents/{incident.pk}/postmortem")
    assert response.status_code == 500
    assert "nothing was changed" in response.json()["detail"]
    assert "boom" not in response.content.decode()
    incident.refresh_from_db()
    assert incident.title == "Checkout returned 502 for EU customers"
