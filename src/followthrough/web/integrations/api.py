"""The integrations part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls.

- ``GET|PUT|DELETE /teams/{team_id}/tracker``: the team's tracker settings (leads and
  admins): the vendor (``kind``), its own ``settings`` (validated by the vendor's model),
  the status mapping and who people are there. Secrets are write-only: answers say
  ``token_set`` / ``webhook_secret_set``.
- ``GET /action-items/{item_id}/tracker``: the item's tracker issue and sync state.
- ``POST /action-items/{item_id}/tracker/retry``: try a waiting or failed item again now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import AfterValidator, StringConstraints
from pydantic import ValidationError as SettingsError

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem
from followthrough.web.api.access import get_visible, require_editable, user_of
from followthrough.web.api.errors import FieldError
from followthrough.web.api.schemas import ERRORS, MAX_ID, WRITE_ERRORS, PathId, _no_nul
from followthrough.web.integrations.models import (
    MAPPABLE,
    SyncState,
    TrackerAccount,
    TrackerConfig,
    TrackerLink,
)
from followthrough.web.integrations.trackers import TRACKERS
from followthrough.web.integrations.views import is_team_lead
from followthrough.web.lib.deferred import defer

router = Router(tags=["integrations"])

NoNul = AfterValidator(_no_nul)
Short = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True), NoNul]
Secret = Annotated[str, StringConstraints(max_length=500, strip_whitespace=True), NoNul]
StatusName = Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul]


class AccountIn(Schema):
    person_id: int = Field(ge=1, le=MAX_ID)
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=128), NoNul]


class AccountOut(Schema):
    person_id: int
    account_id: str


KINDS = tuple(TRACKERS)
Kind = Literal[KINDS]  # type: ignore[valid-type]
Target = Literal[tuple(MAPPABLE)]  # type: ignore[valid-type]
SETTINGS_DOC = (
    "The chosen tracker's own settings: "
    + "; ".join(
        f"{kind}: "
        + ", ".join(
            f"{name}{'' if info.is_required() else ' (optional)'}"
            for name, info in tracker.model.model_fields.items()
        )
        for kind, tracker in TRACKERS.items()
    )
    + "."
)


class TrackerConfigIn(Schema):
    kind: Kind
    enabled: bool = True
    base_url: Short = Field(
        "", description="The tracker's address; empty for the public service (not for Jira)."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description=SETTINGS_DOC,
        json_schema_extra={"oneOf": [t.model.model_json_schema() for t in TRACKERS.values()]},
    )
    api_token: Secret | None = Field(
        None,
        description="Write-only. Omitted or null keeps the stored one, unless `kind` changes "
        "(another tracker's secret is never kept); empty forgets it.",
    )
    webhook_secret: Secret | None = Field(
        None,
        description="Write-only. Omitted or null keeps the stored one, unless `kind` changes "
        "(another tracker's secret is never kept); empty forgets it.",
    )
    status_map: dict[StatusName, Target] = Field(
        default_factory=dict,
        description="Tracker status (name or category) -> action-item status; the vendor's "
        "defaults apply to statuses not listed.",
    )
    accounts: list[AccountIn] | None = Field(
        None,
        description="Who people are in this tracker's workspace (Jira accountId, Linear user "
        "id, GitHub login, GitLab user id or username). Omitted keeps the recorded ones; "
        "accounts of another tracker or workspace are never used here.",
    )


class TrackerConfigOut(Schema):
    team_id: int
    kind: str
    label: str
    enabled: bool
    base_url: str
    settings: dict[str, Any]
    token_set: bool
    webhook_secret_set: bool
    status_map: dict[str, str]
    effective_status_map: dict[str, str]
    webhook_path: str
    workspace: str
    accounts: list[AccountOut]
    pending: int
    failed: int


class TrackerLinkOut(Schema):
    action_item_id: int
    sync_state: Literal["not_tracked", "pending", "synced", "error", "detached"]
    kind: str | None = None
    key: str = ""
    url: str = ""
    tracker_status: str = ""
    notice: str = Field("", description="What the tracker left out of the issue, in words.")
    last_error: str = ""
    last_error_kind: str = Field(
        "", description="timeout, connection, auth, rate_limited, server, settings, ..."
    )
    last_error_status: int | None = None
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
    workspace = config.workspace()
    return {
        "team_id": config.team_id,
        "kind": config.kind,
        "label": config.label,
        "enabled": config.enabled,
        "base_url": config.base_url,
        "settings": config.settings or {},
        "token_set": bool(config.api_token),
        "webhook_secret_set": bool(config.webhook_secret),
        "status_map": config.status_map or {},
        "effective_status_map": config.effective_status_map(),
        "webhook_path": f"/integrations/{config.kind}/webhook/{config.team.slug}/",
        "workspace": workspace,
        "accounts": [
            {"person_id": a.person_id, "account_id": a.account_id}
            for a in config.accounts.filter(kind=config.kind, workspace=workspace).order_by(
                "person_id"
            )
        ],
        "pending": links.filter(sync_state=SyncState.PENDING).count(),
        "failed": links.filter(sync_state=SyncState.ERROR).count(),
    }


def _settings_of(payload: TrackerConfigIn) -> dict[str, Any]:
    """The vendor's settings, validated by its own model: 422 with each field's place."""
    try:
        model = TRACKERS[payload.kind].model.model_validate(payload.settings)
    except SettingsError as e:
        raise NinjaValidationError(
            [
                {
                    "loc": ["body", "payload", "settings", *error["loc"]],
                    "msg": error["msg"],
                    "type": error["type"],
                }
                for error in e.errors()
            ]
        ) from e
    return model.model_dump()


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
    vendor_settings = _settings_of(payload)
    data = payload.model_dump(exclude={"settings"})
    accounts = data.pop("accounts")
    config.replace_secrets(
        payload.kind, api_token=data.pop("api_token"), webhook_secret=data.pop("webhook_secret")
    )
    for name, value in data.items():
        setattr(config, name, value)
    config.settings = vendor_settings
    config.full_clean(exclude=["team"])
    config.save()
    if accounts is not None:
        people = {p.pk for p in Person.objects.filter(pk__in=[a["person_id"] for a in accounts])}
        for n, account in enumerate(accounts):
            if account["person_id"] not in people:
                raise FieldError(
                    f"accounts.{n}.person_id", f"There is no person with id {account['person_id']}."
                )
        workspace = config.workspace()
        config.accounts.filter(kind=config.kind, workspace=workspace).delete()
        TrackerAccount.objects.bulk_create(
            TrackerAccount(
                config=config,
                kind=config.kind,
                workspace=workspace,
                person_id=a["person_id"],
                account_id=a["account_id"],
            )
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
        "notice": link.notice,
        "last_error": link.last_error,
        "last_error_kind": link.last_error_kind,
        "last_error_status": link.last_error_status,
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
