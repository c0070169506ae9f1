"""What a Slack source is configured with, and its setup steps.

A Slack source has no vendor settings of its own: the workspace it answers for, and the
signing secret of that workspace's app, are bound by an admin (``SlackWorkspace``).
"""

from __future__ import annotations

from followthrough.web.integrations.base import VendorSettings

SETUP_STEPS = (
    "In your Slack app (api.slack.com/apps): Slash Commands → Create New Command /postmortem.",
    "Request URL: the endpoint below (one URL for every Slack workspace).",
    "An admin binds the workspace here: its id (T…, in the address of app.slack.com/client/T…) "
    "and the app's Signing Secret (Basic Information → App Credentials).",
    "Each person types /postmortem link in Slack once and opens the link it answers with, "
    "signed in here: commands then act as them, and as nobody before that.",
)


class Settings(VendorSettings):
    """Nothing beyond the workspace binding (an admin's, on the source's page)."""
