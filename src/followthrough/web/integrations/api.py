"""The integrations part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls.

- ``GET|PUT|DELETE /teams/{team_id}/tracker``: the team's tracker settings (leads and
  admins). Secrets are write-only: answers say ``token_set`` / ``webhook_secret_set``.
- ``GET /action-items/{item_id}/tracker``: the item's tracker issue and sync state.
- ``POST /action-items/{item_id}/tracker/retry``: try a waiting or failed item again now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator, StringConstraints

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem
from followthrough.web.api.access import get_visible, require_editable, user_of
from followthrough.web.api.errors import FieldError
from followthrough.web.api.schemas import ERRORS, MAX_ID, WRITE_ERRORS, PathId, _no_nul
from followthrough.web.integrations.models import (
    SyncState,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
)
from followthrough.web.integrations.views import is_team_lead
from followthrough.web.lib.deferred import defer

router = Router(tags=["integrations"])

NoNul = AfterValidator(_no_nul)
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True), NoNul]
Secret = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), NoNul]
Label = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^,]+$"), NoNul]
StatusName = Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul]


class AccountIn(Schema):
    person_id: int = Field(ge=1, le=MAX_ID)
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=128), NoNul]


class AccountOut(Schema):
    person_id: int
    account_id: str


class TrackerConfigIn(Schema):
    kind: Literal["jira", "linear", "github"]
    enabled: bool = True
    base_url: Short = ""
    project_key: Short = ""
    issue_type: Short = "Task"
    user_email: Short = ""
    linear_team_id: Short = ""
    repository: Short = ""
    labels: list[Label] = []
    milestone: int | None = Field(None, ge=1, le=2**31 - 1)
    api_token: Secret | None = Field(
        None, description="Write-only. Omitted or null keeps the stored one; empty forgets it."
    )
    webhook_secret: Secret | None = Field(
        None, description="Write-only. Omitted or null keeps the stored one; empty forgets it."
    )
    status_map: dict[StatusName, Literal["open", "in_progress", "done"]] = Field(
        default_factory=dict,
        description="Tracker status (name or category) -> action-item status; the vendor's "
        "defaults apply to statuses not listed.",
    )
    accounts: list[AccountIn] | None = Field(
        None,
        description="Who people are in the tracker (Jira accountId, Linear user id, GitHub "
        "login). Omitted keeps the recorded ones.",
    )


class TrackerConfigOut(Schema):
    team_id: int
    kind: str
    enabled: bool
    base_url: str
    project_key: str
    issue_type: str
    user_email: str
    linear_team_id: str
    repository: str
    labels: list[str]
    milestone: int | None
    token_set: bool
    webhook_secret_set: bool
    status_map: dict[str, str]
    effective_status_map: dict[str, str]
    webhook_path: str
    accounts: list[AccountOut]
    pending: int
    failed: int


class TrackerLinkOut(Schema):
    action_item_id: int
    sync_state: Literal["not_tracked", "pending", "synced", "error"]
    kind: str | None = None
    key: str = ""
    url: str = ""
    tracker_status: str = ""
    last_error: str = ""
    attempts: int = 0
    next_attempt_at: datetime | None = None
    synced_at: datetime | None = None


def _lead_team(request: HttpRequest, team_id: int) -> Team:
    team = get_visible(request, Team.objects.select_related("lead"), team_id, "team")
    if not is_team_lead(user_of(request), team):
        raise HttpError(403, f"Only leads of {team.name} and admins manage its tracker settings.")
    return team


def _out(config: TrackerConfig) -> dict[str, Any]:
    links = TrackerLink.objects.filter(action_item__postmortem__incident__team=config.team_id)
    return {
        "team_id": config.team_id,
        "kind": config.kind,
        "enabled": config.enabled,
        "base_url": config.base_url,
        "project_key": config.project_key,
        "issue_type": config.issue_type,
        "user_email": config.user_email,
        "linear_team_id": config.linear_team_id,
        "repository": config.repository,
        "labels": config.label_list(),
        "milestone": config.milestone,
        "token_set": bool(config.api_token),
        "webhook_secret_set": bool(config.webhook_secret),
        "status_map": config.status_map or {},
        "effective_status_map": config.effective_status_map(),
        "webhook_path": f"/integrations/{config.kind}/webhook/{config.team.slug}/",
        "accounts": [
            {"person_id": a.person_id, "account_id": a.account_id}
            for a in config.accounts.order_by("person_id")
        ],
        "pending": links.filter(sync_state=SyncState.PENDING).count(),
        "failed": links.filter(sync_state=SyncState.ERROR).count(),
    }


@router.get("/teams/{team_id}/tracker", response={200: TrackerConfigOut, **ERRORS})
def get_tracker(request: HttpRequest, team_id: PathId) -> Any:
    """The team's tracker settings, without its secrets."""
    team = _lead_team(request, team_id)
    config = TrackerConfig.objects.filter(team=team).select_related("team").first()
    if config is None:
        raise HttpError(404, f"{team.name} has no tracker set up.")
    return _out(config)


@router.put(
    "/teams/{team_id}/tracker",
    response={200: TrackerConfigOut, 201: TrackerConfigOut, **WRITE_ERRORS},
)
def put_tracker(request: HttpRequest, team_id: PathId, payload: TrackerConfigIn) -> Any:
    """Set up or change the team's tracker. Failed items of the team are tried again."""
    from followthrough.web.integrations.sync import requeue_team
    from followthrough.web.integrations.tasks import catch_up_trackers

    team = _lead_team(request, team_id)
    config = TrackerConfig.objects.filter(team=team).first()
    created = config is None
    config = config or TrackerConfig(team=team)
    data = payload.model_dump()
    accounts = data.pop("accounts")
    for name in ("api_token", "webhook_secret"):
        value = data.pop(name)
        if value is not None:
            setattr(config, name, value)
    data["labels"] = ", ".join(data["labels"])
    for name, value in data.items():
        setattr(config, name, value)
    config.full_clean(exclude=["team"])
    config.save()
    if accounts is not None:
        people = {p.pk for p in Person.objects.filter(pk__in=[a["person_id"] for a in accounts])}
        for n, account in enumerate(accounts):
            if account["person_id"] not in people:
                raise FieldError(
                    f"accounts.{n}.person_id", f"There is no person with id {account['person_id']}."
                )
        config.accounts.all().delete()
        TrackerAccount.objects.bulk_create(
            TrackerAccount(config=config, person_id=a["person_id"], account_id=a["account_id"])
            for a in accounts
        )
    requeue_team(config)
    defer(catch_up_trackers)
    config = TrackerConfig.objects.select_related("team").get(pk=config.pk)
    return Status(201 if created else 200, _out(config))


@router.delete("/teams/{team_id}/tracker", response={204: None, **ERRORS})
def delete_tracker(request: HttpRequest, team_id: PathId) -> Any:
    """Stop sending the team's items anywhere. Issues already created stay in the tracker."""
    team = _lead_team(request, team_id)
    deleted, _ = TrackerConfig.objects.filter(team=team).delete()
    if not deleted:
        raise HttpError(404, f"{team.name} has no tracker set up.")
    return Status(204, None)


def _link_out(item: ActionItem) -> dict[str, Any]:
    link = TrackerLink.objects.filter(action_item=item).first()
    if link is None:
        return {"action_item_id": item.pk, "sync_state": "not_tracked"}
    return {
        "action_item_id": item.pk,
        "sync_state": link.sync_state,
        "kind": link.kind,
        "key": link.external_key,
        "url": link.url,
        "tracker_status": link.tracker_status,
        "last_error": link.last_error,
        "attempts": link.attempts,
        "next_attempt_at": link.next_attempt_at,
        "synced_at": link.synced_at,
    }


@router.get("/action-items/{item_id}/tracker", response={200: TrackerLinkOut, **ERRORS})
def get_item_tracker(request: HttpRequest, item_id: PathId) -> Any:
    """Where the item is in the team's tracker: its issue, the status there, and any error."""
    item = get_visible(request, ActionItem.objects.all(), item_id, "action item")
    return _link_out(item)


@router.post(
    "/action-items/{item_id}/tracker/retry", response={202: TrackerLinkOut, **WRITE_ERRORS}
)
def retry_item_tracker(request: HttpRequest, item_id: PathId) -> Any:
    """Try a waiting or failed item's tracker issue again now (editors of the team)."""
    from followthrough.web.integrations.sync import retry_now
    from followthrough.web.integrations.tasks import push_action_item

    item = get_visible(
        request,
        ActionItem.objects.select_related("postmortem__incident__team"),
        item_id,
        "action item",
    )
    require_editable(request, item.postmortem.incident.team)
    link = TrackerLink.objects.filter(action_item=item).first()
    if link is None:
        raise HttpError(404, "This action item has no tracker issue to retry.")
    if retry_now(link):
        link_id = link.pk
        defer(push_action_item, link_id)
    return Status(202, _link_out(item))
