"""The list sections of a postmortem: the five-whys chain, the timeline, contributing factors.

Each row carries its own version: two people adding whys at once never collide, two people
editing the same why do, and the second gets 409. Whys and factors keep a position the
client can reorder; timeline events are ordered by when they happened.
"""

from typing import Annotated, Any

from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from followthrough.web import recovery
from followthrough.web.api.access import NotFound, get_visible, require_editable, user_of
from followthrough.web.api.errors import Conflict
from followthrough.web.api.schemas import (
    ERRORS,
    MAX_VERSION,
    Pages,
    PathId,
    StaleDelete,
    paged,
    stale,
    whole_page,
)
from followthrough.web.postmortems.api.locking import LOCKABLE_ERRORS, SendBack, open_document
from followthrough.web.postmortems.api.postmortems import fetch_postmortem, postmortem_for_write
from followthrough.web.postmortems.models import ContributingFactor, TimelineEvent, Why
from followthrough.web.postmortems.operations import add_timeline_event, append, reorder
from followthrough.web.postmortems.schemas import (
    FactorIn,
    FactorOut,
    FactorPatch,
    OrderIn,
    TimelineEventIn,
    TimelineEventOut,
    TimelineEventPatch,
    WhyIn,
    WhyOut,
    WhyPatch,
)
from followthrough.web.versioning import StaleVersion, Versioned, save_versioned

router = Router(tags=["postmortem sections"])

Version = Annotated[
    int, Query(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409.")
]


def _row_for_write(request: HttpRequest, model: type[Versioned], pk: int, what: str) -> Any:
    row = get_visible(
        request, model._default_manager.select_related("postmortem__incident__team"), pk, what
    )
    require_editable(request, row.postmortem.incident.team)
    return row


def _current(
    request: HttpRequest, model: type[Model], pk: int, out: type[Schema], what: str
) -> Any:
    row = get_visible(request, model._default_manager.all(), pk, what)
    return out.model_validate(row, context={"request": request}).model_dump(mode="json")


def _update(
    request: HttpRequest,
    row: Any,
    payload: Schema,
    out: type[Schema],
    what: str,
    send_back: bool,
) -> Any:
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    with transaction.atomic():
        open_document(request, row.postmortem, send_back, f"a {what}")
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean()
        try:
            save_versioned(row, version, fields)
        except StaleVersion as e:
            current = _current(request, type(row), row.pk, out, what)
            raise Conflict({"detail": str(e), "current": current}) from e
    return row


def _delete(
    request: HttpRequest,
    model: type[Versioned],
    pk: int,
    version: int,
    what: str,
    send_back: bool,
) -> Any:
    """Soft delete (an admin can restore it from the trash); a stale version gets 409."""
    row = _row_for_write(request, model, pk, what)
    with transaction.atomic():
        open_document(request, row.postmortem, send_back, f"a {what}")
        try:
            recovery.delete(row, user_of(request), expected_version=version)
        except recovery.AlreadyDeleted as e:
            raise NotFound(what, pk) from e
    return Status(204, None)


def _create(
    request: HttpRequest,
    postmortem: Any,
    related_name: str,
    fields: dict[str, Any],
    what: str,
    send_back: bool,
) -> Any:
    """Append a why or a factor: refused on a locked document (or sent back to review when
    asked), placed at the end of its list under the postmortem's position lock."""
    with transaction.atomic():
        open_document(request, postmortem, send_back, f"the {what}")
        return append(postmortem, related_name, **fields)


# --- whys ----------------------------------------------------------------------------------


@router.get("/postmortems/{postmortem_id}/whys", response={200: list[WhyOut], **ERRORS})
@paginate(Pages)
def list_whys(request: HttpRequest, postmortem_id: PathId) -> Any:
    """The five-whys chain, in order."""
    return list(fetch_postmortem(request, postmortem_id).whys.all())


@router.post("/postmortems/{postmortem_id}/whys", response={201: WhyOut, **LOCKABLE_ERRORS})
def create_why(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: WhyIn,
    send_back_to_review: SendBack = False,
) -> Any:
    """Add a why at the end of the chain."""
    postmortem = postmortem_for_write(request, postmortem_id)
    why = _create(
        request, postmortem, "whys", payload.model_dump(), "five whys", send_back_to_review
    )
    return Status(201, why)


@router.patch("/whys/{why_id}", response={200: WhyOut, 409: stale(WhyOut), **LOCKABLE_ERRORS})
def update_why(
    request: HttpRequest, why_id: PathId, payload: WhyPatch, send_back_to_review: SendBack = False
) -> Any:
    row = _row_for_write(request, Why, why_id, "why")
    return _update(request, row, payload, WhyOut, "why", send_back_to_review)


@router.delete("/whys/{why_id}", response={204: None, 409: StaleDelete, **LOCKABLE_ERRORS})
def delete_why(
    request: HttpRequest, why_id: PathId, version: Version, send_back_to_review: SendBack = False
) -> Any:
    return _delete(request, Why, why_id, version, "why", send_back_to_review)


@router.post(
    "/postmortems/{postmortem_id}/whys/reorder", response={200: paged(WhyOut), **LOCKABLE_ERRORS}
)
def reorder_whys(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: OrderIn,
    send_back_to_review: SendBack = False,
) -> Any:
    """Put the whys in a new order: list every id once."""
    postmortem = postmortem_for_write(request, postmortem_id)
    with transaction.atomic():
        open_document(request, postmortem, send_back_to_review, "the order of the whys")
        reorder(postmortem, "whys", payload.order)
    return whole_page(list(postmortem.whys.all()))


# --- timeline ------------------------------------------------------------------------------


@router.get(
    "/postmortems/{postmortem_id}/timeline", response={200: list[TimelineEventOut], **ERRORS}
)
@paginate(Pages)
def list_timeline(request: HttpRequest, postmortem_id: PathId) -> Any:
    """What happened, when: facts, no analysis yet."""
    return list(fetch_postmortem(request, postmortem_id).timeline_events.all())


@router.post(
    "/postmortems/{postmortem_id}/timeline", response={201: TimelineEventOut, **LOCKABLE_ERRORS}
)
def create_timeline_event(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: TimelineEventIn,
    send_back_to_review: SendBack = False,
) -> Any:
    """Add an event. The first one documents the initial timeline (a milestone)."""
    postmortem = postmortem_for_write(request, postmortem_id)
    TimelineEvent(postmortem=postmortem, **payload.model_dump()).full_clean()
    with transaction.atomic():
        open_document(request, postmortem, send_back_to_review, "the timeline")
        event = add_timeline_event(postmortem, payload.occurred_at, payload.description)
    return Status(201, event)


@router.patch(
    "/timeline/{event_id}",
    response={200: TimelineEventOut, 409: stale(TimelineEventOut), **LOCKABLE_ERRORS},
)
def update_timeline_event(
    request: HttpRequest,
    event_id: PathId,
    payload: TimelineEventPatch,
    send_back_to_review: SendBack = False,
) -> Any:
    row = _row_for_write(request, TimelineEvent, event_id, "timeline event")
    return _update(request, row, payload, TimelineEventOut, "timeline event", send_back_to_review)


@router.delete("/timeline/{event_id}", response={204: None, 409: StaleDelete, **LOCKABLE_ERRORS})
def delete_timeline_event(
    request: HttpRequest, event_id: PathId, version: Version, send_back_to_review: SendBack = False
) -> Any:
    return _delete(request, TimelineEvent, event_id, version, "timeline event", send_back_to_review)


# --- contributing factors ------------------------------------------------------------------


@router.get("/postmortems/{postmortem_id}/factors", response={200: list[FactorOut], **ERRORS})
@paginate(Pages)
def list_factors(request: HttpRequest, postmortem_id: PathId) -> Any:
    """What else made it worse: detection delay, tooling gaps, communication issues."""
    return list(fetch_postmortem(request, postmortem_id).factors.all())


@router.post("/postmortems/{postmortem_id}/factors", response={201: FactorOut, **LOCKABLE_ERRORS})
def create_factor(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: FactorIn,
    send_back_to_review: SendBack = False,
) -> Any:
    postmortem = postmortem_for_write(request, postmortem_id)
    factor = _create(
        request,
        postmortem,
        "factors",
        payload.model_dump(),
        "contributing factors",
        send_back_to_review,
    )
    return Status(201, factor)


@router.patch(
    "/factors/{factor_id}",
    response={200: FactorOut, 409: stale(FactorOut), **LOCKABLE_ERRORS},
)
def update_factor(
    request: HttpRequest,
    factor_id: PathId,
    payload: FactorPatch,
    send_back_to_review: SendBack = False,
) -> Any:
    row = _row_for_write(request, ContributingFactor, factor_id, "contributing factor")
    return _update(request, row, payload, FactorOut, "contributing factor", send_back_to_review)


@router.delete("/factors/{factor_id}", response={204: None, 409: StaleDelete, **LOCKABLE_ERRORS})
def delete_factor(
    request: HttpRequest, factor_id: PathId, version: Version, send_back_to_review: SendBack = False
) -> Any:
    return _delete(
        request, ContributingFactor, factor_id, version, "contributing factor", send_back_to_review
    )


@router.post(
    "/postmortems/{postmortem_id}/factors/reorder",
    response={200: paged(FactorOut), **LOCKABLE_ERRORS},
)
def reorder_factors(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: OrderIn,
    send_back_to_review: SendBack = False,
) -> Any:
    """Put the contributing factors in a new order: list every id once."""
    postmortem = postmortem_for_write(request, postmortem_id)
    with transaction.atomic():
        open_document(request, postmortem, send_back_to_review, "the order of the factors")
        reorder(postmortem, "factors", payload.order)
    return whole_page(list(postmortem.factors.all()))
