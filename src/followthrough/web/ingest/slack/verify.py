"""Slack's v0 request signature ("Verifying requests from Slack").

``X-Slack-Signature: v0=<hex>``, the HMAC-SHA256 keyed with the app's signing secret of
``"v0:" + X-Slack-Request-Timestamp + ":" + raw body``. A timestamp more than five minutes
from now is refused before any signature is computed, so a captured request cannot be
replayed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
TOLERANCE = 300


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def check_timestamp(headers: Mapping[str, str], now: float) -> str:
    timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
    if not timestamp.isdigit():
        raise BadSignature(f"The {TIMESTAMP_HEADER} header is missing or not a Unix time.")
    if abs(now - int(timestamp)) > TOLERANCE:
        raise BadSignature(
            f"The request timestamp is more than {TOLERANCE // 60} minutes from now; "
            "replays are refused."
        )
    return timestamp


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    timestamp = check_timestamp(headers, now)
    offered = headers.get(SIGNATURE_HEADER, "").strip()
    if not offered:
        raise BadSignature(f"The {SIGNATURE_HEADER} header is missing.")
    expected = expected_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), offered.encode()):
        raise BadSignature(f"{SIGNATURE_HEADER} does not match the signing secret.")
