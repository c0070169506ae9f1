"""PagerDuty's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import parse, settings, verify

VENDOR = Vendor(
    kind="pagerduty",
    label="PagerDuty",
    folder=__package__ or "",
    source_label="PagerDuty (Webhooks v3)",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="pagerduty webhook",
    verify=verify.verify,
    parse=parse.parse,
    supported_events=parse.SUPPORTED_EVENTS,
)
