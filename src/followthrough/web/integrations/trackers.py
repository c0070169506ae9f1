"""The one registry of trackers: kind -> the folder's client and webhook modules.

Every folder has the same two modules with the same functions:

- ``client.ensure(config, item, link) -> Issue``: the item's issue, found again by the
  link's idempotency key or created; raises ``TransportError``.
- ``client.status(config, link) -> Issue``: the issue as the tracker has it now.
- ``webhook.verify(config, body, headers, now)``: raises ``Rejected(401)`` unless signed.
- ``webhook.delivery_id(headers, payload) -> str``: the vendor's delivery id ("" if none).
- ``webhook.parse(payload, headers) -> StatusEvent | None``: raises ``Rejected(400)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from followthrough.web.integrations.github import client as github_client
from followthrough.web.integrations.github import webhook as github_webhook
from followthrough.web.integrations.jira import client as jira_client
from followthrough.web.integrations.jira import webhook as jira_webhook
from followthrough.web.integrations.linear import client as linear_client
from followthrough.web.integrations.linear import webhook as linear_webhook
from followthrough.web.integrations.models import TrackerKind


@dataclass(frozen=True)
class Tracker:
    kind: str
    client: ModuleType
    webhook: ModuleType


TRACKERS: dict[str, Tracker] = {
    TrackerKind.JIRA: Tracker(TrackerKind.JIRA, jira_client, jira_webhook),
    TrackerKind.LINEAR: Tracker(TrackerKind.LINEAR, linear_client, linear_webhook),
    TrackerKind.GITHUB: Tracker(TrackerKind.GITHUB, github_client, github_webhook),
}
