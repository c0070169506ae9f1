"""What every page shares: who may see and edit a team's work, and partial-or-full responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from followthrough.web.accounts.models import Team
from followthrough.web.incidents.models import Incident
from followthrough.web.lib.viewer_time import chosen_zone
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.visibility import incident_q


def can_edit(user: AbstractBaseUser | AnonymousUser, team: Team) -> bool:
    """Whether ``user`` may change ``team``'s work (``Team.objects.editable_by``)."""
    if user.is_superuser:
        return True  # editable_by: admins edit every team; ``team`` was just read
    return Team.objects.editable_by(user).filter(pk=team.pk).exists()


def visible_incident(request: HttpRequest, pk: int, *also: str) -> Incident:
    """The incident if the user may see it; otherwise 404 (its existence stays secret).
    ``also``: more relations the page reads, read in the same query (``"postmortem"``: the
    postmortem row whether or not it is soft-deleted, as ``incident.postmortem`` gives it).

    The rule (team visibility, and security incidents only for their team, the people named
    on them and admins) is in :mod:`followthrough.web.visibility`.
    """
    return get_object_or_404(
        Incident.objects.select_related("team", "commander", "repeat_of", *also).filter(
            incident_q(request.user)
        ),
        pk=pk,
    )


def editable_incident(request: HttpRequest, pk: int) -> Incident:
    """The incident for a change: 404 when not visible, 403 when visible but read-only."""
    incident = visible_incident(request, pk)
    refuse_read_only(request, incident.team)
    return incident


def refuse_read_only(request: HttpRequest, team: Team) -> None:
    """403 unless the user may change ``team``'s work."""
    if not can_edit(request.user, team):
        raise PermissionDenied("You can read this team's incidents but not change them.")


def postmortem_of(incident: Incident) -> Postmortem:
    """The incident's postmortem (404 without one), with its meeting and facilitator.

    Its ``incident`` is the one given, the row the visibility rule was checked on: the page
    reads the incident's team and commander from it rather than reading them again.
    """
    found = (
        Postmortem.objects.select_related("meeting__facilitator").filter(incident=incident).first()
    )
    if found is None:
        raise Http404("This incident has no postmortem yet.")
    found.incident = incident
    return found


def _postmortem_row(request: HttpRequest, pk: int) -> Postmortem | None:
    """The postmortem of incident ``pk`` with its incident (team, commander), meeting and
    facilitator, if the user may see the incident: one query; None otherwise."""
    return (
        Postmortem.objects.select_related(
            "incident__team", "incident__commander", "meeting__facilitator"
        )
        .filter(incident_q(request.user, "incident"), incident_id=pk)
        .filter(incident__deleted_at__isnull=True)  # Incident.objects hides deleted incidents
        .first()
    )


def visible_postmortem(request: HttpRequest, pk: int) -> Postmortem:
    """The postmortem of incident ``pk`` if the user may see the incident, read with the
    incident (team, commander), meeting and facilitator in one query: what
    ``postmortem_of(visible_incident(request, pk))`` gives, one round trip fewer. When there
    is none, those two say which 404 it is (the incident's, or its postmortem's).

    Not the incident's ``repeat_of`` (no postmortem page shows it): on PostgreSQL each join
    costs planning time, and with it the one query cost more than the two (0.97 against
    0.79 ms on the demo data, 0.68 ms without it)."""
    found = _postmortem_row(request, pk)
    if found is None:
        return postmortem_of(visible_incident(request, pk))
    return found


def editable_postmortem(request: HttpRequest, pk: int) -> Postmortem:
    """What ``postmortem_of(editable_incident(request, pk))`` gives: 404 when not visible,
    403 when read-only (also when the incident has no postmortem), then 404 without one."""
    found = _postmortem_row(request, pk)
    if found is None:
        return postmortem_of(editable_incident(request, pk))
    refuse_read_only(request, found.incident.team)
    return found


def team_zone(team: Team) -> ZoneInfo:
    """The team's timezone; UTC if the stored name is unknown (the team form validates it)."""
    try:
        return ZoneInfo(team.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def reading_zone(team: Team) -> ZoneInfo:
    """The zone a page about ``team``'s work shows and reads moments in: the viewer's chosen
    zone, else the team's."""
    return chosen_zone() or team_zone(team)


@contextmanager
def in_team_time(team: Team) -> Iterator[None]:
    """Show and read times in the viewer's chosen timezone, else in the team's (as its
    deadlines are)."""
    with timezone.override(reading_zone(team)):
        yield


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that is not a history restore (those need the whole page)."""
    htmx: Any = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def refusal_to_form(form: Any, refused: Any) -> None:
    """A refusal of the rules (its ``reasons``, on its ``field`` when the form has it) shown
    on the form, as its own validation errors would be."""
    field = refused.field if refused.field in form.fields else None
    for reason in refused.reasons:
        form.add_error(field, reason)


View = Callable[..., HttpResponse]


def login_required(view: View) -> View:
    """Django's login_required; for an htmx request, send the whole page to the login form.

    A plain redirect would swap the login page into whatever panel made the request.
    """
    guarded = django_login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            htmx: Any = request.htmx  # type: ignore[attr-defined]
            back = htmx.current_url_abs_path or request.get_full_path()
            login = resolve_url(settings.LOGIN_URL)
            return HttpResponseClientRedirect(f"{login}?{urlencode({'next': back})}")
        return guarded(request, *args, **kwargs)

    return wrapper
