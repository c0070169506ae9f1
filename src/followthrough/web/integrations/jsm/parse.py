"""A JSM alert webhook body -> an IncidentEvent.

JSM Operations sends Opsgenie's alert action data unchanged (Atlassian, "Alert action data":
the same ``action`` names, the same ``alert`` fields), so the one reading of it is Opsgenie's
(``integrations.opsgenie.parse``); this module names it for the registry.
"""

from __future__ import annotations

from followthrough.web.integrations.opsgenie.parse import SUPPORTED_ACTIONS, parse

__all__ = ["SUPPORTED_ACTIONS", "parse"]
