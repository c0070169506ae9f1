"""What every inbound endpoint shares: 404 / 403 / 413, no CSRF token, no session, no secrets in logs."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestSource
from followthrough.web.ingest.receiving import MAX_BODY

from .conftest import PD_SECRET, Sender, fixture, pd_signature

if TYPE_CHECKING:
    from conftest import Cast


def test_an_unknown_source_id_is_404(pagerduty: IngestSource, send: Sender) -> None:
    for path in (
        f"/ingest/pagerduty/{pagerduty.pk + 1000}/",
        f"/ingest/opsgenie/{pagerduty.pk}/",  # a PagerDuty source is not an Opsgenie one
        "/ingest/webhook/99999999999999999999999/",
    ):
        response = send.client.post(path, b"{}", content_type="application/json")
        assert response.status_code == 404, path
        assert "no" in response.json()["detail"]


def test_a_disabled_source_is_403_and_stores_nothing(pagerduty: IngestSource, send: Sender) -> None:
    pagerduty.enabled = False
    pagerduty.save()
    response = send.pagerduty(pagerduty, fixture("pagerduty", "incident_triggered"))
    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_a_body_over_one_megabyte_is_413(pagerduty: IngestSource, send: Sender) -> None:
    body = b'{"pad": "' + b"x" * MAX_BODY + b'"}'
    response = send.pagerduty(pagerduty, body, signature=pd_signature(body))
    assert response.status_code == 413
    assert Delivery.objects.count() == 0


def test_a_source_without_a_secret_refuses_everything(
    pagerduty: IngestSource, send: Sender
) -> None:
    pagerduty.secret = ""
    pagerduty.save()
    response = send.pagerduty(
        pagerduty, fixture("pagerduty", "incident_triggered"), signature=pd_signature(b"")
    )
    assert response.status_code == 401
    assert Incident.objects.count() == 0


def test_only_post_is_accepted(pagerduty: IngestSource, send: Sender) -> None:
    assert send.client.get(f"/ingest/pagerduty/{pagerduty.pk}/").status_code == 405


def test_endpoints_need_no_csrf_token_and_never_touch_the_session(
    cast: Cast, pagerduty: IngestSource
) -> None:
    sender = Sender()
    sender.client.force_login(cast.alice)  # even with a session cookie present
    response = sender.pagerduty(pagerduty, fixture("pagerduty", "incident_triggered"))
    assert response.status_code == 201
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert Incident.objects.get().created_by is None


def test_refusals_are_logged_without_the_secret_or_the_signature(
    pagerduty: IngestSource, send: Sender, caplog: pytest.LogCaptureFixture
) -> None:
    bad = "v1=" + "ab" * 32
    with caplog.at_level(logging.DEBUG, logger="followthrough"):
        send.pagerduty(pagerduty, fixture("pagerduty", "incident_triggered"), signature=bad)
    assert caplog.records, "the refusal is logged"
    logged = caplog.text
    assert PD_SECRET not in logged
    assert bad not in logged
    assert "Q2ABC3DEF45GHI" not in logged  # nor the body


def test_the_source_repr_never_shows_the_secret(pagerduty: IngestSource) -> None:
    assert PD_SECRET not in repr(pagerduty)
    assert PD_SECRET not in str(pagerduty)


def test_deeply_nested_json_is_a_400_not_a_traceback(pagerduty: IngestSource, send: Sender) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = send.pagerduty(pagerduty, body)
    assert response.status_code == 400
    assert "not JSON" in response.json()["detail"]


def test_an_incident_id_longer_than_200_characters_is_a_400(
    pagerduty: IngestSource, send: Sender
) -> None:
    payload = fixture("pagerduty", "incident_triggered")
    payload["event"]["data"]["id"] = "Q" * 201
    response = send.pagerduty(pagerduty, payload)
    assert response.status_code == 400
    assert "longer than 200" in response.json()["detail"]
    assert Delivery.objects.count() == 0
