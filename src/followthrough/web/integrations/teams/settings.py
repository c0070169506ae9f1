"""Teams has no source settings; a team's channel is its Workflows webhook URL."""

from __future__ import annotations

from followthrough.web.integrations.base import OutboundURL, VendorSettings, secret


class Settings(VendorSettings):
    """Nothing to set on a source: Teams is a channel only."""


class TeamSettings(VendorSettings):
    """The team's Teams channel (``TeamSettings.channels["teams"]``)."""

    webhook_url: OutboundURL = secret(
        "The channel's Workflows webhook URL (Teams → the channel's ⋯ → Workflows → “Send "
        "webhook alerts to a channel”), or a legacy incoming webhook URL. It is a secret: "
        "anyone holding it can post to the channel."
    )
