"""The one registry of trackers: kind -> the vendor folder's three modules.

A new tracker is its folder (copy a sibling) and one line in ``TRACKERS``: no migration
(its settings live in ``TrackerConfig.settings`` as JSON, validated by its own model), no
list to extend elsewhere. ``tests/web/integrations/test_registry.py`` fails when an entry
lacks one of the pieces ``docs/development/adding-a-tracker.md`` lists.

Every folder has the same modules with the same names:

- ``settings``: ``KIND``, ``LABEL``, ``DEFAULT_BASE_URL``, ``BASE_URL_HELP``, ``TOKEN_HELP``,
  ``DEFAULT_STATUS_MAP`` (vendor status -> action-item status) and ``Settings``
  (a ``common.TrackerSettings``).
- ``client`` (every call through ``followthrough.web.transport``; raises ``TransportError``):
  ``create(config, item, link, about_to_create) -> Issue`` (calling ``about_to_create()``
  right before the call that creates, once it has read all it needs); ``find(config, link) -> Issue | None`` (the issue
  an earlier create made, whose answer was lost); ``FIND_SETTLES_AFTER`` (how long after a
  create ``find`` can be trusted to see it); ``status(config, link) -> Issue``;
  ``move(config, link, standing) -> Issue`` (the vendor's own transition or state for open,
  done or deprioritised); ``comment(config, link, key, body)`` (once per key).
- ``webhook``: ``verify(config, body, headers, now)`` (raises ``Rejected(401)``),
  ``delivery_id(headers, payload) -> str``, ``parse(payload, headers) -> StatusEvent | None``
  (raises ``Rejected(400)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from followthrough.web.integrations.github import client as github_client
from followthrough.web.integrations.github import settings as github_settings
from followthrough.web.integrations.github import webhook as github_webhook
from followthrough.web.integrations.gitlab import client as gitlab_client
from followthrough.web.integrations.gitlab import settings as gitlab_settings
from followthrough.web.integrations.gitlab import webhook as gitlab_webhook
from followthrough.web.integrations.jira import client as jira_client
from followthrough.web.integrations.jira import settings as jira_settings
from followthrough.web.integrations.jira import webhook as jira_webhook
from followthrough.web.integrations.linear import client as linear_client
from followthrough.web.integrations.linear import settings as linear_settings
from followthrough.web.integrations.linear import webhook as linear_webhook

if TYPE_CHECKING:
    from followthrough.web.integrations.common import TrackerSettings


@dataclass(frozen=True)
class Tracker:
    settings: ModuleType
    client: ModuleType
    webhook: ModuleType

    @property
    def kind(self) -> str:
        return str(self.settings.KIND)

    @property
    def label(self) -> str:
        return str(self.settings.LABEL)

    @property
    def model(self) -> type[TrackerSettings]:
        model: type[TrackerSettings] = self.settings.Settings
        return model

    @property
    def default_base_url(self) -> str:
        return str(self.settings.DEFAULT_BASE_URL)

    @property
    def default_status_map(self) -> dict[str, str]:
        return dict(self.settings.DEFAULT_STATUS_MAP)


TRACKERS: dict[str, Tracker] = {
    "jira": Tracker(jira_settings, jira_client, jira_webhook),
    "linear": Tracker(linear_settings, linear_client, linear_webhook),
    "github": Tracker(github_settings, github_client, github_webhook),
    "gitlab": Tracker(gitlab_settings, gitlab_client, gitlab_webhook),
}

KIND_CHOICES = [(kind, tracker.label) for kind, tracker in TRACKERS.items()]


def label_of(kind: str) -> str:
    tracker = TRACKERS.get(kind)
    return tracker.label if tracker is not None else kind
