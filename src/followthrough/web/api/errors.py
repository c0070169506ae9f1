"""Every error the API returns, in one shape: RFC 9457 problem details
(:mod:`followthrough.web.lib.problems`, ``application/problem+json``)::

    {"type": "urn:followthrough:problem:<kind>", "title": "...", "status": N,
     "detail": "...", "errors": [{"loc": ["body", "field"], "msg": "...", "type": "..."}]}

- 422 ``validation``: ``errors`` lists the fields, whether the schema, the model's
  ``full_clean`` or an operation's ``Refused(field=...)`` found the problem.
- 422 ``refused`` (a transition the rules do not allow yet): ``reasons`` lists why.
- 409 ``stale-version``: ``current`` (the row as it is now) or ``current_version``;
  409 ``already-exists``: ``id``; 409 ``conflict``: two writers raced.
- 400, 401, 403, 404, 413: ``detail`` says what to do; 429 (``followthrough.web.security``)
  adds ``retry_after``.

A request answered with an error changes nothing: every handler here marks the request's
transaction for rollback, because ninja turns exceptions into responses inside the view and
ATOMIC_REQUESTS would otherwise commit whatever happened before the exception.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connections, transaction
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from followthrough.web.lib.problems import MEDIA_TYPE, kind_of, problem
from followthrough.web.postmortems.operations import Refused
from followthrough.web.versioning import StaleVersion

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("followthrough.api")

# Model field name -> the name the API's bodies use for it.
FIELD_NAMES = {
    "team": "team_id",
    "commander": "commander_id",
    "responders": "responder_ids",
    "repeat_of": "repeat_of_id",
    "facilitator": "facilitator_id",
    "attendees": "attendee_ids",
    "owner": "owner_id",
    "addresses_factor": "addresses_factor_id",
}


def api_field(name: str) -> str:
    return FIELD_NAMES.get(name, name)


def field_error(field: str | None, msg: str, kind: str) -> dict[str, Any]:
    loc = ["body"] if field is None or field == NON_FIELD_ERRORS else ["body", api_field(field)]
    return {"loc": loc, "msg": msg, "type": kind}


class FieldError(Exception):
    """A 422 about one field of the body, e.g. an id that names nothing."""

    def __init__(self, field: str, msg: str, kind: str = "value_error") -> None:
        super().__init__(msg)
        self.field = field
        self.msg = msg
        self.kind = kind


class ProcessRefusal(Exception):
    """A 422 about the process, not a field: ``{"detail": ..., "reasons": [...]}``."""

    def __init__(self, detail: str, reasons: list[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reasons = reasons


class Conflict(Exception):
    """A 409 whose body carries ``detail`` and either ``current`` (the row now: a stale
    version), ``id`` (the row that exists already) or nothing more (a race)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["detail"])
        self.body = body

    @property
    def kind(self) -> str:
        if "current" in self.body or "current_version" in self.body:
            return "stale-version"
        if "id" in self.body:
            return "already-exists"
        return "conflict"


def _summary(errors: list[dict[str, Any]]) -> str:
    """One sentence for ``detail``: the first field problem, and how many more."""
    if not errors:
        return "The request is invalid."
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or str(
        first["loc"][0] if first["loc"] else "body"
    )
    more = len(errors) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{where}: {first['msg']}{tail}"


def _rollback() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            transaction.set_rollback(True, using=conn.alias)


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    def respond(
        request: HttpRequest,
        kind: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
        **extensions: Any,
    ) -> HttpResponse:
        _rollback()
        body = problem(kind, detail, errors=errors or (), status=status, **extensions)
        response = api.create_response(request, body, status=body["status"])
        response["Content-Type"] = MEDIA_TYPE
        return response

    def invalid(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
        return respond(request, "validation", _summary(errors), errors)

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            loc = list(error.get("loc", ()))
            # ninja puts the parameter name ("payload") after "body"; clients know fields only.
            if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
                del loc[1]
            errors.append(
                {"loc": loc, "msg": str(error.get("msg", "")), "type": error.get("type", "")}
            )
        return invalid(request, errors)

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = []
        if hasattr(exc, "error_dict"):
            for field, field_errors in exc.error_dict.items():
                for e in field_errors:
                    errors.extend(
                        field_error(field, msg, e.code or "invalid") for msg in e.messages
                    )
        else:
            errors = [field_error(None, msg, "invalid") for msg in exc.messages]
        return invalid(request, errors)

    def on_field_error(request: HttpRequest, exc: FieldError) -> HttpResponse:
        return invalid(request, [field_error(exc.field, exc.msg, exc.kind)])

    def on_refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        if exc.field is None:
            return respond(request, "refused", str(exc), reasons=exc.reasons)
        return invalid(
            request, [field_error(exc.field, reason, "refused") for reason in exc.reasons]
        )

    def on_process_refusal(request: HttpRequest, exc: ProcessRefusal) -> HttpResponse:
        return respond(request, "refused", exc.detail, reasons=exc.reasons)

    def on_conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        extensions = {k: v for k, v in exc.body.items() if k != "detail"}
        return respond(request, exc.kind, exc.body["detail"], **extensions)

    def on_stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
        # Views usually turn StaleVersion into a Conflict carrying the current row; this is
        # the fallback for a write that has no single row to show.
        return respond(request, "stale-version", str(exc), current_version=exc.current_version)

    def on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = getattr(request, "_followthrough_auth_problem", None) or (
            "Authentication required: send an API token as “Authorization: Bearer ft_…”, "
            "or sign in."
        )
        response = respond(request, "unauthenticated", detail)
        response["WWW-Authenticate"] = 'Bearer realm="followthrough"'
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        return respond(request, kind_of(status), str(exc), status=status)

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return respond(request, "forbidden", str(exc) or "You may not do this.")

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, "not-found", str(exc) or "Not found.")

    def on_integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # Two writers raced past the same check (e.g. two starts of one postmortem).
        logger.warning("Integrity error on %s %s: %s", request.method, request.path, exc)
        detail = "This conflicts with a change made at the same moment; reload and try again."
        return respond(request, "conflict", detail)

    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Usually refused unread by RequestLimitsMiddleware; this catches a body read anyway.
        from followthrough.web.security import body_too_large

        _rollback()
        return body_too_large(request)

    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        logger.warning("Suspicious request %s %s: %s", request.method, request.path, exc)
        return respond(request, "bad-request", "This request was refused as malformed.")

    def on_database_down(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Out of the view, so ATOMIC_REQUESTS rolls back (or drops the dead connection);
        # followthrough.web.security.DatabaseOutageMiddleware then answers 503.
        raise exc

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unexpected error on %s %s", request.method, request.path)
        if settings.DEBUG:
            raise exc
        detail = "Something went wrong on our side; nothing was changed. The error was logged."
        return respond(request, "server-error", detail)

    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(FieldError, on_field_error)
    api.add_exception_handler(Refused, on_refused)
    api.add_exception_handler(ProcessRefusal, on_process_refusal)
    api.add_exception_handler(Conflict, on_conflict)
    api.add_exception_handler(StaleVersion, on_stale)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(IntegrityError, on_integrity)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(SuspiciousOperation, on_suspicious)
    api.add_exception_handler(OperationalError, on_database_down)
    api.add_exception_handler(InterfaceError, on_database_down)
    api.add_exception_handler(Exception, on_unexpected)
