"""The one shape of every API error: RFC 9457 "problem details", ``application/problem+json``.

Every 4xx and 5xx answered under ``/api/`` is::

    {"type": "urn:followthrough:problem:<kind>", "title": "...", "status": 422,
     "detail": "one sentence a person can read", "errors": [{"loc": [...], "msg": "...", "type": "..."}]}

``type`` names the kind of problem (a client switches on it, never on ``detail``); ``title``
is the same for every problem of a kind; ``errors`` is always there, empty unless the
problem is about fields of the request. A few kinds add documented members (RFC 9457
"extension members"): ``reasons`` (``refused``), ``current`` or ``current_version``
(``stale-version``), ``id`` (``already-exists``), ``retry_after`` (``rate-limited``,
``unavailable``). docs/api.md lists the kinds.

Plain Django, no ninja: the middleware answering 413, 429 and 503 before the API runs uses
it as well as the API's exception handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:followthrough:problem:"

# kind -> (status, title). The title is the kind's fixed summary (RFC 9457 section 3.1.3).
KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "The request is malformed"),
    "unauthenticated": (401, "Authentication required"),
    "forbidden": (403, "Not allowed"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "already-exists": (409, "It exists already"),
    "stale-version": (409, "Stale version"),
    "conflict": (409, "Conflicting change"),
    "too-large": (413, "Request body too large"),
    "validation": (422, "Invalid request"),
    "refused": (422, "Refused by the rules"),
    "rate-limited": (429, "Too many requests"),
    "server-error": (500, "Internal error"),
    "unavailable": (503, "Service unavailable"),
}
# The kind of a bare status (an ``HttpError(404, ...)``, say).
KIND_OF_STATUS: dict[int, str] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    422: "validation",
    429: "rate-limited",
    500: "server-error",
    503: "unavailable",
}


def kind_of(status: int) -> str:
    return KIND_OF_STATUS.get(status, "bad-request" if status < 500 else "server-error")


def problem(
    kind: str,
    detail: str,
    *,
    errors: Iterable[Mapping[str, Any]] = (),
    status: int | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The body of one problem of ``kind``; ``status`` only when a bare status chose the kind."""
    default_status, title = KINDS[kind]
    return {
        "type": TYPE_PREFIX + kind,
        "title": title,
        "status": status or default_status,
        "detail": detail,
        "errors": [dict(e) for e in errors],
        **extensions,
    }


def problem_response(
    kind: str, detail: str, *, errors: Iterable[Mapping[str, Any]] = (), **extensions: Any
) -> JsonResponse:
    """A JSON response carrying one problem, for code that runs outside the API's handlers."""
    body = problem(kind, detail, errors=errors, **extensions)
    return JsonResponse(body, status=body["status"], content_type=MEDIA_TYPE)


class ApiProblemMiddleware:
    """Under ``/api/``, the few answers made before the API's handlers run are problems too:
    Django's 404 for a path no route matches, and ninja's 405 for a method a route lacks
    (its ``Allow`` header kept)."""

    PREFIX = "/api/"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path_info.startswith(self.PREFIX) or response.status_code not in (404, 405):
            return response
        if response.get("Content-Type", "").startswith((MEDIA_TYPE, "application/json")):
            return response
        if response.status_code == 404:
            return problem_response("not-found", f"There is no API route {request.path_info}.")
        replaced = problem_response(
            "method-not-allowed",
            f"{request.method} is not allowed on {request.path_info}; "
            f"allowed: {response.get('Allow', 'none')}.",
        )
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced
