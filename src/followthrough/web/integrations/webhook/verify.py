"""Our own signature: ``X-Followthrough-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256, keyed with the source's secret, of ``"<t>." + raw body``.
A timestamp more than five minutes off is refused, so a captured request cannot be replayed
later; within those minutes the delivery's id (its ``event_id``, else the SHA-256 of the
body, both signed) makes a second delivery a duplicate. Several ``v1`` entries may be sent
while a secret is being rotated; one must match.
"""

from __future__ import annotations

from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature
from followthrough.web.lib import signatures

HEADER = "X-Followthrough-Signature"
TOLERANCE = 300


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    return signatures.hmac_hex(secret, timestamp.encode() + b"." + body)


def signed_timestamp(headers: Mapping[str, str]) -> int:
    """The ``t`` of the signature header (after ``verify`` accepted it)."""
    values = signatures.signature_parts(headers.get(HEADER)).get("t", [])
    if values and values[0].isdigit():
        return int(values[0])
    raise BadSignature(f"The {HEADER} header has no t=<unix seconds>.")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    header = headers.get(HEADER, "")
    if not header.strip():
        raise BadSignature(f"The {HEADER} header is missing (t=<unix seconds>,v1=<hex>).")
    parts = signatures.signature_parts(header)
    timestamp = (parts.get("t") or [""])[0]
    if not timestamp.isdigit() or not parts.get("v1"):
        raise BadSignature(f"The {HEADER} header must read t=<unix seconds>,v1=<hex>.")
    try:
        signatures.check_time(timestamp, now, TOLERANCE, what="The signed timestamp t")
        signatures.verify(
            secret, timestamp.encode() + b"." + body, header, scheme="v1", header=HEADER
        )
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e
