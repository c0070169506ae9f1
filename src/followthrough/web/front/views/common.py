"""What every page shares: who may see and edit a team's work, and partial-or-full responses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from followthrough.web.accounts.models import Team
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem


def can_edit(user: AbstractBaseUser | AnonymousUser, team: Team) -> bool:
    return Team.objects.editable_by(user).filter(pk=team.pk).exists()


def visible_incident(request: HttpRequest, pk: int) -> Incident:
    """The incident if its team is visible to the user; otherwise 404 (its existence stays secret)."""
    return get_object_or_404(
        Incident.objects.select_related("team", "commander", "repeat_of").filter(
            team__in=Team.objects.visible_to(request.user)
        ),
        pk=pk,
    )


def editable_incident(request: HttpRequest, pk: int) -> Incident:
    """The incident for a change: 404 when not visible, 403 when visible but read-only."""
    incident = visible_incident(request, pk)
    if not can_edit(request.user, incident.team):
        raise PermissionDenied("You can read this team's incidents but not change them.")
    return incident


def postmortem_of(incident: Incident) -> Postmortem:
    postmortem = Postmortem.objects.select_related("incident__team", "meeting").filter(
        incident=incident
    )
    found = postmortem.first()
    if found is None:
        raise Http404("This incident has no postmortem yet.")
    return found


def team_zone(team: Team) -> ZoneInfo:
    """The team's timezone; UTC if the stored name is unknown (the team form validates it)."""
    try:
        return ZoneInfo(team.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@contextmanager
def in_team_time(team: Team) -> Iterator[None]:
    """Show and read times in the team's timezone, as its deadlines are."""
    with timezone.override(team_zone(team)):
        yield


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that is not a history restore (those need the whole page)."""
    htmx: Any = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request
