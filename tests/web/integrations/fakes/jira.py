"""Jira Cloud REST v3, as much of it as followthrough uses, checked as Atlassian documents it.

Checks: ``Authorization: Basic base64(email:api_token)``. Create (``POST /rest/api/3/issue``)
takes only fields on the project's create screen for the issue type (``createmeta``; any
other is refused as Jira refuses it: "Field 'duedate' cannot be set. It is not on the
appropriate screen, or unknown."), needs project, issuetype, summary (at most 255
characters), a description in Atlassian Document Format, duedate as YYYY-MM-DD, an assignee
accountId that exists, labels without spaces. Transitions are the workflow's own: an id
that is not available from the issue's status is refused. Search (``search/jql``) is
eventually consistent: an issue is found only once ``index()`` has run, as Jira's index
catches up after a write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .base import Answer, FakeServer, Request, fixture

# Status -> category key (Jira's status categories).
STATUSES = {
    "To Do": "new",
    "In Progress": "indeterminate",
    "In Review": "indeterminate",
    "Done": "done",
    # A classic workflow's statuses.
    "Open": "new",
    "Reopened": "new",
    "Resolved": "done",
    "Closed": "done",
    "Won't Do": "done",
    # A team's own status, in the done category.
    "Shipped": "done",
}
STATUS_IDS = {name: str(10000 + n) for n, name in enumerate(STATUSES)}

# Jira Software's simplified workflow: every status reachable from every other.
SIMPLIFIED = {
    source: [
        (f"{n + 11}", f"Move to {target}", target)
        for n, target in enumerate(("To Do", "In Progress", "Done"))
    ]
    for source in ("To Do", "In Progress", "Done")
}
# Jira's classic workflow: Close and Resolve lead to done statuses, Reopen back to new.
CLASSIC = {
    "Open": [
        ("4", "Start Progress", "In Progress"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
    ],
    "In Progress": [
        ("301", "Stop Progress", "Open"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
    ],
    "Resolved": [("3", "Reopen Issue", "Reopened"), ("701", "Close Issue", "Closed")],
    "Closed": [("3", "Reopen Issue", "Reopened")],
    "Reopened": [
        ("4", "Start Progress", "In Progress"),
        ("5", "Resolve Issue", "Resolved"),
        ("2", "Close Issue", "Closed"),
        ("61", "Won't Do", "Won't Do"),
    ],
    "Won't Do": [("3", "Reopen Issue", "Reopened")],
}

FULL_SCREEN = (
    "project",
    "issuetype",
    "summary",
    "description",
    "labels",
    "duedate",
    "assignee",
    "reporter",
)
ISSUE_TYPES = {"10001": "Task", "10002": "Bug"}


@dataclass
class JiraIssue:
    id: str
    key: str
    fields: dict[str, Any]
    status: str
    updated: datetime
    labels: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    indexed: bool = False
    last_change: tuple[str, str] = ("", "")

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "self": f"{base}/rest/api/3/issue/{self.id}",
            "fields": {
                "status": status_json(self.status),
                "updated": jira_time(self.updated),
            },
        }


def status_json(name: str) -> dict[str, Any]:
    return {
        "self": f"/rest/api/3/status/{STATUS_IDS[name]}",
        "id": STATUS_IDS[name],
        "name": name,
        "statusCategory": {"key": STATUSES[name], "name": name},
    }


def jira_time(moment: datetime) -> str:
    """How Jira writes a time: 2026-03-10T10:00:00.123+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


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
            if inline.get("type") == "hardBreak":
                continue
            if inline.get("type") != "text" or not inline.get("text"):
                return "ADF text nodes have non-empty text"
            if "\n" in inline["text"]:
                return "ADF text nodes hold no line breaks (use paragraphs or hardBreak)"
            for mark in inline.get("marks", []):
                if mark.get("type") == "link" and not mark.get("attrs", {}).get("href"):
                    return "ADF link marks have attrs.href"
    return None


def not_found() -> Answer:
    return Answer(
        404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}
    )


class FakeJira(FakeServer):
    def __init__(self, email: str = "bot@example.com", token: str = "jira-token") -> None:
        super().__init__()
        self.email, self.api_token = email, token
        self.auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects = {"PAY"}
        self.users = {"alice@example.com": "5b10ac8d82e05b22cc7d4ef5"}
        self.issues: list[JiraIssue] = []
        self.created = 0
        self.screen: set[str] = set(FULL_SCREEN)
        self.required: set[str] = {"project", "issuetype", "summary"}
        self.workflow = SIMPLIFIED
        self.initial_status = "To Do"

    def settings(self) -> dict[str, Any]:
        """The team settings that point at this fake."""
        return {"project_key": "PAY", "issue_type": "Task", "user_email": self.email}

    def use_classic_workflow(self) -> None:
        self.workflow = CLASSIC
        self.initial_status = "Open"

    def issue(self, key_or_id: str) -> JiraIssue | None:
        return next((i for i in self.issues if key_or_id in (i.key, i.id)), None)

    def index(self) -> None:
        """Jira's search index catches up with every write made so far."""
        for issue in self.issues:
            issue.indexed = True

    def handle(self, req: Request) -> Answer:
        if req.headers.get("authorization") != self.auth:
            return Answer(401, {"errorMessages": ["You are not authenticated."]})
        path = req.path
        if req.method == "POST" and path == "/rest/api/3/issue":
            return self.create(req.json() or {})
        if req.method == "GET" and path == "/rest/api/3/search/jql":
            return self.search(req.query)
        if req.method == "GET" and path == "/rest/api/3/user/search":
            query = req.query.get("query", "")
            return Answer(
                200,
                [
                    {"accountId": aid, "emailAddress": email, "accountType": "atlassian"}
                    for email, aid in self.users.items()
                    if email == query
                ],
            )
        meta = re.fullmatch(
            r"/rest/api/3/issue/createmeta/([A-Z0-9_]+)/issuetypes(?:/(\d+))?", path
        )
        if req.method == "GET" and meta:
            return self.createmeta(meta.group(1), meta.group(2), req.query)
        found = re.fullmatch(r"/rest/api/3/issue/([A-Z0-9-]+)(/transitions|/comment)?", path)
        if found:
            issue = self.issue(found.group(1))
            if issue is None:
                return not_found()
            sub = found.group(2)
            if sub is None and req.method == "GET":
                if req.query.get("fields") not in (None, "status,updated"):
                    return Answer(400, {"errorMessages": ["Ask for status,updated."]})
                return Answer(200, issue.as_json(self.url))
            if sub == "/transitions" and req.method == "GET":
                return Answer(
                    200, {"expand": "transitions", "transitions": self.transitions(issue)}
                )
            if sub == "/transitions" and req.method == "POST":
                return self.transition(issue, req.json() or {})
            if sub == "/comment" and req.method == "GET":
                return Answer(
                    200,
                    {
                        "comments": list(reversed(issue.comments)),
                        "startAt": 0,
                        "maxResults": int(req.query.get("maxResults", 50)),
                        "total": len(issue.comments),
                    },
                )
            if sub == "/comment" and req.method == "POST":
                return self.comment(issue, req.json() or {})
        return super().handle(req)

    # --- createmeta -------------------------------------------------------------------

    def createmeta(self, project: str, type_id: str | None, query: dict[str, str]) -> Answer:
        if project not in self.projects:
            return Answer(404, {"errorMessages": ["No project could be found with key."]})
        start, size = int(query.get("startAt", 0)), int(query.get("maxResults", 50))
        if type_id is None:
            types = [
                {
                    "id": tid,
                    "name": name,
                    "subtask": False,
                    "self": f"{self.url}/rest/api/3/issuetype/{tid}",
                }
                for tid, name in ISSUE_TYPES.items()
            ]
            return Answer(
                200,
                {
                    "issueTypes": types[start : start + size],
                    "maxResults": size,
                    "startAt": start,
                    "total": len(types),
                },
            )
        if type_id not in ISSUE_TYPES:
            return Answer(404, {"errorMessages": ["Issue type not found."]})
        fields = [
            {
                "fieldId": name,
                "key": name,
                "name": name.capitalize(),
                "required": name in self.required,
                "hasDefaultValue": name == "reporter",
                "operations": ["set"],
                "schema": {"type": "string", "system": name},
            }
            for name in sorted(self.screen)
        ]
        # Two fields per page: followthrough must follow the pages.
        size = min(size, 2)
        return Answer(
            200,
            {
                "fields": fields[start : start + size],
                "maxResults": size,
                "startAt": start,
                "total": len(fields),
            },
        )

    # --- create ---------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> Answer:
        fields = body.get("fields")
        if set(body) - {"fields", "update", "properties"}:
            return Answer(
                400, {"errorMessages": ["Unrecognized field in the request."], "errors": {}}
            )
        if not isinstance(fields, dict):
            return Answer(400, {"errorMessages": ["fields is required"], "errors": {}})
        errors: dict[str, str] = {}
        for name in fields:
            if name not in self.screen:
                errors[name] = (
                    f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                )
        for name in self.required:
            if name not in fields:
                errors[name] = f"{name} is required."
        if fields.get("project", {}).get("key") not in self.projects:
            errors["project"] = "valid project is required"
        issuetype = fields.get("issuetype", {})
        if (
            issuetype.get("id") not in ISSUE_TYPES
            and issuetype.get("name") not in ISSUE_TYPES.values()
        ):
            errors["issuetype"] = "valid issue type is required"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 255:
            errors["summary"] = "You must specify a summary of the issue (at most 255 characters)."
        if "description" in fields and (problem := adf_problem(fields["description"])):
            errors["description"] = problem
        if "duedate" in fields and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(fields["duedate"])):
            errors["duedate"] = "Error parsing date string"
        if "assignee" in fields and fields["assignee"].get("accountId") not in self.users.values():
            errors["assignee"] = (
                "Specified user does not exist or you do not have required permissions"
            )
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(" " in label for label in labels):
            errors["labels"] = "The label can't contain spaces."
        if errors:
            return Answer(400, {"errorMessages": [], "errors": errors})
        self.created += 1
        issue = JiraIssue(
            id=str(10000 + self.created),
            key=f"PAY-{self.created}",
            fields=fields,
            status=self.initial_status,
            updated=self.tick(),
            labels=labels,
        )
        self.issues.append(issue)
        return Answer(
            201,
            {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"},
        )

    def search(self, query: dict[str, str]) -> Answer:
        wanted = re.fullmatch(
            r'project = "([A-Z0-9_]+)" AND \(labels = "([^"]+)" OR description ~ "\\"([^"\\]+)\\""\)',
            query.get("jql", ""),
        )
        if not wanted or wanted.group(2) != wanted.group(3):
            return Answer(400, {"errorMessages": ["Unsupported JQL in this fake."]})
        marker = wanted.group(2)
        hits = [
            i.as_json(self.url)
            for i in self.issues
            if i.indexed
            and i.key.startswith(f"{wanted.group(1)}-")
            and (marker in i.labels or marker in json.dumps(i.fields.get("description")))
        ]
        return Answer(200, {"issues": hits[: int(query.get("maxResults", 50))], "isLast": True})

    # --- workflow -------------------------------------------------------------------

    def transitions(self, issue: JiraIssue) -> list[dict[str, Any]]:
        return [
            {
                "id": tid,
                "name": name,
                "to": status_json(target),
                "hasScreen": False,
                "isGlobal": self.workflow is SIMPLIFIED,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for tid, name, target in self.workflow.get(issue.status, [])
        ]

    def transition(self, issue: JiraIssue, body: dict[str, Any]) -> Answer:
        if set(body) - {"transition", "fields", "update", "historyMetadata", "properties"}:
            return Answer(400, {"errorMessages": ["Unrecognized field in the request."]})
        wanted = (
            body.get("transition", {}).get("id")
            if isinstance(body.get("transition"), dict)
            else None
        )
        for tid, _, target in self.workflow.get(issue.status, []):
            if tid == wanted:
                self.move(issue, target)
                return Answer(204)
        return Answer(
            400,
            {
                "errorMessages": [f"Transition id '{wanted}' is not valid for this issue."],
                "errors": {},
            },
        )

    def move(self, issue: JiraIssue, to: str) -> str:
        """Someone changes the issue's status (in Jira's UI, or by a transition)."""
        before, issue.status = issue.status, to
        issue.updated = self.tick()
        issue.last_change = (before, to)
        return before

    def comment(self, issue: JiraIssue, body: dict[str, Any]) -> Answer:
        if set(body) - {"body", "visibility", "properties"}:
            return Answer(400, {"errorMessages": ["Unrecognized field in the request."]})
        if problem := adf_problem(body.get("body")):
            return Answer(400, {"errorMessages": [], "errors": {"comment": problem}})
        comment = {
            "id": str(20000 + len(issue.comments)),
            "body": body["body"],
            "author": {"accountId": "bot"},
            "created": jira_time(self.tick()),
        }
        issue.comments.append(comment)
        return Answer(201, comment)


def issue_updated(
    fake: FakeJira,
    key: str,
    to: str,
    *,
    secret: str,
    delivery: str = "d-1",
    shape: str = "cloud",
) -> tuple[bytes, dict[str, str]]:
    """Move ``key`` to status ``to`` in the fake (someone does it in Jira) and build the
    signed ``jira:issue_updated`` delivery Jira sends for it."""
    issue = fake.issue(key)
    assert issue is not None, key
    fake.move(issue, to)
    return delivery_of(fake, key, secret=secret, delivery=delivery, shape=shape)


def delivery_of(
    fake: FakeJira, key: str, *, secret: str, delivery: str = "d-1", shape: str = "cloud"
) -> tuple[bytes, dict[str, str]]:
    """The signed ``jira:issue_updated`` delivery of the issue's last status change (also
    when followthrough made it: the echo), from Atlassian's documented example
    (``fixtures/jira/issue_updated.json``).

    ``shape="documented"``: as the example is, the status only in the changelog, by name
    (``"field": "Status", "fieldId": "status"``, as Jira Cloud writes it). ``"cloud"``: the
    issue's fields carry the status with its category too.
    """
    issue = fake.issue(key)
    assert issue is not None, key
    before, to = issue.last_change
    payload = fixture("jira/issue_updated.json")
    payload["timestamp"] = int(issue.updated.timestamp() * 1000)
    payload["issue"]["id"] = issue.id
    payload["issue"]["key"] = issue.key
    payload["issue"]["self"] = f"{fake.url}/rest/api/3/issue/{issue.id}"
    payload["issue"]["fields"]["summary"] = issue.fields["summary"]
    if shape == "cloud":
        payload["issue"]["fields"]["status"] = status_json(to)
        payload["issue"]["fields"]["updated"] = jira_time(issue.updated)
    payload["changelog"]["items"] = [
        {
            "field": "Status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": STATUS_IDS[before],
            "fromString": before,
            "to": STATUS_IDS[to],
            "toString": to,
        }
    ]
    return sign(payload, secret, delivery)


def sign(payload: dict[str, Any], secret: str, delivery: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Atlassian-Webhook-Identifier": delivery,
        "X-Hub-Signature": f"sha256={signature}",
    }
