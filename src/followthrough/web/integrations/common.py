"""What every tracker folder shares: the issue it reports, the status event a webhook carries,
signature checks (re-exported from ``followthrough.web.lib.signatures``), and the words an
issue is written in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from followthrough.web.lib import signatures
from followthrough.web.lib.signatures import hmac_hex as hmac_hex  # re-exported

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem


@dataclass(frozen=True)
class Issue:
    """A tracker issue as followthrough keeps it."""

    external_id: str
    key: str
    url: str
    status_name: str = ""
    status_category: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """What a webhook delivery says: this issue now has this status.

    ``external_id`` is what ``TrackerLink.external_id`` holds for the issue (Jira issue id,
    Linear issue id, GitHub issue number); ``key`` is the readable key, used when the id is
    not in the payload. ``scope`` narrows the match (GitHub: the repository).
    """

    external_id: str
    key: str
    status_name: str
    status_category: str
    scope: str = ""


class Rejected(Exception):
    """A webhook delivery refused: 401 for a bad or missing signature, 400 for a bad body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_hex_signature(secret: str, body: bytes, given: str, prefix: str = "") -> None:
    """Raise ``Rejected(401)`` unless ``given`` is ``prefix`` + the hex HMAC-SHA256 of ``body``.

    Kept for the tracker webhooks; the check itself is ``followthrough.web.lib.signatures``.
    """
    if not secret:
        raise Rejected(401, "No webhook secret is set for this team's tracker; set one first.")
    if not given:
        raise Rejected(401, "The delivery is not signed.")
    try:
        signatures.verify(secret, body, given.strip(), scheme=prefix.rstrip("="))
    except signatures.SignatureError as e:
        raise Rejected(401, "The signature does not match this team's webhook secret.") from e


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Rejected(400, f"The body is not JSON: {e}.") from e
    if not isinstance(payload, dict):
        raise Rejected(400, "The body is not a JSON object.")
    return payload


def dig(payload: Any, *path: str) -> Any:
    """``payload[a][b]...``, or None when any step is missing or not an object."""
    for step in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(step)
    return payload


def text(value: Any) -> str:
    """A payload value as text; NUL characters (which PostgreSQL cannot store) dropped."""
    out = value if isinstance(value, str) else "" if value is None else str(value)
    return out.replace("\x00", "")


def item_url(item: ActionItem) -> str:
    """The action item's own page, for the link back from the tracker."""
    return f"{settings.BASE_URL.rstrip('/')}{item.get_absolute_url()}"


def item_summary(item: ActionItem) -> str:
    return item.title[:250]


def item_paragraphs(item: ActionItem) -> list[str]:
    """The issue's description as plain paragraphs (the link back comes separately)."""
    incident = item.postmortem.incident
    paragraphs = [item.description.strip()] if item.description.strip() else []
    if item.done_condition.strip():
        paragraphs.append(f"Done when: {item.done_condition.strip()}")
    paragraphs.append(f"From the postmortem of {incident.key} {incident.title}.")
    return paragraphs
