"""Who may read and who may change what, for the API.

Reading follows :mod:`followthrough.web.visibility` (the one place the rule is
decided): the row's incident (or team) must be visible to the user, and a security incident
only to its team, the people named on it and admins. A row the user cannot see is answered
with 404, exactly like a row that does not exist, so existence never leaks. Writing needs
the row to be visible first (else 404), then its team to be editable by the user; a visible
team the user may not edit is answered with 403 and a sentence saying why.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from ninja.errors import HttpError

from followthrough.web import visibility
from followthrough.web.accounts.models import Person, Role, Team
from followthrough.web.api.errors import FieldError
from followthrough.web.history.context import current_request
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem

M = TypeVar("M", bound=Model)


class NotFound(HttpError):
    """A 404 with a sentence: the same answer for 'no such row' and 'not yours to see'."""

    def __init__(self, what: str, pk: object) -> None:
        super().__init__(404, f"There is no {what} with id {pk}.")


def user_of(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """The user the request authenticated as (bearer token or session)."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, AbstractBaseUser):
        return auth
    return request.user


def visible_team_ids(request: HttpRequest) -> QuerySet[Team, Any]:
    """A subquery of the ids of the teams the user may read."""
    return visibility.visible_team_ids(user_of(request))


def can_see(request: HttpRequest, team_id: int) -> bool:
    return visibility.visible_teams(user_of(request)).filter(pk=team_id).exists()


def incident_q(request: HttpRequest, path: str = "") -> Q:
    """Rows whose incident (reached through ``path``) the user may read."""
    return visibility.incident_q(user_of(request), path)


def visible_incidents(request: HttpRequest) -> QuerySet[Incident, Incident]:
    return visibility.visible_incidents(user_of(request))


def get_visible(request: HttpRequest, queryset: QuerySet[M, M], pk: int, what: str) -> M:
    """The row ``pk`` of ``queryset`` if the user may read it, else 404.

    ``queryset`` must be of teams, incidents, or a model that reaches an incident through
    ``incident`` (postmortems), ``postmortem`` (everything under a postmortem) or
    ``action_item`` (tracker links).
    """
    obj = queryset.filter(_visible_q(request, queryset.model), pk=pk).first()
    if obj is None:
        raise NotFound(what, pk)
    return obj


def _visible_q(request: HttpRequest, model: type[Model]) -> Q:
    user = user_of(request)
    if model is Team:
        return visibility.team_q(user)
    if model is Incident:
        return visibility.incident_q(user)
    if model is Postmortem:
        return visibility.incident_q(user, "incident")
    if any(f.name == "postmortem" for f in model._meta.get_fields()):
        return visibility.incident_q(user, "postmortem__incident")
    if any(f.name == "action_item" for f in model._meta.get_fields()):
        return visibility.incident_q(user, "action_item__postmortem__incident")
    raise TypeError(f"{model.__name__} does not reach an incident or a team.")


def require_editable(request: HttpRequest, team: Team) -> None:
    """403 unless the user is an editor or lead of ``team`` (or an admin)."""
    user = user_of(request)
    if Team.objects.editable_by(user).filter(pk=team.pk).exists():
        return
    role = team.role_of(user)
    if role == Role.VIEWER:
        why = f"You are a viewer on {team.name}; ask a lead of the team to make you an editor."
    else:
        why = f"You are not a member of {team.name}; only its editors and leads can change its records."
    raise HttpError(403, why)


def team_for_write(request: HttpRequest, team_id: int, field: str = "team_id") -> Team:
    """The team a new or moved row goes to: unknown or invisible is a field error, else 403."""
    team = visibility.visible_teams(user_of(request)).filter(pk=team_id).first()
    if team is None:
        raise FieldError(field, f"There is no team with id {team_id}.")
    require_editable(request, team)
    return team


def _people_seen() -> QuerySet[Person, Person]:
    """The people the requester may see: an id of anyone else is answered as unknown, so
    that naming an id (and reading the name back) reveals nobody hidden from them."""
    request = current_request()
    user = getattr(request, "user", None) if request is not None else None
    return visibility.visible_people(user) if user is not None else Person.objects.none()


def person(pk: int | None, field: str) -> Person | None:
    """The person with ``pk`` (None stays None), or a 422 on ``field``."""
    if pk is None:
        return None
    found = _people_seen().filter(pk=pk).first()
    if found is None:
        raise FieldError(field, f"There is no person with id {pk}.")
    return found


def people(pks: list[int], field: str) -> list[Person]:
    """The people with these ids, in the order given, or a 422 on ``field`` naming the unknown ones."""
    found = {p.pk: p for p in _people_seen().filter(pk__in=pks)}
    missing = [pk for pk in pks if pk not in found]
    if missing:
        raise FieldError(field, f"There is no person with id {', '.join(map(str, missing))}.")
    return list(dict.fromkeys(found[pk] for pk in pks))
