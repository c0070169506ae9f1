"""Grafana OnCall outgoing webhooks in: fixture payloads from Grafana's documentation.

- ``fixtures/grafana_oncall/resolve.json``: the example context of Grafana OnCall's "Outgoing
  webhooks" page (grafana.com/docs/oncall/latest/configure/integrations/outgoing-webhooks/,
  "Outgoing webhook data fields"; the same as ``EXAMPLE_PAYLOAD`` in grafana/oncall's
  webhooks models), times moved to 2026-03-02, the `responses` of another webhook left out.
- the other fixtures: that example with ``event.type``, ``event.time`` and the group's
  ``state``/times of each event type the page lists ("Event types"); ``firing`` is Grafana
  Cloud IRM's name for "alert group created".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery, IngestedIncident, IngestSource
from followthrough.web.integrations.grafana_oncall.parse import SUPPORTED_EVENTS

from .conftest import FIXTURES, fixture, make_source, post_with_token

if TYPE_CHECKING:
    from django.test import Client

    from conftest import Cast

SECRET = "oncall-shared-token-0123456789"
SUPPORTED = {
    "alert group created": "alert_group_created",
    "firing": "firing",
    "acknowledge": "acknowledge",
    "unacknowledge": "unacknowledge",
    "resolve": "resolve",
    "unresolve": "unresolve",
}
GROUP = "I6HNZGUFG4K11"


@pytest.fixture
def oncall(cast: Cast) -> IngestSource:
    return make_source(
        cast,
        "grafana_oncall",
        SECRET,
        routing=[{"field": "alertname", "value": "VaultSealed", "team_id": cast.security.pk}],
    )


def post(
    client: Client, source: IngestSource, payload: dict[str, Any] | bytes, **headers: str
) -> Any:
    return post_with_token(client, source, payload, SECRET, headers or None)


def the_incident() -> Incident:
    return IngestedIncident.objects.get(external_id=GROUP).incident


def test_the_supported_events_are_listed_and_each_has_a_fixture() -> None:
    assert set(SUPPORTED_EVENTS) == set(SUPPORTED)
    for name in SUPPORTED.values():
        assert (FIXTURES / "grafana_oncall" / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", list(SUPPORTED.values()))
def test_each_supported_event_is_accepted(oncall: IngestSource, client: Client, name: str) -> None:
    response = post(client, oncall, fixture("grafana_oncall", name))
    assert response.status_code == 201, response.content
    assert Incident.objects.get().source == "grafana_oncall"


def test_an_alert_group_fired_acknowledged_and_resolved_is_one_incident_with_its_link(
    cast: Cast, oncall: IngestSource, client: Client
) -> None:
    for name in ("alert_group_created", "acknowledge", "resolve"):
        assert post(client, oncall, fixture("grafana_oncall", name)).status_code in (200, 201)
    incident = the_incident()
    assert incident.title == "Incident"
    assert incident.started_at == datetime(2026, 3, 2, 13, 0, 0, 231148, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 3, 2, 15, 0, 0, 714058, tzinfo=UTC)
    assert incident.team == cast.payments
    assert incident.severity == "P2"  # no severity label: the source's "*"
    assert Incident.objects.count() == 1


def test_a_redelivery_is_a_duplicate_and_an_older_event_arriving_late_is_stale(
    oncall: IngestSource, client: Client
) -> None:
    post(client, oncall, fixture("grafana_oncall", "firing"))
    post(client, oncall, fixture("grafana_oncall", "resolve"))
    again = post(client, oncall, fixture("grafana_oncall", "resolve"))
    assert again.json()["status"] == "duplicate"
    late = post(client, oncall, fixture("grafana_oncall", "unacknowledge"))
    assert late.json()["status"] == "stale"
    assert the_incident().resolved_at is not None


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Followthrough-Token": "wrong-token-000"}, {"Authorization": "Bearer wrong-token"}],
)
def test_a_missing_or_wrong_secret_gets_401_and_stores_nothing(
    oncall: IngestSource, client: Client, headers: dict[str, str]
) -> None:
    response = post_with_token(client, oncall, fixture("grafana_oncall", "firing"), SECRET, headers)
    assert response.status_code == 401
    assert (Incident.objects.count(), Delivery.objects.count()) == (0, 0)


def test_the_secret_may_come_as_the_authorization_header(
    oncall: IngestSource, client: Client
) -> None:
    response = post(
        client, oncall, fixture("grafana_oncall", "firing"), Authorization=f"Bearer {SECRET}"
    )
    assert response.status_code == 201


def test_an_event_replayed_more_than_a_day_later_is_refused(
    oncall: IngestSource, client: Client
) -> None:
    with time_machine.travel(datetime(2026, 3, 4, 9, tzinfo=UTC), tick=False):
        response = post(client, oncall, fixture("grafana_oncall", "firing"))
    assert response.status_code == 401 and "time" in response.content.decode()
    assert Incident.objects.count() == 0


def test_the_severity_label_maps_and_the_alertname_routes(
    cast: Cast, oncall: IngestSource, client: Client
) -> None:
    payload: dict[str, Any] = fixture("grafana_oncall", "firing")
    payload["alert_payload"]["labels"] = {"alertname": "VaultSealed", "severity": "critical"}
    post(client, oncall, payload)
    incident = the_incident()
    assert (incident.team, incident.severity) == (cast.security, "P0")


def test_silence_is_ignored(oncall: IngestSource, client: Client) -> None:
    response = post(client, oncall, fixture("grafana_oncall", "silence"))
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"alert_group": "nope"}, "alert_group must be a JSON object"),
        ({"alert_group": {"title": "no id"}}, "alert_group.id is required"),
        ({"event": {"type": "resolve", "time": "yesterday"}}, "event.time"),
        (
            {"alert_group": {"id": GROUP, "permalinks": {"web": "javascript:alert(1)"}}},
            "https://",
        ),
    ],
)
def test_an_event_that_cannot_be_read_is_400_with_why(
    oncall: IngestSource, client: Client, change: dict[str, Any], reason: str
) -> None:
    response = post(client, oncall, {**fixture("grafana_oncall", "firing"), **change})
    assert response.status_code == 400 and reason in response.content.decode()
    assert Incident.objects.count() == 0


def test_a_lead_creates_a_grafana_oncall_source_through_the_api_and_its_page_says_what_to_do(
    cast: Cast, client: Client
) -> None:
    answer = cast.api("alice").post_json(
        "/api/v1/ingest/sources",
        {
            "name": "OnCall",
            "kind": "grafana_oncall",
            "team_id": cast.payments.pk,
            "secret": SECRET,
            "routing": [{"field": "integration", "value": "Checkout", "team_id": cast.payments.pk}],
        },
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["endpoint_url"].endswith(f"/ingest/grafana_oncall/{answer.json()['id']}/")
    client.force_login(cast.alice)
    page = client.get(f"/sources/{answer.json()['id']}/").content.decode()
    assert "Forward whole payload" in page and SECRET not in page
    wrong = cast.api("alice").post_json(
        "/api/v1/ingest/sources",
        {
            "name": "OnCall",
            "kind": "grafana_oncall",
            "team_id": cast.payments.pk,
            "secret": SECRET,
            "routing": [{"field": "service", "value": "x", "team_id": cast.payments.pk}],
        },
    )
    assert wrong.status_code == 422 and "alertname" in wrong.content.decode()
