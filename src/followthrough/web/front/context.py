"""Template context every page needs for its navigation."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from followthrough.web.accounts.models import Team


def navigation(request: HttpRequest) -> dict[str, bool]:
    """Whether to offer the lead-only pages (incident sources, team settings) in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_leads_a_team": False}
    if user.is_superuser:
        return {"nav_leads_a_team": True}
    return {"nav_leads_a_team": Team.objects.led_by(user).exists()}


def viewer_zone(request: HttpRequest) -> dict[str, str]:
    """The zone the page shows moments in (the viewer's, or the team's on a team's page)."""
    return {"viewer_zone_name": timezone.get_current_timezone_name()}
