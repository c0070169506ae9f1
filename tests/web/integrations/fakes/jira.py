"""Jira Cloud REST v3, as much of it as followthrough uses.

Checks: ``Authorization: Basic base64(email:api_token)``; create needs project, issuetype,
summary, and a description in Atlassian Document Format (doc, version 1, block nodes with
text nodes that are never empty; links as ``link`` marks with an ``href``); duedate is
YYYY-MM-DD; the assignee an accountId that exists; labels without spaces.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from .base import Answer, FakeServer, Request

STATUSES = {
    "To Do": "new",
    "In Progress": "indeterminate",
    "In Review": "indeterminate",
    "Done": "done",
}


@dataclass
class JiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    status: str = "To Do"
    labels: list[str] = field(default_factory=list)

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "self": f"{base}/rest/api/3/issue/{self.id}",
            "fields": {
                "status": {
                    "name": self.status,
                    "statusCategory": {"key": STATUSES[self.status]},
                }
            },
        }


def adf_problem(doc: Any) -> str | None:
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return "description must be an ADF document: {type: doc, version: 1, content: [...]}"
    blocks = doc.get("content")
    if not isinstance(blocks, list) or not blocks:
        return "an ADF document has content"
    for block in blocks:
        if block.get("type") not in ("paragraph", "heading", "bulletList"):
            return f"unexpected ADF block {block.get('type')!r}"
        for inline in block.get("content", []):
            if inline.get("type") != "text" or not inline.get("text"):
                return "ADF text nodes have non-empty text"
            for mark in inline.get("marks", []):
                if mark.get("type") == "link" and not mark.get("attrs", {}).get("href"):
                    return "ADF link marks have attrs.href"
    return None


class FakeJira(FakeServer):
    def __init__(self, email: str = "bot@example.com", token: str = "jira-token") -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects = {"PAY"}
        self.users = {"alice@example.com": "5b10ac8d82e05b22cc7d4ef5"}
        self.issues: list[JiraIssue] = []
        self.created = 0

    def issue(self, key_or_id: str) -> JiraIssue | None:
        return next((i for i in self.issues if key_or_id in (i.key, i.id)), None)

    def handle(self, req: Request) -> Answer:
        if req.headers.get("authorization") != self.auth:
            return Answer(401, {"errorMessages": ["You are not authenticated."]})
        if req.method == "POST" and req.path == "/rest/api/3/issue":
            return self.create(req.json() or {})
        if req.method == "GET" and req.path == "/rest/api/3/search/jql":
            found = re.fullmatch(r'labels = "([^"]+)"', req.query.get("jql", ""))
            if not found:
                return Answer(400, {"errorMessages": ["Unsupported JQL in this fake."]})
            hits = [i.as_json(self.url) for i in self.issues if found.group(1) in i.labels]
            return Answer(
                200, {"issues": hits[: int(req.query.get("maxResults", 50))], "isLast": True}
            )
        if req.method == "GET" and req.path == "/rest/api/3/user/search":
            query = req.query.get("query", "")
            return Answer(
                200,
                [
                    {"accountId": aid, "emailAddress": email, "accountType": "atlassian"}
                    for email, aid in self.users.items()
                    if email == query
                ],
            )
        found = re.fullmatch(r"/rest/api/3/issue/([A-Z0-9-]+)", req.path)
        if req.method == "GET" and found:
            issue = self.issue(found.group(1))
            if issue is None:
                return Answer(
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ]
                    },
                )
            return Answer(200, issue.as_json(self.url))
        return super().handle(req)

    def create(self, body: dict[str, Any]) -> Answer:
        fields = body.get("fields")
        errors: dict[str, str] = {}
        if not isinstance(fields, dict):
            return Answer(400, {"errorMessages": ["fields is required"], "errors": {}})
        if fields.get("project", {}).get("key") not in self.projects:
            errors["project"] = "valid project is required"
        if not fields.get("issuetype", {}).get("name"):
            errors["issuetype"] = "valid issue type is required"
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        if problem := adf_problem(fields.get("description")):
            errors["description"] = problem
        if "duedate" in fields and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
            errors["duedate"] = "Error parsing date string"
        if "assignee" in fields and fields["assignee"].get("accountId") not in self.users.values():
            errors["assignee"] = (
                "Specified user does not exist or you do not have required permissions"
            )
        labels = fields.get("labels", [])
        if any(" " in label for label in labels):
            errors["labels"] = "The label can't contain spaces."
        if errors:
            return Answer(400, {"errorMessages": [], "errors": errors})
        self.created += 1
        issue = JiraIssue(
            id=str(10000 + self.created), key=f"PAY-{self.created}", fields=fields, labels=labels
        )
        self.issues.append(issue)
        return Answer(
            201,
            {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"},
        )


def issue_updated(
    fake: FakeJira, key: str, to: str, *, secret: str, delivery: str = "d-1"
) -> tuple[bytes, dict[str, str]]:
    """Move ``key`` to status ``to`` in the fake and build the signed jira:issue_updated
    delivery Jira Cloud sends for it (shape of the Jira Cloud webhook documentation)."""
    import hashlib
    import hmac
    import json
    import time

    issue = fake.issue(key)
    assert issue is not None, key
    before, issue.status = issue.status, to
    body = json.dumps(
        {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Alice"},
            "issue": {
                "id": issue.id,
                "self": f"{fake.url}/rest/api/3/issue/{issue.id}",
                "key": issue.key,
                "fields": {
                    "summary": issue.fields["summary"],
                    "status": {
                        "name": to,
                        "statusCategory": {"key": STATUSES[to], "name": to},
                    },
                },
            },
            "changelog": {
                "id": "10400",
                "items": [
                    {"field": "status", "fieldtype": "jira", "fromString": before, "toString": to}
                ],
            },
        }
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": delivery,
        "X-Hub-Signature": f"sha256={signature}",
    }
