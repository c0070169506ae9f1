"""Security at the edge of every request: headers, body size and rate limits.

- ``SecurityHeadersMiddleware`` adds a Content-Security-Policy without inline script and a
  Permissions-Policy to every response (Django's ``SecurityMiddleware`` and
  ``XFrameOptionsMiddleware`` add nosniff, Referrer-Policy, X-Frame-Options and, behind TLS,
  HSTS).
- ``RequestLimitsMiddleware`` refuses a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``
  with 413 before anything reads it, throttles the API per account (429 with
  Retry-After and a JSON message) and refuses sign-in after too many failures for one
  identity from one address (429, the login form says how long to wait).

Every limit keys on the identity Django signs in, never on the spelling a client sent:
a username in Django's normal form (NFKC, ``AbstractBaseUser.normalize_username``, which
the login form applies too), without case, so ``ａｌｉｃｅ`` and ``ALICE`` are alice; an
API token as the account it belongs to (every token of one account shares its count); a
made-up token, or none, as the client's address.

Counters live in Django's cache, which ``settings.CACHES`` points at a database table: every
gunicorn worker sees the same counts, and they survive a restart. The API counter is kept
here, outside the view's transaction (``ATOMIC_REQUESTS`` wraps views, not middleware), so
a request answered with an error and rolled back still counts. Each process adds its API
requests to the shared count in small batches (``_ApiCounts``), so an API read costs no
database write most of the time; sign-in failures are written one by one.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.transaction import TransactionManagementError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape

from followthrough.web.lib.problems import problem_response

logger = logging.getLogger("followthrough.security")

Handler = Callable[[HttpRequest], HttpResponse]

API_PREFIX = "/api/"


def _cache() -> Any:
    return caches[settings.RATE_LIMIT_CACHE]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def client_address(request: HttpRequest) -> str:
    """The client's address, for rate limits.

    Without ``TRUSTED_PROXY_COUNT`` it is the peer (behind a proxy: the proxy, so limits
    work per username only). With N trusted proxies in front, each appends the address it
    received from to ``X-Forwarded-For``: the client is the N-th entry from the right.
    Entries further left are whatever the client sent and are never trusted.
    """
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    return hops[-proxies] if len(hops) >= proxies else peer


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response, pages and API alike."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


# --- sign-in -------------------------------------------------------------------------------


def identity_of_username(username: str) -> str:
    """The person a typed username signs in as, for counting: Django's normal form (NFKC,
    as ``AuthenticationForm`` and ``AbstractBaseUser.normalize_username`` apply it), trimmed
    as the form trims it, without case (capitals never buy more attempts)."""
    normal = AbstractBaseUser.normalize_username(username).strip()
    return unicodedata.normalize("NFKC", normal.casefold())


def _sign_in_key(username: str, address: str) -> str:
    return "signin:" + _digest(identity_of_username(username), address)


def sign_in_wait(username: str, address: str) -> int:
    """Seconds until ``username`` may try again from ``address``; 0 if it may now."""
    limit, window = settings.SIGN_IN_RATE_LIMIT
    try:
        with transaction.atomic():
            entry = _cache().get(_sign_in_key(username, address))
    except DatabaseError:
        logger.exception(
            "The rate-limit cache is unavailable (run `followthrough manage createcachetable`)"
        )
        return 0
    if not entry:
        return 0
    count, started = entry
    remaining = math.ceil(started + window - time.time())
    return remaining if count >= limit and remaining > 0 else 0


def _record_failure(username: str, address: str) -> None:
    limit, window = settings.SIGN_IN_RATE_LIMIT
    key = _sign_in_key(username, address)
    now = time.time()
    cache = _cache()
    entry = cache.get(key)
    if entry and entry[1] + window > now:
        count, started = entry[0] + 1, entry[1]
    else:
        count, started = 1, now
    cache.set(key, (count, started), timeout=max(1, math.ceil(started + window - now)))


@receiver(user_login_failed, dispatch_uid="followthrough-sign-in-failed")
def _count_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    username = str(credentials.get("username") or "")
    try:
        # A savepoint: on PostgreSQL a failed cache query must not break the view's transaction.
        with transaction.atomic():
            _record_failure(username, client_address(request))
    except DatabaseError:
        logger.exception("Could not count a failed sign-in (is the cache table missing?)")


@receiver(user_logged_in, dispatch_uid="followthrough-sign-in-succeeded")
def _forget_failed_sign_ins(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if request is None:
        return
    try:
        with transaction.atomic():
            _cache().delete(_sign_in_key(user.get_username(), client_address(request)))
    except DatabaseError:
        logger.exception("Could not reset the failed sign-in count (is the cache table missing?)")


class _ThrottledSignInForm(AuthenticationForm):
    """The login form, refused before any password is checked."""

    def __init__(self, *args: Any, wait: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wait = wait

    def clean(self) -> dict[str, Any]:
        raise ValidationError(
            "Too many failed sign-in attempts for this username from your address. "
            f"Wait {_wait_words(self.wait)} and try again.",
            code="throttled",
        )


def _refuse_sign_in(request: HttpRequest, wait: int, admin_login: bool) -> HttpResponse:
    form = _ThrottledSignInForm(request, data=request.POST, wait=wait)
    form.is_valid()
    next_url = request.POST.get("next", "")
    if admin_login:
        context = {
            **admin.site.each_context(request),
            "title": "Log in",
            "app_path": request.get_full_path(),
            "username": request.POST.get("username", ""),
            "form": form,
            "next": next_url,
        }
        template = "admin/login.html"
    else:
        context = {"form": form, "next": next_url}
        template = "registration/login.html"
    response = TemplateResponse(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response.render()


# --- API -----------------------------------------------------------------------------------


class _TokenOwners:
    """Which account a bearer token belongs to (None: no live token), remembered a minute.

    The limit is checked before the view authenticates; looking the token up once a
    minute per process keeps an API read from costing a second query. A token revoked
    meanwhile is refused by the view at once; only its count lags, by at most a minute.
    """

    TTL = 60.0
    SIZE = 10_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owners: dict[str, tuple[int | None, float]] = {}

    def owner(self, credential: str) -> int | None:
        key = _digest(credential)
        now = time.monotonic()
        with self.lock:
            known = self.owners.get(key)
        if known is not None and known[1] > now:
            return known[0]
        from followthrough.web.accounts.models import ApiToken
        from followthrough.web.lib.read_transactions import reading

        with reading():  # a look-up: never SQLite's write lock
            token = ApiToken.objects.authenticate(credential)
        owner = token.user_id if token is not None else None
        with self.lock:
            if len(self.owners) >= self.SIZE:
                self.owners = {k: v for k, v in self.owners.items() if v[1] > now}
                if len(self.owners) >= self.SIZE:
                    self.owners.clear()
            self.owners[key] = (owner, now + self.TTL)
        return owner


TOKEN_OWNERS = _TokenOwners()


def account_of(request: HttpRequest) -> int | None:
    """The id of the account an API request acts for, before the view authenticates it: the
    owner of a live bearer token, else the signed-in user; None for neither."""
    header = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers would build them all
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and credential.strip():
        return TOKEN_OWNERS.owner(credential.strip())
    if header:
        return None  # another scheme: the API refuses it
    user = getattr(request, "user", None)
    return int(user.pk) if user is not None and user.is_authenticated else None


def _api_identity(request: HttpRequest) -> tuple[str, str]:
    """(cache key part, words for the message): the account, else the client's address.

    The account is the one a live bearer token belongs to, else the signed-in user. A
    token that is not live counts against the address it comes from, so made-up tokens
    do not each start a count of their own.
    """
    owner = account_of(request)
    if owner is not None:
        return f"user:{owner}", "your account"
    return "addr:" + _digest(client_address(request)), "your address"


class _ApiCounts:
    """This process's API request counts, added to the shared count every few requests.

    Writing the shared count on every request would add a write transaction to every API
    read; instead each process adds its requests in batches of ``API_RATE_LIMIT_BATCH``.
    The shared count can therefore lag by under one batch per worker: with 2 workers and a
    batch of 20, a token is refused after at most 40 requests beyond its limit.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (identity, window) -> [shared total when last synced, requests not yet added to it]
        self.counts: dict[tuple[str, int], list[int]] = {}
        # The window every key of ``counts`` is in (None: not known yet).
        self.slot: int | None = None

    def count(self, identity: str) -> tuple[int, int]:
        """(requests so far in this window, as far as is known; seconds until it ends)."""
        _, window = settings.API_RATE_LIMIT
        batch = max(1, settings.API_RATE_LIMIT_BATCH)
        now = time.time()
        slot = int(now // window)
        wait = max(1, math.ceil((slot + 1) * window - now))
        with self.lock:
            if slot != self.slot:
                # A new window: the last one's counts are done with. Compared once per window,
                # not key by key on every request (a busy server counts thousands of tokens).
                self.counts = {k: v for k, v in self.counts.items() if k[1] == slot}
                self.slot = slot
            entry = self.counts.setdefault((identity, slot), [0, 0])
            entry[1] += 1
            if entry[1] >= batch:
                entry[0] = self._add_to_shared(f"api:{identity}:{slot}", entry[1], window)
                entry[1] = 0
            return entry[0] + entry[1], wait

    @staticmethod
    def _add_to_shared(key: str, requests: int, window: int) -> int:
        cache = _cache()
        # One transaction: on SQLite (BEGIN IMMEDIATE) it makes the read-then-write exact; on
        # PostgreSQL a failed query stays inside it instead of breaking an outer transaction.
        with transaction.atomic():
            try:
                return int(cache.incr(key, requests))
            except ValueError:
                if cache.add(key, requests, timeout=window + 5):
                    return requests
                return int(cache.incr(key, requests))


API_COUNTS = _ApiCounts()


def too_many_api_requests(limit: int, window: int, who: str, wait: int) -> JsonResponse:
    per = "a minute" if window == 60 else f"per {window} seconds"
    response = problem_response(
        "rate-limited",
        f"Too many requests: {who} may make {limit} requests {per}. Try again in {wait} seconds.",
        retry_after=wait,
    )
    response["Retry-After"] = str(wait)
    return response


# --- body size -----------------------------------------------------------------------------


def _size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{math.ceil(size / 1024)} KiB"


def body_too_large(request: HttpRequest) -> HttpResponse:
    """413, as JSON for the API and as a short page elsewhere."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than the {_size_words(limit)} this server accepts."
    if request.path_info.startswith(API_PREFIX):
        return problem_response("too-large", message)
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Request too large · followthrough</title></head>"
        f"<body><h1>Request too large</h1><p>{escape(message)}</p></body></html>"
    )
    return HttpResponse(page, status=413)


class RequestLimitsMiddleware:
    """413 for oversized bodies, 429 for too many API requests or failed sign-ins.

    Goes after ``AuthenticationMiddleware`` (the API counts a signed-in browser per user)
    Every ``process_view`` (CSRF reads the body there) runs after this: an oversized body
    is refused unread.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.login_paths: dict[str, bool] = {}

    def _login_paths(self) -> dict[str, bool]:
        if not self.login_paths:
            self.login_paths = {reverse(settings.LOGIN_URL): False, reverse("admin:login"): True}
        return self.login_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit:
            return body_too_large(request)

        path = request.path_info
        if path.startswith(API_PREFIX) and settings.API_RATE_LIMIT:
            refused = self._throttle_api(request)
            if refused is not None:
                return refused
        elif request.method == "POST" and path in self._login_paths():
            wait = sign_in_wait(request.POST.get("username", ""), client_address(request))
            if wait:
                return _refuse_sign_in(request, wait, admin_login=self._login_paths()[path])
        return self.get_response(request)

    def _throttle_api(self, request: HttpRequest) -> HttpResponse | None:
        limit, window = settings.API_RATE_LIMIT
        try:
            identity, who = _api_identity(request)
            count, wait = API_COUNTS.count(identity)
        except DatabaseError:
            logger.exception(
                "The rate-limit cache is unavailable (run `followthrough manage createcachetable`)"
            )
            return None
        if count > limit:
            return too_many_api_requests(limit, window, who, wait)
        return None


# --- database outage -----------------------------------------------------------------------

DATABASE_RETRY_AFTER = 5


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, as JSON for the API and as a short page elsewhere."""
    message = "The database is unavailable or full right now; nothing was saved. Try again shortly."
    if request.path_info.startswith(API_PREFIX):
        response: HttpResponse = problem_response(
            "unavailable", message, retry_after=DATABASE_RETRY_AFTER
        )
    else:
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<title>Service unavailable · followthrough</title></head>"
            f"<body><h1>Service unavailable</h1><p>{escape(message)}</p></body></html>"
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


class _Watch:
    """Every query of one request, as seen from below the ORM (``execute_wrapper``): whether
    one failed because the database connection did, and whether inside a transaction.

    Code that swallows a database error (Django's constraint check in ``full_clean``
    answers "constraint violated" when its query fails; a handler may catch and go on)
    cannot hide it from here.
    """

    def __init__(self) -> None:
        self.failure: Exception | None = None
        # alias -> the driver's connection on which a query inside a transaction failed
        self.failed_inside: dict[str, Any] = {}

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError) as e:
            self.failure = e
            conn = context["connection"]
            if conn.in_atomic_block:
                self.failed_inside.setdefault(conn.alias, conn.connection)
            raise

    def lost(self) -> bool:
        """Whether a transaction of this request lost its connection: the connection on
        which a query failed is closed, replaced (Django reconnects when it leaves the
        failed transaction) or no longer answers."""
        for alias, failed in self.failed_inside.items():
            conn = connections[alias]
            if conn.connection is None or conn.connection is not failed:
                return True
            try:
                if not conn.is_usable():
                    return True
            except DatabaseError:
                return True
        return False


class DatabaseOutageMiddleware:
    """A lost or full database becomes a clean 503 that is true: nothing was saved.

    A PostgreSQL restart kills every open connection: the next query on it raises
    ``OperationalError`` or ``InterfaceError``. SQLite with a full disk raises
    ``OperationalError`` ("database or disk is full"). Django calls ``process_exception``
    after the view's ``ATOMIC_REQUESTS`` transaction has rolled back (or, if the rollback
    failed on a dead connection, after it closed the connection), so nothing is
    half-written; this answers 503 with Retry-After instead of a 500 page and closes a
    connection that is no longer usable so the next request opens a fresh one.

    The answer is 503 too when the view answered anything else after a query inside its
    transaction failed with the connection, and the connection is gone: that transaction
    cannot have committed, so a 422 "constraint violated" (the check's query failed), a
    409 or a 500 of an error that followed would be untrue. Nothing can make a committed
    request answer 503 in turn: no work runs after the commit inside the request (derived
    work is queued in the transaction, ``followthrough.web.lib.deferred``), and a
    connection that failed only outside the transaction changes no answer.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        watch = _Watch()
        request._followthrough_db_watch = watch  # type: ignore[attr-defined]
        # What ``connection.execute_wrapper(watch)`` does for each database, without a
        # context manager per database on every request.
        watched = [connections[alias] for alias in settings.DATABASES]
        for conn in watched:
            conn.execute_wrappers.append(watch)
        try:
            response = self.get_response(request)
        finally:
            for conn in watched:
                conn.execute_wrappers.remove(watch)
        if response.status_code != 503 and watch.lost():
            logger.warning(
                "Database lost during %s %s (answered %s, now 503): %s",
                request.method,
                request.path,
                response.status_code,
                watch.failure,
            )
            self._close_broken()
            return database_unavailable(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        watch = getattr(request, "_followthrough_db_watch", None)
        lost_midway = watch is not None and bool(watch.failed_inside)
        if not isinstance(exception, (OperationalError, InterfaceError)) and not (
            lost_midway and isinstance(exception, (DatabaseError, TransactionManagementError))
        ):
            return None
        logger.warning(
            "Database unavailable for %s %s: %s", request.method, request.path, exception
        )
        self._close_broken()
        return database_unavailable(request)

    @staticmethod
    def _close_broken() -> None:
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block:
                continue  # an enclosing atomic block (a test's) owns this connection
            try:
                conn.close_if_unusable_or_obsolete()
            except DatabaseError:
                logger.debug("Closing a broken connection failed", exc_info=True)
