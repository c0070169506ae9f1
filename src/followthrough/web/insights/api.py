"""The insights part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls:
similar earlier incidents and decisions on them, copied passages, and the effectiveness
numbers the dashboard shows."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate

from followthrough.core.repeats import DEFAULT_THRESHOLD
from followthrough.web.api.access import get_visible, incident_q, require_editable, user_of
from followthrough.web.api.schemas import (
    ERRORS,
    WRITE_ERRORS,
    In,
    Pages,
    PathId,
    PostmortemStatus,
    Severity,
    TeamFilter,
    Text,
)
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import copies, queries, repeats
from followthrough.web.insights.export import csv_download, report_dict
from followthrough.web.insights.models import RepeatDecision, Verdict
from followthrough.web.lib.dates import Day
from followthrough.web.postmortems.models import Postmortem

router = Router(tags=["insights"])

# Suggestions are scored in one pass; the page (``?limit``, ``?offset``) is cut from these.
SIMILAR_AT_MOST = 200


class IncidentBrief(Schema):
    id: int
    key: str
    title: str
    team_id: int
    severity: Severity
    started_at: datetime | None
    resolved_at: datetime | None
    failure_mode: str
    failure_tags: list[str]
    postmortem_id: int | None
    postmortem_status: PostmortemStatus | None

    @staticmethod
    def resolve_postmortem_id(obj: Incident) -> int | None:
        postmortem = getattr(obj, "postmortem", None)
        return postmortem.pk if postmortem else None

    @staticmethod
    def resolve_postmortem_status(obj: Incident) -> str | None:
        postmortem = getattr(obj, "postmortem", None)
        return postmortem.status if postmortem else None


class DecisionOut(Schema):
    incident_id: int
    candidate_id: int
    decision: Verdict
    score: float | None
    decided_by: str | None
    decided_at: datetime
    note: str

    @staticmethod
    def resolve_decided_by(obj: RepeatDecision) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by else None


class SimilarOut(Schema):
    incident: IncidentBrief
    score: float = Field(description="0 to 1: how alike the failure mode and the text are.")
    decision: DecisionOut | None
    engine: Literal["words", "meaning"] = Field(
        description="What found it: shared words, or close meaning (INSIGHTS_SEMANTIC on)."
    )


class DecisionIn(In):
    decision: Verdict
    note: Annotated[Text, Field(max_length=2000)] = ""


class CopySourceOut(Schema):
    postmortem_id: int
    incident: IncidentBrief
    line: int | None
    score: float


class CopiedPassageOut(Schema):
    line: int = Field(description="1-based line of the postmortem's Markdown export.")
    end_line: int
    excerpt: str
    section: str | None
    panel: str = Field(description="The editor panel the passage is in.")
    sources: list[CopySourceOut]


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    return get_visible(request, Incident.objects.select_related("team"), incident_id, "incident")


@router.get("/incidents/{incident_id}/similar", response={200: list[SimilarOut], **ERRORS})
@paginate(Pages)
def similar(
    request: HttpRequest,
    incident_id: PathId,
    min_score: Annotated[
        float, Query(ge=0.0, le=1.0, description="Leave out matches scoring lower.")
    ] = DEFAULT_THRESHOLD,
) -> Any:
    """The earlier incidents most like this one (failure mode, tags, title, summary, root
    cause), best first, with a score. Pairs someone rejected are not suggested again."""
    incident = _incident(request, incident_id)
    found = repeats.similar_incidents(
        incident, user_of(request), limit=SIMILAR_AT_MOST, threshold=min_score
    )
    return [
        {"incident": s.incident, "score": s.score, "decision": s.decision, "engine": s.engine}
        for s in found
    ]


# Before the {candidate_id} routes: Django tries the paths in order.
@router.get(
    "/incidents/{incident_id}/similar/decisions",
    response={200: list[DecisionOut], **ERRORS},
)
@paginate(Pages)
def list_decisions(
    request: HttpRequest,
    incident_id: PathId,
    decision: Annotated[Verdict | None, Query(description="Only this verdict.")] = None,
) -> Any:
    """The decisions taken on this incident's suggestions, newest first: a rejected pair is
    never suggested again, so this is where it can be found (and withdrawn with DELETE)."""
    incident = _incident(request, incident_id)
    decisions = RepeatDecision.objects.filter(
        incident=incident, candidate__in=Incident.objects.filter(incident_q(request))
    ).select_related("decided_by")
    if decision is not None:
        decisions = decisions.filter(decision=decision)
    return decisions.order_by("-decided_at", "-pk")


@router.put(
    "/incidents/{incident_id}/similar/{candidate_id}",
    response={200: DecisionOut, **WRITE_ERRORS},
)
def decide(
    request: HttpRequest, incident_id: PathId, candidate_id: PathId, payload: DecisionIn
) -> Any:
    """Confirm (same failure mode: this incident is a repeat, its postmortem becomes
    required, and the earlier postmortem failed to prevent it) or reject a suggestion.
    The decision is kept; deciding again replaces it."""
    incident = _incident(request, incident_id)
    require_editable(request, incident.team)
    candidate = (
        Incident.objects.filter(incident_q(request), pk=candidate_id).select_related("team").first()
    )
    if candidate is None:
        raise HttpError(404, f"There is no incident with id {candidate_id}.")
    user = user_of(request)
    return repeats.decide_repeat(
        incident,
        candidate,
        payload.decision,
        user if user.is_authenticated else None,  # type: ignore[arg-type]
        payload.note,
    )


@router.delete(
    "/incidents/{incident_id}/similar/{candidate_id}", response={204: None, **WRITE_ERRORS}
)
def withdraw(request: HttpRequest, incident_id: PathId, candidate_id: PathId) -> Any:
    """Withdraw the decision on the pair: it can be suggested again, and a confirmed
    repeat is unmarked. 404 when there is no decision on the pair."""
    incident = _incident(request, incident_id)
    require_editable(request, incident.team)
    candidate = Incident.objects.filter(incident_q(request), pk=candidate_id).first()
    user = user_of(request)
    who = user if user.is_authenticated else None
    if candidate is None or not repeats.withdraw_decision(incident, candidate, who):  # type: ignore[arg-type]
        raise HttpError(
            404, f"There is no decision on incident {candidate_id} as a repeat of this one."
        )
    return Status(204, None)


@router.get("/incidents/{incident_id}/repeats", response={200: list[IncidentBrief], **ERRORS})
@paginate(Pages)
def repeated_by(request: HttpRequest, incident_id: PathId) -> Any:
    """Later incidents marked repeats of this one: its postmortem failed to prevent them."""
    incident = _incident(request, incident_id)
    return repeats.failed_to_prevent(incident, user_of(request))


@router.get(
    "/postmortems/{postmortem_id}/copied-passages",
    response={200: list[CopiedPassageOut], **ERRORS},
)
@paginate(Pages)
def copied_passages(request: HttpRequest, postmortem_id: PathId) -> Any:
    """Passages of this postmortem (as exported to Markdown) that are the same or nearly
    the same as in earlier postmortems, with those postmortems and a score (PM601)."""
    postmortem = get_visible(
        request, Postmortem.objects.select_related("incident__team"), postmortem_id, "postmortem"
    )
    return [
        {
            "line": p.line,
            "end_line": p.end_line,
            "excerpt": p.excerpt,
            "section": p.section,
            "panel": p.panel,
            "sources": [
                {
                    "postmortem_id": s.postmortem.pk,
                    "incident": s.postmortem.incident,
                    "line": s.line,
                    "score": s.score,
                }
                for s in p.sources
            ],
        }
        for p in copies.copied_passages(postmortem, user_of(request))
    ]


class MetricOut(Schema):
    key: str
    label: str
    unit: Literal["ratio", "hours", "days", "count"]
    description: str


class SeriesPart(Schema):
    values: dict[str, float | None]
    counts: dict[str, Any]


class PeriodOut(SeriesPart):
    start: date
    label: str


class SeriesOut(Schema):
    team_id: int | None
    name: str
    total: SeriesPart
    periods: list[PeriodOut]


class ReportOut(Schema):
    period: Literal["week", "month", "quarter"]
    from_: date = Field(..., alias="from")
    to: date
    team_id: int | None
    generated_at: datetime
    metrics: list[MetricOut]
    organisation: SeriesOut
    teams: list[SeriesOut]


InsightsPeriod = Annotated[Literal["week", "month", "quarter"], Query()]
FromDay = Annotated[Day | None, Query(alias="from", description="First day counted.")]
ToDay = Annotated[Day | None, Query(description="Last day counted (default today).")]


def _scope(
    request: HttpRequest, team: int | None, period: str, from_: date | None, to: date | None
) -> Any:
    try:
        return queries.scope(user_of(request), team=team, period=period, start=from_, until=to)
    except queries.BadRequest as e:
        field = e.field or "from"
        raise NinjaValidationError(
            [{"loc": ["query", field], "msg": str(e), "type": "value_error"}]
        ) from e


@router.get("/insights", response={200: ReportOut, **WRITE_ERRORS}, by_alias=True)
def insights(
    request: HttpRequest,
    team: TeamFilter = None,
    period: InsightsPeriod = "month",
    from_: FromDay = None,
    to: ToDay = None,
) -> Any:
    """Effectiveness per period for the organisation (the teams you can see) and per team:
    repeat-incident rate, postmortem completion rate, action items completed and on time,
    milestone adherence, time from resolution to close, open action age, escalations.
    Ratios are 0 to 1 (null when nothing was counted); ``counts`` hold what they divide.
    The same numbers as the dashboard at /insights/."""
    return report_dict(queries.report(_scope(request, team, period, from_, to)))


@router.get(
    "/insights.csv",
    response={200: None, **WRITE_ERRORS},
    openapi_extra={
        "responses": {
            200: {
                "description": "One row per series and period (the dashboard's CSV export).",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def insights_csv(
    request: HttpRequest,
    team: TeamFilter = None,
    period: InsightsPeriod = "month",
    from_: FromDay = None,
    to: ToDay = None,
) -> HttpResponse:
    """The numbers of ``GET /insights`` as CSV, the file the dashboard's export downloads,
    for a script holding an API token."""
    return csv_download(_scope(request, team, period, from_, to))
