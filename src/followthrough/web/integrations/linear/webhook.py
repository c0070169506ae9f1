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
    dig,
    moment,
    parse_json,
    text,
)
from followthrough.web.lib.signatures import SignatureError, check_time
from followthrough.web.lib.signatures import verify as verify_hmac

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

SIGNATURE_HEADER = "Linear-Signature"
DELIVERY_HEADER = "Linear-Delivery"
MAX_AGE_SECONDS = 60


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    try:
        verify_hmac(
            config.webhook_secret,
            body,
            headers.get(SIGNATURE_HEADER),
            header=SIGNATURE_HEADER,
        )
        stamp = parse_json(body).get("webhookTimestamp")
        if isinstance(stamp, bool) or not isinstance(stamp, int | float):
            raise SignatureError("A Linear delivery carries its webhookTimestamp (milliseconds).")
        check_time(
            stamp / 1000,
            now.timestamp(),
            MAX_AGE_SECONDS,
            what="The delivery's webhookTimestamp",
        )
    except SignatureError as e:
        raise Rejected(401, str(e)) from e


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
