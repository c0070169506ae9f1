"""The page middleware, left out of the API calls it has nothing to do for.

A request under ``/api/`` that presents a token (an ``Authorization`` header) and sends no
cookie is a script's: the API authenticates it by the token alone (``api/auth.py``: a request
with an ``Authorization`` header never uses the session), and it has no session or CSRF
cookie to read, no message to show, and it is not htmx. For such a request Django's session
and authentication middleware, its messages, django-htmx's and the viewer's timezone would
each build their part and leave the answer exactly as it was; here they let it pass
untouched. Its ``request.user`` is the anonymous user, which Django's would be without a
session cookie, until the token authenticates it.

Django's ``CsrfViewMiddleware`` stays as it is, even though the API's views are exempt from
it: ``manage.py check --deploy`` looks for it by its name (security.W003, W016).

Every other request (a page, the same-origin pages' API calls with their session cookie,
an API call without a token) goes through Django's code as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxMiddleware as DjangoHtmxMiddleware

API_PREFIX = "/api/"


def is_token_call(request: HttpRequest) -> bool:
    """An API request with a token and no cookie: nothing for the page middleware to do."""
    meta = request.META
    return (
        bool(meta.get("HTTP_AUTHORIZATION"))  # an empty one: Django's way, as before
        and not meta.get("HTTP_COOKIE")  # the test client sends an empty one
        and request.path_info.startswith(API_PREFIX)
    )


class PassesTokenCalls:
    """Mixed into a middleware: a token call passes it untouched; any other request gets
    the middleware's own ``__call__``."""

    get_response: Callable[[HttpRequest], Any]

    def __call__(self, request: HttpRequest) -> Any:
        if is_token_call(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(PassesTokenCalls, DjangoSessionMiddleware):
    """Django's, except for token calls (no session cookie to read, no session used)."""


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, except that a token call starts anonymous (it has no session cookie)."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_token_call(request):
            request.user = AnonymousUser()
            return self.get_response(request)  # type: ignore[no-any-return]
        return super().__call__(request)  # type: ignore[no-any-return]


class HtmxMiddleware(PassesTokenCalls, DjangoHtmxMiddleware):
    """django-htmx's, except for token calls (a script is not htmx)."""
