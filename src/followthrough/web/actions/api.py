"""Action items: specific, owned, dated, verifiable, prioritised, followed to done."""

import copy
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.pagination import paginate

from followthrough.web import recovery
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item, update_action_item
from followthrough.web.actions.schemas import (
    ACTION_RELATED,
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
)
from followthrough.web.api.access import (
    NotFound,
    get_visible,
    incident_q,
    person,
    require_editable,
    user_of,
)
from followthrough.web.api.errors import Conflict, FieldError
from followthrough.web.api.schemas import (
    ERRORS,
    MAX_VERSION,
    ActionStatus,
    OwnerFilter,
    Pages,
    PathId,
    PostmortemFilter,
    StaleDelete,
    TeamFilter,
    request_now,
    stale,
)
from followthrough.web.postmortems.api.locking import LOCKABLE_ERRORS, SendBack, open_items
from followthrough.web.postmortems.api.postmortems import fetch_postmortem, postmortem_for_write
from followthrough.web.postmortems.models import ContributingFactor, Postmortem
from followthrough.web.versioning import StaleVersion

router = Router(tags=["action items"])


@router.get("/action-items", response={200: list[ActionItemOut], **ERRORS})
@paginate(Pages)
def list_action_items(
    request: HttpRequest,
    team: TeamFilter = None,
    status: Annotated[ActionStatus | None, Query()] = None,
    owner: OwnerFilter = None,
    postmortem: PostmortemFilter = None,
    overdue: Annotated[bool | None, Query(description="true: open past its due date.")] = None,
    sort: Annotated[
        Literal["due_date", "priority"],
        Query(
            description="`due_date` (soonest first, undated last) or `priority` (most urgent first)."
        ),
    ] = "due_date",
) -> Any:
    """Action items of the teams you can see."""
    items = ActionItem.objects.filter(incident_q(request, "postmortem__incident"))
    if team is not None:
        items = items.filter(postmortem__incident__team_id=team)
    if status is not None:
        items = items.filter(status=status)
    if owner is not None:
        items = items.filter(owner_id=owner)
    if postmortem is not None:
        items = items.filter(postmortem_id=postmortem)
    if overdue is not None:
        # Narrow in the database, then let the model decide (it owns what "overdue" means).
        today = timezone.localdate(request_now(request))
        if overdue:
            items = items.filter(due_date__lt=today).open()
    items = items.select_related(*ACTION_RELATED).order_by(F("due_date").asc(nulls_last=True), "pk")
    if overdue is None and sort == "due_date":
        return items
    rows = list(items)
    if overdue is not None:
        today = timezone.localdate(request_now(request))
        rows = [item for item in rows if item.is_overdue(today) == overdue]
    if sort == "priority":
        rows.sort(key=lambda item: item.priority(), reverse=True)
    return rows


@router.get(
    "/postmortems/{postmortem_id}/action-items",
    response={200: list[ActionItemOut], **ERRORS},
)
@paginate(Pages)
def list_postmortem_action_items(request: HttpRequest, postmortem_id: PathId) -> Any:
    postmortem = fetch_postmortem(request, postmortem_id)
    return postmortem.action_items.select_related(*ACTION_RELATED).order_by(
        F("due_date").asc(nulls_last=True), "pk"
    )


@router.post(
    "/postmortems/{postmortem_id}/action-items",
    response={201: ActionItemOut, **LOCKABLE_ERRORS},
)
def create_postmortem_action_item(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: ActionItemIn,
    send_back_to_review: SendBack = False,
) -> Any:
    """Add an action item: one owner, a due date, and how to tell it is done.

    Adding one to a final postmortem changes the reviewed document: refused (422) unless
    ``?send_back_to_review=true``."""
    postmortem = postmortem_for_write(request, postmortem_id)
    fields = _resolve(postmortem, payload.model_dump())
    ActionItem(postmortem=postmortem, **fields).full_clean()
    with transaction.atomic():
        open_items(request, postmortem, send_back_to_review)
        item = create_action_item(postmortem, user_of(request), **fields)
    return Status(201, _fetch(request, item.pk))


@router.get("/action-items/{item_id}", response={200: ActionItemOut, **ERRORS})
def get_action_item(request: HttpRequest, item_id: PathId) -> Any:
    return _fetch(request, item_id)


@router.patch(
    "/action-items/{item_id}",
    response={200: ActionItemOut, 409: stale(ActionItemOut), **LOCKABLE_ERRORS},
)
def update_postmortem_action_item(
    request: HttpRequest,
    item_id: PathId,
    payload: ActionItemPatch,
    send_back_to_review: SendBack = False,
) -> Any:
    """Change an action item. Deprioritising needs a written reason.

    Once the postmortem is final, its follow-through (status, owner, due date, ratings,
    evidence, tracker) still changes; its wording (title, description, done-condition,
    what it addresses) is the reviewed document: refused (422) unless
    ``?send_back_to_review=true``. A closed postmortem's items only reopen."""
    item = _fetch(request, item_id)
    require_editable(request, item.postmortem.incident.team)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    fields = _resolve(item.postmortem, fields)
    # Validate a copy: the operation compares the new status with the stored one.
    candidate = copy.copy(item)
    for name, value in fields.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    try:
        with transaction.atomic():
            open_items(request, item.postmortem, send_back_to_review, item, fields)
            update_action_item(item, version, user_of(request), fields)
    except StaleVersion as e:
        current = ActionItemOut.model_validate(
            _fetch(request, item_id), context={"request": request}
        )
        raise Conflict({"detail": str(e), "current": current.model_dump(mode="json")}) from e
    return _fetch(request, item_id)


@router.delete("/action-items/{item_id}", response={204: None, 409: StaleDelete, **LOCKABLE_ERRORS})
def delete_action_item(
    request: HttpRequest,
    item_id: PathId,
    version: Annotated[
        int,
        Query(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409."),
    ],
    send_back_to_review: SendBack = False,
) -> Any:
    """Delete an action item (an admin can restore it from the trash). Send the ``version``
    you read; a stale one gets 409. Removing one from a final postmortem changes the
    reviewed document: refused (422) unless ``?send_back_to_review=true``."""
    item = _fetch(request, item_id)
    require_editable(request, item.postmortem.incident.team)
    with transaction.atomic():
        open_items(request, item.postmortem, send_back_to_review)
        try:
            recovery.delete(item, user_of(request), expected_version=version)
        except recovery.AlreadyDeleted as e:
            raise NotFound("action item", item_id) from e
    return Status(204, None)


def _resolve(postmortem: Postmortem, fields: dict[str, Any]) -> dict[str, Any]:
    """Body ids -> model objects: the owner is a person; the factor is one of this postmortem's.
    The body's ``consequence`` is the model's ``severity`` (a 1-5 rating, not P0-P3)."""
    if "consequence" in fields:
        fields["severity"] = fields.pop("consequence")
    if "owner_id" in fields:
        fields["owner"] = person(fields.pop("owner_id"), "owner_id")
    if "addresses_factor_id" in fields:
        pk = fields.pop("addresses_factor_id")
        factor = None
        if pk is not None:
            factor = ContributingFactor.objects.filter(pk=pk, postmortem=postmortem).first()
            if factor is None:
                raise FieldError(
                    "addresses_factor_id",
                    f"This postmortem has no contributing factor with id {pk}.",
                )
        fields["addresses_factor"] = factor
    return fields


def _fetch(request: HttpRequest, item_id: int) -> ActionItem:
    return get_visible(
        request,
        ActionItem.objects.select_related(*ACTION_RELATED, "postmortem__incident__team"),
        item_id,
        "action item",
    )
