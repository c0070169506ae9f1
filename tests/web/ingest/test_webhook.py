"""The generic JSON webhook (docs/webhook.md): signed with a timestamp, whole-state payloads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.integrations.webhook.parse import FIELDS

from .conftest import Sender, fixture, webhook_signature

if TYPE_CHECKING:
    from conftest import Cast


def the_incident() -> Incident:
    return IngestedIncident.objects.get(external_id="statuspage-7781").incident


def test_every_documented_field_is_in_docs_webhook_md() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[3] / "docs" / "webhook.md").read_text()
    for field in FIELDS:
        assert f"`{field}`" in doc, field


def test_an_open_then_resolved_incident_is_created_then_updated(
    cast: Cast, webhook: IngestSource, send: Sender
) -> None:
    response = send.webhook(webhook, fixture("webhook", "open"))
    assert response.status_code == 201, response.content
    incident = the_incident()
    assert incident.team == cast.payments
    assert incident.severity == "P2"
    assert incident.commander == cast.ivan
    assert incident.customer_facing is True
    assert incident.failure_tags == ["search", "index"]
    assert incident.started_at == datetime(2026, 3, 2, 8, 40, tzinfo=UTC)

    response = send.webhook(webhook, fixture("webhook", "resolved"))
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.severity == "P1"
    assert incident.mitigated_at == datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert incident.significant_impact is True
    assert [c.who for c in history_of(incident)] == ["generic webhook", "generic webhook"]


def test_the_same_body_sent_again_is_a_duplicate_even_without_an_event_id(
    webhook: IngestSource, send: Sender
) -> None:
    payload = fixture("webhook", "open")
    del payload["event_id"]
    assert send.webhook(webhook, payload).status_code == 201
    response = send.webhook(webhook, payload)
    assert response.json()["status"] == "duplicate"
    assert Delivery.objects.count() == 1


def test_a_timestamp_older_than_five_minutes_is_refused(
    webhook: IngestSource, send: Sender
) -> None:
    body = json.dumps(fixture("webhook", "open")).encode()
    old = webhook_signature(body, t=int(time.time()) - 301)
    response = send.webhook(webhook, body, signature=old)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_a_bad_signature_gets_401_and_stores_nothing(webhook: IngestSource, send: Sender) -> None:
    body = json.dumps(fixture("webhook", "open")).encode()
    forged = webhook_signature(body, secret="not-the-secret")
    assert send.webhook(webhook, body, signature=forged).status_code == 401
    assert send.webhook(webhook, body, signature="").status_code == 401
    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_a_team_the_source_does_not_post_to_is_refused(
    cast: Cast, webhook: IngestSource, send: Sender
) -> None:
    payload = {**fixture("webhook", "open"), "team": "security"}
    response = send.webhook(webhook, payload)
    assert response.status_code == 400
    assert "security" in response.json()["detail"]
    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_a_severity_name_from_the_sources_mapping_is_used(
    webhook: IngestSource, send: Sender
) -> None:
    send.webhook(webhook, {**fixture("webhook", "open"), "severity": "SEV-A"})
    assert the_incident().severity == "P0"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"severity": "P7"}, "body.severity"),
        ({"status": "closed"}, "body.status"),
        ({"title": ""}, "body.title is required"),
        ({"external_id": None}, "body.external_id is required"),
        ({"started_at": "2026-03-02 08:40"}, "timezone"),
        ({"resolved_at": "2026-03-02T11:00:00Z"}, "status is not resolved"),
        ({"flags": ["on_fire"]}, "body.flags"),
        ({"failure_tags": "search"}, "failure_tags"),
        ({"titel": "typo"}, "unknown field(s) titel"),
        ({"title": "x" * 201}, "longer than 200"),
    ],
)
def test_a_malformed_payload_gets_400_with_the_reason(
    webhook: IngestSource, send: Sender, change: dict[str, Any], reason: str
) -> None:
    response = send.webhook(webhook, {**fixture("webhook", "open"), **change})
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert Incident.objects.count() == 0
