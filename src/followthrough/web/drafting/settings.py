"""A team's drafting settings (``DraftSources.settings``): the GitHub repositories its
incidents' candidate triggers are read from."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from followthrough.web.integrations.base import OutboundURL, VendorSettings

GITHUB_API_URL = "https://api.github.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def _repository(value: str) -> str:
    if not _REPOSITORY.match(value) or ".." in value:
        raise ValueError(f"“{value}” is not a GitHub repository (owner/name).")
    return value


Repository = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=140), AfterValidator(_repository)
]


class DraftSettings(VendorSettings):
    """The repositories whose deploys and merged pull requests are offered as candidate
    triggers, and the GitHub API to read them from (GitHub Enterprise Server has its own).
    The token is not here but in its own write-only column (``DraftSources.github_token``)
    so the change history can mask it; Slack is read with the team's bot token."""

    github_api_url: OutboundURL = GITHUB_API_URL
    github_repositories: list[Repository] = []
