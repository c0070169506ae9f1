"""GitHub Issues as a team's tracker: what a team lead fills in, and how issue states read."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from followthrough.web.integrations.common import DEPRIORITISED, DONE, OPEN, TrackerSettings

KIND = "github"
LABEL = "GitHub Issues"
DEFAULT_BASE_URL = "https://api.github.com"
BASE_URL_HELP = "Leave empty for github.com; GitHub Enterprise Server: https://HOST/api/v3."
TOKEN_HELP = "A fine-grained token with “Issues: read and write” on the repository."
WEBHOOK_HELP = "In the repository: Settings → Webhooks → Add webhook: this URL, content type application/json, the secret above, and “Let me select individual events” → Issues."

# The status of a GitHub issue is its state, with the reason when closed
# ("closed:not_planned"); "closed" alone (an older event) is done.
DEFAULT_STATUS_MAP: dict[str, str] = {
    "open": OPEN,
    "closed": DONE,
    "closed:completed": DONE,
    "closed:not_planned": DEPRIORITISED,
    "closed:duplicate": DEPRIORITISED,
}

Label = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^,]+$")]


class Settings(TrackerSettings):
    repository: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$",
            max_length=200,
            title="Repository",
            description="owner/name",
        ),
    ]
    labels: Annotated[
        list[Label], Field(max_length=20, title="Labels", description="Put on every issue.")
    ] = []
    milestone: Annotated[
        int | None, Field(ge=1, le=2**31 - 1, title="Milestone number", description="Optional.")
    ] = None

    def scope(self) -> str:
        return self.repository.lower()
