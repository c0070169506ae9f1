"""How API requests authenticate: a personal bearer token, or the page's session.

Tokens are ``Authorization: Bearer ft_…``; only their SHA-256 is stored
(``ApiToken.objects.authenticate``). A token's ``last_used_at`` is written at most once a
minute, so a busy script does not turn every read into a write. A read-scoped token is
refused (403) on every unsafe method before any handler runs.

The session is for the same-origin pages (htmx): a signed-in browser may call the API, with
Django's CSRF check on unsafe methods, exactly as its forms are checked.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from followthrough.web.accounts.models import ApiToken

READ_ONLY_TOKEN = (
    "This API token is read-only: it may look but not change anything ({method} refused). "
    "Create a token with the write scope under “API tokens” to make changes."
)

INVALID_TOKEN = (
    "This API token is not valid: it is unknown, revoked or expired. "
    "Create a new one and send it as “Authorization: Bearer ft_…”."
)


class BearerToken(HttpBearer):
    """``Authorization: Bearer ft_…`` with a live personal API token."""

    def __call__(self, request: HttpRequest) -> Any:
        # ninja's HttpBearer, reading the one header from META: ``request.headers`` would
        # build a dict of every header first, on every API request, for nothing else.
        value = request.META.get("HTTP_AUTHORIZATION")
        if not value:
            return None
        scheme, *rest = value.split(" ")
        if scheme.lower() != self.openapi_scheme:
            if settings.DEBUG:
                logging.getLogger("django").error(f"Unexpected auth - '{value}'")  # as ninja's
            return None
        return self.authenticate(request, " ".join(rest))

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        found = ApiToken.objects.authenticate(token.strip()) if token.strip() else None
        if found is None:
            request._followthrough_auth_problem = INVALID_TOKEN  # type: ignore[attr-defined]
            return None
        found.mark_used()
        user: AbstractBaseUser = found.user
        if not user.is_active:
            request._followthrough_auth_problem = "The account this token belongs to is disabled."  # type: ignore[attr-defined]
            return None
        if not found.allows(request.method or "GET"):
            # Raised, not returned: ninja answers it (403) without trying the other schemes.
            raise PermissionDenied(READ_ONLY_TOKEN.format(method=request.method))
        request.user = user
        return user


class PageSession(SessionAuth):
    """The signed-in browser session, CSRF-checked on unsafe methods.

    Anonymous requests and requests that present a bearer token are not this scheme's
    business: they get a 401 from the token scheme rather than a CSRF error.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


AUTH = [BearerToken(), PageSession()]
