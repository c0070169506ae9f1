"""PagerDuty's v1 signature: ``X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>``.

During a secret rotation the header holds several comma-separated signatures; the request is
authentic when any ``v1`` one matches (PagerDuty developer docs, "Verifying Signatures").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature

HEADER = "X-PagerDuty-Signature"


def expected_signature(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    header = headers.get(HEADER, "")
    if not header.strip():
        raise BadSignature(f"The {HEADER} header is missing.")
    expected = expected_signature(secret, body).encode()
    offered = [part.strip() for part in header.split(",") if part.strip().startswith("v1=")]
    # Compare against every offered signature (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected, sig.encode()) for sig in offered]
    if not any(matches):
        raise BadSignature(f"No signature in {HEADER} matches this source's secret.")
