"""GitHub's Issues REST API, as much of it as followthrough uses.

Checks: ``Authorization: Bearer <token>``, ``Accept: application/vnd.github+json`` and
``X-GitHub-Api-Version: 2022-11-28``; create needs a title, labels and assignees are
lists (assignees must be collaborators), milestone a number that exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .base import Answer, FakeServer, Request


@dataclass
class GitHubIssue:
    number: int
    title: str
    body: str
    labels: list[str]
    assignees: list[str]
    milestone: int | None
    state: str = "open"
    state_reason: str | None = None
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_json(self, repo: str) -> dict[str, Any]:
        return {
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


class FakeGitHub(FakeServer):
    def __init__(self, repo: str = "acme/payments", token: str = "ghp_test") -> None:
        super().__init__()
        self.repo = repo
        self.token = token
        self.collaborators = {"alice-gh"}
        self.milestones = {3}
        self.issues: list[GitHubIssue] = []
        self.created = 0

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
        found = re.fullmatch(rf"{base}/(\d+)", req.path)
        if found and req.method == "GET":
            issue = next((i for i in self.issues if i.number == int(found.group(1))), None)
            if issue is None:
                return Answer(404, {"message": "Not Found"})
            return Answer(200, issue.as_json(self.repo))
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
        errors = []
        if not isinstance(data.get("title"), str) or not data["title"]:
            errors.append({"resource": "Issue", "field": "title", "code": "missing_field"})
        if not isinstance(data.get("labels", []), list):
            errors.append({"resource": "Issue", "field": "labels", "code": "invalid"})
        assignees = data.get("assignees", [])
        if not isinstance(assignees, list) or not set(assignees) <= self.collaborators:
            errors.append({"resource": "Issue", "field": "assignees", "code": "invalid"})
        if "milestone" in data and data["milestone"] not in self.milestones:
            errors.append({"resource": "Issue", "field": "milestone", "code": "invalid"})
        if errors:
            return Answer(422, {"message": "Validation Failed", "errors": errors})
        self.created += 1
        issue = GitHubIssue(
            number=self.created,
            title=data["title"],
            body=data.get("body", ""),
            labels=list(data.get("labels", [])),
            assignees=list(assignees),
            milestone=data.get("milestone"),
        )
        self.issues.append(issue)
        return Answer(201, issue.as_json(self.repo))


def issues_event(
    fake: FakeGitHub,
    number: int,
    action: str,
    *,
    secret: str,
    delivery: str = "d-1",
    state_reason: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """``closed`` or ``reopened``: change the issue and build GitHub's signed issues event."""
    import hashlib
    import hmac
    import json

    issue = next(i for i in fake.issues if i.number == number)
    if action == "closed":
        issue.state, issue.state_reason = "closed", state_reason or "completed"
    elif action == "reopened":
        issue.state, issue.state_reason = "open", "reopened"
    body = json.dumps(
        {
            "action": action,
            "issue": issue.as_json(fake.repo),
            "repository": {"id": 42, "full_name": fake.repo, "private": True},
            "sender": {"login": "alice-gh", "type": "User"},
        }
    ).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={signature}",
    }
