"""Invitation e-mails, through the same outbox as every other message (``notifications``).

``invite_and_send`` is what pages and the API call: the invitation itself is made by
``accounts.operations.invite``; this queues the e-mail with the link. The link names
``BASE_URL`` (never the Host header of the request that made it). The worker sends it on
its next pass. An organisation admin who invites also sees the link, once (``shown_link``),
to pass on another way; a lead does not. The link goes by e-mail only: never to Slack, where a channel's
members could use it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from followthrough.web.accounts.models import INVITATION_DAYS, Organisation, Role, Team
from followthrough.web.accounts.operations import Invited, invite
from followthrough.web.followup.notifications import Message, absolute, notify

KIND = "invitation"


def invitation_path(secret: str) -> str:
    return f"/invite/{secret}/"


def invitation_url(secret: str) -> str:
    return absolute(invitation_path(secret))


def shown_link(user: AbstractBaseUser | AnonymousUser | None, secret: str | None) -> str | None:
    """The link as the inviter may see it: organisation admins only (who could make the
    login themselves anyway). Shown to a lead, it would let them set the password of a
    person who is on other teams, and sign in as them."""
    if secret is None or user is None or not (user.is_authenticated and user.is_superuser):
        return None
    return invitation_url(secret)


def shown_result(
    user: AbstractBaseUser | AnonymousUser | None, invited: Invited, queued: bool
) -> dict[str, object]:
    """What the inviter's page says of an invitation: who, whether a link went out, whether
    the e-mail was queued, and the link itself for admins only (``shown_link``)."""
    return {
        "person": invited.person,
        "has_link": invited.secret is not None,
        "link": shown_link(user, invited.secret),
        "queued": queued,
    }


def _inviter(user: AbstractBaseUser | AnonymousUser | None) -> str:
    if user is None or not user.is_authenticated:
        return "An admin"
    person = getattr(user, "person", None)
    return person.name if person is not None else user.get_username()


def invite_and_send(
    email: str,
    name: str,
    team: Team | None,
    role: str,
    invited_by: AbstractBaseUser | AnonymousUser | None,
) -> tuple[Invited, bool]:
    """Invite someone and queue the e-mail; (what was done, whether an e-mail was queued)."""
    invited = invite(email, name, team, role, invited_by)
    organisation = Organisation.current().name
    who = _inviter(invited_by)
    onto = f" to {team.name}" if team is not None else ""
    as_role = f" as {Role(role).label.lower()}" if role and team is not None else ""
    if invited.secret is None or invited.invitation is None:
        if team is None or invited.membership is None:
            return invited, False
        message = Message(
            subject=f"You are on {team.name} in followthrough",
            intro=f"{who} added you{onto}{as_role} in {organisation}'s followthrough.",
            path="/",
        )
        key = f"member:{invited.membership.pk}:{invited.membership.version}"
    else:
        message = Message(
            subject=f"{who} invited you to followthrough{onto}",
            intro=(
                f"{who} invited you{onto}{as_role} in {organisation}'s followthrough, where "
                "the team runs its postmortems and follows their action items to done. "
                f"Open the link to choose your password; it works once, for "
                f"{INVITATION_DAYS} days."
            ),
            path=invitation_url(invited.secret),
        )
        key = str(invited.invitation.pk)
    # A link that sets a password goes to the person's own address only, never to a team's
    # Slack channel: notify offers Slack only with a team, so none is given for it.
    channel_team = team if invited.secret is None else None
    queued = notify(invited.person, channel_team, KIND, key, message) > 0
    return invited, queued
