"""Linear's GraphQL API, as much of it as followthrough uses, checked as Linear documents it.

Checks: ``Authorization: <API key>`` (no Bearer for personal keys); operations by name
(``IssueCreate``, ``IssueUpdate``, ``Issue``, ``TeamStates``, ``UsersByEmail``,
``Comment``, ``CommentCreate``) with their input fields: ``IssueCreateInput`` needs teamId
and title, takes a client-chosen UUID ``id`` (a second issue with the same id is refused),
assigneeId (a user of the workspace), dueDate (YYYY-MM-DD); ``IssueUpdateInput.stateId``
must be a state of the issue's team; ``CommentCreateInput`` needs issueId and body.
Unknown input fields are refused, as GraphQL refuses them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .base import Answer, FakeServer, Request, fixture

TEAM = "9cfb482a-81e3-4154-b5b9-2c805e70a02d"
# A team's workflow: name -> (state id, type, position).
STATES = {
    "Backlog": ("7f3c1e2a-0000-4000-8000-000000000001", "backlog", 0),
    "Todo": ("7f3c1e2a-0000-4000-8000-000000000002", "unstarted", 1),
    "In Progress": ("7f3c1e2a-0000-4000-8000-000000000003", "started", 2),
    "Done": ("7f3c1e2a-0000-4000-8000-000000000004", "completed", 3),
    "Canceled": ("7f3c1e2a-0000-4000-8000-000000000005", "canceled", 4),
    "Duplicate": ("7f3c1e2a-0000-4000-8000-000000000006", "canceled", 5),
}
CREATE_INPUT = {
    "id",
    "teamId",
    "title",
    "description",
    "assigneeId",
    "dueDate",
    "stateId",
    "labelIds",
    "priority",
}
COMMENT_INPUT = {"id", "issueId", "body"}


@dataclass
class LinearIssue:
    id: str
    identifier: str
    input: dict[str, Any]
    updated_at: datetime
    state: str = "Todo"
    previous_state: str = "Todo"

    def as_json(self) -> dict[str, Any]:
        state_id, state_type, _ = STATES[self.state]
        return {
            "id": self.id,
            "identifier": self.identifier,
            "url": f"https://linear.app/acme/issue/{self.identifier.lower()}",
            "updatedAt": self.updated_at.strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{self.updated_at.microsecond // 1000:03d}Z",
            "state": {"id": state_id, "name": self.state, "type": state_type},
        }


# Linear's error types and the codes it sends with them.
CODES = {
    "invalid input": "INPUT_ERROR",
    "authentication error": "AUTHENTICATION_ERROR",
    "Entity not found": "ENTITY_NOT_FOUND",
}


def _error(message: str, kind: str = "invalid input") -> dict[str, Any]:
    extensions = {"type": kind, "code": CODES.get(kind, "INTERNAL_ERROR"), "userError": True}
    return {"data": None, "errors": [{"message": message, "extensions": extensions}]}


class FakeLinear(FakeServer):
    def __init__(self, api_key: str = "lin_api_test") -> None:
        super().__init__()
        self.api_key = api_key
        self.teams = {TEAM: "ENG"}
        self.users = {"alice@example.com": "2e5e3d2c-0c6b-4f2b-9d63-6b7b1d3c9a11"}
        self.issues: dict[str, LinearIssue] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.created = 0
        self.create_attempts = 0

    @property
    def api_token(self) -> str:
        return self.api_key

    def settings(self) -> dict[str, Any]:
        """The team settings that point at this fake."""
        return {"team_id": next(iter(self.teams))}

    def handle(self, req: Request) -> Answer:
        if req.method != "POST" or req.path != "/graphql":
            return super().handle(req)
        auth = req.headers.get("authorization", "")
        if auth != self.api_key:
            return Answer(
                400, _error("Authentication required, not authenticated", "authentication error")
            )
        body = req.json() or {}
        query, variables = body.get("query", ""), body.get("variables") or {}
        name = re.match(r"\s*(query|mutation)\s+(\w+)", query)
        operation = name.group(2) if name else ""
        if operation == "IssueCreate" and "issueCreate(input: $input)" in query:
            return self.create(variables.get("input") or {})
        if operation == "IssueUpdate" and "issueUpdate(id: $id, input: $input)" in query:
            return self.update(variables.get("id", ""), variables.get("input") or {})
        if operation == "Issue" and "issue(id: $id)" in query:
            issue = self.issues.get(variables.get("id", ""))
            if issue is None:
                return Answer(200, _error("Entity not found: Issue", "Entity not found"))
            return Answer(200, {"data": {"issue": issue.as_json()}})
        if operation == "TeamStates" and "team(id: $id)" in query:
            if variables.get("id") not in self.teams:
                return Answer(200, _error("Entity not found: Team", "Entity not found"))
            nodes = [
                {"id": sid, "name": n, "type": t, "position": p}
                for n, (sid, t, p) in STATES.items()
            ]
            return Answer(200, {"data": {"team": {"states": {"nodes": nodes}}}})
        if operation == "UsersByEmail":
            email = variables.get("email", "")
            nodes = [{"id": uid, "email": e} for e, uid in self.users.items() if e == email]
            return Answer(200, {"data": {"users": {"nodes": nodes}}})
        if operation == "Comment" and "comment(id: $id)" in query:
            comment = self.comments.get(variables.get("id", ""))
            if comment is None:
                return Answer(200, _error("Entity not found: Comment", "Entity not found"))
            return Answer(200, {"data": {"comment": {"id": comment["id"]}}})
        if operation == "CommentCreate" and "commentCreate(input: $input)" in query:
            return self.comment(variables.get("input") or {})
        return Answer(400, _error(f"Unknown operation {operation!r} in this fake."))

    def create(self, data: dict[str, Any]) -> Answer:
        self.create_attempts += 1
        if unknown := set(data) - CREATE_INPUT:
            return Answer(
                400,
                _error(f"Field '{sorted(unknown)[0]}' is not defined by type IssueCreateInput."),
            )
        if data.get("teamId") not in self.teams:
            return Answer(200, _error("Argument Validation Error: teamId"))
        if not data.get("title"):
            return Answer(200, _error("Argument Validation Error: title should not be empty"))
        issue_id = data.get("id") or str(uuid.uuid4())
        try:
            uuid.UUID(issue_id)
        except ValueError:
            return Answer(200, _error("Argument Validation Error: id must be a UUID"))
        if issue_id in self.issues:
            return Answer(200, _error("Entity already exists: an issue with this id exists."))
        if "assigneeId" in data and data["assigneeId"] not in self.users.values():
            return Answer(200, _error("Entity not found: User", "Entity not found"))
        if "dueDate" in data and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["dueDate"]):
            return Answer(200, _error("Argument Validation Error: dueDate"))
        self.created += 1
        issue = LinearIssue(issue_id, f"ENG-{self.created}", data, self.tick())
        self.issues[issue_id] = issue
        return Answer(200, {"data": {"issueCreate": {"success": True, "issue": issue.as_json()}}})

    def update(self, issue_id: str, data: dict[str, Any]) -> Answer:
        issue = self.issues.get(issue_id)
        if issue is None:
            return Answer(200, _error("Entity not found: Issue", "Entity not found"))
        if set(data) != {"stateId"}:
            return Answer(400, _error("This fake updates stateId only."))
        by_id = {sid: n for n, (sid, _, _) in STATES.items()}
        if data["stateId"] not in by_id:
            return Answer(200, _error("Argument Validation Error: stateId", "invalid input"))
        self.move(issue, by_id[data["stateId"]])
        return Answer(200, {"data": {"issueUpdate": {"success": True, "issue": issue.as_json()}}})

    def move(self, issue: LinearIssue, to: str) -> None:
        """Someone moves the issue to state ``to`` (in Linear, or through the API)."""
        issue.previous_state, issue.state = issue.state, to
        issue.updated_at = self.tick()

    def comment(self, data: dict[str, Any]) -> Answer:
        if unknown := set(data) - COMMENT_INPUT:
            return Answer(
                400,
                _error(f"Field '{sorted(unknown)[0]}' is not defined by type CommentCreateInput."),
            )
        if data.get("issueId") not in self.issues or not data.get("body"):
            return Answer(200, _error("Argument Validation Error: issueId and body"))
        comment_id = data.get("id") or str(uuid.uuid4())
        if comment_id in self.comments:
            return Answer(200, _error("Entity already exists."))
        self.comments[comment_id] = {"id": comment_id, **data}
        return Answer(
            200, {"data": {"commentCreate": {"success": True, "comment": {"id": comment_id}}}}
        )


def issue_update(
    fake: FakeLinear,
    issue_id: str,
    to: str,
    *,
    secret: str,
    delivery: str = "d-1",
    timestamp_ms: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Move the issue to state ``to`` in Linear and build the signed ``Issue`` update."""
    fake.move(fake.issues[issue_id], to)
    return update_of(fake, issue_id, secret=secret, delivery=delivery, timestamp_ms=timestamp_ms)


def update_of(
    fake: FakeLinear,
    issue_id: str,
    *,
    secret: str,
    delivery: str = "d-1",
    timestamp_ms: int | None = None,
    with_state: bool = True,
) -> tuple[bytes, dict[str, str]]:
    """The signed ``Issue``/``update`` delivery of the issue's last state change (also when
    followthrough made it: the echo), from Linear's published payload
    (``fixtures/linear/issue_update.json``). ``with_state=False``: only ``stateId``."""
    issue = fake.issues[issue_id]
    shown = issue.as_json()
    payload = fixture("linear/issue_update.json")
    data = payload["data"]
    data.update(
        id=issue.id,
        identifier=issue.identifier,
        title=issue.input["title"],
        teamId=issue.input["teamId"],
        stateId=shown["state"]["id"],
        updatedAt=shown["updatedAt"],
    )
    data["team"]["id"] = issue.input["teamId"]
    if with_state:
        data["state"] = {**shown["state"], "color": "#5e6ad2"}
    else:
        del data["state"]
    payload["updatedFrom"] = {"stateId": STATES[issue.previous_state][0]}
    payload["url"] = shown["url"]
    payload["webhookTimestamp"] = (
        timestamp_ms if timestamp_ms is not None else int(datetime.now().timestamp() * 1000)
    )
    body = json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json; charset=utf-8",
        "Linear-Delivery": delivery,
        "Linear-Event": "Issue",
        "Linear-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
