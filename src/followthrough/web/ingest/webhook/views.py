"""POST /ingest/webhook/<source_id>/: the generic JSON webhook (docs/webhook.md)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough.web.ingest.events import IncidentEvent, Malformed
from followthrough.web.ingest.models import IngestSource, Kind
from followthrough.web.ingest.receiving import receive

from .parse import parse
from .verify import verify


def check_severity(source: IngestSource, event: IncidentEvent) -> None:
    """Our own payload names a severity: one the mapping does not know is a mistake, not P2."""
    for value in event.severity_values:
        if not source.knows_severity(value):
            raise Malformed(
                f"body.severity is {value!r}; use P0..P3 or a name in this source's severity "
                "mapping."
            )


@csrf_exempt
@require_POST
def receive_webhook(request: HttpRequest, source_id: int) -> JsonResponse:
    return receive(request, Kind.WEBHOOK, source_id, verify, parse, check=check_severity)
