"""Linear as a team's tracker: what a team lead fills in, and how workflow states read."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from followthrough.web.integrations.common import DEPRIORITISED, DONE, OPEN, TrackerSettings

KIND = "linear"
LABEL = "Linear"
DEFAULT_BASE_URL = "https://api.linear.app"
BASE_URL_HELP = "Leave empty for Linear's API."
TOKEN_HELP = "A personal API key (Settings → Security & access → API keys)."
WEBHOOK_HELP = "In Linear: Settings → API → Webhooks → New webhook: this URL, resource Issues; copy its signing secret into the webhook secret above."

# A workflow state's name first, then its type (triage, backlog, unstarted, started,
# completed, canceled). Canceled is not done: nobody did the work.
DEFAULT_STATUS_MAP: dict[str, str] = {
    "triage": OPEN,
    "backlog": OPEN,
    "unstarted": OPEN,
    "started": "in_progress",
    "completed": DONE,
    "canceled": DEPRIORITISED,
}


class Settings(TrackerSettings):
    team_id: Annotated[
        str,
        Field(
            pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
            title="Linear team id",
            description="Settings → Teams → the team → copy id (a UUID).",
        ),
    ]

    def workspace(self, api_base: str) -> str:
        # Linear's user ids belong to its workspace, which the API key decides; the team is
        # the narrowest thing we know that lies in exactly one workspace.
        return f"{super().workspace(api_base)}/{self.team_id.lower()}"
