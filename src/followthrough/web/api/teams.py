"""Teams the user can see, and the people on them (for owner and facilitator pickers)."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from followthrough.web.accounts.models import Team
from followthrough.web.accounts.visibility import visible_people, visible_teams
from followthrough.web.api.access import get_visible, user_of
from followthrough.web.api.schemas import (
    ERRORS,
    Pages,
    PathId,
    PeopleSearch,
    PersonOut,
    TeamFilter,
    TeamOut,
    search_words,
)

router = Router(tags=["teams"])


@router.get("/teams", response={200: list[TeamOut], **ERRORS})
@paginate(Pages)
def list_teams(request: HttpRequest) -> Any:
    """Public teams, and the private teams you are a member of."""
    return visible_teams(user_of(request)).order_by("name", "pk")


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS})
def get_team(request: HttpRequest, team_id: PathId) -> Any:
    return get_visible(request, Team.objects.all(), team_id, "team")


@router.get("/people", response={200: list[PersonOut], **ERRORS})
@paginate(Pages)
def list_people(
    request: HttpRequest,
    team: TeamFilter = None,
    q: PeopleSearch = None,
) -> Any:
    """The people you may see: on the teams you can see, on no team, named on an incident
    you can see, and yourself (``?team=``: that team's members)."""
    people = visible_people(user_of(request))
    if team is not None:
        get_visible(request, Team.objects.all(), team, "team")
        people = people.filter(memberships__team_id=team)
    if term := search_words(q):
        people = people.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(handle__icontains=term)
        )
    return people.distinct().order_by("name", "pk")
