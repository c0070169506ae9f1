"""The ingest part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls.

Incident sources, for admins and leads of the source's team. The secret is write-only: it is
accepted on create and update, and answered only as ``"secret_set": true``. A Slack source's
secret is set only by an admin, together with the workspace it answers for
(``PUT /ingest/sources/{id}/slack-workspace``).
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import StringConstraints

from followthrough.web.accounts.models import Team
from followthrough.web.api.access import user_of
from followthrough.web.api.errors import FieldError
from followthrough.web.api.schemas import ERRORS, WRITE_ERRORS, Id, In, Pages, PathId, Severity
from followthrough.web.ingest.access import manageable_sources, manageable_teams, unroutable_teams
from followthrough.web.ingest.forms import is_paging, routing_fields
from followthrough.web.ingest.models import IngestSource, Kind, SlackWorkspace, routing_problem
from followthrough.web.integrations.slack import binding
from followthrough.web.integrations.vendors import sources

router = Router(tags=["ingest"])

# From the registry: a new vendor is a new kind here without touching this module.
SourceKind = Literal[tuple(sources())]  # type: ignore[valid-type]
RoutingField = Literal[tuple(sorted({f for k in sources() for f in routing_fields(k)}))]  # type: ignore[valid-type]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Secret = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=200),
    Field(description="Write-only: never returned; answered as secret_set."),
]
VendorValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class RuleIn(In):
    field: RoutingField
    value: VendorValue
    team_id: Id


class RuleOut(Schema):
    field: str
    value: str
    team_id: int


class SourceIn(In):
    name: Name
    kind: SourceKind
    team_id: Id = Field(..., description="Default team of the source's incidents.")
    routing: list[RuleIn] = Field(default_factory=list, description="First match wins.")
    severity_map: dict[VendorValue, Severity] = Field(
        default_factory=dict,
        description='Vendor priority/urgency -> P0..P3, over the defaults; "*" for none.',
    )
    secret: Secret | None = Field(
        None, description="Required, except for Slack: an admin sets it when binding."
    )
    enabled: bool = True


class SourcePatch(In):
    name: Name | None = None
    team_id: Id | None = None
    routing: list[RuleIn] | None = None
    severity_map: dict[VendorValue, Severity] | None = None
    secret: Secret | None = None
    enabled: bool | None = None


class SlackWorkspaceOut(Schema):
    team_id: str
    name: str
    bound_at: datetime


class SlackWorkspaceIn(In):
    team_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    signing_secret: Secret = Field(..., description="The Slack app's signing secret. Write-only.")


class SourceOut(Schema):
    id: int
    name: str
    kind: SourceKind
    team_id: int
    routing: list[RuleOut]
    severity_map: dict[str, str]
    enabled: bool
    secret_set: bool
    endpoint_url: str
    created_at: datetime
    slack_workspace: SlackWorkspaceOut | None = Field(
        None, description="Slack sources: the workspace an admin bound it to."
    )

    @staticmethod
    def resolve_endpoint_url(obj: IngestSource) -> str:
        return obj.endpoint_url()

    @staticmethod
    def resolve_slack_workspace(obj: IngestSource) -> SlackWorkspace | None:
        if obj.kind != Kind.SLACK:
            return None
        return SlackWorkspace.objects.filter(source=obj).first()


def _source(request: HttpRequest, pk: int) -> IngestSource:
    """The source, if its team is visible (else 404) and the user leads it (else 403)."""
    user = user_of(request)
    visible = IngestSource.objects.filter(team__in=Team.objects.visible_to(user))
    found = visible.select_related("team").filter(pk=pk).first()
    if found is None:
        raise HttpError(404, f"There is no incident source with id {pk}.")
    if not manageable_sources(user).filter(pk=pk).exists():
        raise HttpError(403, f"Only admins and leads of {found.team.name} configure its sources.")
    return found


def _team(request: HttpRequest, team_id: int) -> Team:
    user = user_of(request)
    team = Team.objects.visible_to(user).filter(pk=team_id).first()
    if team is None:
        raise FieldError("team_id", f"There is no team with id {team_id}.")
    if not manageable_teams(user).filter(pk=team.pk).exists():
        raise HttpError(403, f"Only admins and leads of {team.name} configure its sources.")
    return team


def _routing(request: HttpRequest, kind: str, rules: list[RuleIn]) -> list[dict[str, Any]]:
    plain = [{"field": r.field, "value": r.value, "team_id": r.team_id} for r in rules]
    problem = routing_problem(kind, plain)
    if problem:
        raise FieldError("routing", problem)
    refused = unroutable_teams(user_of(request), {r.team_id for r in rules})
    if refused:
        raise FieldError(
            "routing", f"You cannot send incidents to {', '.join(refused)}: you are not an editor."
        )
    return plain


@router.get("/ingest/sources", response={200: list[SourceOut], **ERRORS})
@paginate(Pages)
def list_sources(request: HttpRequest) -> Any:
    """The sources of the teams you lead (all of them for an admin)."""
    return list(manageable_sources(user_of(request)).order_by("pk"))


def _vendor_settings(
    request: HttpRequest, kind: str, routing: list[RuleIn], severity_map: dict[str, str]
) -> dict[str, Any]:
    if not is_paging(kind):
        if routing:
            raise FieldError("routing", "This kind of source has no routing rules.")
        if severity_map:
            raise FieldError("severity_map", "This kind of source has no severity mapping.")
        return {}
    return {"routing": _routing(request, kind, routing), "severity_map": dict(severity_map)}


def _secret_allowed(request: HttpRequest, kind: str, secret: str | None) -> None:
    if kind == Kind.SLACK and secret and not binding.may_bind(user_of(request)):
        raise HttpError(403, binding.ADMINS_ONLY)


@router.post("/ingest/sources", response={201: SourceOut, **WRITE_ERRORS})
def create_source(request: HttpRequest, payload: SourceIn) -> Any:
    team = _team(request, payload.team_id)
    _secret_allowed(request, payload.kind, payload.secret)
    if payload.kind != Kind.SLACK and not payload.secret:
        raise FieldError("secret", "Set a secret: without one every event is refused.")
    source = IngestSource.objects.create(
        name=payload.name,
        kind=payload.kind,
        team=team,
        settings=_vendor_settings(request, payload.kind, payload.routing, payload.severity_map),
        secret=payload.secret or "",
        enabled=payload.enabled,
        created_by=user_of(request),
    )
    return Status(201, source)


@router.get("/ingest/sources/{source_id}", response={200: SourceOut, **ERRORS})
def get_source(request: HttpRequest, source_id: PathId) -> Any:
    return _source(request, source_id)


@router.patch("/ingest/sources/{source_id}", response={200: SourceOut, **WRITE_ERRORS})
def update_source(request: HttpRequest, source_id: PathId, payload: SourcePatch) -> Any:
    """Change a source. ``secret`` replaces the secret; leave it out to keep the current one."""
    source = _source(request, source_id)
    fields = payload.model_dump(exclude_unset=True)
    for key in ("name", "enabled", "routing", "severity_map", "team_id"):
        if fields.get(key) is None and key in fields:
            raise FieldError(key, f"{key} cannot be null.")
    _secret_allowed(request, source.kind, fields.get("secret"))
    if "team_id" in fields:
        source.team = _team(request, fields["team_id"])
    changed: dict[str, Any] = {}
    if "routing" in fields:
        changed.update(_vendor_settings(request, source.kind, payload.routing or [], {}))
        changed.pop("severity_map", None)
    if "severity_map" in fields:
        severity = _vendor_settings(request, source.kind, [], fields["severity_map"])
        changed.update({k: v for k, v in severity.items() if k == "severity_map"})
    source.settings = {**(source.settings or {}), **changed}
    for key in ("name", "enabled"):
        if key in fields:
            setattr(source, key, fields[key])
    if fields.get("secret"):
        source.secret = fields["secret"]
    source.save()
    return source


@router.delete("/ingest/sources/{source_id}", response={204: None, **ERRORS})
def delete_source(request: HttpRequest, source_id: PathId) -> Any:
    """Stop receiving from a source. Its incidents stay; its deliveries are forgotten."""
    source = _source(request, source_id)
    source.delete()
    return Status(204, None)


@router.put(
    "/ingest/sources/{source_id}/slack-workspace",
    response={200: SourceOut, **WRITE_ERRORS},
)
def bind_slack_workspace(request: HttpRequest, source_id: PathId, payload: SlackWorkspaceIn) -> Any:
    """Bind a Slack source to its workspace and set the Slack app's signing secret (admins).

    Commands are accepted only from this workspace, signed with this secret; binding the
    source to another workspace forgets who was who in the one before.
    """
    source = _source(request, source_id)
    try:
        binding.bind(
            source, payload.team_id, payload.signing_secret, user_of(request), name=payload.name
        )
    except binding.BindingRefused as e:
        if e.status == 422:
            raise FieldError(e.field or "team_id", e.reason) from e
        raise HttpError(e.status, e.reason) from e
    source.refresh_from_db()
    return source


@router.delete("/ingest/sources/{source_id}/slack-workspace", response={204: None, **ERRORS})
def unbind_slack_workspace(request: HttpRequest, source_id: PathId) -> Any:
    """Unbind a Slack source (admins): its commands are refused and its secret forgotten."""
    source = _source(request, source_id)
    try:
        binding.unbind(source, user_of(request))
    except binding.BindingRefused as e:
        raise HttpError(e.status, e.reason) from e
    return Status(204, None)
