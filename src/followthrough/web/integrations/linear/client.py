"""Linear GraphQL calls, all through followthrough.web.transport.

``issueCreate`` takes the link's idempotency key as the issue's own ``id``: a repeat is
refused by Linear and answered by reading ``issue(id)``, which is consistent at once.
Comments take their own key as ``id`` the same way. A standing becomes the team's workflow
state of the right type (``issueUpdate`` with ``stateId``).
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
    item_summary,
    known_account,
    markdown_description,
    moment,
    remember_account,
    standing,
    text,
)
from followthrough.web.lib.delivery import vendor_code
from followthrough.web.transport import TransportError, request

if TYPE_CHECKING:
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.integrations.linear.settings import Settings
    from followthrough.web.integrations.models import TrackerConfig, TrackerLink

# issue(id) reads what issueCreate wrote: nothing to wait for.
FIND_SETTLES_AFTER = timedelta(0)

ISSUE_FIELDS = "id identifier url updatedAt state { id name type }"

CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) "
    f"{{ issueCreate(input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
)
UPDATE = (
    "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) "
    f"{{ issueUpdate(id: $id, input: $input) {{ success issue {{ {ISSUE_FIELDS} }} }} }}"
)
ISSUE = f"query Issue($id: String!) {{ issue(id: $id) {{ {ISSUE_FIELDS} }} }}"
STATES = (
    "query TeamStates($id: String!) "
    "{ team(id: $id) { states { nodes { id name type position } } } }"
)
USERS = (
    "query UsersByEmail($email: String!) "
    "{ users(filter: { email: { eq: $email } }) { nodes { id email } } }"
)
COMMENT = "query Comment($id: String!) { comment(id: $id) { id } }"
COMMENT_CREATE = (
    "mutation CommentCreate($input: CommentCreateInput!) "
    "{ commentCreate(input: $input) { success comment { id } } }"
)

# The state types a standing goes to, most fitting first.
STATE_TYPES = {
    DONE: ("completed",),
    DEPRIORITISED: ("canceled", "completed"),
    OPEN: ("unstarted", "backlog", "triage", "started"),
}


class GraphQLError(Exception):
    """Linear answered with ``errors``: the request was understood and refused.

    Only the error's code is kept (``extensions.code``, e.g. INPUT_ERROR), never its
    message: what a remote server says is not ours to store or show (it ends up in
    ``last_error``, which readers of the team see).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _settings(config: TrackerConfig) -> Settings:
    return config.vendor()  # type: ignore[return-value]


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
        updated_at=moment(dig(data, "updatedAt")),
    )


def _read(config: TrackerConfig, issue_id: str) -> Issue | None:
    try:
        data = _query(config, ISSUE, {"id": issue_id})
    except GraphQLError:
        return None  # "Entity not found"
    found = dig(data, "issue")
    return _issue(found) if isinstance(found, dict) else None


def find(config: TrackerConfig, link: TrackerLink) -> Issue | None:
    return _read(config, str(link.delivery_key))


def assignee_id(config: TrackerConfig, item: ActionItem) -> str | None:
    """The owner's Linear user id in this workspace: as recorded, else looked up by e-mail."""
    owner = item.owner
    if owner is None:
        return None
    if (known := known_account(config, owner)) is not None:
        return known
    if not owner.email:
        return None
    try:
        nodes = dig(_query(config, USERS, {"email": owner.email}), "users", "nodes")
    except GraphQLError:
        return None
    found = text(dig(nodes[0], "id")) if isinstance(nodes, list) and nodes else ""
    if not found:
        return None
    remember_account(config, owner, found)
    return found


def create(
    config: TrackerConfig,
    item: ActionItem,
    link: TrackerLink,
    about_to_create: Callable[[], None],
) -> Issue:
    """Create the issue with the idempotency key as its id; a refused repeat is looked up."""
    key = str(link.delivery_key)
    description = markdown_description(item)
    issue_input: dict[str, Any] = {
        "id": key,
        "teamId": _settings(config).team_id,
        "title": item_summary(item),
        "description": description,
    }
    if assignee := assignee_id(config, item):
        issue_input["assigneeId"] = assignee
    if item.due_date is not None:
        issue_input["dueDate"] = item.due_date.isoformat()
    about_to_create()
    try:
        data = _query(config, CREATE, {"input": issue_input})
    except GraphQLError as refused:
        existing = find(config, link)
        if existing is not None:
            return existing  # created by an earlier attempt whose answer was lost
        raise TransportError(f"Linear refused the issue ({refused}).", permanent=True) from refused
    created = dig(data, "issueCreate")
    if not dig(created, "success") or not isinstance(dig(created, "issue"), dict):
        raise TransportError("Linear answered issueCreate without an issue.", permanent=True)
    return _issue(dig(created, "issue"))


def status(config: TrackerConfig, link: TrackerLink) -> Issue:
    found = _read(config, link.external_id)
    if found is None:
        raise TransportError(f"Linear has no issue {link.external_key} any more.", permanent=True)
    return found


def _state_for(config: TrackerConfig, wanted: str) -> dict[str, Any]:
    """The team's workflow state for a standing: one the team's mapping gives that
    standing, of the most fitting type, first in the workflow."""
    try:
        data = _query(config, STATES, {"id": _settings(config).team_id})
    except GraphQLError as e:
        raise TransportError(
            f"Linear refused to list the team's states ({e}).", permanent=True
        ) from e
    nodes = [n for n in dig(data, "team", "states", "nodes") or [] if isinstance(n, dict)]
    nodes.sort(key=lambda n: n.get("position") if isinstance(n.get("position"), int | float) else 0)
    candidates = [
        n
        for n in nodes
        if (mapped := config.map_status(text(n.get("name")), text(n.get("type"))))
        and standing(mapped) == wanted
    ]
    for state_type in STATE_TYPES[wanted]:
        for node in candidates:
            if text(node.get("type")) == state_type:
                return node
    if candidates:
        return candidates[0]
    if wanted == DEPRIORITISED:
        return _state_for(config, DONE)
    raise TransportError(
        f"The Linear team has no workflow state this team counts as {wanted}; map one in "
        "the tracker settings' status mapping.",
        permanent=True,
    )


def move(config: TrackerConfig, link: TrackerLink, wanted: str) -> Issue:
    current = status(config, link)
    mapped = config.map_status(current.status_name, current.status_category)
    if mapped and standing(mapped) == wanted:
        return current
    state = _state_for(config, wanted)
    if text(state.get("name")) == current.status_name:
        return current  # deprioritised in a team with no canceled state: done already
    try:
        data = _query(
            config, UPDATE, {"id": link.external_id, "input": {"stateId": text(state.get("id"))}}
        )
    except GraphQLError as e:
        raise TransportError(f"Linear refused the state change ({e}).", permanent=True) from e
    updated = dig(data, "issueUpdate", "issue")
    return _issue(updated) if isinstance(updated, dict) else status(config, link)


def comment(config: TrackerConfig, link: TrackerLink, key: UUID, body: str) -> None:
    """Add ``body`` as a comment whose id is ``key``: once, whatever the retries."""
    try:
        if dig(_query(config, COMMENT, {"id": str(key)}), "comment", "id"):
            return
    except GraphQLError:
        pass  # "Entity not found": not made yet
    try:
        _query(
            config,
            COMMENT_CREATE,
            {"input": {"id": str(key), "issueId": link.external_id, "body": body}},
        )
    except GraphQLError as e:
        raise TransportError(f"Linear refused the comment ({e}).", permanent=True) from e
