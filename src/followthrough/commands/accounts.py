"""Accounts and single sign-on: ``deprovision``, ``invite`` and ``scim-token``."""

from __future__ import annotations

import click

from followthrough.commands.service import setup_django


def _account(name: str):  # type: ignore[no-untyped-def]
    """The account with this username, or a usage error."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise click.UsageError(f"there is no account named {name!r}")
    return user


@click.command()
@click.argument("username")
def deprovision(username: str) -> None:
    """Take an account's access away now: disable it, revoke its tokens, end its sessions.

    The account stays (what its person did keeps their name); enable it again in the
    admin site if needed (its tokens stay revoked).
    """
    setup_django()
    from django.contrib.auth import get_user_model

    from followthrough.web.accounts.deprovision import deprovision as do_deprovision
    from followthrough.web.history.context import acting_as

    user = _account(username)
    others = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(pk=user.pk)
    if user.is_superuser and user.is_active and not others.exists():
        raise click.UsageError(
            f"{username} is the last active admin; make another admin first "
            "(followthrough createuser NAME --admin)"
        )
    with acting_as("cli: deprovision"):
        done = do_deprovision(user, by="followthrough deprovision")
    state = "disabled" if done.was_active else "was already disabled"
    click.echo(
        f"{done.username} {state}: {done.tokens_revoked} token(s) revoked, every session ended."
    )


@click.command()
@click.argument("email")
@click.option("--username", default="", help="The account's username (default: from the address).")
@click.option("--name", "full_name", default="", help="The person's name, as pages show it.")
def invite(email: str, username: str, full_name: str) -> None:
    """Let EMAIL sign in with single sign-on (for FOLLOWTHROUGH_OIDC_INVITE_ONLY, say).

    An account with that address and no sign-on identity is invited as it is (never an
    admin's); otherwise a new account without a password is made. The first sign-in from
    the configured provider with that verified address claims the invitation.
    """
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email
    from django.db import transaction

    from followthrough.web.accounts.identities import ensure_person, username_for
    from followthrough.web.accounts.models import SsoIdentity
    from followthrough.web.history.context import acting_as

    if not getattr(settings, "OIDC_ENABLED", False):
        raise click.UsageError("single sign-on is off: set FOLLOWTHROUGH_OIDC_* first")
    try:
        validate_email(email)
    except ValidationError as e:
        raise click.UsageError(f"{email!r} is not an e-mail address") from e
    User = get_user_model()
    existing = list(User.objects.filter(email__iexact=email)[:2])
    if len(existing) > 1:
        raise click.UsageError(f"more than one account has the address {email}")
    with transaction.atomic(), acting_as("cli: invite", note=f"invited {email}"):
        if existing:
            user = existing[0]
            if user.is_superuser or user.is_staff:
                raise click.UsageError(
                    f"{user.username} is an admin account; single sign-on never takes over "
                    "an admin account"
                )
            if SsoIdentity.objects.filter(user=user).exists():
                raise click.UsageError(f"{user.username} already signs in with single sign-on")
        else:
            user = User(username=username or username_for(email), email=email)
            user.set_unusable_password()
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as e:
                raise click.UsageError("; ".join(e.messages)) from e
            user.save()
        SsoIdentity.objects.create(user=user, issuer=settings.OIDC_ISSUER, email=email)
        ensure_person(user, email, full_name, trusted_address=True)
    click.echo(
        f"Invited {email} as {user.username}: their first sign-in with "
        f"{settings.OIDC_PROVIDER_NAME} opens this account."
    )


@click.command("scim-token")
@click.argument("admin")
@click.option(
    "--expires-days",
    type=click.IntRange(1, 365),
    default=365,
    show_default=True,
    help="Days until the token expires (1-365); give the provider a new one before then.",
)
@click.option("--name", default="scim", show_default=True, help="What uses it, e.g. okta.")
def scim_token(admin: str, expires_days: int, name: str) -> None:
    """Print a token for the identity provider's SCIM provisioning (stored hashed: shown once).

    It belongs to ADMIN (an active admin; the provider's changes are recorded as theirs,
    through "scim"), works only on /scim/v2/, and stops when ADMIN is disabled.
    """
    setup_django()
    from followthrough.web.accounts.models import ApiToken, TokenScope

    user = _account(admin)
    if not (user.is_superuser and user.is_active):
        raise click.UsageError(f"{admin} is not an active admin")
    token, raw = ApiToken.issue_for_days(user, name=name, days=expires_days, scope=TokenScope.SCIM)
    click.echo(f"SCIM token (expires {token.expires_at:%Y-%m-%d}; shown once): {raw}")


COMMANDS: list[click.Command] = [deprovision, invite, scim_token]
