"""GitLab REST v4 calls, all through followthrough.web.transport.

The issue carries ``<!-- followthrough:issue:<key> -->`` in its description and is found
again by listing the project's issues created since the link was made (the list reads the
database). ``state_event`` closes and reopens; a deprioritised item's issue is closed with
its reason as a comment (GitLab closes without a reason).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from uuid import UUID

from followthrough.web.integrations.common import (
    OPEN,
    PAGE_SIZE,
    Issue,
    dig,
    first_marked,
    hidden_marker,
    item_summary,
    known_account,
    markdown_description,
    moment,
    remember_account,
    text,
)
from followthrough.web.transport import Response, TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.gitlab.settings import Settings
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

# The issues list reads the database: an issue is listed as soon as it is created.
FIND_SETTLES_AFTER = timedelta(0)


def _settings(config: TrackerConfig) -> Settings:
    return config.vendor()  # type: ignore[return-value]


def _headers(config: TrackerConfig) -> dict[str, str]:
    return {"PRIVATE-TOKEN": config.api_token, "Accept": "application/json"}


def _call(config: TrackerConfig, method: str, path: str, **kwargs: Any) -> Response:
    project = quote(_settings(config).project, safe="")
    return request(
        method,
        f"{config.api_base()}/api/v4/projects/{project}{path}",
        headers=_headers(config),
        **kwargs,
    )


def marker(link: TrackerLink) -> str:
    return hidden_marker("issue", link.delivery_key)


def _issue(data: Any) -> Issue:
    state = text(dig(data, "state"))
    iid = text(dig(data, "iid"))
    return Issue(
        external_id=iid,
        key=f"#{iid}",
        url=text(dig(data, "web_url")),
        status_name=state,
        status_category=state,
        updated_at=moment(dig(data, "updated_at")),
    )


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    """The issue whose description carries this item's marker, among those created since."""
    since = (link.created_at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = first_marked(
        lambda page: _call(
            config,
            "GET",
            "/issues",
            params={
                "created_after": since,
                "order_by": "created_at",
                "sort": "desc",
                "per_page": str(PAGE_SIZE),
                "page": str(page),
            },
        ).json(),
        "description",
        marker(link),
    )
    return _issue(found) if found is not None else None


def user_id(config: TrackerConfig, item: ActionItem) -> int | None:
    """The owner's GitLab user id on this host: as recorded (an id or a username), else
    looked up by e-mail (GitLab matches public e-mail addresses, all of them for admins)."""
    owner = item.owner
    if owner is None:
        return None
    known = known_account(config, owner)
    if known is not None and known.isdigit():
        return int(known)
    if known is not None:
        users = request(
            "GET",
            f"{config.api_base()}/api/v4/users",
            headers=_headers(config),
            params={"username": known},
        ).json()
    elif owner.email:
        users = request(
            "GET",
            f"{config.api_base()}/api/v4/users",
            headers=_headers(config),
            params={"search": owner.email},
        ).json()
        users = [
            u
            for u in users or []
            if owner.email.lower()
            in (text(dig(u, "public_email")).lower(), text(dig(u, "email")).lower())
        ]
    else:
        return None
    found = dig(users[0], "id") if isinstance(users, list) and len(users) == 1 else None
    if not isinstance(found, int) or isinstance(found, bool):
        return None
    if known is None:
        remember_account(config, owner, str(found))
    return found


def create(
    config: TrackerConfig,
    item: ActionItem,
    link: TrackerLink,
    about_to_create: Callable[[], None],
) -> Issue:
    settings = _settings(config)
    description = markdown_description(item, marker(link))
    payload: dict[str, Any] = {"title": item_summary(item), "description": description}
    if settings.labels:
        payload["labels"] = ",".join(settings.labels)
    if item.due_date is not None:
        payload["due_date"] = item.due_date.isoformat()
    if (assignee := user_id(config, item)) is not None:
        payload["assignee_ids"] = [assignee]
    about_to_create()
    return _issue(_call(config, "POST", "/issues", json=payload).json())


def _iid(link: TrackerLink) -> str:
    if not link.external_id:
        raise TransportError("The GitLab issue number is not known.", permanent=True)
    return link.external_id


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    return _issue(_call(config, "GET", f"/issues/{_iid(link)}").json())


def move(config: TrackerConfig, link: TrackerLink, wanted: str) -> Issue:
    """Close (done, deprioritised) or reopen; nothing when the issue already is so."""
    current = status(config, link)
    if (current.status_name == "opened") == (wanted == OPEN):
        return current
    event = "reopen" if wanted == OPEN else "close"
    return _issue(_call(config, "PUT", f"/issues/{_iid(link)}", json={"state_event": event}).json())


def comment(config: TrackerConfig, link: TrackerLink, key: UUID, body: str) -> None:
    """Add ``body`` as a note once (its hidden marker finds it on a retry)."""
    iid = _iid(link)
    wanted = hidden_marker("comment", key)
    already = first_marked(
        lambda page: _call(
            config,
            "GET",
            f"/issues/{iid}/notes",
            params={
                "sort": "desc",
                "order_by": "created_at",
                "per_page": str(PAGE_SIZE),
                "page": str(page),
            },
        ).json(),
        "body",
        wanted,
    )
    if already is None:
        _call(config, "POST", f"/issues/{iid}/notes", json={"body": f"{body}\n\n{wanted}"})
