"""GitLab project webhooks: "Issue Hook" (opened, closed, reopened, updated).

GitLab does not sign: it sends the webhook's secret token as ``X-Gitlab-Token``, compared
here in constant time with the team's webhook secret. ``X-Gitlab-Event-UUID`` identifies
the delivery but is not authenticated: a replay is recognised by the content, and a body
whose ``object_attributes.updated_at`` is older than the status already known changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from followthrough.web.integrations.common import Rejected, StatusEvent, dig, moment, text
from followthrough.web.lib.signatures import SignatureError, check_shared_secret

if TYPE_CHECKING:
    from followthrough.web.integrations.models import TrackerConfig

TOKEN_HEADER = "X-Gitlab-Token"
DELIVERY_HEADER = "X-Gitlab-Event-UUID"
EVENT_HEADER = "X-Gitlab-Event"
EVENTS = ("Issue Hook", "Confidential Issue Hook")


def verify(config: TrackerConfig, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
    try:
        check_shared_secret(config.webhook_secret, headers.get(TOKEN_HEADER), header=TOKEN_HEADER)
    except SignatureError as e:
        raise Rejected(401, str(e)) from e


def delivery_id(headers: Mapping[str, str], payload: dict[str, Any]) -> str:
    return headers.get(DELIVERY_HEADER, "") or headers.get("Idempotency-Key", "")


def parse(payload: dict[str, Any], headers: Mapping[str, str]) -> StatusEvent | None:
    if headers.get(EVENT_HEADER, "Issue Hook") not in EVENTS:
        return None  # push, note, merge request ...: nothing to do
    if payload.get("object_kind") not in ("issue", "work_item"):
        return None
    attributes = payload.get("object_attributes")
    if not isinstance(attributes, dict):
        raise Rejected(400, "An Issue Hook body has object_attributes.")
    iid = attributes.get("iid")
    state = attributes.get("state")
    if not isinstance(iid, int) or isinstance(iid, bool) or not isinstance(state, str):
        raise Rejected(400, "The issue of an Issue Hook has an iid and a state.")
    project = payload.get("project") if isinstance(payload.get("project"), dict) else {}
    scopes = tuple(
        s.lower()
        for s in (text(dig(project, "id")), text(dig(project, "path_with_namespace")))
        if s
    )
    return StatusEvent(
        external_id=str(iid),
        key=f"#{iid}",
        status_name=text(state),
        status_category=text(state),
        scopes=scopes,
        changed_at=moment(attributes.get("updated_at")),
    )
