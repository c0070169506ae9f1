"""Jira Cloud REST v3 calls, all through followthrough.web.transport.

Creates adapt to the project's create screen: ``createmeta`` says which fields the screen
has, and what it lacks (a due date, an assignee) is left out and said on the item instead
of failing the create. The issue is found again by its label ``followthrough-<key>`` (or,
when the screen has no labels, that text in its description) through ``search/jql``; Jira's
search is eventually consistent, so after a lost answer no second create is made until
``FIND_SETTLES_AFTER`` has passed (see ``sync._create_once``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from followthrough.web.integrations.common import (
    DEPRIORITISED,
    DONE,
    OPEN,
    Issue,
    dig,
    item_paragraphs,
    item_summary,
    item_url,
    known_account,
    moment,
    remember_account,
    standing,
    text,
)
from followthrough.web.transport import Response, TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.jira.settings import Settings
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

# Atlassian: search results follow writes within seconds, not at once. Ten minutes is the
# bound we trust before concluding that a create whose answer was lost created nothing.
FIND_SETTLES_AFTER = timedelta(minutes=10)
PAGE = 50
COMMENTS_READ = 100


def _call(config: TrackerConfig, method: str, path: str, **kwargs: Any) -> Response:
    settings: Settings = config.vendor()  # type: ignore[assignment]
    return request(
        method,
        f"{config.api_base()}{path}",
        auth=(settings.user_email, config.api_token),
        headers={"Accept": "application/json"},
        **kwargs,
    )


def adf(paragraphs: list[str], link: str | None = None) -> dict[str, Any]:
    """A document in Atlassian Document Format: one paragraph each, then the link back."""
    content: list[dict[str, Any]] = [
        {"type": "paragraph", "content": _lines(p)} for p in paragraphs if p.strip()
    ]
    if link:
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


def _lines(paragraph: str) -> list[dict[str, Any]]:
    """A paragraph's lines as ADF text nodes with hard breaks between them."""
    nodes: list[dict[str, Any]] = []
    for line in paragraph.splitlines():
        if nodes:
            nodes.append({"type": "hardBreak"})
        if line:
            nodes.append({"type": "text", "text": line})
    return nodes or [{"type": "text", "text": paragraph}]


def adf_text(doc: Any) -> str:
    """The plain text of an ADF document (to recognise our own comment)."""
    if isinstance(doc, str):
        return doc
    if isinstance(doc, dict):
        own = doc.get("text") if isinstance(doc.get("text"), str) else ""
        return own + "".join(adf_text(child) for child in doc.get("content") or [])
    if isinstance(doc, list):
        return "".join(adf_text(child) for child in doc)
    return ""


def _issue(config: TrackerConfig, data: Any, notice: str = "") -> Issue:
    key = text(dig(data, "key"))
    return Issue(
        external_id=text(dig(data, "id")),
        key=key,
        url=f"{config.api_base()}/browse/{key}",
        status_name=text(dig(data, "fields", "status", "name")),
        status_category=text(dig(data, "fields", "status", "statusCategory", "key")),
        updated_at=moment(dig(data, "fields", "updated")),
        notice=notice,
    )


def _project(config: TrackerConfig) -> str:
    settings: Settings = config.vendor()  # type: ignore[assignment]
    return settings.project_key


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    """The issue carrying this item's marker, if an earlier attempt created it."""
    jql = (
        f'project = "{_project(config)}" AND '
        f'(labels = "{link.marker}" OR description ~ "\\"{link.marker}\\"")'
    )
    found = _call(
        config,
        "GET",
        "/rest/api/3/search/jql",
        params={"jql": jql, "fields": "status,updated", "maxResults": "1"},
    ).json()
    issues = dig(found, "issues")
    if isinstance(issues, list) and issues:
        return _issue(config, issues[0])
    return None


def account_id(config: TrackerConfig, item: ActionItem) -> str | None:
    """The owner's accountId on this site: as recorded, else looked up by e-mail."""
    owner = item.owner
    if owner is None:
        return None
    if (known := known_account(config, owner)) is not None:
        return known
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
    remember_account(config, owner, found)
    return found


def _pages(config: TrackerConfig, path: str, *names: str) -> list[dict[str, Any]]:
    """Every entry of a paged createmeta answer (``issueTypes`` or ``fields``/``results``)."""
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        page = _call(
            config, "GET", path, params={"startAt": str(start), "maxResults": str(PAGE)}
        ).json()
        entries = next((dig(page, n) for n in names if isinstance(dig(page, n), list)), [])
        out += [e for e in entries if isinstance(e, dict)]
        total = dig(page, "total")
        start += len(entries)
        if not entries or not isinstance(total, int) or start >= total:
            return out


def create_screen(config: TrackerConfig) -> tuple[str, dict[str, dict[str, Any]]]:
    """The issue type's id and the fields of the project's create screen for it."""
    settings: Settings = config.vendor()  # type: ignore[assignment]
    base = f"/rest/api/3/issue/createmeta/{settings.project_key}/issuetypes"
    try:
        types = _pages(config, base, "issueTypes", "values", "createMetaIssueType")
    except TransportError as e:
        if e.status == 404:
            raise TransportError(
                f"Jira has no project {settings.project_key} in which this account may "
                "create issues.",
                permanent=True,
                status=404,
            ) from e
        raise
    wanted = settings.issue_type.strip().lower()
    issue_type = next((t for t in types if text(t.get("name")).lower() == wanted), None)
    if issue_type is None:
        names = ", ".join(text(t.get("name")) for t in types) or "none"
        raise TransportError(
            f"{settings.project_key} has no issue type “{settings.issue_type}”; it has: {names}.",
            permanent=True,
        )
    type_id = text(issue_type.get("id"))
    fields = _pages(config, f"{base}/{type_id}", "fields", "results", "values")
    return type_id, {text(f.get("fieldId") or f.get("key")): f for f in fields}


# What we fill in ourselves; every other field the screen requires must have a default.
FILLED = {"project", "issuetype", "summary", "description", "labels", "duedate", "assignee"}


def create(
    config: TrackerConfig,
    item: ActionItem,
    link: TrackerLink,
    about_to_create: Callable[[], None],
) -> Issue:
    settings: Settings = config.vendor()  # type: ignore[assignment]
    type_id, screen = create_screen(config)
    blocking = [
        text(f.get("name")) or name
        for name, f in screen.items()
        if f.get("required")
        and not f.get("hasDefaultValue")
        and name not in FILLED
        and name != "reporter"
    ]
    if blocking:
        raise TransportError(
            f"{settings.project_key}'s create screen for {settings.issue_type} requires "
            f"{', '.join(blocking)}, which followthrough does not fill: make them optional "
            "or give them a default.",
            permanent=True,
        )
    fields: dict[str, Any] = {
        "project": {"key": settings.project_key},
        "issuetype": {"id": type_id},
        "summary": item_summary(item),
    }
    left_out: list[str] = []
    paragraphs = item_paragraphs(item)
    if "labels" in screen:
        fields["labels"] = [link.marker]
    else:
        paragraphs.append(link.marker)  # found again by the description instead
    if "description" in screen:
        fields["description"] = adf(paragraphs, item_url(item))
    else:
        left_out.append("Description")
    if item.due_date is not None:
        if "duedate" in screen:
            fields["duedate"] = item.due_date.isoformat()
        else:
            left_out.append(f"Due date ({item.due_date.isoformat()})")
    if item.owner is not None:
        if "assignee" in screen:
            if assignee := account_id(config, item):
                fields["assignee"] = {"accountId": assignee}
        else:
            left_out.append(f"Assignee ({item.owner})")
    about_to_create()
    created = _call(config, "POST", "/rest/api/3/issue", json={"fields": fields}).json()
    key = text(dig(created, "key"))
    if not key:
        raise TransportError("Jira answered the create without an issue key.", permanent=True)
    notice = (
        f"Jira's create screen for {settings.project_key} {settings.issue_type} has no "
        f"{', '.join(left_out)}: set {'it' if len(left_out) == 1 else 'them'} in Jira."
        if left_out
        else ""
    )
    try:
        return _issue(config, _fetch(config, key), notice)
    except TransportError:
        return _issue(config, created, notice)  # the status comes with the next event or poll


def _fetch(config: TrackerConfig, key: str) -> Any:
    return _call(
        config, "GET", f"/rest/api/3/issue/{key}", params={"fields": "status,updated"}
    ).json()


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    return _issue(config, _fetch(config, link.external_key or link.external_id))


def _target_status(config: TrackerConfig, to: Any) -> str | None:
    """The action-item status a Jira status maps to (team's mapping, then defaults)."""
    return config.map_status(text(dig(to, "name")), text(dig(to, "statusCategory", "key")))


def _target_standing(config: TrackerConfig, to: Any) -> str | None:
    mapped = _target_status(config, to)
    return standing(mapped) if mapped else None


def move(config: TrackerConfig, link: TrackerLink, wanted: str) -> Issue:
    """Transition the issue to a status of the wanted standing, by this workflow's own
    transitions: the one whose target status maps (through the team's mapping, then by
    status category) to it. A deprioritised item goes to a status the team counts as
    deprioritised, else to done (its reason is in the comment)."""
    key = link.external_key or link.external_id
    current = status(config, link)
    if (
        _target_standing(
            config,
            {"name": current.status_name, "statusCategory": {"key": current.status_category}},
        )
        == wanted
    ):
        return current
    answer = _call(config, "GET", f"/rest/api/3/issue/{key}/transitions").json()
    transitions = [t for t in dig(answer, "transitions") or [] if isinstance(t, dict)]
    usable = [t for t in transitions if t.get("isAvailable", True) is not False]
    preferences = {
        DONE: [DONE],
        DEPRIORITISED: [DEPRIORITISED, DONE],
        OPEN: [OPEN, "in_progress"],
    }[wanted]
    chosen = None
    for preferred in preferences:
        chosen = next((t for t in usable if _target_status(config, t.get("to")) == preferred), None)
        if chosen is not None:
            break
    if chosen is None:
        offered = (
            "; ".join(f"{text(t.get('name'))} → {text(dig(t, 'to', 'name'))}" for t in usable)
            or "none"
        )
        raise TransportError(
            f"No transition from “{current.status_name}” in {key}'s workflow leads to a "
            f"status this team counts as {wanted} (available: {offered}). Map one in the "
            "tracker settings' status mapping.",
            permanent=True,
        )
    if text(dig(chosen, "to", "name")) == current.status_name:
        return current  # deprioritised where the workflow has only done: it is there already
    _call(
        config,
        "POST",
        f"/rest/api/3/issue/{key}/transitions",
        json={"transition": {"id": text(chosen.get("id"))}},
    )
    return status(config, link)


def comment(config: TrackerConfig, link: TrackerLink, key: UUID, body: str) -> None:
    """Add ``body`` as a comment once: a comment whose text already starts with the same
    first line (it names the moment of the deprioritisation) is not added again."""
    issue = link.external_key or link.external_id
    head = body.splitlines()[0]
    existing = _call(
        config,
        "GET",
        f"/rest/api/3/issue/{issue}/comment",
        params={"orderBy": "-created", "maxResults": str(COMMENTS_READ)},
    ).json()
    for old in dig(existing, "comments") or []:
        if head in adf_text(dig(old, "body")):
            return
    paragraphs = [line for line in body.splitlines() if line.strip()]
    _call(
        config,
        "POST",
        f"/rest/api/3/issue/{issue}/comment",
        json={"body": adf(paragraphs)},
    )
