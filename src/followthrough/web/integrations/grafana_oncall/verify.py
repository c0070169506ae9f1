"""Grafana OnCall's outgoing webhook cannot sign. Its "Headers" field (a JSON template) adds
``X-Followthrough-Token: <secret>``, or its "Authorization Header" field sends
``Authorization: Bearer <secret>`` (or the bare secret); either is compared in constant time.

The body carries ``event.time`` (ISO 8601, when the event happened). It is not signed, but a
captured request replayed later carries the old time: an event more than ``MAX_AGE`` (a day)
old, or more than ``MAX_AHEAD`` in the future, is refused. Within the day the delivery's
identity (alert group, event type and time: ``parse``) makes a replay a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature, Malformed, iso_time
from followthrough.web.lib import signatures

HEADER = "X-Followthrough-Token"
MAX_AGE = 24 * 3600
MAX_AHEAD = 300


def _offered(headers: Mapping[str, str]) -> str | None:
    if HEADER in headers:
        return headers[HEADER]
    authorization = headers.get("Authorization")
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else authorization


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    offered = _offered(headers)
    if not offered:
        raise BadSignature(
            f"Send the source's secret in an {HEADER} header (the outgoing webhook's Headers) "
            "or as its Authorization header (Bearer <secret>)."
        )
    try:
        signatures.check_shared_secret(secret, offered, header=HEADER)
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e
    try:
        moment = iso_time(json.loads(body)["event"]["time"], "event.time")
    except (ValueError, KeyError, TypeError, RecursionError, Malformed):
        return  # no readable time: parse says what is wrong
    try:
        signatures.check_time(moment, now, MAX_AGE, future=MAX_AHEAD, what="The event's time")
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e
