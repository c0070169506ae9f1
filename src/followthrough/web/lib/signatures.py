"""The one signature helper every inbound vendor uses: HMAC-SHA256 over the raw bytes, offered
signatures compared in constant time, a replay window where the vendor signs a time.

Decided here and nowhere else:

- A signature is the lowercase hex HMAC-SHA256, keyed with the secret, of the exact bytes
  the vendor signed (the raw body, or ``t.body`` / ``v0:t:body`` when it signs a time too).
- A header may offer several signatures (PagerDuty's ``v1=a,v1=b`` and our ``t=..,v1=..``
  while a secret is being rotated; our side may hold several secrets while a team rotates):
  the request is authentic when any offered signature matches any secret. Every pair is
  compared, with ``hmac.compare_digest``, with no early exit.
- A signed time more than ``tolerance`` seconds from now is refused, before any digest is
  computed, with a sentence saying by how much and why (a captured request replayed later).
- Where the vendor's delivery id is not signed (Jira's, GitHub's headers), de-duplicate on
  ``content_key`` of the signed bytes: a replay under a new id is the same content.
- Refusals raise ``SignatureError``, whose message is safe to answer (401) and to log: it
  never holds the secret, the expected digest, or the body.

Usage::

    ts = headers.get("X-Slack-Request-Timestamp", "")
    check_time(ts, now, 300, what="The Slack request timestamp")
    verify(secret, f"v0:{ts}:".encode() + body, headers.get("X-Slack-Signature"),
           scheme="v0", header="X-Slack-Signature")
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

__all__ = [
    "SignatureError",
    "StaleSignature",
    "check_shared_secret",
    "check_time",
    "content_key",
    "hmac_hex",
    "offered_signatures",
    "sign",
    "signature_parts",
    "verify",
]


class SignatureError(Exception):
    """The request is not from whoever holds the secret. The message says why, in words safe
    to answer with a 401 and to log."""


class StaleSignature(SignatureError):
    """The signed time is outside the replay window."""


def hmac_hex(secret: str | bytes, message: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of ``message`` keyed with ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(secret: str | bytes, message: bytes, scheme: str = "") -> str:
    """``scheme=hex`` (or the bare hex without a scheme): what a sender puts in its header.
    Tests and our own outbound signing use it."""
    digest = hmac_hex(secret, message)
    return f"{scheme}={digest}" if scheme else digest


def signature_parts(header: str | None) -> dict[str, list[str]]:
    """A signature header as ``{key: [values]}``.

    ``"t=1,v1=ab,v1=cd"`` -> ``{"t": ["1"], "v1": ["ab", "cd"]}``; ``"sha256=ab"`` ->
    ``{"sha256": ["ab"]}``; a bare ``"ab"`` (Linear) -> ``{"": ["ab"]}``. Parts are separated
    by commas (PagerDuty, ours) or spaces; empty parts are skipped.
    """
    parts: dict[str, list[str]] = {}
    for raw in (header or "").replace(" ", ",").split(","):
        part = raw.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            key, value = "", part
        parts.setdefault(key.strip(), []).append(value.strip())
    return parts


def offered_signatures(header: str | None, scheme: str = "") -> list[str]:
    """The signatures a header offers under ``scheme`` (``"v1"``, ``"v0"``, ``"sha256"``, or
    ``""`` for a bare hex value), lower-cased."""
    return [value.lower() for value in signature_parts(header).get(scheme, []) if value]


def _secrets(secret: str | bytes | Sequence[str | bytes]) -> list[str | bytes]:
    if isinstance(secret, str | bytes):
        return [secret] if secret else []
    return [s for s in secret if s]


def verify(
    secret: str | bytes | Sequence[str | bytes],
    message: bytes,
    header_value: str | None,
    *,
    scheme: str = "",
    header: str = "The signature header",
) -> None:
    """Raise ``SignatureError`` unless ``header_value`` offers, under ``scheme``, the HMAC of
    ``message`` with one of the secrets.

    ``header`` names the header in the error (``"X-Hub-Signature-256"``). Every offered
    signature is compared with every secret's digest in constant time, with no early exit.
    """
    secrets = _secrets(secret)
    if not secrets:
        raise SignatureError("No secret is set here yet; set one before sending signed requests.")
    if not (header_value or "").strip():
        raise SignatureError(f"The {header} header is missing.")
    offered = offered_signatures(header_value, scheme)
    if not offered:
        form = f"{scheme}=<hex>" if scheme else "<hex>"
        raise SignatureError(f"The {header} header has no signature of the form {form}.")
    expected = [hmac_hex(s, message).encode() for s in secrets]
    matches = [hmac.compare_digest(e, o.encode()) for e in expected for o in offered]
    if not any(matches):
        raise SignatureError(f"No signature in {header} matches the secret set here.")


def check_shared_secret(
    secret: str | Sequence[str], offered: str | None, *, header: str = "The token header"
) -> None:
    """For vendors that cannot sign (Opsgenie): the secret itself, sent in a header we asked
    the vendor to add, compared in constant time with each secret we hold."""
    secrets = [s for s in ([secret] if isinstance(secret, str) else secret) if s]
    if not secrets:
        raise SignatureError("No secret is set here yet; set one before sending requests.")
    given = (offered or "").strip()
    if not given:
        raise SignatureError(f"The {header} header is missing.")
    matches = [hmac.compare_digest(s.encode(), given.encode()) for s in secrets]
    if not any(matches):
        raise SignatureError(f"The {header} does not match the secret set here.")


def _seconds(moment: float | int | str | datetime, what: str) -> float:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise SignatureError(f"{what} has no time zone.")
        return moment.timestamp()
    if isinstance(moment, str):
        text = moment.strip()
        if not text.isdigit():
            raise SignatureError(f"{what} is missing or not a Unix time.")
        return float(text)
    if isinstance(moment, bool):
        raise SignatureError(f"{what} is not a Unix time.")
    return float(moment)


def check_time(
    signed_at: float | int | str | datetime,
    now: float,
    tolerance: float,
    *,
    what: str = "The signed timestamp",
    future: float | None = None,
) -> float:
    """Raise ``StaleSignature`` when ``signed_at`` is more than ``tolerance`` seconds before
    ``now`` (or more than ``future`` seconds after it; ``tolerance`` when not given).

    ``signed_at`` is Unix seconds (a number or its decimal text) or an aware datetime.
    Returns the time in Unix seconds.
    """
    at = _seconds(signed_at, what)
    ahead = tolerance if future is None else future
    age = now - at
    if age > tolerance:
        raise StaleSignature(
            f"{what} is {_span(age)} old; more than {_span(tolerance)} is refused, so a "
            "captured request cannot be replayed. Sign each request when you send it."
        )
    if -age > ahead:
        raise StaleSignature(
            f"{what} is {_span(-age)} in the future; more than {_span(ahead)} is refused. "
            "Check the sender's clock."
        )
    return at


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds:.0f} seconds"


def content_key(*parts: bytes | str) -> str:
    """A stable id for signed content (``"sha256:<hex>"``), to de-duplicate deliveries whose
    id is not signed: the same signed bytes replayed under another id get the same key.
    Parts are length-prefixed, so ("ab", "c") and ("a", "bc") differ."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return "sha256:" + digest.hexdigest()
