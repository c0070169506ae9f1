"""Slack's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import outbound, settings

VENDOR = Vendor(
    kind="slack",
    label="Slack",
    folder=__package__ or "",
    source_label="Slack (/postmortem command)",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="slack /postmortem",
    endpoint="ingest-slack-commands",
    urls="followthrough.web.integrations.slack.urls",
    channel_label="Slack",
    send=outbound.send,
    wants=outbound.wants,
)
