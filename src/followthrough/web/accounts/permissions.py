"""Who may set up the organisation: decided here and nowhere else (pages and API ask).

- **Organisation admins** (Django superusers) do everything: create and delete teams,
  create, change and delete people, set manager links, and everything a lead does.
- **A team's lead** (a lead member, or the person named the team's lead) changes the team's
  settings (name, calendar, privacy, its named lead), its memberships (add, change the
  role, remove), and invites people onto it. Not other teams, not people's records or
  manager links, not creating or deleting teams.
- Everyone else reads what they may see (``accounts.visibility``).

Each refusal says why, in a sentence (the API answers it with 403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from followthrough.web.accounts.models import Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def admin_refusal(user: User, what: str) -> str:
    """Why ``user`` may not ``what`` (e.g. "create teams"), or "" when they may."""
    if is_admin(user):
        return ""
    return f"Only an organisation admin can {what}."


def team_refusal(user: User, team: Team, what: str) -> str:
    """Why ``user`` may not ``what`` on ``team`` (e.g. "change its members"), or ""."""
    if team.is_led_by(user):
        return ""
    return f"Only a lead of {team.name} or an organisation admin can {what}."


def led_teams(user: User) -> list[Team]:
    """The teams whose members and settings ``user`` manages."""
    return list(Team.objects.led_by(user).order_by("name"))
