"""Moments in the viewer's timezone: one zone per request, and one way to show a moment.

Each signed-in person may choose a timezone (``Person.timezone``); without a choice, the
timezone of their first team is theirs, and without a team the server's (UTC). The
middleware activates that zone for the whole request, so every page shows moments in it and
every ``datetime-local`` input is read in it (then stored in UTC). Pages about one team's
work (``in_team_time``) use the team's zone unless the person chose one.

Templates show a moment with the ``moment`` filter (a builtin, no ``{% load %}``), which
always says the zone: ``2026-03-04 14:05 CET``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format

from followthrough.web.lib.page_middleware import is_token_call

# The zone the viewer chose, for this request; None when they chose none.
_chosen: ContextVar[ZoneInfo | None] = ContextVar("viewer_chosen_zone", default=None)


def zone_named(name: str) -> ZoneInfo | None:
    """The zone of an IANA name, or None when the name is empty or unknown."""
    if not name or name not in valid_zone_names():
        return None
    return ZoneInfo(name)


_ZONES: list[frozenset[str]] = []


def valid_zone_names() -> frozenset[str]:
    if not _ZONES:
        _ZONES.append(frozenset(available_timezones()))
    return _ZONES[0]


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone name, sorted, for a select."""
    return [(name, name.replace("_", " ")) for name in sorted(valid_zone_names())]


def viewer_zone_of(user: object) -> tuple[ZoneInfo, bool]:
    """The viewer's zone and whether they chose it (else their first team's, else UTC)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ZoneInfo(settings.TIME_ZONE), False
    from followthrough.web.accounts.models import Person

    row = (
        Person.objects.filter(user=user)
        .order_by("memberships__pk")
        .values_list("timezone", "memberships__team__timezone")
        .first()
    )
    if row is not None:
        chosen, team = row
        zone = zone_named(chosen or "")
        if zone is not None:
            return zone, True
        zone = zone_named(team or "")
        if zone is not None:
            return zone, False
    return ZoneInfo(settings.TIME_ZONE), False


def chosen_zone() -> ZoneInfo | None:
    """The zone the viewer of this request chose, if any."""
    return _chosen.get()


class ViewerTimezoneMiddleware:
    """Activates the viewer's zone for the request (after authentication).

    Only for the views a person looks at: an endpoint that machines call (a webhook, the
    Slack command, the API: every view exempt from CSRF) never reads the session, so its
    answer neither sets a cookie nor varies on one, and it keeps the server's zone (UTC).
    A script's API call (``page_middleware.is_token_call``) passes without even that.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_call(request):
            return self.get_response(request)  # its view is exempt: nothing is activated
        token = _chosen.set(None)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            _chosen.reset(token)

    def process_view(
        self, request: HttpRequest, view: Callable[..., object], *args: object
    ) -> None:
        if getattr(view, "csrf_exempt", False):
            return
        try:
            zone, chosen = viewer_zone_of(getattr(request, "user", None))
        except DatabaseError:
            # The database is away: the view meets the same error where it is answered with
            # a 503 (``security.DatabaseOutageMiddleware``); this look-up must not pre-empt it.
            return
        _chosen.set(zone if chosen else None)
        timezone.activate(zone)


FORMATS = {
    "": "Y-m-d H:i T",
    "long": "D j M Y, H:i T",
    "short": "D j M, H:i T",
    "day": "D j M Y",  # the day of a moment, in the viewer's zone (no time shown)
    "iso-day": "Y-m-d",
}


def moment(value: object, style: str = "") -> str:
    """A moment in the active zone with the zone's abbreviation (``2026-03-04 14:05 CET``);
    a date as a date; nothing for None or ''. ``style``: long, short, day, iso-day."""
    if value is None or value == "":
        return ""
    fmt = FORMATS.get(style, FORMATS[""])
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, ZoneInfo("UTC"))
        return date_format(timezone.localtime(value), fmt)
    if isinstance(value, date):
        return date_format(value, "Y-m-d" if style in ("", "iso-day") else "D j M Y")
    return str(value)
