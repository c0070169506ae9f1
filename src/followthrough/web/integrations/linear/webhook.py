"""Linear webhooks: ``Issue`` create/update with the issue's workflow state.

``Linear-Signature`` is the hex HMAC-SHA256 of the raw body with the webhook's signing
secret; ``webhookTimestamp`` (milliseconds, signed with the body) must be within a minute
of now, as Linear asks, so a captured delivery cannot be replayed later. ``Linear-Delivery``
identifies the delivery. A body without the state (only ``stateId``) says that the status
changed, not to what: the issue is then read from Linear.
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

SIGNATURE_HEADER = "Linear-Signature"
DELIVERY_HEADER = "Linear-Delivery"
MAX_AGE_SECONDS = 60


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    check_signed(
        config.webhook_secret,
        body,
        headers,
        SIGNATURE_HEADER,
        now,
        time_field="webhookTimestamp",
        max_age=MAX_AGE_SECONDS,
    )


def delivery_id(headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    return headers.get(DELIVERY_HEADER, "")


def parse(payload: dict[str, Any], headers: Mapping[str, str]) -> StatusEvent | None:
    kind = payload.get("type")
    if not isinstance(kind, str) or not isinstance(payload.get("action"), str):
        raise Rejected(400, "A Linear webhook body has a type and an action.")
    if kind != "Issue" or payload["action"] not in ("create", "update"):
        return None
    data = payload.get("data")
    if not isinstance(data, dict) or not data.get("id"):
        raise Rejected(400, "A Linear Issue body has data with the issue's id.")
    name = text(dig(data, "state", "name"))
    category = text(dig(data, "state", "type"))
    state_moved = "stateId" in (dig(payload, "updatedFrom") or {})
    if not name and not category and not state_moved:
        return None
    return StatusEvent(
        external_id=text(data["id"]),
        key=text(data.get("identifier")),
        status_name=name,
        status_category=category,
        changed_at=moment(data.get("updatedAt")),
    )
