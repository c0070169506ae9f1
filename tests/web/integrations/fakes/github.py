"""GitHub's Issues REST API, as much of it as followthrough uses, checked as GitHub documents it.

Checks: ``Authorization: Bearer <token>``, ``Accept: application/vnd.github+json`` and
``X-GitHub-Api-Version: 2022-11-28``. Create takes title (required), body, labels,
assignees (collaborators only), milestone (a number that exists) and nothing else.
Update (``PATCH``) takes ``state`` open|closed with ``state_reason`` completed|not_planned
(closed) or reopened (open). Comments take a ``body``. ``updated_at`` is written in whole
seconds, as GitHub does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import Answer, FakeServer, Request, fixture

CREATE_FIELDS = {"title", "body", "labels", "assignees", "milestone", "assignee", "type"}
UPDATE_FIELDS = {"title", "body", "state", "state_reason", "labels", "assignees", "milestone"}
REASONS = {"closed": {"completed", "not_planned", "duplicate"}, "open": {"reopened"}}


@dataclass
class GitHubIssue:
    number: int
    title: str
    body: str
    labels: list[str]
    assignees: list[str]
    milestone: int | None
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    comments: list[dict[str, Any]] = field(default_factory=list)
    last_action: str = "opened"

    def as_json(self, repo: str) -> dict[str, Any]:
        return {
            "url": f"https://api.github.com/repos/{repo}/issues/{self.number}",
            "id": 1_000_000 + self.number,
            "number": self.number,
            "html_url": f"https://github.com/{repo}/issues/{self.number}",
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "state_reason": self.state_reason,
            "labels": [{"name": n} for n in self.labels],
            "assignees": [{"login": a} for a in self.assignees],
            "updated_at": self.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def invalid(name: str, code: str = "invalid") -> Answer:
    return Answer(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "field": name, "code": code}],
            "documentation_url": "https://docs.github.com/rest/issues/issues",
        },
    )


class FakeGitHub(FakeServer):
    STEP = timedelta(seconds=1)

    def __init__(self, repo: str = "acme/payments", token: str = "ghp_test") -> None:
        super().__init__()
        self.repo = repo
        self.token = token
        self.collaborators = {"alice-gh"}
        self.milestones = {3}
        self.issues: list[GitHubIssue] = []
        self.created = 0

    @property
    def api_token(self) -> str:
        return self.token

    def settings(self) -> dict[str, Any]:
        """The team settings that point at this fake."""
        return {"repository": self.repo, "labels": ["postmortem"]}

    def tick(self) -> datetime:
        # GitHub writes whole seconds.
        return super().tick().replace(microsecond=0)

    def issue(self, number: int) -> GitHubIssue:
        return next(i for i in self.issues if i.number == number)

    def handle(self, req: Request) -> Answer:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Answer(401, {"message": "Bad credentials", "status": "401"})
        if (
            req.headers.get("accept") != "application/vnd.github+json"
            or req.headers.get("x-github-api-version") != "2022-11-28"
        ):
            return Answer(400, {"message": "Send Accept and X-GitHub-Api-Version headers."})
        base = f"/repos/{self.repo}/issues"
        if req.path == base and req.method == "POST":
            return self.create(req.json() or {})
        if req.path == base and req.method == "GET":
            return Answer(200, self.list(req.query))
        found = re.fullmatch(rf"{base}/(\d+)(/comments)?", req.path)
        if not found:
            return super().handle(req)
        issue = next((i for i in self.issues if i.number == int(found.group(1))), None)
        if issue is None:
            return Answer(404, {"message": "Not Found"})
        if found.group(2) and req.method == "GET":
            per_page, page = int(req.query.get("per_page", 30)), int(req.query.get("page", 1))
            return Answer(200, issue.comments[(page - 1) * per_page : page * per_page])
        if found.group(2) and req.method == "POST":
            body = req.json() or {}
            if set(body) != {"body"} or not isinstance(body["body"], str) or not body["body"]:
                return invalid("body", "missing_field")
            comment = {"id": 5000 + len(issue.comments), "body": body["body"]}
            issue.comments.append(comment)
            issue.updated_at = self.tick()
            return Answer(201, comment)
        if req.method == "GET":
            return Answer(200, issue.as_json(self.repo))
        if req.method == "PATCH":
            return self.update(issue, req.json() or {})
        return super().handle(req)

    def list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        issues = [i for i in self.issues if query.get("state", "open") in ("all", i.state)]
        if labels := query.get("labels"):
            wanted = set(labels.split(","))
            issues = [i for i in issues if wanted <= set(i.labels)]
        if since := query.get("since"):
            moment = datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            issues = [i for i in issues if i.updated_at >= moment]
        per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        issues.sort(key=lambda i: -i.number)
        return [i.as_json(self.repo) for i in issues[(page - 1) * per_page : page * per_page]]

    def create(self, data: dict[str, Any]) -> Answer:
        if unknown := set(data) - CREATE_FIELDS:
            return invalid(sorted(unknown)[0])
        if not isinstance(data.get("title"), str) or not data["title"]:
            return invalid("title", "missing_field")
        if not isinstance(data.get("body", ""), str):
            return invalid("body")
        if not isinstance(data.get("labels", []), list):
            return invalid("labels")
        assignees = data.get("assignees", [])
        if not isinstance(assignees, list) or not set(assignees) <= self.collaborators:
            return invalid("assignees")
        if "milestone" in data and data["milestone"] not in self.milestones:
            return invalid("milestone")
        self.created += 1
        issue = GitHubIssue(
            number=self.created,
            title=data["title"],
            body=data.get("body", ""),
            labels=list(data.get("labels", [])),
            assignees=list(assignees),
            milestone=data.get("milestone"),
            updated_at=self.tick(),
        )
        self.issues.append(issue)
        return Answer(201, issue.as_json(self.repo))

    def update(self, issue: GitHubIssue, data: dict[str, Any]) -> Answer:
        if unknown := set(data) - UPDATE_FIELDS:
            return invalid(sorted(unknown)[0])
        state = data.get("state", issue.state)
        if state not in REASONS:
            return invalid("state")
        reason = data.get("state_reason")
        if reason is not None and reason not in REASONS[state]:
            return invalid("state_reason")
        self.set_state(issue, state, reason)
        return Answer(200, issue.as_json(self.repo))

    def set_state(self, issue: GitHubIssue, state: str, reason: str | None) -> None:
        """Someone closes or reopens the issue (in GitHub, or through the API)."""
        if state == "closed":
            issue.last_action = "closed"
            issue.state, issue.state_reason = "closed", reason or "completed"
        else:
            issue.last_action = "reopened"
            issue.state, issue.state_reason = "open", "reopened"
        issue.updated_at = self.tick()


def issues_event(
    fake: FakeGitHub,
    number: int,
    action: str,
    *,
    secret: str,
    delivery: str = "d-1",
    state_reason: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """``closed`` or ``reopened`` in GitHub: change the issue and build the signed event."""
    issue = fake.issue(number)
    if action == "closed":
        fake.set_state(issue, "closed", state_reason)
    elif action == "reopened":
        fake.set_state(issue, "open", "reopened")
    return event_of(fake, number, secret=secret, delivery=delivery)


def event_of(
    fake: FakeGitHub, number: int, *, secret: str, delivery: str = "d-1"
) -> tuple[bytes, dict[str, str]]:
    """The signed ``issues`` event of the issue's last change (also when followthrough made
    it: the echo), from GitHub's published example (``fixtures/github/issues_reopened.json``)."""
    issue = fake.issue(number)
    payload = fixture("github/issues_reopened.json")
    payload["action"] = issue.last_action
    payload["issue"].update(issue.as_json(fake.repo))
    payload["repository"]["full_name"] = fake.repo
    payload["repository"]["name"] = fake.repo.split("/")[1]
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": f"sha256={signature}",
    }
