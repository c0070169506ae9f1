"""Who may configure where incidents come from: admins, and leads of the source's team.

Routing rules may send incidents only to teams the person can edit, so a lead of one team
cannot make a pager write into another team's incidents.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from followthrough.web.accounts.models import Team
from followthrough.web.ingest.models import IngestSource


def manageable_teams(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Team]:
    """Teams whose sources the user may create and change."""
    return Team.objects.led_by(user)  # the one definition of a team's lead


def manageable_sources(user: AbstractBaseUser | AnonymousUser) -> QuerySet[IngestSource]:
    return IngestSource.objects.filter(team__in=manageable_teams(user)).select_related("team")


def unroutable_teams(user: AbstractBaseUser | AnonymousUser, team_ids: set[int]) -> list[str]:
    """Names (or ids) of the teams among ``team_ids`` the user may not route incidents to."""
    editable = set(Team.objects.editable_by(user).values_list("pk", flat=True))
    missing = sorted(team_ids - editable)
    names = dict(Team.objects.filter(pk__in=missing).values_list("pk", "name"))
    return [names.get(pk, str(pk)) for pk in missing]
