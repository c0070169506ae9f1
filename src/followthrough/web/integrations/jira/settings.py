"""Jira Cloud as a team's tracker: what a team lead fills in, and how Jira's statuses read."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from followthrough.web.integrations.common import DEPRIORITISED, DONE, OPEN, TrackerSettings

KIND = "jira"
LABEL = "Jira Cloud"
# Every Jira Cloud site has its own address: the team gives it.
DEFAULT_BASE_URL = ""
BASE_URL_HELP = "The site, e.g. https://acme.atlassian.net."
TOKEN_HELP = "An API token of the account below (id.atlassian.com → Security → API tokens)."
WEBHOOK_HELP = "In Jira: System → WebHooks → Create a WebHook: this URL, a Secret (the webhook secret above), events Issue created and Issue updated, JQL project = your project key."

# A status's name first (a team's custom names override these), then its category key
# (new, indeterminate, done). Names cover Jira's own workflows, whose webhook bodies may
# carry the status's name only (the changelog of ``jira:issue_updated``).
DEFAULT_STATUS_MAP: dict[str, str] = {
    "new": OPEN,
    "indeterminate": "in_progress",
    "done": DONE,
    "to do": OPEN,
    "open": OPEN,
    "reopened": OPEN,
    "backlog": OPEN,
    "in progress": "in_progress",
    "in review": "in_progress",
    "closed": DONE,
    "resolved": DONE,
    "won't do": DEPRIORITISED,
    "won't fix": DEPRIORITISED,
    "cancelled": DEPRIORITISED,
    "canceled": DEPRIORITISED,
    "declined": DEPRIORITISED,
    "rejected": DEPRIORITISED,
}

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Settings(TrackerSettings):
    project_key: Annotated[
        str,
        Field(
            pattern=r"^[A-Z][A-Z0-9_]{0,31}$",
            title="Project key",
            description="Capital letters and digits, e.g. PAY.",
        ),
    ]
    issue_type: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            title="Issue type",
            description="As the project names it, e.g. Task.",
        ),
    ] = "Task"
    user_email: Annotated[
        str,
        Field(
            pattern=EMAIL,
            max_length=254,
            title="Account e-mail",
            description="The e-mail address of the account the API token is of.",
        ),
    ]
