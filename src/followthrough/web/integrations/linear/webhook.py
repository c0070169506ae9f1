"""Linear webhooks: ``Issue`` create/update with the issue's workflow state.

``Linear-Signature`` is the hex HMAC-SHA256 of the raw body with the webhook's signing
secret; ``webhookTimestamp`` (milliseconds) must be within a minute of now, so a captured
delivery cannot be replayed later. ``Linear-Delivery`` identifies the delivery.
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
    parse_json,
    text,
)

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

SIGNATURE_HEADER = "Linear-Signature"
DELIVERY_HEADER = "Linear-Delivery"
MAX_AGE_SECONDS = 60


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    check_hex_signature(config.webhook_secret, body, headers.get(SIGNATURE_HEADER, ""))
    stamp = parse_json(body).get("webhookTimestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise Rejected(401, "A Linear delivery carries its webhookTimestamp (milliseconds).")
    age = abs(now.timestamp() - stamp / 1000)
    if age > MAX_AGE_SECONDS:
        raise Rejected(
            401,
            f"The delivery is {int(age)} s old; Linear deliveries older than a minute are refused.",
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
    if not name and not category:
        return None
    return StatusEvent(
        external_id=text(data["id"]),
        key=text(data.get("identifier")),
        status_name=name,
        status_category=category,
    )
