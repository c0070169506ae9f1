"""Binding a Slack workspace to a Slack source: an admin's act, and the only one that sets a
Slack source's signing secret.

Whoever holds the signing secret a workspace's commands are checked with can sign a command
as any member of that workspace. So the workspace id and that secret are set together, by an
admin, who states by doing so that the secret is the one of the Slack app installed in that
workspace. A team lead may create a Slack source (name, team, on/off) but not bind it, and
cannot change the secret of a bound one. A workspace is bound to at most one source.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from followthrough.web.ingest.models import IngestSource, Kind, SlackWorkspace

TEAM_ID = re.compile(r"^T[A-Z0-9]{2,30}$")
MIN_SECRET = 8


class BindingRefused(Exception):
    """The binding was refused; ``status`` is the HTTP answer (403, 409, 422), the message why."""

    def __init__(self, status: int, reason: str, field: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def may_bind(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


ADMINS_ONLY = (
    "Only an admin binds a Slack workspace and sets its signing secret: whoever holds that "
    "secret can speak as anyone in the workspace."
)


def bind(
    source: IngestSource,
    team_id: str,
    signing_secret: str,
    by: AbstractBaseUser | AnonymousUser,
    name: str = "",
) -> SlackWorkspace:
    """Bind ``team_id`` to ``source`` with the app's ``signing_secret``. Rebinding the source to
    another workspace forgets the links of the one before."""
    if not may_bind(by):
        raise BindingRefused(403, ADMINS_ONLY)
    if source.kind != Kind.SLACK:
        raise BindingRefused(422, "Only a Slack source is bound to a Slack workspace.")
    team_id = team_id.strip().upper()
    if not TEAM_ID.match(team_id):
        raise BindingRefused(
            422,
            "A workspace id is T followed by letters and digits, e.g. T0123ABCD "
            "(in the address of app.slack.com/client/T…).",
            "team_id",
        )
    signing_secret = signing_secret.strip()
    if len(signing_secret) < MIN_SECRET:
        raise BindingRefused(
            422,
            "Paste the app's Signing Secret (Basic Information → App Credentials).",
            "signing_secret",
        )
    taken = SlackWorkspace.objects.filter(team_id=team_id).exclude(source=source).first()
    if taken is not None:
        raise BindingRefused(
            409,
            f"Workspace {team_id} is bound to the source “{taken.source.name}” already; unbind "
            "it there first.",
            "team_id",
        )
    try:
        with transaction.atomic():
            SlackWorkspace.objects.filter(source=source).exclude(team_id=team_id).delete()
            workspace, _ = SlackWorkspace.objects.update_or_create(
                source=source,
                defaults={
                    "team_id": team_id,
                    "name": name.strip()[:100],
                    "bound_by": by,
                    "bound_at": timezone.now(),
                },
            )
            source.secret = signing_secret
            source.save(update_fields=["secret", "updated_at"])
    except IntegrityError as e:
        raise BindingRefused(409, f"Workspace {team_id} was bound elsewhere just now.") from e
    return workspace


def unbind(source: IngestSource, by: AbstractBaseUser | AnonymousUser) -> None:
    """Forget the source's workspace (and who is who in it) and its signing secret."""
    if not may_bind(by):
        raise BindingRefused(403, ADMINS_ONLY)
    with transaction.atomic():
        SlackWorkspace.objects.filter(source=source).delete()
        source.secret = ""
        source.save(update_fields=["secret", "updated_at"])
