"""The generic webhook's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import parse, settings, verify

VENDOR = Vendor(
    kind="webhook",
    label="Generic webhook",
    folder=__package__ or "",
    source_label="Generic JSON webhook",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="generic webhook",
    verify=verify.verify,
    parse=parse.parse,
    check=parse.check_severity,
    supported_events=parse.STATUSES,
)
