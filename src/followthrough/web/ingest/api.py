"""The ingest part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls."""

from ninja import Router

router = Router(tags=["ingest"])
