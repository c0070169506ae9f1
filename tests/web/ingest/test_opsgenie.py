"""Opsgenie alert webhooks in: fixture payloads from Opsgenie's own documentation.

- ``fixtures/opsgenie/<action>.json``: shaped like the samples of Opsgenie's "Alert action
  data" page (docs.opsgenie.com/docs/marid-alert-action-data), times moved to 2026.
- ``fixtures/opsgenie/callback_create.json``: Atlassian's "Use alert callbacks" Create
  example verbatim (support.atlassian.com/opsgenie/docs/use-alert-callbacks/): no
  createdAt, no updatedAt, no priority.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.integrations.opsgenie.parse import SUPPORTED_ACTIONS

from .conftest import FIXTURES, OPSGENIE_SECRET, Sender, fixture

if TYPE_CHECKING:
    from conftest import Cast

# The actions we act on, and the fixture of each.
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


def the_incident() -> Incident:
    return IngestedIncident.objects.get(external_id=ALERT_ID).incident


def test_the_supported_actions_are_listed_and_each_has_a_fixture() -> None:
    assert set(SUPPORTED_ACTIONS) == set(SUPPORTED) | {"AddNote"}  # a note: timeline only
    for name in SUPPORTED.values():
        assert (FIXTURES / "opsgenie" / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", list(SUPPORTED.values()))
def test_each_supported_action_is_accepted(opsgenie: IngestSource, send: Sender, name: str) -> None:
    response = send.opsgenie(opsgenie, fixture("opsgenie", name))
    assert response.status_code == 201, response.content
    assert Incident.objects.count() == 1


def test_an_alert_lifecycle_makes_one_incident_resolved_when_closed(
    cast: Cast, opsgenie: IngestSource, send: Sender
) -> None:
    for name in SUPPORTED.values():
        if name != "close":
            assert send.opsgenie(opsgenie, fixture("opsgenie", name)).status_code in (200, 201)
    incident = the_incident()
    assert incident.severity == "P0"  # UpdatePriority to Opsgenie P1
    assert incident.title == "Checkout API failing for EU customers"
    assert incident.summary == "EU checkout returns 502 since the 12:55 deploy."
    assert incident.started_at == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert incident.resolved_at is None
    assert incident.team == cast.payments

    assert send.opsgenie(opsgenie, fixture("opsgenie", "close")).status_code == 200
    incident.refresh_from_db()
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert Incident.objects.count() == 1


def test_the_same_action_at_the_same_moment_is_a_duplicate(
    opsgenie: IngestSource, send: Sender
) -> None:
    send.opsgenie(opsgenie, fixture("opsgenie", "create"))
    send.opsgenie(opsgenie, fixture("opsgenie", "close"))
    version = the_incident().version
    response = send.opsgenie(opsgenie, fixture("opsgenie", "close"))
    assert response.json()["status"] == "duplicate"
    assert the_incident().version == version
    assert Delivery.objects.count() == 2


def test_an_acknowledgement_older_than_the_close_does_not_reopen(
    opsgenie: IngestSource, send: Sender
) -> None:
    send.opsgenie(opsgenie, fixture("opsgenie", "create"))
    send.opsgenie(opsgenie, fixture("opsgenie", "close"))
    response = send.opsgenie(opsgenie, fixture("opsgenie", "unacknowledge"))
    assert response.json()["status"] == "stale"
    assert the_incident().resolved_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_a_tag_routing_rule_sends_the_alert_to_its_team(
    cast: Cast, opsgenie: IngestSource, send: Sender
) -> None:
    payload: dict[str, Any] = fixture("opsgenie", "create")
    payload["alert"]["tags"] = ["PCI"]
    send.opsgenie(opsgenie, payload)
    assert the_incident().team == cast.security


def test_the_secret_may_come_as_the_basic_auth_password(
    opsgenie: IngestSource, send: Sender
) -> None:
    response = send.opsgenie(
        opsgenie, fixture("opsgenie", "create"), token=None, basic=f"opsgenie:{OPSGENIE_SECRET}"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_a_missing_or_wrong_token_gets_401_and_stores_nothing(
    opsgenie: IngestSource, send: Sender, token: str | None
) -> None:
    response = send.opsgenie(opsgenie, fixture("opsgenie", "create"), token=token)
    assert response.status_code == 401
    assert Incident.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_actions_we_do_not_act_on_are_ignored(opsgenie: IngestSource, send: Sender) -> None:
    response = send.opsgenie(opsgenie, fixture("opsgenie", "add_note"))
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"alert": "nope"}, "alert must be a JSON object"),
        ({"alert": {"message": "no id", "createdAt": 1}}, "alert.alertId is required"),
        ({"alert": {"alertId": "a", "updatedAt": "soon"}}, "Unix time"),
        ({"action": ""}, "action is required"),
    ],
)
def test_an_authentic_alert_that_cannot_be_read_is_answered_200_ignored_and_recorded_with_why(
    opsgenie: IngestSource, send: Sender, change: dict[str, Any], reason: str
) -> None:
    """Opsgenie drops a delivery answered 4xx: the reason would be lost with it."""
    payload = {**fixture("opsgenie", "create"), **change}
    response = send.opsgenie(opsgenie, payload)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert reason in response.json()["detail"]
    assert Incident.objects.count() == 0
    [recorded] = Delivery.objects.all()
    assert recorded.outcome == "ignored" and reason in recorded.detail
    send.opsgenie(opsgenie, payload)
    assert Delivery.objects.count() == 1  # the same body again: recorded once
    page = cast_page(opsgenie)
    assert reason in page


def cast_page(source: IngestSource) -> str:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="alice"))
    return client.get(f"/sources/{source.pk}/").content.decode()


def test_atlassians_alert_callback_example_without_times_happens_when_it_is_received(
    opsgenie: IngestSource, send: Sender
) -> None:
    received = datetime.now(UTC)
    response = send.opsgenie(opsgenie, fixture("opsgenie", "callback_create"))
    assert response.status_code == 201, response.content
    incident = IngestedIncident.objects.get(
        external_id="44f717bf-44bd-11c9-44c7-2d0cf1d07b23"
    ).incident
    assert incident.title == "testing webhooks"
    assert abs((incident.started_at - received).total_seconds()) < 5
    assert incident.severity == "P2"  # no priority: the source's "*"
    again = send.opsgenie(opsgenie, fixture("opsgenie", "callback_create"))
    assert again.json()["status"] == "duplicate"


def test_an_alert_without_priority_takes_the_sources_own_default(
    opsgenie: IngestSource, send: Sender
) -> None:
    opsgenie.settings = {**opsgenie.settings, "severity_map": {"*": "P1", "P5": "P2"}}
    opsgenie.save()
    send.opsgenie(opsgenie, fixture("opsgenie", "callback_create"))
    unprioritised = IngestedIncident.objects.get(external_id="44f717bf-44bd-11c9-44c7-2d0cf1d07b23")
    assert unprioritised.incident.severity == "P1"
    payload: dict[str, Any] = fixture("opsgenie", "create")
    payload["alert"]["priority"] = "P5"
    send.opsgenie(opsgenie, payload)
    assert the_incident().severity == "P2"  # P5 mapped by the source, over the default P3


def test_the_default_priority_mapping_is_opsgenies_p1_to_p5_onto_our_p0_to_p3(
    opsgenie: IngestSource,
) -> None:
    assert [opsgenie.severity_for([p]) for p in ("P1", "P2", "P3", "P4", "P5")] == [
        "P0",
        "P1",
        "P2",
        "P3",
        "P3",
    ]
    assert opsgenie.severity_for([]) == "P2"
