"""The REST API, ``/api/v1/``; its OpenAPI document is ``/api/v1/openapi.json``."""

from __future__ import annotations

from importlib import import_module

from ninja import NinjaAPI

from followthrough.web import followup, history, ingest, insights, integrations
from followthrough.web.api import actions, incidents, meetings, postmortems, sections, teams
from followthrough.web.api.auth import AUTH
from followthrough.web.api.errors import install

DESCRIPTION = """\
Postmortems that change outcomes: incidents, the postmortems they call for, their
milestones, meetings and action items.

**Authentication**: a personal API token, `Authorization: Bearer ft_…`, or the signed-in
session of the same-origin pages (with the CSRF token on unsafe methods).

**Access**: you read the rows of public teams and of the private teams you belong to
(anything else is 404); you change the rows of teams where you are an editor or lead (403
otherwise).

**Writes** carry the `version` you read. A stale version gets 409 with the row as it is now
(`current`), and nothing changes. A refused request changes nothing.

**Errors**: 422 field errors are `{"detail": [{"loc": ["body", "field"], "msg": "...",
"type": "..."}]}`; a refused status change is `{"detail": "...", "reasons": ["..."]}`.
"""

api = NinjaAPI(
    title="followthrough",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
)
install(api)

api.add_router("", teams.router)
api.add_router("", incidents.router)
api.add_router("", postmortems.router)
api.add_router("", sections.router)
api.add_router("", actions.router)
api.add_router("", meetings.router)
# Each later app owns its routes in its own api.py.
for app in (followup, integrations, ingest, insights, history):
    api.add_router("", import_module(f"{app.__name__}.api").router)
