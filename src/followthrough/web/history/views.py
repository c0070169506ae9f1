"""History pages: the organisation-wide list with filters, and one object's history.

Every page shows only what the reader may see (``history.queries.visible_changes``); an
object the reader may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from followthrough.web import visibility
from followthrough.web.actions.models import ActionItem
from followthrough.web.front.common import login_required
from followthrough.web.history.models import Change
from followthrough.web.history.queries import (
    PAGE_SIZE,
    FilterError,
    Filters,
    incident_changes,
    kinds,
    postmortem_changes,
    present,
    team_settings_changes,
    visible_changes,
)
from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.lib import dates


def _date(request: HttpRequest, name: str, errors: dict[str, str]) -> date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return dates.parse_day(raw)
    except ValueError as e:
        errors[name] = str(e)
        return None


def _page(request: HttpRequest, changes: Any, extra: dict[str, Any]) -> dict[str, Any]:
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and v}
    return {
        "page": page,
        "entries": present(list(page.object_list), request.user),
        "query": urlencode(kept),
        **extra,
    }


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Every change the reader may see, newest first, filtered and paginated."""
    errors: dict[str, str] = {}
    filters = Filters(
        team=request.GET.get("team", "").strip(),
        type=request.GET.get("type", "").strip(),
        actor=request.GET.get("actor", "").strip(),
        action=request.GET.get("action", "").strip(),
        since=_date(request, "since", errors),
        until=_date(request, "until", errors),
        q=request.GET.get("q", "")[:200],
    )
    changes = visible_changes(request.user)
    if not errors:
        try:
            changes = filters.apply(changes, request.user)
        except FilterError as e:
            errors[e.name] = str(e)
    if errors:
        changes = changes.none()
    context = _page(
        request,
        changes,
        {
            "title": "History",
            "filters": filters,
            "errors": errors,
            "teams": visibility.visible_teams(request.user).order_by("name"),
            "kinds": [(slug, slug.replace("-", " ")) for slug in sorted(kinds())],
            "actions": Change.Action.choices,
            "mixed": True,
        },
    )
    return render(request, "history/history.html", context, status=400 if errors else 200)


def _incident(request: HttpRequest, pk: int) -> Incident:
    incident = visibility.visible_incidents(request.user).select_related("team").filter(pk=pk)
    found = incident.first()
    if found is None:
        raise Http404("There is no such incident.")
    return found


@login_required
def incident_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident's changes and everything under it: postmortem, sections, items."""
    incident = _incident(request, pk)
    context = _page(
        request,
        incident_changes(incident.pk),
        {
            "title": f"History of {incident.key}",
            "back": (reverse("incident-detail", args=[incident.pk]), incident.key),
            "mixed": True,
        },
    )
    return render(request, "history/object_history.html", context)


@login_required
def postmortem_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem's own changes and those of its whys, timeline, factors, meeting, items."""
    incident = _incident(request, pk)
    context = _page(
        request,
        postmortem_changes(incident.pk),
        {
            "title": f"History of the postmortem of {incident.key}",
            "back": (reverse("postmortem", args=[incident.pk]), "Postmortem"),
            "mixed": True,
        },
    )
    return render(request, "history/object_history.html", context)


@login_required
def action_item_history(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        ActionItem.objects.filter(visibility.incident_q(request.user, "postmortem__incident")),
        pk=pk,
    )
    context = _page(
        request,
        history_of(item),
        {
            "title": f"History of “{item.title}”",
            "back": (reverse("action-item", args=[item.pk]), "Action item"),
            "mixed": False,
        },
    )
    return render(request, "history/object_history.html", context)


@login_required
def team_history(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's settings: the team, its members, follow-up and tracker settings, sources."""
    team = get_object_or_404(visibility.visible_teams(request.user), slug=slug)
    context = _page(
        request,
        team_settings_changes(team.pk, request.user),
        {
            "title": f"History of {team.name}'s settings",
            "back": (reverse("team-list"), "Teams"),
            "mixed": True,
        },
    )
    return render(request, "history/object_history.html", context)
