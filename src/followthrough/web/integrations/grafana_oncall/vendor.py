"""Grafana OnCall's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import parse, settings, verify

VENDOR = Vendor(
    kind="grafana_oncall",
    label="Grafana OnCall",
    folder=__package__ or "",
    source_label="Grafana OnCall / IRM (outgoing webhook)",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="grafana oncall webhook",
    verify=verify.verify,
    parse=parse.parse,
    supported_events=parse.SUPPORTED_EVENTS,
)
