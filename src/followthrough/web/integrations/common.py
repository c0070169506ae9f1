"""What every tracker folder shares: the issue it reports, the status event a webhook carries,
the vendor settings' base, the words an issue is written in, and who people are there.

Three standings an action item can have at a vendor, decided here and nowhere else
(``standing``): open (open or in progress here), done, deprioritised. Two-way sync keeps the
vendor's issue in the item's standing; a change inside one standing (open -> in progress)
is not sent out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from pydantic import ConfigDict, model_validator

from followthrough.web.actions.models import CLOSED_STATES
from followthrough.web.integrations.base import VendorSettings
from followthrough.web.lib.signatures import SignatureError, check_time, verify

if TYPE_CHECKING:
    from followthrough.web.accounts.models import Person
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.models import TrackerConfig

OPEN = "open"
DONE = "done"
DEPRIORITISED = "deprioritised"
STANDINGS = (OPEN, DONE, DEPRIORITISED)


def standing(action_status: str | None) -> str:
    """The standing at the vendor of an action-item status: in progress is open there."""
    if action_status in CLOSED_STATES:
        return str(action_status)
    return OPEN


@dataclass(frozen=True)
class Issue:
    """A tracker issue as followthrough keeps it.

    ``updated_at`` is the vendor's own time of the issue's last change (when it says);
    ``notice`` is what the item should say about the issue (fields the tracker left out).
    """

    external_id: str
    key: str
    url: str
    status_name: str = ""
    status_category: str = ""
    updated_at: datetime | None = None
    notice: str = ""


@dataclass(frozen=True)
class StatusEvent:
    """What a webhook delivery says: this issue now has this status, as of ``changed_at``.

    ``external_id`` is what ``TrackerLink.external_id`` holds for the issue (Jira issue id,
    Linear issue id, GitHub issue number, GitLab iid); ``key`` is the readable key, used when
    the id is not in the payload. ``scopes`` are the names (lower case) of the repository or
    project the issue is in: the event counts only when the team's ``scope()`` is one of
    them. An empty status (name and category) says the status changed without saying to
    what: it is then read from the tracker.
    ``changed_at`` is the vendor's time of the change, taken from the signed body: a body
    older than the status already known changes nothing.
    """

    external_id: str
    key: str
    status_name: str
    status_category: str
    scopes: tuple[str, ...] = ()
    changed_at: datetime | None = None


class Rejected(Exception):
    """A webhook delivery refused: 401 for a bad or missing signature, 400 for a bad body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class TrackerSettings(VendorSettings):
    """The base of every tracker's settings model (``<vendor>/settings.py: Settings``).

    Stored as JSON in ``TrackerConfig.settings``; unknown keys are refused (the vendors'
    ``VendorSettings``) so that a typo is an error, not a silently ignored setting.
    """

    model_config = ConfigDict(str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, values: Any) -> Any:
        # PostgreSQL cannot store NUL in JSON text; no setting has a use for one.
        if isinstance(values, dict) and _has_nul(values):
            raise ValueError("Settings cannot contain NUL characters.")
        return values

    def workspace(self, api_base: str) -> str:
        """Where people's tracker accounts are valid: an account id found in one workspace
        (a Jira site, a GitHub or GitLab host, a Linear team) is never used in another."""
        from urllib.parse import urlsplit

        return (urlsplit(api_base).hostname or "").lower()

    def scope(self) -> str:
        """The repository or project (lower case) webhook events must come from; "" when
        the vendor's webhook is set up per team or project and needs no check."""
        return ""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


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


def moment(value: Any) -> datetime | None:
    """A vendor's time as an aware datetime, or None when there is none to read.

    Accepts ISO 8601 (``2026-03-10T10:00:00Z``, ``...+0000`` as Jira writes it), GitLab's
    ``2013-12-03 17:23:34 UTC``, and Unix milliseconds (Jira's and Linear's timestamps).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    if raw.endswith(" UTC"):
        raw = raw[:-4].replace(" ", "T") + "+00:00"
    elif raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    elif len(raw) > 5 and raw[-5] in "+-" and raw[-4:].isdigit():
        raw = f"{raw[:-2]}:{raw[-2:]}"  # Jira's +0000
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


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


def deprioritised_comment(item: ActionItem) -> str:
    """What the issue is told when the item is deprioritised here: the written reason.

    The first line names the moment, so that a retry recognises the comment it already
    added (and a later deprioritisation adds its own).
    """
    at = (item.deprioritised_at or datetime.now(UTC)).astimezone(UTC)
    reason = item.deprioritised_reason.strip() or "No reason was written."
    return (
        f"Deprioritised in followthrough on {at:%Y-%m-%d %H:%M:%S} UTC.\n\n"
        f"Reason: {reason}\n\n{item_url(item)}"
    )


def markdown_description(item: ActionItem, *tail: str) -> str:
    """The issue's body in Markdown (GitHub, GitLab, Linear): the paragraphs, the link back
    and whatever ``tail`` adds (a hidden marker)."""
    return "\n\n".join(
        [*item_paragraphs(item), f"[Follow it in followthrough]({item_url(item)})", *tail]
    )


# How many pages of 100 a retry reads looking for its marker (issues, comments).
MARKER_PAGES = 3
PAGE_SIZE = 100


def first_marked(
    page: Callable[[int], Any], field: str, marker: str, *, skip: str = ""
) -> dict[str, Any] | None:
    """The first entry, on up to ``MARKER_PAGES`` pages of ``PAGE_SIZE`` (``page(n)`` reads
    page n), whose ``field`` holds ``marker``; entries that have ``skip`` are passed over."""
    for number in range(1, MARKER_PAGES + 1):
        entries = page(number)
        if not isinstance(entries, list):
            return None
        for entry in entries:
            if isinstance(entry, dict) and skip not in entry and marker in text(entry.get(field)):
                return entry
        if len(entries) < PAGE_SIZE:
            return None
    return None


def check_signed(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    header: str,
    now: datetime,
    *,
    scheme: str = "",
    time_field: str = "",
    max_age: float = 0,
    ahead: float | None = None,
) -> None:
    """Raise ``Rejected(401)`` unless ``header`` holds the HMAC-SHA256 of the raw body with
    ``secret`` (``scheme=<hex>``), and, when the vendor signs a time in the body
    (``time_field``, Unix milliseconds), unless that time is at most ``max_age`` seconds old
    (and at most ``ahead`` seconds in the future)."""
    try:
        verify(secret, body, headers.get(header), scheme=scheme, header=header)
        if time_field:
            stamp = parse_json(body).get(time_field)
            if isinstance(stamp, bool) or not isinstance(stamp, int | float):
                raise SignatureError(f"The delivery carries no {time_field} (milliseconds).")
            check_time(
                stamp / 1000,
                now.timestamp(),
                max_age,
                what=f"The delivery's {time_field}",
                future=ahead,
            )
    except SignatureError as e:
        raise Rejected(401, str(e)) from e


def hidden_marker(kind: str, key: object) -> str:
    """A Markdown comment (invisible once rendered) that finds an issue or comment again."""
    return f"<!-- followthrough:{kind}:{key} -->"


def known_account(config: TrackerConfig, person: Person | None) -> str | None:
    """The person's account id in the config's vendor and workspace, if recorded."""
    from followthrough.web.integrations.models import TrackerAccount

    if person is None:
        return None
    found = TrackerAccount.objects.filter(
        config=config, kind=config.kind, workspace=config.workspace(), person=person
    ).first()
    return found.account_id if found is not None else None


def remember_account(config: TrackerConfig, person: Person, account_id: str) -> None:
    """Record what a look-up found, for this vendor and workspace only."""
    from followthrough.web.integrations.models import TrackerAccount

    TrackerAccount.objects.update_or_create(
        config=config,
        kind=config.kind,
        workspace=config.workspace(),
        person=person,
        defaults={"account_id": account_id[:128]},
    )
