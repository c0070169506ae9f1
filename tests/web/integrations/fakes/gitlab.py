"""GitLab's REST API v4 (issues, notes, users), checked as GitLab documents it.

Checks: ``PRIVATE-TOKEN: <token>``; the project by numeric id or URL-encoded path
(``group%2Fproject``: an unencoded slash is another route, 404). Create
(``POST /projects/:id/issues``) takes title (required), description, labels (a
comma-separated string, or an array), assignee_ids (ids of project members), due_date
(YYYY-MM-DD) and nothing else. Edit (``PUT /projects/:id/issues/:iid``) takes
``state_event`` close|reopen. Notes take a ``body``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from .base import Answer, FakeServer, Request, fixture

CREATE_FIELDS = {
    "title",
    "description",
    "labels",
    "assignee_ids",
    "due_date",
    "confidential",
    "milestone_id",
    "issue_type",
}


def gitlab_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class GitLabIssue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    labels: list[str]
    assignee_ids: list[int]
    due_date: str | None
    created_at: datetime
    updated_at: datetime
    state: str = "opened"
    notes: list[dict[str, Any]] = field(default_factory=list)
    last_action: str = "open"

    def as_json(self, path: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "iid": self.iid,
            "project_id": self.project_id,
            "title": self.title,
            "description": self.description,
            "state": self.state,
            "labels": self.labels,
            "assignees": [{"id": a} for a in self.assignee_ids],
            "due_date": self.due_date,
            "created_at": gitlab_time(self.created_at),
            "updated_at": gitlab_time(self.updated_at),
            "web_url": f"https://gitlab.example.com/{path}/-/issues/{self.iid}",
        }


def bad(message: Any, status: int = 400) -> Answer:
    return Answer(status, {"message": message})


class FakeGitLab(FakeServer):
    def __init__(self, path: str = "acme/payments", token: str = "glpat-test") -> None:
        super().__init__()
        self.path = path
        self.project_id = 14
        self.token = token
        self.members = {"alice@example.com": (51, "alice")}
        self.issues: list[GitLabIssue] = []
        self.created = 0

    @property
    def api_token(self) -> str:
        return self.token

    def settings(self) -> dict[str, Any]:
        """The team settings that point at this fake."""
        return {"project": self.path, "labels": ["postmortem"]}

    def issue(self, iid: int) -> GitLabIssue:
        return next(i for i in self.issues if i.iid == iid)

    def handle(self, req: Request) -> Answer:
        if req.headers.get("private-token") != self.token:
            return Answer(401, {"message": "401 Unauthorized"})
        if req.path == "/api/v4/users" and req.method == "GET":
            return Answer(200, self.users(req.query))
        found = re.fullmatch(r"/api/v4/projects/([^/]+)/issues(?:/(\d+))?(/notes)?", req.path)
        if not found or unquote(found.group(1)) not in (self.path, str(self.project_id)):
            return Answer(404, {"message": "404 Project Not Found"})
        if found.group(2) is None:
            if req.method == "POST":
                return self.create(req.json() or {})
            if req.method == "GET":
                return Answer(200, self.list(req.query))
            return super().handle(req)
        issue = next((i for i in self.issues if i.iid == int(found.group(2))), None)
        if issue is None:
            return Answer(404, {"message": "404 Not found"})
        if found.group(3):
            if req.method == "GET":
                notes = sorted(issue.notes, key=lambda n: -n["id"])
                return Answer(200, notes[: int(req.query.get("per_page", 20))])
            body = req.json() or {}
            if set(body) - {"body", "internal", "created_at"} or not body.get("body"):
                return bad({"body": ["is missing"]})
            note = {"id": 900 + len(issue.notes), "body": body["body"], "system": False}
            issue.notes.append(note)
            return Answer(201, note)
        if req.method == "GET":
            return Answer(200, issue.as_json(self.path))
        if req.method == "PUT":
            body = req.json() or {}
            if set(body) != {"state_event"} or body["state_event"] not in ("close", "reopen"):
                return bad("state_event does not have a valid value")
            self.set_state(issue, "closed" if body["state_event"] == "close" else "opened")
            return Answer(200, issue.as_json(self.path))
        return super().handle(req)

    def users(self, query: dict[str, str]) -> list[dict[str, Any]]:
        if "username" in query:
            return [
                {"id": uid, "username": name}
                for _, (uid, name) in self.members.items()
                if name == query["username"]
            ]
        wanted = query.get("search", "")
        return [
            {"id": uid, "username": name, "public_email": email}
            for email, (uid, name) in self.members.items()
            if wanted and wanted in (email, name)
        ]

    def list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        issues = list(self.issues)
        if after := query.get("created_after"):
            moment = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            issues = [i for i in issues if i.created_at >= moment]
        issues.sort(key=lambda i: -i.iid)
        per_page, page = int(query.get("per_page", 20)), int(query.get("page", 1))
        return [i.as_json(self.path) for i in issues[(page - 1) * per_page : page * per_page]]

    def create(self, data: dict[str, Any]) -> Answer:
        if unknown := set(data) - CREATE_FIELDS:
            return bad(f"{sorted(unknown)[0]} does not have a valid value")
        if not isinstance(data.get("title"), str) or not data["title"].strip():
            return bad({"title": ["can't be blank"]})
        labels = data.get("labels", "")
        if isinstance(labels, str):
            labels = [part for part in labels.split(",") if part]
        if not isinstance(labels, list):
            return bad("labels is invalid")
        assignees = data.get("assignee_ids", [])
        members = {uid for uid, _ in self.members.values()}
        if not isinstance(assignees, list) or not all(isinstance(a, int) for a in assignees):
            return bad("assignee_ids is invalid")
        if not set(assignees) <= members:
            return bad({"assignees": ["must be project members"]})
        due = data.get("due_date")
        if due is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(due)):
            return bad("due_date is invalid")
        self.created += 1
        now = self.tick()
        issue = GitLabIssue(
            id=300 + self.created,
            iid=self.created,
            project_id=self.project_id,
            title=data["title"],
            description=data.get("description", ""),
            labels=labels,
            assignee_ids=assignees,
            due_date=due,
            created_at=now,
            updated_at=now,
        )
        self.issues.append(issue)
        return Answer(201, issue.as_json(self.path))

    def set_state(self, issue: GitLabIssue, state: str) -> None:
        """Someone closes or reopens the issue (in GitLab, or through the API)."""
        issue.last_action = "close" if state == "closed" else "reopen"
        issue.state = state
        issue.updated_at = self.tick()


def issue_hook(
    fake: FakeGitLab,
    iid: int,
    action: str,
    *,
    token: str,
    delivery: str = "e-1",
) -> tuple[bytes, dict[str, str]]:
    """``close`` or ``reopen`` in GitLab: change the issue and build its Issue Hook."""
    fake.set_state(fake.issue(iid), "closed" if action == "close" else "opened")
    return hook_of(fake, iid, token=token, delivery=delivery)


def hook_of(
    fake: FakeGitLab, iid: int, *, token: str, delivery: str = "e-1"
) -> tuple[bytes, dict[str, str]]:
    """The Issue Hook of the issue's last change (also when followthrough made it: the
    echo), from GitLab's documented example (``fixtures/gitlab/issue_hook.json``); GitLab
    writes hook times as ``2013-12-03 17:23:34 UTC``."""
    issue = fake.issue(iid)
    payload = fixture("gitlab/issue_hook.json")
    payload["project"]["id"] = fake.project_id
    payload["project"]["path_with_namespace"] = fake.path
    attributes = payload["object_attributes"]
    attributes.update(
        id=issue.id,
        iid=issue.iid,
        project_id=fake.project_id,
        title=issue.title,
        description=issue.description,
        state=issue.state,
        action=issue.last_action,
        updated_at=issue.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    )
    body = json.dumps(payload).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Gitlab-Event": "Issue Hook",
        "X-Gitlab-Token": token,
        "X-Gitlab-Event-UUID": delivery,
        "X-Gitlab-Instance": "https://gitlab.example.com",
    }
