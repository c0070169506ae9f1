"""Template context every page needs for its navigation."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils import timezone

from followthrough.web.accounts.models import Team


def navigation(request: HttpRequest) -> dict[str, bool | Callable[[], bool]]:
    """Whether to offer the lead-only pages (incident sources, team settings) in the header.

    For a member, a question asked only when a template reads it (a template calls a
    callable it reads): the header is on whole pages only, and an htmx answer rendered
    from several partials (a panel, then the milestones and status out of band) would
    otherwise ask it once for each.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_leads_a_team": False}
    if user.is_superuser:
        return {"nav_leads_a_team": True}

    def leads_a_team() -> bool:
        return bool(Team.objects.led_by(user).exists())

    return {"nav_leads_a_team": leads_a_team}


def viewer_zone(request: HttpRequest) -> dict[str, str]:
    """The zone the page shows moments in (the viewer's, or the team's on a team's page)."""
    return {"viewer_zone_name": timezone.get_current_timezone_name()}
