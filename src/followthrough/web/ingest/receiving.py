"""The one path every signed inbound request takes, whatever the vendor.

size (413) -> source (404) -> signature and replay window (401) -> enabled (403) -> payload
(400 / ignored) -> apply once (201 created, 200 otherwise, "duplicate" for a replay).

Nothing is stored before the signature checks out. These endpoints are CSRF-exempt (the
signature is the authentication) and never touch the session or the signed-in user.
Logs name the source and the reason, never the secret, the signature or the body.

``POST /ingest/<kind>/<source id>/`` serves every vendor of the registry with ``verify`` and
``parse`` (``followthrough.web.integrations.vendors``); a kind the registry does not know is
a source that does not exist (404). A vendor that drops deliveries answered 4xx (Opsgenie)
gets 200 "ignored" for an authentic delivery it cannot use, recorded with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough.web.ingest.apply import apply_event
from followthrough.web.ingest.events import BadSignature, IncidentEvent, Malformed, Unsupported
from followthrough.web.ingest.models import Delivery, IngestSource
from followthrough.web.lib.signatures import content_key

logger = logging.getLogger("followthrough.ingest")

MAX_BODY = 1024 * 1024  # 1 MB: vendors' payloads are a few kB.
MAX_ID = 2**63 - 1


class TooBig(Exception):
    pass


Verifier = Callable[[str, Mapping[str, str], bytes, float], None]
Parser = Callable[[bytes, Mapping[str, str], float], IncidentEvent]


def reply(code: int, detail: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=code)


def read_body(request: HttpRequest) -> bytes:
    """The raw body, refused above 1 MB before it is read when the length is declared."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        raise TooBig
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise TooBig
    return body


def too_big() -> JsonResponse:
    return reply(413, f"The body is larger than {MAX_BODY // 1024} kB; nothing was stored.")


@csrf_exempt
@require_POST
def receive_view(request: HttpRequest, kind: str, source_id: int) -> JsonResponse:
    """``POST /ingest/<kind>/<source id>/``: the registry's vendor of that kind receives it."""
    from followthrough.web.integrations.vendors import sources

    vendor = sources().get(kind)
    if vendor is None or vendor.verify is None or vendor.parse is None:
        try:
            read_body(request)
        except TooBig:
            return too_big()
        return reply(404, f"There is no {kind} source with id {source_id}.")
    return receive(
        request,
        kind,
        source_id,
        vendor.verify,
        vendor.parse,
        check=vendor.check,
        malformed_is_2xx=vendor.answers_malformed_with_2xx,
    )


def receive(
    request: HttpRequest,
    kind: str,
    source_id: int,
    verify: Verifier,
    parse: Parser,
    check: Callable[[IngestSource, IncidentEvent], None] | None = None,
    *,
    malformed_is_2xx: bool = False,
) -> JsonResponse:
    """Authenticate, parse and apply one delivery to the source ``source_id`` of ``kind``."""
    try:
        body = read_body(request)
    except TooBig:
        return too_big()
    # A path id beyond 64 bits names nothing (and must not reach SQL).
    source = None
    if source_id <= MAX_ID:
        source = IngestSource.objects.filter(pk=source_id, kind=kind).first()
    if source is None:
        return reply(404, f"There is no {kind} source with id {source_id}.")
    if not source.secret:
        logger.warning("ingest %s source %s: no secret configured", kind, source.pk)
        return reply(401, "This source has no secret yet; set one before sending events.")
    now = time.time()
    try:
        verify(source.secret, request.headers, body, now)
    except BadSignature as e:
        logger.warning("ingest %s source %s: refused: %s", kind, source.pk, e)
        return reply(401, str(e))
    if not source.enabled:
        return reply(403, f"The source “{source.name}” is disabled; nothing was stored.")
    try:
        event = parse(body, request.headers, now)
        if check is not None:
            check(source, event)
        outcome = apply_event(source, event)
    except Unsupported as e:
        return reply(200, str(e), status="ignored")
    except Malformed as e:
        if malformed_is_2xx:
            return _ignored(source, body, str(e))
        return reply(400, f"Malformed payload: {e}")
    body_out = outcome.as_json()
    return JsonResponse(body_out, status=201 if outcome.status == "created" else 200)


def _ignored(source: IngestSource, body: bytes, reason: str) -> JsonResponse:
    """An authentic delivery the vendor would drop if refused: kept as ``ignored``, with why."""
    detail = f"Malformed payload: {reason}"[:300]
    try:
        with transaction.atomic():
            Delivery.objects.create(
                source=source,
                event_id=content_key(body),
                event_type="unreadable",
                outcome="ignored",
                detail=detail,
            )
    except IntegrityError:
        pass  # the same body again: recorded once
    logger.warning("ingest %s source %s: ignored: %s", source.kind, source.pk, reason)
    return reply(200, detail, status="ignored")
