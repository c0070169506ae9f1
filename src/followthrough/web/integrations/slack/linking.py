"""Who a Slack member is here: the one link of (workspace, member id) to a person.

A member links themselves: ``/postmortem link`` answers with a one-time link (15 minutes,
``SlackLinkRequest``); opening it signed in and confirming links the member to the signed-in
person, replacing any earlier link of that member or of that person in the workspace. An
admin may link or unlink anyone on the Slack source's page. Nothing else makes a link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from followthrough.web.accounts.models import Person
from followthrough.web.ingest.models import SlackIdentity, SlackLinkRequest, SlackWorkspace

logger = logging.getLogger("followthrough.ingest")


def person_for(workspace: SlackWorkspace, slack_user_id: str) -> Person | None:
    """The person linked to this member in this workspace, or None."""
    found = (
        SlackIdentity.objects.select_related("person__user")
        .filter(workspace=workspace, slack_user_id=slack_user_id)
        .first()
    )
    return found.person if found is not None else None


def link_url(workspace: SlackWorkspace, slack_user_id: str) -> str:
    token = SlackLinkRequest.issue(workspace, slack_user_id)
    path = reverse("slack-link", args=[token])
    return f"{str(settings.BASE_URL).rstrip('/')}{path}"


class LinkRefused(Exception):
    """The link cannot be used (expired, used, or the person is missing); says why."""


def link(
    workspace: SlackWorkspace, slack_user_id: str, person: Person, by: AbstractBaseUser | None
) -> SlackIdentity:
    """Link the member to ``person`` in ``workspace``, replacing earlier links of either."""
    with transaction.atomic():
        SlackIdentity.objects.filter(workspace=workspace, person=person).exclude(
            slack_user_id=slack_user_id
        ).delete()
        identity, _ = SlackIdentity.objects.update_or_create(
            workspace=workspace,
            slack_user_id=slack_user_id,
            defaults={"person": person, "linked_at": timezone.now(), "linked_by": by},
        )
    # Who may act as whom is worth a line in the log (never a secret or a token).
    logger.warning(
        "slack: member %s of workspace %s linked to person %s by user %s",
        slack_user_id,
        workspace.team_id,
        person.pk,
        getattr(by, "pk", None),
    )
    return identity


def unlink(identity: SlackIdentity, by: AbstractBaseUser | None) -> None:
    logger.warning(
        "slack: member %s of workspace %s unlinked from person %s by user %s",
        identity.slack_user_id,
        identity.workspace.team_id,
        identity.person_id,
        getattr(by, "pk", None),
    )
    identity.delete()


def confirm(token: str, user: AbstractBaseUser) -> SlackIdentity:
    """Use a one-time link as ``user``: exactly once, before it expires."""
    person = Person.objects.filter(user=user).first()
    if person is None:
        raise LinkRefused("Your login has no person here yet; ask an admin to add you.")
    request = SlackLinkRequest.usable(token)
    if request is None:
        raise LinkRefused(
            "This link has expired or was used already. Type /postmortem link in Slack again."
        )
    now = timezone.now()
    # Claim it: of two confirmations at once, one counts.
    taken = SlackLinkRequest.objects.filter(pk=request.pk, used_at__isnull=True).update(used_at=now)
    if taken != 1:
        raise LinkRefused("This link was used already. Type /postmortem link in Slack again.")
    return link(request.workspace, request.slack_user_id, person, user)
