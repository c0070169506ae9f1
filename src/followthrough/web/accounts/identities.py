"""Which account a verified sign-in from the identity provider opens, or why none.

The rule, decided here and nowhere else (docs/sign-in.md, "Who gets in"). The claims are
those of an ID token whose signature, issuer, audience, expiry and nonce were checked:

1. The account whose SSO identity is (issuer, ``sub``) is signed in, whatever address the
   provider now gives: the account follows the subject id, never the address. A new
   verified address updates the identity's, the account's and its person's.
2. Otherwise the sign-in needs a verified address (``email_verified``, or
   ``ASSUME_EMAIL_VERIFIED``), and, with Google as the issuer, an ``hd`` claim (a Workspace
   account: an address of an organisation's domain, not a personal Google account that
   someone registered with it). Then, in this order:

   a. an invitation for this issuer (an identity without a subject yet, made by an admin or
      by SCIM provisioning) with that address, or from SCIM with this ``sub`` as its
      externalId, is claimed;
   b. an existing account with that address and no identity is linked, only when an admin
      allowed it (``LINK_EXISTING_ACCOUNTS``, off by default);
   c. a new account is made, unless ``INVITE_ONLY``, only for an address in
      ``ALLOWED_DOMAINS`` (with Google, the ``hd`` claim must be in it). An empty list lets
      nobody new in.

   An account that has an identity for another subject is never taken over (a recycled
   address gets a new account, or is refused), and an invitation or a link never opens an
   admin account (superuser or staff) or a disabled one.
3. Anything else is refused with a sentence for the login page, logged at WARNING, and kept
   as an ``SsoRefusal`` (in the history).

Creating, claiming and linking are recorded in the history by "single sign-on" with a note
saying which and for whom; a person recorded without a login (an incident commander, say)
is linked to the new account only when the address itself is trusted (an invitation or an
allowed link), otherwise the account gets a new person.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.web.accounts import groups
from followthrough.web.accounts.models import Person, SsoIdentity, SsoRefusal
from followthrough.web.history.context import acting_as
from followthrough.web.history.recording import recording_update

logger = logging.getLogger(__name__)

GOOGLE_ISSUER = "https://accounts.google.com"
REFUSAL_KEPT_ONCE_PER = timedelta(hours=1)


class SignInRefused(Exception):
    """The provider vouched for someone followthrough will not sign in; the message says why."""

    def __init__(self, message: str, reason: str, *, user: AbstractBaseUser | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.user = user


@dataclass(frozen=True)
class Claims:
    """What a sign-in says about who is signing in."""

    issuer: str
    subject: str
    email: str
    verified: bool
    hosted_domain: str  # Google's hd claim; "" elsewhere
    raw: dict[str, Any]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Claims:
        verified = raw.get("email_verified") in (True, "true") or bool(
            getattr(settings, "OIDC_ASSUME_EMAIL_VERIFIED", False)
        )
        return cls(
            issuer=str(settings.OIDC_ISSUER),
            subject=str(raw["sub"]),
            email=_address(raw.get("email")),
            verified=verified,
            hosted_domain=text(raw, "hd", 253).lower(),
            raw=raw,
        )

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1].lower() if self.email else ""

    @property
    def from_google(self) -> bool:
        return self.issuer == GOOGLE_ISSUER


def text(raw: dict[str, Any], claim: str, limit: int) -> str:
    """A claim as text that fits its column: no NUL (PostgreSQL refuses it), cut at ``limit``."""
    value = raw.get(claim)
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:limit]


def _address(value: Any) -> str:
    """The claimed address if it is one (and fits the column), else ""."""
    address = value.strip() if isinstance(value, str) else ""
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address if len(address) <= 254 else ""


def _name() -> str:
    return str(getattr(settings, "OIDC_PROVIDER_NAME", "")) or "single sign-on"


def admit(raw_claims: dict[str, Any]) -> AbstractBaseUser:
    """The account these verified claims sign in to; ``SignInRefused`` says why not."""
    claims = Claims.of(raw_claims)
    try:
        # OpenID Connect Core 1.0, 2: at most 255 ASCII characters (and never a NUL).
        if not 0 < len(claims.subject) <= 255 or "\x00" in claims.subject:
            raise SignInRefused(
                f"{_name()} sent a subject id followthrough cannot use; ask an admin.",
                "bad_subject",
            )
        user = _account_for(claims)
    except SignInRefused as refused:
        keep_refusal(claims, refused)
        raise
    groups.apply(user, _person_of(user), claims.raw)
    return user


def _account_for(claims: Claims) -> AbstractBaseUser:
    for attempt in range(2):
        identity = (
            SsoIdentity.objects.select_related("user")
            .filter(issuer=claims.issuer, subject=claims.subject)
            .first()
        )
        if identity is not None:
            return _returning(identity, claims)
        try:
            with transaction.atomic():
                return _first_sign_in(claims)
        except IntegrityError:
            # Another sign-in of the same subject (a second tab) made the identity, or took
            # the username, in the meantime: look again.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _returning(identity: SsoIdentity, claims: Claims) -> AbstractBaseUser:
    user: AbstractBaseUser = identity.user
    if not user.is_active:
        raise SignInRefused(
            "Your account is disabled; ask an admin to enable it.", "disabled", user=user
        )
    if claims.email and claims.verified and claims.email.lower() != identity.email.lower():
        _follow_new_address(identity, claims.email)
    return user


def _follow_new_address(identity: SsoIdentity, email: str) -> None:
    """The provider changed the address: the account and its person keep up."""
    user = identity.user
    old = identity.email
    with acting_as(groups.SSO_ACTOR, note=f"the provider changed the address {old} to {email}"):
        identity.email = email
        identity.save(update_fields=["email", "updated_at"])
        if user.email.lower() == old.lower() or not user.email:  # type: ignore[attr-defined]
            user.email = email  # type: ignore[attr-defined]
            user.save(update_fields=["email"])
        Person.objects.filter(user=user, email__iexact=old).update(email=email)


def _first_sign_in(claims: Claims) -> AbstractBaseUser:
    name = _name()
    if not claims.email:
        raise SignInRefused(
            f"{name} did not share a usable e-mail address, which followthrough needs the first "
            "time you sign in. Allow the e-mail scope and try again.",
            "no_email",
        )
    if not claims.verified:
        raise SignInRefused(
            f"{name} has not verified the address {claims.email}, so it cannot sign you in "
            "here. Verify it with them first.",
            "email_unverified",
        )
    if claims.from_google and not claims.hosted_domain:
        raise SignInRefused(
            f"{claims.email} is a personal Google account; only Google Workspace accounts of "
            "your organisation can sign in here.",
            "personal_google_account",
        )
    invitation = _invitation_for(claims)
    if invitation is not None:
        return _claim(invitation, claims)
    existing = _accounts_without_identity(claims.email)
    if existing:
        return _link(existing, claims)
    return _create(claims)


def _invitation_for(claims: Claims) -> SsoIdentity | None:
    invitations = list(
        SsoIdentity.objects.select_related("user")
        .filter(issuer=claims.issuer, subject="")
        .filter(Q(scim_external_id=claims.subject) | Q(email__iexact=claims.email))
        .order_by("pk")[:3]
    )
    by_subject = [i for i in invitations if i.scim_external_id == claims.subject]
    if by_subject:
        return by_subject[0]
    if len(invitations) > 1:
        raise SignInRefused(
            f"More than one invitation is for the address {claims.email}, so followthrough "
            "cannot tell which is yours. Ask an admin to remove the extra one.",
            "ambiguous",
        )
    return invitations[0] if invitations else None


def _accounts_without_identity(email: str) -> list[AbstractBaseUser]:
    User = get_user_model()
    return list(User.objects.filter(email__iexact=email, sso_identity=None).order_by("pk")[:2])


def _never_an_admin_or_disabled(user: AbstractBaseUser, claims: Claims) -> None:
    if user.is_superuser or user.is_staff:  # type: ignore[attr-defined]
        raise SignInRefused(
            f"The account with the address {claims.email} is an admin account, and single "
            "sign-on never signs in to an existing admin account. Admins sign in with their "
            "password.",
            "admin_account",
            user=user,
        )
    if not user.is_active:
        raise SignInRefused(
            "Your account is disabled; ask an admin to enable it.", "disabled", user=user
        )


def _claim(invitation: SsoIdentity, claims: Claims) -> AbstractBaseUser:
    user: AbstractBaseUser = invitation.user
    _never_an_admin_or_disabled(user, claims)
    how = "by subject" if invitation.scim_external_id == claims.subject else "by address"
    with acting_as(
        groups.SSO_ACTOR,
        note=f"invitation claimed {how} by {claims.email} (subject {claims.subject})",
    ):
        # Conditional, so two sign-ins racing for one invitation cannot both claim it.
        with recording_update(invitation):
            claimed = SsoIdentity.objects.filter(pk=invitation.pk, subject="").update(
                subject=claims.subject, email=claims.email, updated_at=timezone.now()
            )
        if claimed != 1:
            raise IntegrityError("the invitation was claimed by another sign-in meanwhile")
        _ensure_person(user, claims, trusted_address=True)
    _announce("claimed the invitation of", user, claims)
    return user


def _link(existing: list[AbstractBaseUser], claims: Claims) -> AbstractBaseUser:
    if len(existing) > 1:
        raise SignInRefused(
            f"More than one account has the address {claims.email}, so followthrough cannot "
            "tell which is yours. Ask an admin to give each account its own address.",
            "ambiguous",
        )
    user = existing[0]
    _never_an_admin_or_disabled(user, claims)
    if not getattr(settings, "OIDC_LINK_EXISTING_ACCOUNTS", False):
        raise SignInRefused(
            f"An account with the address {claims.email} already exists here, and single "
            "sign-on may not take over an existing account. Sign in with its password, or "
            f"ask an admin to invite that account to sign in with {_name()}.",
            "linking_not_allowed",
            user=user,
        )
    with acting_as(
        groups.SSO_ACTOR,
        note=f"existing account linked to {claims.email} (subject {claims.subject}): "
        "linking is allowed",
    ):
        SsoIdentity.objects.create(
            user=user, issuer=claims.issuer, subject=claims.subject, email=claims.email
        )
        _ensure_person(user, claims, trusted_address=True)
    _announce("linked the existing account", user, claims)
    return user


def _create(claims: Claims) -> AbstractBaseUser:
    name = _name()
    if getattr(settings, "OIDC_INVITE_ONLY", False):
        raise SignInRefused(
            f"Only people an admin has invited can sign in here, and {claims.email} has not "
            "been invited. Ask an admin for an invitation.",
            "not_invited",
        )
    allowed = list(getattr(settings, "OIDC_ALLOWED_DOMAINS", []))
    domain = claims.hosted_domain if claims.from_google else claims.domain
    if not allowed:
        raise SignInRefused(
            f"New accounts are not made through {name} here (no domain is allowed). "
            "Ask an admin for an invitation.",
            "no_domain_allowed",
        )
    if domain not in allowed:
        raise SignInRefused(
            f"Addresses at {domain} may not get an account here (only {', '.join(allowed)}). "
            "Ask an admin for an account.",
            "domain_not_allowed",
        )
    User = get_user_model()
    with acting_as(
        groups.SSO_ACTOR,
        note=f"new account for {claims.email} (subject {claims.subject} at {claims.issuer})",
    ):
        user = User(
            username=username_for(claims.email),
            email=claims.email,
            first_name=text(claims.raw, "given_name", 150),
            last_name=text(claims.raw, "family_name", 150),
        )
        user.set_unusable_password()  # signs in through the provider only
        user.save()
        SsoIdentity.objects.create(
            user=user, issuer=claims.issuer, subject=claims.subject, email=claims.email
        )
        trusted = bool(getattr(settings, "OIDC_LINK_EXISTING_ACCOUNTS", False))
        _ensure_person(user, claims, trusted_address=trusted)
    _announce("created the account", user, claims)
    return user


def _announce(what: str, user: AbstractBaseUser, claims: Claims) -> None:
    logger.warning(
        "Single sign-on %s %s for %s (subject %s at %s)",
        what,
        user.get_username(),
        claims.email,
        claims.subject,
        claims.issuer,
    )


def username_for(email: str) -> str:
    """A free username from the address's local part: ``alice``, else ``alice-2``, …"""
    User = get_user_model()
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _person_of(user: AbstractBaseUser) -> Person:
    """The account's person (one is made for an account that has none, from the admin site)."""
    name = user.get_full_name()  # type: ignore[attr-defined]
    return ensure_person(user, user.email, name, trusted_address=False)  # type: ignore[attr-defined]


def _ensure_person(user: AbstractBaseUser, claims: Claims, *, trusted_address: bool) -> None:
    full_name = (
        text(claims.raw, "name", 150)
        or " ".join(text(claims.raw, c, 150) for c in ("given_name", "family_name")).strip()
    )
    ensure_person(user, claims.email, full_name, trusted_address=trusted_address)


def ensure_person(
    user: AbstractBaseUser, email: str, full_name: str, *, trusted_address: bool
) -> Person:
    """Someone who signs in can be put on teams: their person, linked or made.

    A person recorded without a login (an incident commander, a responder) is linked by
    address only when the address is trusted to be theirs (an invitation, an allowed link,
    the organisation's own SCIM provisioning): the account then reads what that person is
    named on, security incidents included.
    """
    person = Person.objects.filter(user=user).first()
    if person is not None:
        return person
    if trusted_address and email:
        unlinked = Person.objects.filter(user=None, email__iexact=email).order_by("pk").first()
        if unlinked is not None:
            unlinked.user = user
            unlinked.save(update_fields=["user"])
            return unlinked
    return Person.objects.create(
        name=(full_name or user.get_username())[:150],
        email=email,
        handle=user.get_username()[:64],
        user=user,
    )


def keep_refusal(claims: Claims, refused: SignInRefused) -> None:
    """Log the refusal at WARNING; keep it for the history, once an hour per subject and reason."""
    logger.warning(
        "Single sign-on refused %s (subject %s at %s): %s",
        claims.email or "(no address)",
        claims.subject,
        claims.issuer,
        refused.reason,
    )
    subject = claims.subject.replace("\x00", "")[:255]  # a bad_subject may hold anything
    recent = SsoRefusal.objects.filter(
        issuer=claims.issuer,
        subject=subject,
        reason=refused.reason,
        at__gte=timezone.now() - REFUSAL_KEPT_ONCE_PER,
    )
    if recent.exists():
        return
    with acting_as(groups.SSO_ACTOR, note=str(refused)):
        SsoRefusal.objects.create(
            issuer=claims.issuer[:255],
            subject=subject,
            email=claims.email[:254],
            reason=refused.reason,
            message=str(refused),
            user=refused.user,
        )
