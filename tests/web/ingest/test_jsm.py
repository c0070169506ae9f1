"""Jira Service Management alert webhooks in: fixture payloads from Atlassian's documentation.

- ``fixtures/jsm/<action>.json``: shaped like the samples of Atlassian's "Alert action data"
  page for JSM Operations (support.atlassian.com/jira-service-management-cloud/docs/
  alert-action-data-for-jira-edge-connector; the same body as Opsgenie's), times moved to
  2026-03-02.
- ``fixtures/jsm/callback_create.json``: Atlassian's alert callback Create example: no
  createdAt, no updatedAt, no priority.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from followthrough.web.accounts.models import Organisation
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.integrations.jsm.parse import SUPPORTED_ACTIONS
from followthrough.web.postmortems import derived

from .conftest import FIXTURES, fixture, make_source, post_with_token

if TYPE_CHECKING:
    from django.test import Client

    from conftest import Cast

SECRET = "jsm-shared-token-0123456789"
SUPPORTED = {
    "Create": "create",
    "Acknowledge": "acknowledge",
    "UnAcknowledge": "unacknowledge",
    "Close": "close",
    "EscalateNext": "escalate_next",
    "UpdatePriority": "update_priority",
    "UpdateMessage": "update_message",
    "UpdateDescription": "update_description",
}
ALERT_ID = "052652ac-5d1c-464a-812a-7dd18bbfba8c"


@pytest.fixture
def jsm(cast: Cast) -> IngestSource:
    return make_source(
        cast, "jsm", SECRET, routing=[{"field": "tag", "value": "pci", "team_id": cast.security.pk}]
    )


def post(
    client: Client, source: IngestSource, payload: dict[str, Any] | bytes, **headers: str
) -> Any:
    return post_with_token(client, source, payload, SECRET, headers or None)


def the_incident() -> Incident:
    return IngestedIncident.objects.get(external_id=ALERT_ID).incident


def test_the_supported_actions_are_listed_and_each_has_a_fixture() -> None:
    assert set(SUPPORTED_ACTIONS) == set(SUPPORTED) | {"AddNote"}  # a note: timeline only
    for name in SUPPORTED.values():
        assert (FIXTURES / "jsm" / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", list(SUPPORTED.values()))
def test_each_supported_action_is_accepted(jsm: IngestSource, client: Client, name: str) -> None:
    response = post(client, jsm, fixture("jsm", name))
    assert response.status_code == 201, response.content
    assert Incident.objects.get().source == "jsm"


def test_an_alert_created_acknowledged_and_closed_is_one_incident_resolved_at_the_close(
    cast: Cast, jsm: IngestSource, client: Client
) -> None:
    for name in ("create", "acknowledge", "close"):
        assert post(client, jsm, fixture("jsm", name)).status_code in (200, 201)
    incident = the_incident()
    assert incident.title == "Checkout API error rate above 5%"
    assert incident.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert incident.severity == "P1"  # JSM's P2
    assert incident.team == cast.payments
    assert Incident.objects.count() == 1


def test_a_redelivery_is_a_duplicate_and_an_older_action_arriving_late_is_stale(
    jsm: IngestSource, client: Client
) -> None:
    post(client, jsm, fixture("jsm", "create"))
    post(client, jsm, fixture("jsm", "close"))
    assert post(client, jsm, fixture("jsm", "close")).json()["status"] == "duplicate"
    assert post(client, jsm, fixture("jsm", "unacknowledge")).json()["status"] == "stale"
    assert the_incident().resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("headers", [{}, {"X-Followthrough-Token": "wrong-token-000"}])
def test_a_missing_or_wrong_token_gets_401_and_stores_nothing(
    jsm: IngestSource, client: Client, headers: dict[str, str]
) -> None:
    response = post_with_token(client, jsm, fixture("jsm", "create"), SECRET, headers)
    assert response.status_code == 401
    assert (Incident.objects.count(), Delivery.objects.count()) == (0, 0)


def test_an_alert_replayed_more_than_a_day_later_is_refused(
    jsm: IngestSource, client: Client
) -> None:
    with time_machine.travel(datetime(2026, 3, 4, 9, tzinfo=UTC), tick=False):
        response = post(client, jsm, fixture("jsm", "create"))
    assert response.status_code == 401 and "updatedAt" in response.content.decode()
    assert Incident.objects.count() == 0


def test_a_tag_routing_rule_sends_the_alert_to_its_team(
    cast: Cast, jsm: IngestSource, client: Client
) -> None:
    payload: dict[str, Any] = fixture("jsm", "create")
    payload["alert"]["tags"] = ["PCI"]
    post(client, jsm, payload)
    assert the_incident().team == cast.security


def test_an_unused_action_is_ignored_and_an_unreadable_alert_is_answered_200_with_why(
    jsm: IngestSource, client: Client
) -> None:
    assert post(client, jsm, fixture("jsm", "add_note")).json()["status"] == "ignored"
    bad = {**fixture("jsm", "create"), "alert": {"message": "no id", "createdAt": 1772456400000}}
    response = post(client, jsm, bad)
    assert response.status_code == 200 and "alert.alertId is required" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_the_alert_callback_example_without_times_is_taken_once(
    jsm: IngestSource, client: Client
) -> None:
    assert post(client, jsm, fixture("jsm", "callback_create")).status_code == 201
    assert post(client, jsm, fixture("jsm", "callback_create")).json()["status"] == "duplicate"
    assert Incident.objects.get().severity == "P2"


def test_an_alert_closed_through_the_webhook_stores_the_policy_and_the_first_deadline(
    cast: Cast, jsm: IngestSource, client: Client
) -> None:
    """The webhook writes the incident (created, then resolved at the close): each write
    stores what the incident list shows (``postmortems.derived``)."""
    org = Organisation.current()
    org.policy = {"required_severities": ["P0", "P1"]}
    org.save()
    post(client, jsm, fixture("jsm", "create"))
    assert (the_incident().policy_decision, the_incident().overdue_from) == ("required", None)
    post(client, jsm, fixture("jsm", "close"))
    incident = the_incident()
    assert incident.overdue_from == datetime(2026, 3, 2, 15, 0, tzinfo=UTC) + timedelta(hours=24)
    assert derived.refresh([incident.pk]) == 0
