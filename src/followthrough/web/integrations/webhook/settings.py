"""What a generic-webhook source is configured with (``IngestSource.settings``), and its steps."""

from __future__ import annotations

from typing import ClassVar

from followthrough.web.integrations.base import PagingSettings

SETUP_STEPS = (
    "POST the JSON payload of docs/webhook.md to the endpoint below.",
    "Sign each request: X-Followthrough-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
    "“t.body” with the secret>. Requests more than 5 minutes old are refused.",
)


class Settings(PagingSettings):
    """Routing by the payload's team field; severities P0..P3, SEV0..SEV3 or words, and any
    name the source maps. Our own payload names a severity, so one the mapping does not know
    is refused rather than taken as ``*``."""

    ROUTING_FIELDS: ClassVar[dict[str, str]] = {"team": "the payload's team field"}
    DEFAULT_SEVERITY_MAP: ClassVar[dict[str, str]] = {
        "P0": "P0",
        "P1": "P1",
        "P2": "P2",
        "P3": "P3",
        "SEV0": "P0",
        "SEV1": "P1",
        "SEV2": "P2",
        "SEV3": "P3",
        "critical": "P0",
        "high": "P1",
        "medium": "P2",
        "low": "P3",
        "*": "P2",
    }
