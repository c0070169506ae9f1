"""PagerDuty's v1 signature and the age of the event it signs.

``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>``; during a secret rotation the
header holds several, and any may match (PagerDuty developer docs, "Verifying Signatures").

PagerDuty signs no timestamp header, but the body it signs carries ``event.occurred_at``.
PagerDuty retries a failed delivery a few times over about 20 minutes, so an event more than
``MAX_AGE`` (a day) old, or more than ``MAX_AHEAD`` in the future, is refused as a replay.
Within that day the event id, which is signed too, makes a second delivery a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from followthrough.web.ingest.events import BadSignature
from followthrough.web.lib import signatures

HEADER = "X-PagerDuty-Signature"
MAX_AGE = 24 * 3600
MAX_AHEAD = 300


def expected_signature(secret: str, body: bytes) -> str:
    return signatures.sign(secret, body, "v1")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    try:
        signatures.verify(secret, body, headers.get(HEADER), scheme="v1", header=HEADER)
        occurred = _occurred_at(body)
        if occurred is not None:
            signatures.check_time(
                occurred, now, MAX_AGE, future=MAX_AHEAD, what="The event's occurred_at"
            )
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e


def _occurred_at(body: bytes) -> datetime | None:
    """``event.occurred_at`` of an authentic body, if it can be read (else parse says why)."""
    try:
        value = json.loads(body)["event"]["occurred_at"]
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return moment if moment.tzinfo is not None else None
