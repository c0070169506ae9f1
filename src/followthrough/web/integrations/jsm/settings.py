"""What a JSM source is configured with (``IngestSource.settings``), and its setup steps."""

from __future__ import annotations

from typing import ClassVar

from followthrough.web.integrations.opsgenie.settings import Settings as OpsgenieSettings

SETUP_STEPS = (
    "In Jira Service Management: Operations → Integrations → Add integration → Webhook (outgoing).",
    "Webhook URL: the endpoint below. Tick “Add Alert Description to Payload”.",
    "Custom headers: X-Followthrough-Token = the secret you set here.",
    "Alert actions: Create, Acknowledge, UnAcknowledge, Close, EscalateNext, "
    "UpdatePriority, UpdateMessage, UpdateDescription.",
    "An alert whose updatedAt is more than a day old is refused as a replay.",
)


class Settings(OpsgenieSettings):
    """Opsgenie's settings (JSM's priorities are Opsgenie's P1 .. P5, ``*`` for none), with
    JSM's names for what a routing rule matches."""

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {
        "team": "JSM team id or name",
        "tag": "alert tag",
    }
