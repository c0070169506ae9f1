"""Slack's v0 request signature ("Verifying requests from Slack").

``X-Slack-Signature: v0=<hex>``, the HMAC-SHA256 keyed with the app's signing secret of
``"v0:" + X-Slack-Request-Timestamp + ":" + raw body``. A timestamp more than five minutes
from now is refused before any signature is computed; within those minutes the signed
content itself identifies the request, so a replay is answered once (``content_key``).
"""

from __future__ import annotations

from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature
from followthrough.web.lib import signatures

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
TOLERANCE = 300


def signed_base(timestamp: str, body: bytes) -> bytes:
    return b"v0:" + timestamp.encode() + b":" + body


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    return signatures.sign(secret, signed_base(timestamp, body), "v0")


def check_timestamp(headers: Mapping[str, str], now: float) -> str:
    timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    try:
        signatures.check_time(timestamp, now, TOLERANCE, what="The Slack request timestamp")
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e
    return timestamp


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    timestamp = check_timestamp(headers, now)
    try:
        signatures.verify(
            secret,
            signed_base(timestamp, body),
            headers.get(SIGNATURE_HEADER),
            scheme="v0",
            header=SIGNATURE_HEADER,
        )
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e


def replay_key(headers: Mapping[str, str], body: bytes) -> str:
    """The identity of a signed request: the same timestamp and body are the same request."""
    return signatures.content_key(headers.get(TIMESTAMP_HEADER, "").strip(), body)
