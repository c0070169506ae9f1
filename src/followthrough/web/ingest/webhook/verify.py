"""Our own signature: ``X-Followthrough-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256, keyed with the source's secret, of ``"<t>." + raw body``.
A timestamp more than five minutes off is refused, so a captured request cannot be replayed
later. Several ``v1`` entries may be sent while a secret is being rotated; one must match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature

HEADER = "X-Followthrough-Signature"
TOLERANCE = 300


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    signed = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_timestamp(headers: Mapping[str, str]) -> int:
    """The ``t`` of the signature header (after ``verify`` accepted it)."""
    for part in headers.get(HEADER, "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise BadSignature(f"The {HEADER} header has no t=<unix seconds>.")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    header = headers.get(HEADER, "")
    if not header.strip():
        raise BadSignature(f"The {HEADER} header is missing (t=<unix seconds>,v1=<hex>).")
    timestamp = ""
    offered: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            offered.append(value)
    if not timestamp.isdigit() or not offered:
        raise BadSignature(f"The {HEADER} header must read t=<unix seconds>,v1=<hex>.")
    if abs(now - int(timestamp)) > TOLERANCE:
        raise BadSignature(
            f"The signed timestamp is more than {TOLERANCE // 60} minutes away from now; "
            "sign each request when you send it (replays are refused)."
        )
    expected = expected_signature(secret, timestamp, body).encode()
    matches = [hmac.compare_digest(expected, sig.encode()) for sig in offered]
    if not any(matches):
        raise BadSignature(f"The signature in {HEADER} does not match this source's secret.")
