"""What an Opsgenie source is configured with (``IngestSource.settings``), and its setup steps."""

from __future__ import annotations

from typing import ClassVar

from followthrough.web.integrations.base import P1_TO_P5, PagingSettings

SETUP_STEPS = (
    "In Opsgenie: Settings → Integrations → Add integration → Webhook.",
    "Webhook URL: the endpoint below. Tick “Add Alert Description to Payload”.",
    "Custom headers: X-Followthrough-Token = the secret you set here.",
    "Alert actions: Create, Acknowledge, UnAcknowledge, Close, EscalateNext, "
    "UpdatePriority, UpdateMessage, UpdateDescription, and AddNote (for the drafted timeline).",
    "Alerts without a priority (Opsgenie's alert callbacks send none) take the severity of "
    "“*” in the mapping below (P2 unless you change it).",
)


class Settings(PagingSettings):
    """Routing by Opsgenie team or alert tag; Opsgenie's P1 (highest) .. P5 are our P0 .. P3,
    and ``*`` is the severity of an alert without a priority."""

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {
        "team": "Opsgenie team id or name",
        "tag": "alert tag",
    }
    DEFAULT_SEVERITY_MAP: ClassVar[dict[str, str]] = {
        **P1_TO_P5,
        "*": "P2",
    }
