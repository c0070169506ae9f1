"""Idempotency keys on every POST of the API: a client may retry safely.

A POST under ``/api/`` may carry ``Idempotency-Key: <1 to 255 visible ASCII characters>``
(a UUID is a good key). Then:

- the first request with the key runs; if it succeeds (2xx), its answer (status, type,
  body) is stored under the key *in the same transaction as the write*, so the key exists
  exactly when the write does;
- a retry with the same key and the same request (method, path and body; JSON compared
  in a canonical form) gets that answer again, with ``Idempotent-Replayed: true``, and
  writes nothing;
- a request with the same key and a different method, path or body is refused with 422;
- an answer that was not a success saved nothing (the write rolled back), so its key is
  not kept: a retry runs again.

Two requests with one key at the same moment do not both write: the second waits for the
first's transaction (the key is unique per account) and then replays its answer. Keys
belong to the account (every token of one person and their signed-in browser), are kept
``IDEMPOTENCY_KEY_HOURS`` hours (48 by default, never under 24) and then pruned.

Requests without the header behave as before; requests that are not signed in are
answered by the API (401) without touching any key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from followthrough.web.lib.problems import kind_of, problem_response

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
MIN_HOURS = 24


def retention() -> timedelta:
    return timedelta(hours=max(MIN_HOURS, int(settings.IDEMPOTENCY_KEY_HOURS)))


def fingerprint(request: HttpRequest) -> str:
    """What makes two requests the same: method, path, query and body (JSON canonical)."""
    body = request.body
    if request.content_type == "application/json":
        # not JSON after all: compared as sent
        with contextlib.suppress(ValueError, RecursionError):
            body = json.dumps(
                json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
    digest = hashlib.sha256()
    for part in (request.method or "", request.path_info, request.META.get("QUERY_STRING", "")):
        digest.update(part.encode() + b"\x1f")
    digest.update(body)
    return digest.hexdigest()


def _problem(status: int, detail: str) -> JsonResponse:
    return problem_response(kind_of(status), detail)


def _replay(stored: Any) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status, content_type=stored.content_type or None
    )
    response[REPLAYED] = "true"
    return response


def _mismatch(stored: Any) -> JsonResponse:
    return _problem(
        422,
        f"This {HEADER} was first used for another request ({stored.method} {stored.path} with "
        "a different body); a retry must repeat the same request exactly. Send a new key "
        "for a new request.",
    )


class IdempotencyMiddleware:
    """Keys POSTs under ``/api/`` by their ``Idempotency-Key``; see the module docstring.

    Placed after ``DatabaseOutageMiddleware``: the transaction opened here encloses the
    view's own (``ATOMIC_REQUESTS``, then a savepoint), so the key and the write commit
    together; a failed commit is answered 503 here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        key = request.headers.get(HEADER)
        if key is None:
            return self.get_response(request)
        if not _KEY.match(key):
            return _problem(
                400,
                f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID, say); "
                f"got {len(key)} character(s) that are not.",
            )
        from followthrough.web.security import account_of

        user_id = account_of(request)
        if user_id is None:
            return self.get_response(request)  # the API answers 401 itself
        try:
            return self._keyed(request, user_id, key)
        except DatabaseError as e:  # the commit itself failed: nothing is known to be saved
            log.warning("Database lost committing %s %s: %s", request.method, request.path, e)
            from followthrough.web.security import database_unavailable

            return database_unavailable(request)

    def _keyed(self, request: HttpRequest, user_id: int, key: str) -> HttpResponse:
        from followthrough.web.api.models import IdempotencyKey

        print_ = fingerprint(request)
        keys = IdempotencyKey.objects.filter(user_id=user_id, key=key)
        with transaction.atomic():
            stored = keys.first()
            if stored is None:
                try:
                    with transaction.atomic():
                        stored = IdempotencyKey.objects.create(
                            user_id=user_id,
                            key=key,
                            fingerprint=print_,
                            method=request.method or "POST",
                            path=request.path_info[:500],
                        )
                except IntegrityError:
                    # Another request with this key committed meanwhile (we waited for it).
                    stored = keys.first()
                else:
                    return self._first(request, stored)
            if stored is None:  # committed, then pruned in between: as good as new
                raise DatabaseError("idempotency key vanished; try again")
            if stored.fingerprint != print_:
                return _mismatch(stored)
            return _replay(stored)

    def _first(self, request: HttpRequest, stored: Any) -> HttpResponse:
        """Run the request; keep its answer with the key if it succeeded, else neither."""
        response = self.get_response(request)
        if 200 <= response.status_code < 300 and not response.streaming:
            stored.status = response.status_code
            stored.content_type = response.get("Content-Type", "")[:100]
            stored.body = response.content
            stored.save(update_fields=["status", "content_type", "body"])
        else:
            transaction.set_rollback(True)
        return response


def prune(now: datetime) -> str:
    """Forget keys older than the retention (a periodic job)."""
    from followthrough.web.api.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - retention()).delete()
    return f"pruned {deleted}"
