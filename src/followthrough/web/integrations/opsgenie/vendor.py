"""Opsgenie's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import parse, settings, verify

VENDOR = Vendor(
    kind="opsgenie",
    label="Opsgenie",
    folder=__package__ or "",
    source_label="Opsgenie (outgoing webhook)",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="opsgenie webhook",
    verify=verify.verify,
    parse=parse.parse,
    supported_events=parse.SUPPORTED_ACTIONS,
    # Opsgenie drops a delivery answered 4xx: an authentic one it cannot use is answered 200
    # "ignored" and recorded with the reason, never 400.
    answers_malformed_with_2xx=True,
)
