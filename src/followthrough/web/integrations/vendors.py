"""The one registry of vendors (healthchecks' ``TRANSPORTS``): kind -> its folder's entry.

Adding a vendor is a folder ``integrations/<kind>/`` (copy a sibling) with a ``vendor.py``
defining ``VENDOR``, and one line here. docs/development/adding-an-integration.md is the
checklist; tests/web/test_vendors.py fails when an entry lacks one of the places it lists.
The trackers (Jira, Linear, GitHub) have their own registry, ``trackers.TRACKERS``.
"""

from __future__ import annotations

from followthrough.web.integrations.base import Vendor
from followthrough.web.integrations.email.vendor import VENDOR as EMAIL
from followthrough.web.integrations.grafana_oncall.vendor import VENDOR as GRAFANA_ONCALL
from followthrough.web.integrations.jsm.vendor import VENDOR as JSM
from followthrough.web.integrations.opsgenie.vendor import VENDOR as OPSGENIE
from followthrough.web.integrations.pagerduty.vendor import VENDOR as PAGERDUTY
from followthrough.web.integrations.slack.vendor import VENDOR as SLACK
from followthrough.web.integrations.teams.vendor import VENDOR as TEAMS
from followthrough.web.integrations.webhook.vendor import VENDOR as WEBHOOK

VENDORS: dict[str, Vendor] = {
    "pagerduty": PAGERDUTY,
    "opsgenie": OPSGENIE,
    "jsm": JSM,
    "grafana_oncall": GRAFANA_ONCALL,
    "webhook": WEBHOOK,
    "slack": SLACK,
    "teams": TEAMS,
    "email": EMAIL,
}


def sources() -> dict[str, Vendor]:
    """The vendors incidents come in from."""
    return {kind: vendor for kind, vendor in VENDORS.items() if vendor.is_source}


def channels() -> dict[str, Vendor]:
    """The vendors notifications go out through, in the order they are tried."""
    return {kind: vendor for kind, vendor in VENDORS.items() if vendor.is_channel}
