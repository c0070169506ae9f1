"""The REST API, ``/api/v1/``; its OpenAPI document is ``/api/v1/openapi.json``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ninja import NinjaAPI
from ninja.operation import Operation

from followthrough.web import followup, history, ingest, insights, integrations
from followthrough.web.accounts.api import people, teams
from followthrough.web.actions import api as actions
from followthrough.web.api.auth import AUTH
from followthrough.web.api.errors import install
from followthrough.web.incidents import api as incidents
from followthrough.web.lib.problems import MEDIA_TYPE
from followthrough.web.postmortems.api import meetings, postmortems, sections

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

**Final means final**: once a postmortem is final, its document (sections, timeline, whys,
contributing factors, meeting, and what its action items say) is locked: a change gets 422
with the reason. Repeat it with `?send_back_to_review=true` to send the postmortem back to
review with the change (the linter's gate applies again before it can be final again). The
action items' follow-through (status, owner, due date, ratings, tracker) stays open. A
closed postmortem is read-only: reopen it (transition to `in_review`) first.

**Setting up**: organisation admins create teams and people and set managers; a team's
leads change its settings and members and invite people onto it (`POST /invitations`).

**Errors** are RFC 9457 problem details (`application/problem+json`), every one of them:
`{"type": "urn:followthrough:problem:<kind>", "title": "...", "status": N, "detail": "...",
"errors": [{"loc": ["body", "field"], "msg": "...", "type": "..."}]}`. Switch on `type`;
`errors` lists the fields at fault (often empty). A refusal (`refused`) adds `reasons`, a
stale write (`stale-version`) the row as it is now (`current`), a rate limit `retry_after`.

**Lists** answer one page: `{"items": [...], "count": N, "limit": L, "offset": O, "next":
URL or null}`, chosen with `?limit=` (at most 200) and `?offset=`.

docs/api.md has the kinds of problem and the changelog.
"""


# Operation ids name a route's module, and generated clients name their methods after them:
# the routes that moved from web/api/ into their apps keep the ids they were published with.
PUBLISHED_MODULES = {
    "followthrough.web.accounts.api.people": "followthrough.web.api.people",
    "followthrough.web.accounts.api.teams": "followthrough.web.api.teams",
    "followthrough.web.incidents.api": "followthrough.web.api.incidents",
    "followthrough.web.postmortems.api.postmortems": "followthrough.web.api.postmortems",
    "followthrough.web.postmortems.api.sections": "followthrough.web.api.sections",
    "followthrough.web.postmortems.api.meetings": "followthrough.web.api.meetings",
    "followthrough.web.actions.api": "followthrough.web.api.actions",
}


class FollowthroughAPI(NinjaAPI):
    """The API, whose OpenAPI document says that errors are ``application/problem+json``."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        module = PUBLISHED_MODULES.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for item in schema["paths"].values():
            for operation in item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[0] in "45" and "application/json" in content:
                        response["content"] = {MEDIA_TYPE: content["application/json"]}
        return schema


api = FollowthroughAPI(
    title="followthrough",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
)
install(api)

api.add_router("", teams.router)
api.add_router("", people.router)
api.add_router("", incidents.router)
api.add_router("", postmortems.router)
api.add_router("", sections.router)
api.add_router("", actions.router)
api.add_router("", meetings.router)
# Each later app owns its routes in its own api.py.
for app in (followup, integrations, ingest, insights, history):
    api.add_router("", import_module(f"{app.__name__}.api").router)
