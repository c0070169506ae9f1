"""Single sign-on with OpenID Connect, on mozilla-django-oidc.

The configuration is ``settings.oidc_settings`` (environment variables, docs/sign-in.md).
What this module adds to the library:

- Endpoints not configured explicitly are discovered from
  ``<issuer>/.well-known/openid-configuration`` at the first sign-in that needs them (not at
  start-up: the service starts while the provider is down), then kept for the process.
- The ID token is checked fully: RS256 signature against the provider's JWKS, issuer,
  audience (our client id), expiry, nonce; the userinfo answer must be about the same
  subject. The library leaves the audience and the issuer unchecked.
- People are matched by their *verified* e-mail address, case-insensitively, to an existing
  login, or get a new one and a Person (an existing Person with that address and no login is
  linked), so they can be put on teams. ``FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS`` restricts
  the addresses.
- Every refusal ends on the login page with a sentence saying why, never in a 400 or 500.
- With single sign-on off, /oidc/… answers 404.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from followthrough.web import transport
from followthrough.web.accounts.models import Person

logger = logging.getLogger(__name__)

# Our setting name -> the key of the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
REFUSAL = "_followthrough_sign_in_refused"
ALLOWED_CLOCK_SKEW = 60  # seconds, for exp/iat between us and the provider


class SignInRefused(Exception):
    """The provider vouched for someone we will not sign in; the message says why."""


class ProviderUnavailable(Exception):
    """The provider could not be asked (down, misconfigured, or answered nonsense)."""


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def provider_name() -> str:
    return str(getattr(settings, "OIDC_PROVIDER_NAME", "")) or "single sign-on"


@cache
def _discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once per process (failures are not kept)."""
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        document = transport.request("GET", url).json()
    except (transport.TransportError, ValueError) as e:
        raise ProviderUnavailable(f"could not read {url}: {e}") from e
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} is not a discovery document")
    # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer we asked.
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}"
        )
    missing = [key for key in DISCOVERED.values() if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"{url} lacks {', '.join(missing)}")
    return document


def setting(attr: str, *default: Any) -> Any:
    """A setting as the library asks for it; unset endpoints come from discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        if not enabled():
            raise ImproperlyConfigured("Single sign-on is not configured.")
        return _discover(settings.OIDC_ISSUER)[DISCOVERED[attr]]
    return import_from_settings(attr, *default)


def _refuse(request: HttpRequest, reason: str) -> None:
    setattr(request, REFUSAL, reason)


def _username_for(email: str) -> str:
    """A free username from the address's local part: ``alice``, else ``alice-2``, …"""
    User = get_user_model()
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class OIDCBackend(OIDCAuthenticationBackend):
    """Signs people in with the ID token and userinfo of the configured provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The parent reads (and we would discover) every endpoint here, and Django builds
        # each backend on every password sign-in: nothing is read until a sign-in needs it.
        self.UserModel = get_user_model()

    get_settings = staticmethod(setting)

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # the library's attribute names
        return str(setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_RP_CLIENT_SECRET)

    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> AbstractBaseUser | None:
        # Only the callback view passes a nonce; a password sign-in is not ours, even if
        # its URL happens to carry ?code=…&state=….
        if request is None or not enabled() or "nonce" not in kwargs:
            return None
        name = provider_name()
        try:
            user: AbstractBaseUser | None = super().authenticate(request, **kwargs)
        except SignInRefused as e:
            _refuse(request, str(e))
            return None
        except SuspiciousOperation as e:
            logger.warning("Single sign-on refused: %s", e)
            _refuse(
                request, f"The answer from {name} could not be verified, so you were not signed in."
            )
            return None
        except (requests.RequestException, ProviderUnavailable, ValueError) as e:
            logger.warning("Single sign-on failed talking to the provider: %s", e)
            _refuse(
                request,
                f"{name} could not be reached or refused the sign-in; try again, or ask an admin.",
            )
            return None
        return user

    def _verify_jws(self, payload: str | bytes, key: Any) -> dict[str, Any]:
        """The signature (RS256 only), issuer, audience, expiry and issue time of a JWT."""
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.PyJWTError as e:
            raise SuspiciousOperation(f"unreadable JWT header: {e}") from e
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"JWT signed with {header.get('alg')!r}, not RS256")
        issuer = settings.OIDC_ISSUER
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=[issuer, issuer + "/"],
                leeway=ALLOWED_CLOCK_SKEW,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.PyJWTError as e:
            raise SuspiciousOperation(f"ID token refused: {e}") from e
        return claims

    def retrieve_matching_jwk(self, token: str | bytes) -> Any:
        try:
            return super().retrieve_matching_jwk(token)
        except (KeyError, jwt.PyJWTError) as e:
            raise SuspiciousOperation(f"no usable key in the provider's JWKS: {e}") from e

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The userinfo claims over the ID token's, if they are about the same subject."""
        info = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(info, dict):
            raise SuspiciousOperation("userinfo is not an object")
        # OpenID Connect Core 1.0, 5.3.2: a different sub means the answer must not be used.
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        return {**payload, **info}

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        name = provider_name()
        email = str(claims.get("email") or "").strip()
        if "@" not in email:
            raise SignInRefused(
                f"{name} did not share your e-mail address, which followthrough needs to "
                "know who you are. Allow the e-mail scope and try again."
            )
        verified = claims.get("email_verified")
        if verified not in (True, "true") and not settings.OIDC_ASSUME_EMAIL_VERIFIED:
            raise SignInRefused(
                f"{name} has not verified the address {email}, so it cannot sign you in "
                "here. Verify it with them first."
            )
        domain = email.rsplit("@", 1)[1].lower()
        allowed = settings.OIDC_ALLOWED_DOMAINS
        if allowed and domain not in allowed:
            raise SignInRefused(
                f"Addresses at {domain} may not sign in here (only {', '.join(allowed)}). "
                "Ask an admin for an account."
            )
        return True

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> AbstractBaseUser:
        claims = self.get_userinfo(access_token, id_token, payload)
        self.verify_claims(claims)
        email = str(claims["email"]).strip()
        with transaction.atomic():
            users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
            if len(users) > 1:
                raise SignInRefused(
                    f"More than one account has the address {email}, so followthrough cannot "
                    "tell which is yours. Ask an admin to give each account its own address."
                )
            user = self.update_user(users[0], claims) if users else self.create_user(claims)
            self._ensure_person(user, claims)
        return user

    def create_user(self, claims: dict[str, Any]) -> AbstractBaseUser:
        email = str(claims["email"]).strip()
        user = self.UserModel(
            username=_username_for(email),
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        user.set_unusable_password()  # signs in through the provider only, until given one
        user.save()
        logger.info("Single sign-on created the account %s for %s", user.get_username(), email)
        return user

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any]) -> AbstractBaseUser:
        """Fill in a name the account lacks; never overwrite what someone set by hand."""
        changed = []
        for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
            if not getattr(user, field, "") and claims.get(claim):
                setattr(user, field, str(claims[claim])[:150])
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        return user

    def _ensure_person(self, user: AbstractBaseUser, claims: dict[str, Any]) -> None:
        """Someone who signs in can be put on teams: link or create their Person."""
        if Person.objects.filter(user=user).exists():
            return
        email = str(claims["email"]).strip()
        unlinked = Person.objects.filter(user=None, email__iexact=email).order_by("pk").first()
        if unlinked is not None:
            unlinked.user = user
            unlinked.save(update_fields=["user"])
            return
        full_name = str(claims.get("name") or "").strip()
        if not full_name:
            full_name = " ".join(
                str(claims.get(c) or "").strip() for c in ("given_name", "family_name")
            ).strip()
        Person.objects.create(
            name=(full_name or user.get_username())[:150],
            email=email,
            handle=user.get_username()[:64],
            user=user,
        )


class Authenticate(OIDCAuthenticationRequestView):
    """/oidc/authenticate/: off means 404; otherwise off to the provider."""

    def __init__(self, **kwargs: Any) -> None:
        # The parent reads the endpoint here, before get() could answer 404 when off.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)

    get_settings = staticmethod(setting)

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:
        return str(setting("OIDC_OP_AUTHORIZATION_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_RP_CLIENT_ID)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            response: HttpResponse = super().get(request)
        except ProviderUnavailable as e:
            logger.warning("Single sign-on cannot start: %s", e)
            messages.error(
                request,
                f"{provider_name()} cannot be reached just now, so single sign-on is not "
                "available. Try again in a minute, or ask an admin.",
            )
            return HttpResponseRedirect(resolve_url("login"))
        return response


class Callback(OIDCAuthenticationCallbackView):
    """/oidc/callback/: the provider sends the browser back here with a code."""

    get_settings = staticmethod(setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        name = provider_name()
        if error := request.GET.get("error"):
            # The provider's own words are not shown: a link could put anything in them.
            code = error if re.fullmatch(r"[a-z_]{1,40}", error) else "error"
            _refuse(request, f"{name} did not sign you in ({code}).")
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation:
            # The state is not one this browser was sent off with: a stale tab, a replay,
            # or a link someone else started.
            _refuse(request, self._stale(name))
            return self.login_failure()
        return response

    @staticmethod
    def _stale(name: str) -> str:
        return (
            f"This sign-in with {name} was not started in this browser or has already been "
            "used, so you were not signed in. Start again from the login page."
        )

    def login_failure(self) -> HttpResponse:
        request = self.request
        reason = getattr(request, REFUSAL, None)
        if reason is None:
            user = getattr(self, "user", None)
            if user is not None and not user.is_active:
                reason = "Your account is disabled; ask an admin to enable it."
            elif "code" in request.GET and "state" in request.GET:
                reason = self._stale(provider_name())
            else:
                reason = f"{provider_name()} did not sign you in. Try again."
        messages.error(request, reason)
        return HttpResponseRedirect(resolve_url("login"))
