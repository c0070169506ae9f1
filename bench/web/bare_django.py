"""The yardstick of bench/web/run.py: a bare Django project with one JSON view.

No database, no middleware, no authentication: what Django and gunicorn cost per request on
this machine, so the real API's throughput reads as a share of it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path

ITEMS = [
    {
        "id": n,
        "key": f"INC-{n}",
        "title": f"Checkout returned 502 for EU customers ({n})",
        "severity": "P1",
        "team": {"id": 1, "slug": "payments", "name": "Payments"},
        "resolved_at": "2026-03-02T15:00:00Z",
        "policy": {"decision": "required", "reasons": ["P1 with significant impact"]},
        "overdue": False,
    }
    for n in range(1, 13)
]


def incidents(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"items": ITEMS, "count": len(ITEMS)})


settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="bench-only",
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)
urlpatterns = [path("api/v1/incidents", incidents), path("api/v1/incidents/<int:pk>", incidents)]
application = get_wsgi_application()
