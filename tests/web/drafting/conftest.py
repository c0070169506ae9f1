"""The ingest tests' vendors and clock, for the drafted timeline: a PagerDuty source, the
signed sender, and the evening of 2026-03-02 (the fixtures' events happened that afternoon)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.ingest.models import IngestSource
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem
from web.ingest import conftest as ingest

# The ingest tests' fixtures, used here by name.
_on_the_evening_of_the_fixtures = ingest._on_the_evening_of_the_fixtures
opsgenie = ingest.opsgenie
pagerduty = ingest.pagerduty
send = ingest.send
fixture = ingest.fixture

if TYPE_CHECKING:
    from conftest import Cast
    from web.ingest.conftest import Sender

# The PagerDuty samples of one incident, in the order they happened (PagerDuty developer
# docs, Webhooks v3 "Event Types"; shapes as in tests/web/ingest/fixtures/pagerduty).
LIFECYCLE = [
    "incident_triggered",
    "incident_acknowledged",
    "incident_priority_updated",
    "incident_escalated",
    "incident_responder_added",
    "incident_annotated",
    "incident_resolved",
]


def pd(name: str, **changes: Any) -> dict[str, Any]:
    payload = fixture("pagerduty", name)
    payload["event"].update(changes)
    return payload


@pytest.fixture
def resolved_postmortem(cast: Cast, pagerduty: IngestSource, send: Sender) -> Postmortem:
    """The PagerDuty incident, from trigger to resolution, with its postmortem started."""
    for name in LIFECYCLE:
        response = send.pagerduty(pagerduty, fixture("pagerduty", name))
        assert response.status_code in (200, 201), response.content
    from followthrough.web.ingest.models import IngestedIncident

    incident = IngestedIncident.objects.get(external_id="Q2ABC3DEF45GHI").incident
    return start_postmortem(incident, cast.alice)


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
