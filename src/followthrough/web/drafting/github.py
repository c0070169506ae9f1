"""Candidate triggers from GitHub: deployments created and pull requests merged in the
incident's window, in the team's repositories.

GitHub REST (docs.github.com, "List deployments" and "List pull requests"):
``GET /repos/{owner}/{repo}/deployments?per_page=100`` (newest first) and ``GET
/repos/{owner}/{repo}/pulls?state=closed&sort=updated&direction=desc&per_page=100``, with
``Accept: application/vnd.github+json``, ``Authorization: Bearer <token>`` and
``X-GitHub-Api-Version: 2022-11-28``; more pages are named by the ``Link`` header's
``rel="next"``. A closed pull request was merged when ``merged_at`` is set.

The window opens ``LOOKBACK`` before the incident started (a change lands before its
effect is seen) and closes at resolution.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from followthrough.web.drafting.proposals import Proposal, one_line
from followthrough.web.transport import TransportError, request

LOOKBACK = timedelta(hours=6)
MAX_PAGES = 5
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHubProblem(Exception):
    """GitHub could not be read; the message says why, in words."""


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _pages(api_url: str, token: str, path: str, params: dict[str, str]) -> Iterator[list[Any]]:
    """Each page of a list, following ``Link: rel="next"`` on the same host only."""
    base = api_url.rstrip("/")
    url: str | None = base + path
    sent: dict[str, str] | None = params
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for _ in range(MAX_PAGES):
        if url is None:
            return
        try:
            response = request("GET", url, headers=headers, params=sent)
            page = response.json()
        except (TransportError, ValueError) as e:
            raise GitHubProblem(f"GitHub could not be read: {e}") from e
        if not isinstance(page, list):
            raise GitHubProblem(f"GitHub answered {path} with something other than a list.")
        yield page
        found = _NEXT.search(response.headers.get("link", ""))
        url = found.group(1) if found and found.group(1).startswith(base + "/") else None
        sent = None  # the next link carries the query


def candidates(
    api_url: str, token: str, repository: str, started: datetime, resolved: datetime
) -> Iterator[Proposal]:
    """Deployments and merged pull requests of ``repository`` in the incident's window."""
    start = started - LOOKBACK
    for page in _pages(api_url, token, f"/repos/{repository}/deployments", {"per_page": "100"}):
        older = False
        for d in page:
            created = _time(d.get("created_at")) if isinstance(d, dict) else None
            if created is None:
                continue
            if created < start:
                older = True
                continue
            if created > resolved:
                continue
            ref = one_line(str(d.get("ref") or d.get("sha") or "")[:80])
            env = one_line(str(d.get("environment") or "")[:80])
            who = d.get("creator", {}).get("login") if isinstance(d.get("creator"), dict) else ""
            text = f"Deployment {d.get('id')} of {repository}@{ref}"
            text += f" to {env}" if env else ""
            text += f" created by {who}." if who else " created."
            yield Proposal(
                occurred_at=created,
                description=text,
                source=f"GitHub {repository}",
                link=f"https://github.com/{repository}/deployments",
                origin=f"github:{repository}:deployment:{d.get('id')}",
                kind="candidate",
            )
        if older:
            break
    params = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": "100"}
    for page in _pages(api_url, token, f"/repos/{repository}/pulls", params):
        older = False
        for pr in page:
            if not isinstance(pr, dict):
                continue
            updated = _time(pr.get("updated_at"))
            if updated is not None and updated < start:
                older = True
            merged = _time(pr.get("merged_at"))
            if merged is None or not start <= merged <= resolved:
                continue
            link = pr.get("html_url") if isinstance(pr.get("html_url"), str) else ""
            yield Proposal(
                occurred_at=merged,
                description=f"Pull request #{pr.get('number')} merged in {repository}: "
                f"“{one_line(str(pr.get('title') or ''), 200)}”.",
                source=f"GitHub {repository}",
                link=link if link.startswith("https://") else "",
                origin=f"github:{repository}:pull:{pr.get('number')}",
                kind="candidate",
            )
        if older:
            break
