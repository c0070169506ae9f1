"""Jira Service Management's registry entry (``integrations.vendors``)."""

from followthrough.web.integrations.base import Vendor

from . import parse, settings, verify

VENDOR = Vendor(
    kind="jsm",
    label="Jira Service Management",
    folder=__package__ or "",
    source_label="Jira Service Management (alert webhook)",
    settings=settings.Settings,
    setup_steps=settings.SETUP_STEPS,
    actor_label="jsm webhook",
    verify=verify.verify,
    parse=parse.parse,
    supported_events=parse.SUPPORTED_ACTIONS,
    # Like Opsgenie, a delivery answered 4xx is dropped: an authentic one it cannot use is
    # answered 200 "ignored" and recorded with the reason.
    answers_malformed_with_2xx=True,
)
