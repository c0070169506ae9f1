"""Team roles and the admin flag from the identity provider's groups, at every sign-in.

``FOLLOWTHROUGH_OIDC_TEAM_GROUPS`` maps group names to (team slug, role) pairs and
``FOLLOWTHROUGH_OIDC_ADMIN_GROUP`` names the group whose members are organisation admins
(docs/sign-in.md, "Roles from groups"). At each sign-in, for every team the mapping names:

- someone in a group mapped to the team gets the highest role their groups give there
  (viewer < editor < lead), added or changed;
- someone in none of them is taken off the team.

Teams the mapping does not name are left alone (a lead manages them by hand). With an admin
group configured, admin rights follow it both ways; without one they are never touched.
Every change is recorded in the history by "single sign-on", with the groups it came from.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from followthrough.web.accounts.models import Membership, Person, Role, Team
from followthrough.web.history.context import acting_as

logger = logging.getLogger(__name__)

SSO_ACTOR = "single sign-on"
RANK = {role: rank for rank, role in enumerate(Role.values)}  # viewer < editor < lead


def mapping() -> dict[str, list[tuple[str, str]]]:
    return dict(getattr(settings, "OIDC_TEAM_GROUPS", {}) or {})


def admin_group() -> str:
    return str(getattr(settings, "OIDC_ADMIN_GROUP", "") or "")


def groups_in(claims: dict[str, Any]) -> list[str]:
    """The group names the provider sent (a list of strings, or one string)."""
    claim = str(getattr(settings, "OIDC_GROUPS_CLAIM", "groups") or "groups")
    value = claims.get(claim)
    if value is None:
        logger.warning(
            "Single sign-on: the ID token and userinfo of %s carry no %r claim; "
            "treated as no groups",
            claims.get("sub"),
            claim,
        )
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        logger.warning("Single sign-on: the %r claim is not a list; treated as no groups", claim)
        return []
    return [str(g).replace("\x00", "") for g in value if isinstance(g, str | int)]


def wanted_roles(groups: list[str]) -> dict[str, str]:
    """Team slug -> the highest role the groups give there."""
    wanted: dict[str, str] = {}
    for group in groups:
        for slug, role in mapping().get(group, []):
            if role in RANK and (slug not in wanted or RANK[role] > RANK[wanted[slug]]):
                wanted[slug] = role
    return wanted


def apply(user: AbstractBaseUser, person: Person, claims: dict[str, Any]) -> None:
    """Bring the user's mapped team roles and admin flag in line with their groups."""
    teams_mapped = {slug for targets in mapping().values() for slug, _ in targets}
    if not teams_mapped and not admin_group():
        return
    groups = groups_in(claims)
    note = f"from the provider's groups: {', '.join(sorted(groups)) or 'none'}"
    with acting_as(SSO_ACTOR, note=note[:500]):
        if teams_mapped:
            _apply_teams(person, teams_mapped, wanted_roles(groups))
        if admin_group():
            _apply_admin(user, admin_group() in groups)


def _apply_teams(person: Person, teams_mapped: set[str], wanted: dict[str, str]) -> None:
    teams = {t.slug: t for t in Team.objects.filter(slug__in=teams_mapped)}
    for slug in sorted(teams_mapped - set(teams)):
        logger.warning(
            "Single sign-on: FOLLOWTHROUGH_OIDC_TEAM_GROUPS names the team %r, which does "
            "not exist; skipped",
            slug,
        )
    current = {
        m.team_id: m for m in Membership.objects.filter(person=person, team__in=teams.values())
    }
    for slug, team in sorted(teams.items()):
        membership = current.get(team.pk)
        role = wanted.get(slug)
        if role is None:
            if membership is not None:
                membership.delete()
        elif membership is None:
            try:
                with transaction.atomic():  # a sign-in in another tab may have added it
                    Membership.objects.create(team=team, person=person, role=role)
            except IntegrityError:
                _set_role(Membership.objects.get(team=team, person=person), role)
        else:
            _set_role(membership, role)


def _set_role(membership: Membership, role: str) -> None:
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])


def _apply_admin(user: AbstractBaseUser, admin: bool) -> None:
    if (
        bool(getattr(user, "is_superuser", False)) == admin
        and bool(getattr(user, "is_staff", False)) == admin
    ):
        return
    user.is_superuser = admin  # type: ignore[attr-defined]
    user.is_staff = admin  # type: ignore[attr-defined]
    user.save(update_fields=["is_superuser", "is_staff"])
    logger.warning(
        "Single sign-on %s admin rights %s %s (group %r)",
        "gave" if admin else "took away",
        "to" if admin else "from",
        user.get_username(),
        admin_group(),
    )
