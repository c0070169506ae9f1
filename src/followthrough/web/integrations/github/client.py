"""GitHub Issues REST calls, all through followthrough.web.transport."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from followthrough.web.integrations.common import (
    Issue,
    dig,
    item_paragraphs,
    item_summary,
    item_url,
    text,
)
from followthrough.web.transport import Response, TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

# How many pages of 100 recent issues a retry reads looking for its marker.
FIND_PAGES = 3


def _call(config: TrackerConfig, method: str, path: str, **kwargs: Any) -> Response:
    return request(
        method,
        f"{config.api_base()}/repos/{config.repository}{path}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {config.api_token}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
        **kwargs,
    )


def marker(link: TrackerLink) -> str:
    """Invisible in the rendered issue; finds it again after a lost answer."""
    return f"<!-- followthrough:{link.idempotency_key} -->"


def _status(data: Any) -> tuple[str, str]:
    state = text(dig(data, "state"))
    reason = text(dig(data, "state_reason"))
    return (f"{state}:{reason}" if state == "closed" and reason else state), state


def _issue(data: Any) -> Issue:
    name, category = _status(data)
    number = text(dig(data, "number"))
    return Issue(
        external_id=number,
        key=f"#{number}",
        url=text(dig(data, "html_url")),
        status_name=name,
        status_category=category,
    )


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    """The issue whose body carries this item's marker, among those changed since the link."""
    since = (link.created_at - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    params = {"state": "all", "since": since, "per_page": "100", "sort": "created"}
    if labels := config.label_list():
        params["labels"] = ",".join(labels)
    wanted = marker(link)
    for page in range(1, FIND_PAGES + 1):
        issues = _call(config, "GET", "/issues", params={**params, "page": str(page)}).json()
        if not isinstance(issues, list):
            return None
        for issue in issues:
            if "pull_request" not in issue and wanted in text(dig(issue, "body")):
                return _issue(issue)
        if len(issues) < 100:
            return None
    return None


def create(config: TrackerConfig, item: ActionItem, link: TrackerLink) -> Issue:
    from followthrough.web.integrations.models import TrackerAccount

    body = "\n\n".join(
        [*item_paragraphs(item), f"[Follow it in followthrough]({item_url(item)})", marker(link)]
    )
    if item.due_date is not None:
        body = f"Due {item.due_date.isoformat()}.\n\n{body}"
    payload: dict[str, Any] = {"title": item_summary(item), "body": body}
    if labels := config.label_list():
        payload["labels"] = labels
    if config.milestone:
        payload["milestone"] = config.milestone
    login = TrackerAccount.objects.filter(config=config, person_id=item.owner_id).first()
    if login is not None:
        payload["assignees"] = [login.account_id]
    return _issue(_call(config, "POST", "/issues", json=payload).json())


def ensure(config: TrackerConfig, item: ActionItem, link: TrackerLink) -> Issue:
    return find(config, link) or create(config, item, link)


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    if not link.external_id:
        raise TransportError("The GitHub issue number is not known.", permanent=True)
    return _issue(_call(config, "GET", f"/issues/{link.external_id}").json())
