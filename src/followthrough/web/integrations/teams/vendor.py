"""Microsoft Teams' registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import outbound, settings

VENDOR = Vendor(
    kind="teams",
    label="Microsoft Teams",
    folder=__package__ or "",
    settings=settings.Settings,
    channel_label="Microsoft Teams",
    send=outbound.send,
    wants=outbound.wants,
    team_settings=settings.TeamSettings,
)
