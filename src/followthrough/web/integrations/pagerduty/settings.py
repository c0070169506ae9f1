"""What a PagerDuty source is configured with (``IngestSource.settings``), and its setup steps."""

from __future__ import annotations

from typing import ClassVar

from followthrough.web.integrations.base import P1_TO_P5, PagingSettings

SETUP_STEPS = (
    "In PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook.",
    "Webhook URL: the endpoint below. Scope: the service or team whose incidents belong here.",
    "Events: incident.triggered, incident.acknowledged, incident.resolved, "
    "incident.priority_updated, incident.reopened, incident.escalated, "
    "incident.responder.added, incident.annotated (the last three draft the timeline).",
    "Copy the signing secret PagerDuty shows once, and paste it here as the secret.",
)


class Settings(PagingSettings):
    """Routing by PagerDuty service or team id; PagerDuty's P1 (highest) .. P5 are our P0 .. P3,
    and an incident without a priority takes its urgency (high, low)."""

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {
        "service": "PagerDuty service id",
        "team": "PagerDuty team id",
    }
    DEFAULT_SEVERITY_MAP: ClassVar[dict[str, str]] = {
        **P1_TO_P5,
        "high": "P1",
        "low": "P3",
        "*": "P2",
    }
