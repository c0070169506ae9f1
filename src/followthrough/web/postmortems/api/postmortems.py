"""Postmortems: start one for an incident, write its sections, move it through review.

Every state change goes through ``followthrough.web.postmortems.operations``; this module only
checks who may ask, validates the body and shapes the answer.
"""

from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from followthrough.web.api.access import (
    get_visible,
    incident_q,
    require_editable,
    user_of,
)
from followthrough.web.api.errors import Conflict, ProcessRefusal
from followthrough.web.api.schemas import (
    ERRORS,
    WRITE_ERRORS,
    AlreadyExists,
    Pages,
    PathId,
    PostmortemStatus,
    Problem,
    Refusal,
    TeamFilter,
    stale,
)
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.api.locking import LOCKABLE_ERRORS, SendBack, open_document
from followthrough.web.postmortems.linting import postmortem_markdown, review
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.models import Status as PostmortemStatusChoice
from followthrough.web.postmortems.operations import (
    PostmortemExists,
    Refused,
    start_postmortem,
    transition,
)
from followthrough.web.postmortems.schemas import (
    POSTMORTEM_DETAIL_PREFETCH,
    POSTMORTEM_PREFETCH,
    POSTMORTEM_RELATED,
    PostmortemOut,
    PostmortemPatch,
    PostmortemSummaryOut,
    TransitionIn,
)
from followthrough.web.versioning import StaleVersion, save_versioned

router = Router(tags=["postmortems"])


def fetch_postmortem(request: HttpRequest, postmortem_id: int) -> Postmortem:
    """The postmortem with everything its detail shows, if the user can see it (else 404)."""
    queryset = Postmortem.objects.select_related(*POSTMORTEM_RELATED).prefetch_related(
        *POSTMORTEM_DETAIL_PREFETCH
    )
    return get_visible(request, queryset, postmortem_id, "postmortem")


def postmortem_for_write(request: HttpRequest, postmortem_id: int) -> Postmortem:
    """The postmortem, if the user can see it (else 404) and edit its team (else 403)."""
    postmortem = get_visible(
        request, Postmortem.objects.select_related(*POSTMORTEM_RELATED), postmortem_id, "postmortem"
    )
    require_editable(request, postmortem.incident.team)
    return postmortem


def current_postmortem(request: HttpRequest, postmortem_id: int) -> dict[str, Any]:
    """The postmortem as it is now, as JSON (for a 409's ``current``)."""
    out = PostmortemOut.model_validate(
        fetch_postmortem(request, postmortem_id), context={"request": request}
    )
    return out.model_dump(mode="json")


@router.post(
    "/incidents/{incident_id}/postmortem",
    response={201: PostmortemOut, 409: AlreadyExists, **WRITE_ERRORS},
)
def create_postmortem(request: HttpRequest, incident_id: PathId) -> Any:
    """Start the postmortem of an incident, with its meeting and the seed's six milestones."""
    incident = get_visible(
        request, Incident.objects.select_related("team"), incident_id, "incident"
    )
    require_editable(request, incident.team)
    try:
        postmortem = start_postmortem(incident, user_of(request))
    except PostmortemExists as e:
        raise Conflict({"detail": str(e), "id": e.postmortem.pk}) from e
    return Status(201, fetch_postmortem(request, postmortem.pk))


@router.get("/incidents/{incident_id}/postmortem", response={200: PostmortemOut, **ERRORS})
def get_incident_postmortem(request: HttpRequest, incident_id: PathId) -> Any:
    incident = get_visible(request, Incident.objects.all(), incident_id, "incident")
    postmortem_id = (
        Postmortem.objects.filter(incident=incident).values_list("pk", flat=True).first()
    )
    if postmortem_id is None:
        raise HttpError(404, f"{incident.key} has no postmortem yet; POST here to start it.")
    return fetch_postmortem(request, postmortem_id)


@router.get("/postmortems", response={200: list[PostmortemSummaryOut], **ERRORS})
@paginate(Pages)
def list_postmortems(
    request: HttpRequest,
    team: TeamFilter = None,
    status: Annotated[PostmortemStatus | None, Query()] = None,
) -> Any:
    """Postmortems of the teams you can see, newest first."""
    postmortems = Postmortem.objects.filter(incident_q(request, "incident"))
    if team is not None:
        postmortems = postmortems.filter(incident__team_id=team)
    if status is not None:
        postmortems = postmortems.filter(status=status)
    return (
        postmortems.select_related(*POSTMORTEM_RELATED)
        .prefetch_related(*POSTMORTEM_PREFETCH)
        .order_by("-created_at", "-pk")
    )


@router.get("/postmortems/{postmortem_id}", response={200: PostmortemOut, **ERRORS})
def get_postmortem(request: HttpRequest, postmortem_id: PathId) -> Any:
    return fetch_postmortem(request, postmortem_id)


@router.patch(
    "/postmortems/{postmortem_id}",
    response={200: PostmortemOut, 409: stale(PostmortemOut), **LOCKABLE_ERRORS},
)
def update_postmortem(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: PostmortemPatch,
    send_back_to_review: SendBack = False,
) -> Any:
    """Edit sections. Send the ``version`` you read: a stale one gets 409 and the newer text stays.

    A final postmortem's document is locked (422 with the reason) unless you send it back
    to review with ``?send_back_to_review=true``; a closed one is read-only."""
    postmortem = postmortem_for_write(request, postmortem_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    with transaction.atomic():
        try:
            if open_document(
                request, postmortem, send_back_to_review, "its sections", expected_version=version
            ):
                version = postmortem.version
            for name, value in fields.items():
                setattr(postmortem, name, value)
            postmortem.full_clean()
            save_versioned(postmortem, version, fields)
        except StaleVersion as e:
            raise Conflict(
                {"detail": str(e), "current": current_postmortem(request, postmortem_id)}
            ) from e
    return fetch_postmortem(request, postmortem_id)


@router.post(
    "/postmortems/{postmortem_id}/transition",
    response={200: PostmortemOut, 409: stale(PostmortemOut), 422: Refusal | Problem, **ERRORS},
)
def transition_postmortem(
    request: HttpRequest, postmortem_id: PathId, payload: TransitionIn
) -> Any:
    """Move to another status (draft → in_review → final → closed), or be told every reason why not."""
    postmortem = postmortem_for_write(request, postmortem_id)
    try:
        transition(
            postmortem, payload.to, payload.version, user_of(request), payload.override_reason
        )
    except Refused as e:
        label = PostmortemStatusChoice(payload.to).label.lower()
        raise ProcessRefusal(
            f"The postmortem cannot go to {label}: " + " ".join(e.reasons), e.reasons
        ) from e
    except StaleVersion as e:
        raise Conflict(
            {"detail": str(e), "current": current_postmortem(request, postmortem_id)}
        ) from e
    return fetch_postmortem(request, postmortem_id)


class FindingOut(Schema):
    rule: str
    name: str
    category: str
    severity: str = Field(description="error, warning or info.")
    severity_name: str = Field(description="The severity in words, as the editor shows it.")
    line: int
    end_line: int
    message: str
    excerpt: str
    fix: str | None
    panel: str


class FindingsOut(Schema):
    findings: list[FindingOut]
    summary: dict[str, int]


@router.get("/postmortems/{postmortem_id}/findings", response={200: FindingsOut, **ERRORS})
def postmortem_findings(request: HttpRequest, postmortem_id: PathId) -> Any:
    """What the linter says of the postmortem (the same rules as `followthrough lint`), by panel."""
    result = review(fetch_postmortem(request, postmortem_id))
    findings = [
        {**f.to_record(), "severity_name": f.severity.label, "panel": panel}
        for panel, found in result.by_panel.items()
        for f in found
    ]
    findings.sort(key=lambda f: (f["line"], f["rule"]))
    summary = {
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "infos": len(result.findings) - len(result.errors) - len(result.warnings),
    }
    return {"findings": findings, "summary": summary}


@router.get(
    "/postmortems/{postmortem_id}/markdown",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {"description": "The postmortem as Markdown", "content": {"text/markdown": {}}}
        }
    },
)
def postmortem_as_markdown(request: HttpRequest, postmortem_id: PathId) -> HttpResponse:
    """The postmortem as Markdown in the template's layout: what `followthrough lint` would check."""
    pm = fetch_postmortem(request, postmortem_id)
    return HttpResponse(postmortem_markdown(pm), content_type="text/markdown; charset=utf-8")
