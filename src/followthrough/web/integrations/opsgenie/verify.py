"""Opsgenie's outgoing webhook cannot sign its requests, but it can add custom headers.

So the team adds ``X-Followthrough-Token: <secret>`` to the webhook integration (or puts the
secret in the URL's basic auth, ``Authorization: Basic base64(any-user:<secret>)``); it is
compared in constant time (``followthrough.web.lib.signatures.check_shared_secret``).
There is no signed time, so a replay is caught by the delivery's identity (``parse``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from followthrough.web.ingest.events import BadSignature
from followthrough.web.lib import signatures

HEADER = "X-Followthrough-Token"


def _basic_password(authorization: str) -> str | None:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, sep, password = decoded.partition(":")
    return password if sep else None


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    offered = headers.get(HEADER)
    if offered is None and "Authorization" in headers:
        offered = _basic_password(headers["Authorization"])
    if not offered:
        raise BadSignature(
            f"Send the source's secret in an {HEADER} header (a custom header of the Opsgenie "
            "webhook integration) or as the password of basic auth."
        )
    try:
        signatures.check_shared_secret(secret, offered, header=HEADER)
    except signatures.SignatureError as e:
        raise BadSignature(str(e)) from e
