"""Single sign-on with OpenID Connect, on mozilla-django-oidc.

The configuration is ``settings.oidc_settings`` (environment variables, docs/sign-in.md).
What this module adds to the library:

- Endpoints not configured explicitly are discovered from
  ``<issuer>/.well-known/openid-configuration`` at the first sign-in that needs them (not at
  start-up: the service starts while the provider is down), then kept for the process.
  The issuer and every endpoint must be https, except on loopback (tests, a local
  provider); ``accounts.checks`` refuses anything else at start.
- The ID token is checked fully: RS256 signature against the provider's JWKS, issuer,
  audience (our client id), expiry, nonce; the userinfo answer must be about the same
  subject. The library leaves the audience and the issuer unchecked.
- Which account the verified claims open is ``accounts.identities`` (keyed by issuer and
  subject id, never by address), and the provider's groups set team roles
  (``accounts.groups``).
- Every refusal ends on the login page with a sentence saying why, never in a 400 or 500,
  and is logged at WARNING.
- A session is re-checked on every request: a disabled account's session ends at once.
- Optionally, passwords are for admins only (``AdminPasswordBackend``), and logging out
  also ends the session at the provider (``Logout``, RP-initiated logout).
- With single sign-on off, /oidc/… answers 404.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from followthrough.web import transport
from followthrough.web.accounts.identities import SignInRefused, admit

logger = logging.getLogger(__name__)

# Our setting name -> the key of the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
END_SESSION = "end_session_endpoint"  # optional: RP-initiated logout
REFUSAL = "_followthrough_sign_in_refused"
ALLOWED_CLOCK_SKEW = 60  # seconds, for exp/iat between us and the provider


class ProviderUnavailable(Exception):
    """The provider could not be asked (down, misconfigured, or answered nonsense)."""


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def provider_name() -> str:
    return str(getattr(settings, "OIDC_PROVIDER_NAME", "")) or "single sign-on"


def sso_only() -> bool:
    """Whether passwords are for admins only (everyone else signs in with the provider)."""
    return enabled() and bool(getattr(settings, "OIDC_SSO_ONLY", False))


def is_secure_url(url: str) -> bool:
    """https, or http to a loopback address (tests, a provider on this machine)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


@cache
def _discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once per process (failures are not kept)."""
    url = f"{issuer}/.well-known/openid-configuration"
    if not is_secure_url(url):
        raise ProviderUnavailable(f"{issuer} is not an https issuer")
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
    insecure = [
        key
        for key in (*DISCOVERED.values(), END_SESSION)
        if document.get(key) and not is_secure_url(str(document[key]))
    ]
    if insecure:
        raise ProviderUnavailable(f"{url} names endpoints that are not https: {insecure}")
    return document


def setting(attr: str, *default: Any) -> Any:
    """A setting as the library asks for it; unset endpoints come from discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        if not enabled():
            raise ImproperlyConfigured("Single sign-on is not configured.")
        return _discover(settings.OIDC_ISSUER)[DISCOVERED[attr]]
    return import_from_settings(attr, *default)


# The environment variable behind each URL setting, for messages.
URL_SETTINGS = {
    "OIDC_ISSUER": "FOLLOWTHROUGH_OIDC_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "FOLLOWTHROUGH_OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "FOLLOWTHROUGH_OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "FOLLOWTHROUGH_OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "FOLLOWTHROUGH_OIDC_JWKS_ENDPOINT",
    "OIDC_OP_END_SESSION_ENDPOINT": "FOLLOWTHROUGH_OIDC_END_SESSION_ENDPOINT",
}


def insecure_urls() -> dict[str, str]:
    """Environment variable -> configured URL, for each one that is neither https nor loopback."""
    if not enabled():
        return {}
    found = {}
    for name, variable in URL_SETTINGS.items():
        url = getattr(settings, name, None)
        if url and not is_secure_url(str(url)):
            found[variable] = str(url)
    return found


def end_session_endpoint() -> str | None:
    """The provider's end_session_endpoint (configured, else discovered), if it has one."""
    configured = getattr(settings, "OIDC_OP_END_SESSION_ENDPOINT", None)
    if configured:
        return str(configured)
    found = _discover(settings.OIDC_ISSUER).get(END_SESSION)
    return str(found) if found else None


def _refuse(request: HttpRequest, reason: str) -> None:
    setattr(request, REFUSAL, reason)


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

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> AbstractBaseUser:
        return admit(self.get_userinfo(access_token, id_token, payload))

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        """The session's account on every request, while it may sign in (the library's
        version would keep a disabled account's session going)."""
        user = self.UserModel._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


class AdminPasswordBackend(ModelBackend):
    """Passwords for admins only (``FOLLOWTHROUGH_OIDC_SSO_ONLY``): everyone else uses the
    provider. A non-admin's password session, even one from before the switch, ends too."""

    def user_can_authenticate(self, user: Any) -> bool:
        return bool(super().user_can_authenticate(user) and getattr(user, "is_superuser", False))


class SignInForm(AuthenticationForm):
    """The password form of the login page: with passwords for admins only, says so."""

    def get_invalid_login_error(self) -> ValidationError:
        if not sso_only():
            return super().get_invalid_login_error()
        return ValidationError(
            f"Only admins sign in with a password here; everyone else signs in with "
            f"{provider_name()} above. Admins: check your username and password.",
            code="invalid_login",
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
        if insecure := insecure_urls():  # refused at start too (accounts.checks)
            logger.error("Single sign-on refused: not https: %s", ", ".join(insecure))
            messages.error(
                request,
                f"{provider_name()} is not set up with an https address, so single sign-on "
                "is not available. Ask an admin.",
            )
            return HttpResponseRedirect(resolve_url("login"))
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
            logger.warning("Single sign-on: the provider answered the callback with %s", code)
            _refuse(request, f"{name} did not sign you in ({code}).")
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation as e:
            # The state is not one this browser was sent off with: a stale tab, a replay,
            # or a link someone else started.
            logger.warning("Single sign-on refused a callback: %s", e)
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


class Logout(auth_views.LogoutView):
    """/logout/: ends the followthrough session, and with ``LOGOUT_AT_PROVIDER`` the one at
    the provider too (OpenID Connect RP-Initiated Logout 1.0).

    The browser is sent to the provider's ``end_session_endpoint`` with the ID token of the
    sign-in as ``id_token_hint``, our client id, and the login page as
    ``post_logout_redirect_uri`` (register it at the provider). A session that did not come
    from the provider, or a provider without the endpoint, ends here only.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        signed_in = request.user.is_authenticated
        id_token = request.session.get("oidc_id_token") if enabled() and signed_in else None
        response: HttpResponse = super().post(request, *args, **kwargs)
        if not id_token or not getattr(settings, "OIDC_LOGOUT_AT_PROVIDER", False):
            return response
        try:
            endpoint = end_session_endpoint()
        except ProviderUnavailable as e:
            logger.warning("Logout at the provider skipped: %s", e)
            return response
        if not endpoint or not is_secure_url(endpoint):
            logger.warning("Logout at the provider skipped: it has no usable end_session_endpoint")
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(
                    resolve_url(settings.LOGOUT_REDIRECT_URL)
                ),
            }
        )
        separator = "&" if urlsplit(endpoint).query else "?"
        return HttpResponseRedirect(f"{endpoint}{separator}{query}")
