"""POST /ingest/slack/commands/: the Request URL of the Slack app's /postmortem command.

One URL for every Slack source: the request is matched to the source whose signing secret
signed it. Slack shows non-200 answers as a failure, so once the request is authentic every
answer, refusals included, is a 200 with an ephemeral message.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough.web.ingest.events import BadSignature, Malformed
from followthrough.web.ingest.models import IngestSource, Kind
from followthrough.web.ingest.receiving import TooBig, read_body, reply, too_big

from .commands import handle
from .parse import parse
from .verify import check_timestamp, verify

logger = logging.getLogger("followthrough.ingest")


def signing_source(headers: object, body: bytes, now: float) -> IngestSource | None:
    """The Slack source whose secret signed this request, or None."""
    for source in IngestSource.objects.filter(kind=Kind.SLACK).exclude(secret=""):
        try:
            verify(source.secret, headers, body, now)  # type: ignore[arg-type]
        except BadSignature:
            continue
        return source
    return None


@csrf_exempt
@require_POST
def slash_command(request: HttpRequest) -> JsonResponse:
    try:
        body = read_body(request)
    except TooBig:
        return too_big()
    if not IngestSource.objects.filter(kind=Kind.SLACK).exclude(secret="").exists():
        return reply(404, "No Slack source is configured here.")
    now = time.time()
    try:
        check_timestamp(request.headers, now)
    except BadSignature as e:
        logger.warning("ingest slack: refused: %s", e)
        return reply(401, str(e))
    source = signing_source(request.headers, body, now)
    if source is None:
        logger.warning("ingest slack: refused: no signing secret matches")
        return reply(401, "X-Slack-Signature does not match any Slack source's signing secret.")
    if not source.enabled:
        return reply(403, f"The source “{source.name}” is disabled.")
    try:
        command = parse(body, request.headers)
    except Malformed as e:
        return reply(400, f"Malformed slash command: {e}")
    return JsonResponse(handle(command))
