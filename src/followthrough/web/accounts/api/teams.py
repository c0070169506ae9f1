"""Teams: the ones you can see, and (organisation admins, a team's leads) setting them up.

Creating and deleting a team is for organisation admins; a team's leads change its name,
calendar, privacy and named lead. Who may is decided in ``accounts.permissions``; the rules
of the data in ``accounts.operations``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from followthrough.web.accounts import operations, permissions
from followthrough.web.accounts.models import Team
from followthrough.web.accounts.schemas import TeamOut
from followthrough.web.accounts.visibility import visible_teams
from followthrough.web.api.access import get_visible, person, user_of
from followthrough.web.api.errors import Conflict, FieldError, ProcessRefusal
from followthrough.web.api.schemas import (
    ERRORS,
    MAX_VERSION,
    WRITE_ERRORS,
    In,
    Pages,
    PathId,
    Problem,
    Refusal,
    StaleDelete,
    Versioned,
    stale,
)
from followthrough.web.api.schemas import Id as IdType
from followthrough.web.versioning import StaleVersion

router = Router(tags=["teams"])

# A refusal of the rules (e.g. a team with incidents is not deleted): 422 with the reasons.
ACCOUNT_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 422: Refusal | Problem}
# Model field -> body field, for the field errors of the operations.
BODY_NAMES = {"manager": "manager_id", "person": "person_id", "lead": "lead_id", "team": "team_id"}


@contextmanager
def refusing() -> Iterator[None]:
    """``AccountRefused`` as the API says it: a field error, or a refusal with its reasons."""
    try:
        yield
    except operations.AccountRefused as e:
        if e.field is not None:
            raise FieldError(BODY_NAMES.get(e.field, e.field), " ".join(e.reasons)) from e
        raise ProcessRefusal(" ".join(e.reasons), e.reasons) from e


def forbid(reason: str) -> None:
    if reason:
        raise HttpError(403, reason)


Timezone = Annotated[str, Field(min_length=1, max_length=64, description="e.g. Europe/Berlin")]
Country = Annotated[str, Field(max_length=3, description="ISO 3166 code, e.g. DE; empty: none")]
Subdivision = Annotated[str, Field(max_length=10, description="e.g. BE (Berlin); empty: none")]
TeamName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]


class TeamIn(In):
    name: TeamName
    timezone: Timezone = "UTC"
    holiday_country: Country = ""
    holiday_subdivision: Subdivision = ""
    is_private: bool = False
    lead_id: IdType | None = Field(
        None, description="The person who leads it (made a lead member)."
    )


class TeamPatch(Versioned):
    name: TeamName = None  # type: ignore[assignment]
    timezone: Timezone = None  # type: ignore[assignment]
    holiday_country: Country = None  # type: ignore[assignment]
    holiday_subdivision: Subdivision = None  # type: ignore[assignment]
    is_private: bool = None  # type: ignore[assignment]
    lead_id: IdType | None = None


@router.get("/teams", response={200: list[TeamOut], **ERRORS})
@paginate(Pages)
def list_teams(request: HttpRequest) -> Any:
    """Public teams, and the private teams you are a member of."""
    return visible_teams(user_of(request)).order_by("name", "pk")


@router.post("/teams", response={201: TeamOut, **ACCOUNT_ERRORS})
def create_team(request: HttpRequest, payload: TeamIn) -> Any:
    """Create a team (organisation admins). Its calendar sets its business-day deadlines."""
    forbid(permissions.admin_refusal(user_of(request), "create teams"))
    data = payload.model_dump()
    lead = person(data.pop("lead_id"), "lead_id")
    with refusing():
        team = operations.create_team(data, lead=lead)
    return Status(201, team)


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def get_team(request: HttpRequest, team_id: PathId) -> Any:
    return get_visible(request, Team.objects.all(), team_id, "team")


def current_team(request: HttpRequest, team_id: int) -> dict[str, Any]:
    team = get_visible(request, Team.objects.all(), team_id, "team")
    return TeamOut.model_validate(team).model_dump(mode="json")


@router.patch("/teams/{team_id}", response={200: TeamOut, 409: stale(TeamOut), **ACCOUNT_ERRORS})
def update_team(request: HttpRequest, team_id: PathId, payload: TeamPatch) -> Any:
    """Change a team's name, calendar, privacy or lead (its leads, organisation admins)."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    forbid(permissions.team_refusal(user_of(request), team, "change its settings"))
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    if "lead_id" in data:
        data["lead"] = person(data.pop("lead_id"), "lead_id")
    try:
        with transaction.atomic(), refusing():
            operations.update_team(team, version, data)
    except StaleVersion as e:
        raise Conflict({"detail": str(e), "current": current_team(request, team_id)}) from e
    return get_visible(request, Team.objects.all(), team_id, "team")


@router.delete("/teams/{team_id}", response={204: None, 409: StaleDelete, **ACCOUNT_ERRORS})
def delete_team(
    request: HttpRequest,
    team_id: PathId,
    version: Annotated[
        int,
        Query(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409."),
    ],
) -> Any:
    """Delete a team without incidents (organisation admins); its memberships go with it."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    forbid(permissions.admin_refusal(user_of(request), "delete teams"))
    with refusing():
        operations.delete_team(team, version)
    return Status(204, None)
