"""Linear's GraphQL API, as much of it as followthrough uses.

Checks: ``Authorization: <API key>`` (no Bearer for personal keys); operations by name
(``IssueCreate``, ``Issue``, ``UsersByEmail``); issueCreate needs teamId and title, takes a
client-chosen UUID ``id`` and refuses a second issue with the same id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from .base import Answer, FakeServer, Request

STATES = {
    "Backlog": "backlog",
    "Todo": "unstarted",
    "In Progress": "started",
    "Done": "completed",
    "Canceled": "canceled",
}


@dataclass
class LinearIssue:
    id: str
    identifier: str
    input: dict[str, Any]
    state: str = "Todo"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identifier": self.identifier,
            "url": f"https://linear.app/acme/issue/{self.identifier.lower()}",
            "state": {"name": self.state, "type": STATES[self.state]},
        }


def _error(message: str, kind: str = "invalid input") -> dict[str, Any]:
    return {"data": None, "errors": [{"message": message, "extensions": {"type": kind}}]}


class FakeLinear(FakeServer):
    def __init__(self, api_key: str = "lin_api_test") -> None:
        super().__init__()
        self.api_key = api_key
        self.teams = {"9cfb482a-81e3-4154-b5b9-2c805e70a02d": "ENG"}
        self.users = {"alice@example.com": "2e5e3d2c-0c6b-4f2b-9d63-6b7b1d3c9a11"}
        self.issues: dict[str, LinearIssue] = {}
        self.created = 0
        self.create_attempts = 0

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
        if operation == "Issue" and "issue(id: $id)" in query:
            issue = self.issues.get(variables.get("id", ""))
            if issue is None:
                return Answer(200, _error("Entity not found: Issue"))
            return Answer(200, {"data": {"issue": issue.as_json()}})
        if operation == "UsersByEmail":
            email = variables.get("email", "")
            nodes = [{"id": uid, "email": e} for e, uid in self.users.items() if e == email]
            return Answer(200, {"data": {"users": {"nodes": nodes}}})
        return Answer(400, _error(f"Unknown operation {operation!r} in this fake."))

    def create(self, data: dict[str, Any]) -> Answer:
        self.create_attempts += 1
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
            return Answer(200, _error("Entity not found: User"))
        if "dueDate" in data and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["dueDate"]):
            return Answer(200, _error("Argument Validation Error: dueDate"))
        self.created += 1
        issue = LinearIssue(issue_id, f"ENG-{self.created}", data)
        self.issues[issue_id] = issue
        return Answer(200, {"data": {"issueCreate": {"success": True, "issue": issue.as_json()}}})


def issue_update(
    fake: FakeLinear,
    issue_id: str,
    to: str,
    *,
    secret: str,
    delivery: str = "d-1",
    timestamp_ms: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Move the issue to state ``to`` and build Linear's signed ``Issue``/``update`` delivery."""
    import hashlib
    import hmac
    import json
    import time

    issue = fake.issues[issue_id]
    before, issue.state = issue.state, to
    body = json.dumps(
        {
            "action": "update",
            "type": "Issue",
            "actor": {"id": fake.users["alice@example.com"], "type": "user"},
            "createdAt": "2026-03-10T10:00:00.000Z",
            "data": {
                **issue.as_json(),
                "title": issue.input["title"],
                "teamId": issue.input["teamId"],
                "stateId": f"state-{to.lower()}",
            },
            "updatedFrom": {"stateId": f"state-{before.lower()}"},
            "url": issue.as_json()["url"],
            "organizationId": "org-1",
            "webhookId": "hook-1",
            "webhookTimestamp": timestamp_ms
            if timestamp_ms is not None
            else int(time.time() * 1000),
        }
    ).encode()
    return body, {
        "Content-Type": "application/json",
        "Linear-Delivery": delivery,
        "Linear-Event": "Issue",
        "Linear-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
