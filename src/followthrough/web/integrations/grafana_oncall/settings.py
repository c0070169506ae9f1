"""What a Grafana OnCall source is configured with (``IngestSource.settings``), and its setup."""

from __future__ import annotations

from typing import ClassVar

from followthrough.web.integrations.base import PagingSettings

SETUP_STEPS = (
    "In Grafana OnCall (or Grafana Cloud IRM): Outgoing Webhooks → + Create → Advanced webhook.",
    "URL: the endpoint below; HTTP method: POST; tick “Forward whole payload”.",
    'Headers: {"X-Followthrough-Token": "<the secret you set here>"} (or the Authorization '
    "header: Bearer <the secret>).",
    "Trigger types, one webhook each: Alert Group Created, Acknowledged, Resolved, "
    "Unacknowledged, Unresolved.",
    "Severity comes from the first alert's severity (or priority) label; an event older than "
    "a day is refused as a replay.",
)


class Settings(PagingSettings):
    """Routing by the OnCall integration's team or name, or the alert's alertname label;
    severity from the first alert's ``severity`` label."""

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {
        "team": "Grafana OnCall team of the integration",
        "integration": "Grafana OnCall integration name",
        "alertname": "the first alert's alertname label",
    }
    DEFAULT_SEVERITY_MAP: ClassVar[dict[str, str]] = {
        "critical": "P0",
        "high": "P1",
        "error": "P1",
        "warning": "P2",
        "medium": "P2",
        "low": "P3",
        "info": "P3",
        "*": "P2",
    }
