"""Incidents: record them, find them, and see whether each calls for a postmortem."""

import re
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from followthrough.web import recovery
from followthrough.web.api.access import (
    NotFound,
    get_visible,
    incident_q,
    people,
    person,
    require_editable,
    team_for_write,
    user_of,
)
from followthrough.web.api.errors import Conflict, FieldError
from followthrough.web.api.schemas import (
    ERRORS,
    MAX_ID,
    MAX_VERSION,
    WRITE_ERRORS,
    AlreadyExists,
    Decision,
    IncidentSearch,
    Pages,
    PathId,
    PostmortemStatus,
    Severity,
    StaleDelete,
    TeamFilter,
    answered,
    json_answer,
    search_words,
    stale,
)
from followthrough.web.incidents.models import Incident, Source
from followthrough.web.incidents.schemas import (
    IncidentAnswers,
    IncidentFilters,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
)
from followthrough.web.versioning import StaleVersion, save_versioned

router = Router(tags=["incidents"])

_KEY = re.compile(r"^\s*(?:INC-)?(\d+)\s*$", re.IGNORECASE)


@router.get("/incidents", response={200: list[IncidentOut], **ERRORS})
@answered
@paginate(Pages)
def list_incidents(
    request: HttpRequest,
    team: TeamFilter = None,
    severity: Annotated[Severity | None, Query()] = None,
    decision: Annotated[
        Decision | None, Query(description="What the postmortem policy says.")
    ] = None,
    status: Annotated[
        PostmortemStatus | Literal["none"] | None,
        Query(description="The postmortem's status, or `none` for incidents without one."),
    ] = None,
    overdue: Annotated[
        bool | None,
        Query(description="true: a milestone or action item of its postmortem is overdue."),
    ] = None,
    q: IncidentSearch = None,
) -> Any:
    """Incidents of the teams you can see, newest first."""
    term = search_words(q)
    key = _KEY.match(term) if term else None
    # an id beyond 64 bits names nothing (the ORM leaves such a comparison out, too)
    named = int(key.group(1)) if key else None
    return IncidentAnswers(
        request,
        IncidentFilters(
            team=team,
            severity=None if severity is None else str(severity),
            decision=None if decision is None else str(decision),
            status=None if status is None else str(status),
            overdue=overdue,
            term=term,
            key=named if named is not None and named <= MAX_ID else None,
        ),
    )


@router.post("/incidents", response={201: IncidentOut, 409: AlreadyExists, **WRITE_ERRORS})
def create_incident(request: HttpRequest, payload: IncidentIn) -> Any:
    """Record an incident. The answer says whether a postmortem is required, and why."""
    data = payload.model_dump()
    team = team_for_write(request, data.pop("team_id"))
    responders = people(data.pop("responder_ids"), "responder_ids")
    commander = person(data.pop("commander_id"), "commander_id")
    repeat_of = _repeat_of(request, data.pop("repeat_of_id"))
    if data["external_id"]:
        existing = Incident.objects.filter(
            source=Source.API, external_id=data["external_id"]
        ).first()
        if existing is not None:
            raise Conflict(
                {
                    "detail": f"An incident with external id “{data['external_id']}” exists already: "
                    f"{existing.key}.",
                    "id": existing.pk,
                }
            )
    with transaction.atomic():
        incident = Incident(
            team=team,
            commander=commander,
            repeat_of=repeat_of,
            source=Source.API,
            created_by=user_of(request),
            **data,
        )
        incident.full_clean()
        incident.save()
        incident.responders.set(responders)
    return json_answer(request, _answer(request, incident.pk), status=201)


@router.get("/incidents/{incident_id}", response={200: IncidentOut, **ERRORS})
def get_incident(request: HttpRequest, incident_id: PathId) -> Any:
    return json_answer(request, _answer(request, incident_id))


@router.patch(
    "/incidents/{incident_id}",
    response={200: IncidentOut, 409: stale(IncidentOut), **WRITE_ERRORS},
)
def update_incident(request: HttpRequest, incident_id: PathId, payload: IncidentPatch) -> Any:
    """Change an incident. Send the ``version`` you read; a stale one gets 409."""
    incident = get_visible(
        request, Incident.objects.select_related("team"), incident_id, "incident"
    )
    require_editable(request, incident.team)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    fields: dict[str, Any] = {}
    if "team_id" in data:
        fields["team"] = team_for_write(request, data.pop("team_id"))
    if "commander_id" in data:
        fields["commander"] = person(data.pop("commander_id"), "commander_id")
    if "repeat_of_id" in data:
        fields["repeat_of"] = _repeat_of(request, data.pop("repeat_of_id"))
    responders = (
        people(data.pop("responder_ids"), "responder_ids") if "responder_ids" in data else None
    )
    fields.update(data)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(incident, name, value)
        incident.full_clean()
        try:
            save_versioned(incident, version, fields)
        except StaleVersion as e:
            current = _answer(request, incident_id, microseconds=True)
            raise Conflict({"detail": str(e), "current": current}) from e
        if responders is not None:
            incident.responders.set(responders)
    return json_answer(request, _answer(request, incident_id))


@router.delete("/incidents/{incident_id}", response={204: None, 409: StaleDelete, **WRITE_ERRORS})
def delete_incident(
    request: HttpRequest,
    incident_id: PathId,
    version: Annotated[
        int,
        Query(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409."),
    ],
) -> Any:
    """Delete an incident, with its postmortem and action items. An admin can restore them
    from the trash. Send the ``version`` you read; a stale one gets 409."""
    incident = get_visible(
        request, Incident.objects.select_related("team"), incident_id, "incident"
    )
    require_editable(request, incident.team)
    try:
        recovery.delete(incident, user_of(request), expected_version=version)
    except recovery.AlreadyDeleted as e:
        raise NotFound("incident", incident_id) from e
    return Status(204, None)


def _repeat_of(request: HttpRequest, pk: int | None) -> Incident | None:
    if pk is None:
        return None
    found = Incident.objects.filter(incident_q(request), pk=pk).first()
    if found is None:
        raise FieldError("repeat_of_id", f"There is no incident with id {pk}.")
    return found


def _answer(request: HttpRequest, incident_id: int, *, microseconds: bool = False) -> Any:
    """The incident as its GET answers it to this reader, or 404 if they may not read it.

    A write reads its answer in the request's own transaction (``ATOMIC_REQUESTS``), after
    its savepoint: the answer is the row it wrote (on PostgreSQL the write's row lock keeps
    any other writer out until the commit), and a 404 here rolls the write back."""
    answer = IncidentAnswers(
        request, IncidentFilters(pk=incident_id), microseconds=microseconds
    ).one()
    if answer is None:
        raise NotFound("incident", incident_id)
    return answer
