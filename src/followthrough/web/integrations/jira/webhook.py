"""Jira Cloud admin webhooks: ``jira:issue_updated`` (and created) with the issue's status.

A webhook registered with a secret signs the raw body: ``X-Hub-Signature: sha256=<hex>``.
The body's ``timestamp`` (milliseconds) is signed with it and must be recent: Jira sends a
primary event within seconds and retries for a while, so a delivery older than ``MAX_AGE``
is refused (the poll brings the status anyway). ``X-Atlassian-Webhook-Identifier`` is kept
but not trusted: it is not signed, so a replay is recognised by the signed content.

The status: ``issue.fields.status`` (name and category) when the body has it, else the
changelog's status item (``fieldId == "status"``; Jira Cloud writes ``"field": "Status"``)
by name, which the team's mapping and the vendor's defaults map ("Closed" is done).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from followthrough.web.integrations.common import (
    Rejected,
    StatusEvent,
    check_signed,
    dig,
    moment,
    text,
)

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

SIGNATURE_HEADER = "X-Hub-Signature"
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"
EVENTS = ("jira:issue_updated", "jira:issue_created")
MAX_AGE_SECONDS = 3600
# Jira's clock and ours: a timestamp this far ahead is still believed.
AHEAD_SECONDS = 300


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    check_signed(
        config.webhook_secret,
        body,
        headers,
        SIGNATURE_HEADER,
        now,
        scheme="sha256",
        time_field="timestamp",
        max_age=MAX_AGE_SECONDS,
        ahead=AHEAD_SECONDS,
    )


def delivery_id(headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    return headers.get(DELIVERY_HEADER, "")


def changelog_status(payload: dict[str, Any]) -> str:
    """The status the changelog moved the issue to, or "" when it moved no status."""
    items = dig(payload, "changelog", "items")
    for entry in items if isinstance(items, list) else []:
        if not isinstance(entry, dict):
            continue
        field_id = text(entry.get("fieldId")).lower()
        field = text(entry.get("field")).lower()
        if field_id == "status" or (not field_id and field == "status"):
            return text(entry.get("toString"))
    return ""


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
    moved_to = changelog_status(payload)
    if moved_to and moved_to != name:
        name, category = moved_to, ""  # the changelog says what this event did
    if not name and not category:
        return None
    return StatusEvent(
        external_id=text(issue.get("id")),
        key=text(issue.get("key")),
        status_name=name,
        status_category=category,
        changed_at=moment(dig(issue, "fields", "updated")) or moment(payload.get("timestamp")),
    )
