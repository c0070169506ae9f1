"""Linear GraphQL calls, all through followthrough.web.transport."""

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
from followthrough.web.lib.delivery import vendor_code
from followthrough.web.transport import TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

ISSUE_FIELDS = "id identifier url state { name type }"

CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) "
    f"{{ issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
)
ISSUE = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"
USERS = (
    "query UsersByEmail($email: String!) "
    "{ users(filter: { email: { eq: $email } }) { nodes { id email } } }"
)


class GraphQLError(Exception):
    """Linear answered with ``errors``: the request was understood and refused."""


def _query(config: TrackerConfig, query: str, variables: dict[str, Any]) -> Any:
    answer = request(
        "POST",
        f"{config.api_base()}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": config.api_token, "Content-Type": "application/json"},
    ).json()
    errors = dig(answer, "errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        # Only the error's code is kept: its message is the server's words, and whatever is
        # raised here can end up in last_error, which readers of the team see.
        code = vendor_code(dig(first, "extensions", "code"))
        raise GraphQLError(f"Linear refused the request ({code})")
    return dig(answer, "data")


def _issue(data: Any) -> Issue:
    return Issue(
        external_id=text(dig(data, "id")),
        key=text(dig(data, "identifier")),
        url=text(dig(data, "url")),
        status_name=text(dig(data, "state", "name")),
        status_category=text(dig(data, "state", "type")),
    )


def find(config: TrackerConfig, issue_id: str) -> Issue | None:
    try:
        data = _query(config, ISSUE, {"id": issue_id})
    except GraphQLError:
        return None  # "Entity not found"
    found = dig(data, "issue")
    return _issue(found) if isinstance(found, dict) else None


def assignee_id(config: TrackerConfig, item: ActionItem) -> str | None:
    """The owner's Linear user id: as recorded, else looked up by e-mail and remembered."""
    from followthrough.web.integrations.models import TrackerAccount

    owner = item.owner
    if owner is None:
        return None
    known = TrackerAccount.objects.filter(config=config, person=owner).first()
    if known is not None:
        return known.account_id
    if not owner.email:
        return None
    try:
        nodes = dig(_query(config, USERS, {"email": owner.email}), "users", "nodes")
    except GraphQLError:
        return None
    found = text(dig(nodes[0], "id")) if isinstance(nodes, list) and nodes else ""
    if not found:
        return None
    TrackerAccount.objects.update_or_create(
        config=config, person=owner, defaults={"account_id": found}
    )
    return found


def ensure(config: TrackerConfig, item: ActionItem, link: TrackerLink) -> Issue:
    """Create the issue with the idempotency key as its id; a refused repeat is looked up."""
    key = str(link.idempotency_key)
    description = "\n\n".join(
        [*item_paragraphs(item), f"[Follow it in followthrough]({item_url(item)})"]
    )
    issue_input: dict[str, Any] = {
        "id": key,
        "teamId": config.linear_team_id,
        "title": item_summary(item),
        "description": description,
    }
    if assignee := assignee_id(config, item):
        issue_input["assigneeId"] = assignee
    if item.due_date is not None:
        issue_input["dueDate"] = item.due_date.isoformat()
    try:
        data = _query(config, CREATE, {"input": issue_input})
    except (GraphQLError, TransportError) as refused:
        if isinstance(refused, TransportError) and not refused.permanent:
            raise
        existing = find(config, key)
        if existing is not None:
            return existing  # created by an earlier attempt whose answer was lost
        raise TransportError(f"Linear refused the issue: {refused}", permanent=True) from refused
    created = dig(data, "issueCreate")
    if not dig(created, "success") or not isinstance(dig(created, "issue"), dict):
        raise TransportError("Linear answered issueCreate without an issue.", permanent=True)
    return _issue(dig(created, "issue"))


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    found = find(config, link.external_id)
    if found is None:
        raise TransportError(f"Linear has no issue {link.external_key} any more.", permanent=True)
    return found
