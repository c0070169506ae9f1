"""The team rule of visibility: which teams a user may read, and whose lead-only
settings. The whole rule (incidents, people) and its reasons are in
:mod:`followthrough.web.visibility`, which sits above the models it queries; read
every rule from there. Only the accounts app and that module import this one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Q, QuerySet

from followthrough.web.accounts.models import Membership, Person, Role, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User: TypeAlias = AbstractBaseUser | AnonymousUser


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def member_team_ids(user: User) -> QuerySet[Membership, Any]:
    """A subquery of the ids of the teams the user is a member of (any role)."""
    return Membership.objects.filter(person__user_id=user.pk).values("team_id")


def _my_person_ids(user: User) -> QuerySet[Person, Any]:
    """A subquery of the person linked to the user (at most one: ``Person.user`` is 1:1)."""
    return Person.objects.filter(user_id=user.pk).values("pk")


def team_q(user: User, path: str = "") -> Q:
    """The condition 'the team at ``path`` is visible to ``user``' (``path`` ends at a team)."""
    p = _prefix(path)
    if not user.is_authenticated:
        return Q(**{f"{p}pk__in": []})
    if user.is_superuser:
        return Q()
    return Q(**{f"{p}is_private": False}) | Q(**{f"{p}pk__in": member_team_ids(user)})


def visible_teams(user: User) -> QuerySet[Team, Team]:
    """Public teams, and private teams the user is a member of. Admins see every team."""
    return Team.objects.filter(team_q(user))


def visible_team_ids(user: User) -> QuerySet[Team, Any]:
    """A subquery of the ids of :func:`visible_teams`."""
    return visible_teams(user).values("pk")


def led_team_ids(user: User) -> QuerySet[Team, Any]:
    """A subquery of the teams whose lead-only settings ``user`` may read: those they lead
    (a lead membership, or named as the team's lead); every team for a superuser."""
    if not user.is_authenticated:
        return Team.objects.none().values("pk")
    if user.is_superuser:
        return Team.objects.values("pk")
    role = Membership.objects.filter(person__user_id=user.pk, role=Role.LEAD).values("team_id")
    return Team.objects.filter(Q(pk__in=role) | Q(lead__user_id=user.pk)).values("pk")
