"""Ending an account's access at once: deactivate it, revoke its tokens, end its sessions.

Used by the SCIM endpoint (the identity provider deactivates or deletes someone) and by
``followthrough deprovision USER``. The account itself stays (its name stays on what its
person did); it can no longer sign in, by password or single sign-on, and:

- every live API token (SCIM tokens too) is revoked, and stays revoked if the account is
  enabled again;
- every session ends: the password is replaced by an unusable one, which changes the hash
  Django checks each session against on every request (the next page is the login page);
- the change is in the history (the account's ``is_active`` and password, by whoever
  deprovisioned it) and in the log at WARNING.

Requests are re-checked against the account on every request anyway (a disabled account's
sessions and tokens stop at the next request, however it was disabled); deprovisioning
also makes sure nothing comes back if it is enabled again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from followthrough.web.accounts.models import ApiToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deprovisioned:
    username: str
    was_active: bool
    tokens_revoked: int


def is_deprovisioned(user: AbstractBaseUser) -> bool:
    """Disabled, with no live token left (deprovisioning it again would change nothing)."""
    live = ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=timezone.now())
    return not user.is_active and not live.exists()


def deprovision(user: AbstractBaseUser, *, by: str) -> Deprovisioned:
    """Deactivate ``user``, revoke their tokens and end their sessions; ``by`` is for the log."""
    with transaction.atomic():
        was_active = bool(user.is_active)
        user.is_active = False
        user.set_unusable_password()  # a new session hash: every session ends
        user.save(update_fields=["is_active", "password"])
        revoked = ApiToken.objects.filter(user=user, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    logger.warning(
        "Deprovisioned %s (by %s): account disabled, %d token(s) revoked, sessions ended",
        user.get_username(),
        by,
        revoked,
    )
    return Deprovisioned(user.get_username(), was_active, revoked)


def reactivate(user: AbstractBaseUser, *, by: str) -> bool:
    """Enable ``user`` again (their tokens stay revoked); False if they already were."""
    if user.is_active:
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    logger.warning("Enabled %s again (by %s)", user.get_username(), by)
    return True
