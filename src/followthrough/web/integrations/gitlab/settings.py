"""GitLab issues as a team's tracker: what a team lead fills in, and how issue states read."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from followthrough.web.integrations.common import DONE, OPEN, TrackerSettings

KIND = "gitlab"
LABEL = "GitLab Issues"
DEFAULT_BASE_URL = "https://gitlab.com"
BASE_URL_HELP = "Leave empty for gitlab.com; self-managed: https://gitlab.example.com."
TOKEN_HELP = "A project access token (or personal token) with the api scope, role Reporter+."
WEBHOOK_HELP = "In the project: Settings → Webhooks → Add new webhook: this URL, the webhook secret above as its Secret token, trigger Issues events."

# A GitLab issue is opened or closed; closing has no reason, so a deprioritised item is
# closed with its reason as a comment.
DEFAULT_STATUS_MAP: dict[str, str] = {
    "opened": OPEN,
    "closed": DONE,
}

Label = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^,]+$")]


class Settings(TrackerSettings):
    project: Annotated[
        str,
        Field(
            pattern=r"^([1-9][0-9]{0,17}|[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+)$",
            max_length=255,
            title="Project",
            description="Its numeric id, or its path (group/subgroup/project).",
        ),
    ]
    labels: Annotated[
        list[Label], Field(max_length=20, title="Labels", description="Put on every issue.")
    ] = []

    def scope(self) -> str:
        return self.project.lower()
