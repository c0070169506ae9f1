"""GitHub Issues REST calls, all through followthrough.web.transport.

The issue carries ``<!-- followthrough:issue:<key> -->`` in its body and is found again by
listing the repository's issues changed since the link was made (the list reads GitHub's
database; only its search is eventually consistent). Closing says why: ``completed`` for
done, ``not_planned`` for deprioritised (with the reason as a comment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from followthrough.web.integrations.common import (
    DEPRIORITISED,
    DONE,
    PAGE_SIZE,
    Issue,
    dig,
    first_marked,
    hidden_marker,
    item_summary,
    known_account,
    markdown_description,
    moment,
    standing,
    text,
)
from followthrough.web.transport import Response, TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.github.settings import Settings
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

# The issues list reads the database: an issue is listed as soon as it is created.
FIND_SETTLES_AFTER = timedelta(0)

# What a standing becomes in GitHub: the state, and the reason it is closed.
STATES = {
    DONE: {"state": "closed", "state_reason": "completed"},
    DEPRIORITISED: {"state": "closed", "state_reason": "not_planned"},
}
REOPEN = {"state": "open", "state_reason": "reopened"}


def _settings(config: TrackerConfig) -> Settings:
    return config.vendor()  # type: ignore[return-value]


def _call(config: TrackerConfig, method: str, path: str, **kwargs: Any) -> Response:
    return request(
        method,
        f"{config.api_base()}/repos/{_settings(config).repository}{path}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {config.api_token}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        **kwargs,
    )


def marker(link: TrackerLink) -> str:
    """Invisible in the rendered issue; finds it again after a lost answer."""
    return hidden_marker("issue", link.delivery_key)


def status_of(data: Any) -> tuple[str, str]:
    """An issue's status name (``closed:not_planned``) and category (its state)."""
    state = text(dig(data, "state"))
    reason = text(dig(data, "state_reason"))
    return (f"{state}:{reason}" if state == "closed" and reason else state), state


def _issue(data: Any) -> Issue:
    name, category = status_of(data)
    number = text(dig(data, "number"))
    return Issue(
        external_id=number,
        key=f"#{number}",
        url=text(dig(data, "html_url")),
        status_name=name,
        status_category=category,
        updated_at=moment(dig(data, "updated_at")),
    )


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    """The issue whose body carries this item's marker, among those changed since the link."""
    since = (link.created_at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"state": "all", "since": since, "per_page": str(PAGE_SIZE), "sort": "created"}
    if labels := _settings(config).labels:
        params["labels"] = ",".join(labels)
    found = first_marked(
        lambda page: _call(config, "GET", "/issues", params={**params, "page": str(page)}).json(),
        "body",
        marker(link),
        skip="pull_request",
    )
    return _issue(found) if found is not None else None


def create(
    config: TrackerConfig,
    item: ActionItem,
    link: TrackerLink,
    about_to_create: Callable[[], None],
) -> Issue:
    settings = _settings(config)
    body = markdown_description(item, marker(link))
    if item.due_date is not None:
        body = f"Due {item.due_date.isoformat()}.\n\n{body}"
    payload: dict[str, Any] = {"title": item_summary(item), "body": body}
    if settings.labels:
        payload["labels"] = list(settings.labels)
    if settings.milestone:
        payload["milestone"] = settings.milestone
    if login := known_account(config, item.owner):
        payload["assignees"] = [login]
    about_to_create()
    return _issue(_call(config, "POST", "/issues", json=payload).json())


def _number(link: TrackerLink) -> str:
    if not link.external_id:
        raise TransportError("The GitHub issue number is not known.", permanent=True)
    return link.external_id


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    return _issue(_call(config, "GET", f"/issues/{_number(link)}").json())


def move(config: TrackerConfig, link: TrackerLink, wanted: str) -> Issue:
    """Close as completed (done) or not planned (deprioritised), or reopen; nothing when
    the issue already stands so."""
    current = status(config, link)
    mapped = config.map_status(current.status_name, current.status_category)
    if mapped and standing(mapped) == wanted:
        return current
    change = STATES.get(wanted, REOPEN)
    return _issue(_call(config, "PATCH", f"/issues/{_number(link)}", json=change).json())


def comment(config: TrackerConfig, link: TrackerLink, key: UUID, body: str) -> None:
    """Add ``body`` as a comment once (its hidden marker finds it on a retry)."""
    number = _number(link)
    wanted = hidden_marker("comment", key)
    already = first_marked(
        lambda page: _call(
            config,
            "GET",
            f"/issues/{number}/comments",
            params={"per_page": str(PAGE_SIZE), "page": str(page)},
        ).json(),
        "body",
        wanted,
    )
    if already is None:
        _call(config, "POST", f"/issues/{number}/comments", json={"body": f"{body}\n\n{wanted}"})
