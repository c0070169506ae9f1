"""GitHub webhooks: the ``issues`` event (closed, reopened, ...) of the team's repository.

``X-Hub-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the raw body with the webhook's
secret. ``X-GitHub-Delivery`` identifies the delivery but is not signed: a replay is
recognised by the signed content, and a body whose ``issue.updated_at`` is older than the
status already known changes nothing.
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
from followthrough.web.integrations.github.client import status_of

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

SIGNATURE_HEADER = "X-Hub-Signature-256"
DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    check_signed(config.webhook_secret, body, headers, SIGNATURE_HEADER, now, scheme="sha256")


def delivery_id(headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    return headers.get(DELIVERY_HEADER, "")


def parse(payload: dict[str, Any], headers: Mapping[str, str]) -> StatusEvent | None:
    if headers.get(EVENT_HEADER, "issues") != "issues":
        return None  # ping, issue_comment, ...: nothing to do
    issue = payload.get("issue")
    if not isinstance(payload.get("action"), str) or not isinstance(issue, dict):
        raise Rejected(400, "An issues event body has an action and an issue.")
    number = issue.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise Rejected(400, "The issue in an issues event has a number and a state.")
    if not isinstance(issue.get("state"), str):
        raise Rejected(400, "The issue in an issues event has a number and a state.")
    name, category = status_of(issue)
    return StatusEvent(
        external_id=str(number),
        key=f"#{number}",
        status_name=name,
        status_category=category,
        scopes=(text(dig(payload, "repository", "full_name")).lower(),),
        changed_at=moment(issue.get("updated_at")),
    )
