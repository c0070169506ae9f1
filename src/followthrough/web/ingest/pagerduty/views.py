"""POST /ingest/pagerduty/<source_id>/: the URL a PagerDuty v3 webhook subscription posts to."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from followthrough.web.ingest.models import Kind
from followthrough.web.ingest.receiving import receive

from .parse import parse
from .verify import verify


@csrf_exempt
@require_POST
def receive_pagerduty(request: HttpRequest, source_id: int) -> JsonResponse:
    return receive(request, Kind.PAGERDUTY, source_id, verify, parse)
