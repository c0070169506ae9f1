"""Jira Cloud admin webhooks: ``jira:issue_updated`` (and created) with the issue's status.

A webhook registered with a secret signs the raw body: ``X-Hub-Signature: sha256=<hex>``.
Each delivery carries ``X-Atlassian-Webhook-Identifier`` (the same on a retry).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from followthrough.web.integrations.common import (
    Rejected,
    StatusEvent,
    check_hex_signature,
    dig,
    text,
)

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

SIGNATURE_HEADER = "X-Hub-Signature"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"
EVENTS = ("jira:issue_updated", "jira:issue_created")


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    check_hex_signature(
        config.webhook_secret, body, headers.get(SIGNATURE_HEADER, ""), prefix="sha256="
    )


def delivery_id(headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    return headers.get(DELIVERY_HEADER, "")


def parse(payload: dict[str, Any], headers: Mapping[str, str]) -> StatusEvent | None:
    """The status the issue now has; None for events that do not concern status."""
    event = payload.get("webhookEvent")
    if not isinstance(event, str):
        raise Rejected(400, "A Jira webhook body has a webhookEvent.")
    if event not in EVENTS:
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not (issue.get("id") or issue.get("key")):
        raise Rejected(400, f"A {event} body has an issue with an id and a key.")
    name = text(dig(issue, "fields", "status", "name"))
    category = text(dig(issue, "fields", "status", "statusCategory", "key"))
    if not name:
        # Older payloads: the status only in the changelog.
        items = dig(payload, "changelog", "items")
        for entry in items if isinstance(items, list) else []:
            if isinstance(entry, dict) and entry.get("field") == "status":
                name = text(entry.get("toString"))
    if not name and not category:
        return None
    return StatusEvent(
        external_id=text(issue.get("id")),
        key=text(issue.get("key")),
        status_name=name,
        status_category=category,
    )
