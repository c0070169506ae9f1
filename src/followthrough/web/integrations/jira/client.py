"""Jira Cloud REST v3 calls, all through followthrough.web.transport."""

from __future__ import annotations

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


def _call(config: TrackerConfig, method: str, path: str, **kwargs: Any) -> Response:
    return request(
        method,
        f"{config.api_base()}{path}",
        auth=(config.user_email, config.api_token),
        headers={"Accept": "application/json"},
        **kwargs,
    )


def adf(paragraphs: list[str], link: str) -> dict[str, Any]:
    """A description in Atlassian Document Format: one paragraph each, then the link back."""
    content: list[dict[str, Any]] = [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs if p
    ]
    content.append(
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "Follow it in followthrough: "},
                {
                    "type": "text",
                    "text": link,
                    "marks": [{"type": "link", "attrs": {"href": link}}],
                },
            ],
        }
    )
    return {"type": "doc", "version": 1, "content": content}


def _issue(config: TrackerConfig, data: Any) -> Issue:
    key = text(dig(data, "key"))
    return Issue(
        external_id=text(dig(data, "id")),
        key=key,
        url=f"{config.api_base()}/browse/{key}",
        status_name=text(dig(data, "fields", "status", "name")),
        status_category=text(dig(data, "fields", "status", "statusCategory", "key")),
    )


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    """The issue carrying this item's label, if an earlier attempt created it."""
    found = _call(
        config,
        "GET",
        "/rest/api/3/search/jql",
        params={"jql": f'labels = "{link.marker}"', "fields": "status", "maxResults": "1"},
    ).json()
    issues = dig(found, "issues")
    if isinstance(issues, list) and issues:
        return _issue(config, issues[0])
    return None


def account_id(config: TrackerConfig, item: ActionItem) -> str | None:
    """The owner's Jira accountId: as recorded, else looked up by e-mail and remembered."""
    from followthrough.web.integrations.models import TrackerAccount

    owner = item.owner
    if owner is None:
        return None
    known = TrackerAccount.objects.filter(config=config, person=owner).first()
    if known is not None:
        return known.account_id
    if not owner.email:
        return None
    users = _call(config, "GET", "/rest/api/3/user/search", params={"query": owner.email}).json()
    if not isinstance(users, list):
        return None
    match = next(
        (u for u in users if text(dig(u, "emailAddress")).lower() == owner.email.lower()),
        users[0] if len(users) == 1 else None,
    )
    found = text(dig(match, "accountId"))
    if not found:
        return None
    TrackerAccount.objects.update_or_create(
        config=config, person=owner, defaults={"account_id": found}
    )
    return found


def create(config: TrackerConfig, item: ActionItem, link: TrackerLink) -> Issue:
    fields: dict[str, Any] = {
        "project": {"key": config.project_key},
        "issuetype": {"name": config.issue_type},
        "summary": item_summary(item),
        "description": adf(item_paragraphs(item), item_url(item)),
        "labels": [link.marker],
    }
    if item.due_date is not None:
        fields["duedate"] = item.due_date.isoformat()
    if assignee := account_id(config, item):
        fields["assignee"] = {"accountId": assignee}
    created = _call(config, "POST", "/rest/api/3/issue", json={"fields": fields}).json()
    issue = _issue(config, created)
    if not issue.key:
        raise TransportError("Jira answered the create without an issue key.", permanent=True)
    try:
        return fetch(config, issue.key)
    except TransportError:
        return issue  # created: the status comes with the next webhook or poll


def fetch(config: TrackerConfig, key: str) -> Issue:
    data = _call(config, "GET", f"/rest/api/3/issue/{key}", params={"fields": "status"}).json()
    return _issue(config, data)


def ensure(config: TrackerConfig, item: ActionItem, link: TrackerLink) -> Issue:
    """The item's issue: found by its label if a lost answer hid an earlier create, else new."""
    return find(config, link) or create(config, item, link)


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    return fetch(config, link.external_key or link.external_id)
