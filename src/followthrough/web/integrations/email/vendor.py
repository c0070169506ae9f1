"""E-mail's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import outbound, settings

VENDOR = Vendor(
    kind="email",
    label="E-mail",
    folder=__package__ or "",
    settings=settings.Settings,
    channel_label="E-mail",
    send=outbound.send,
    wants=outbound.wants,
    private_channel=True,
)
