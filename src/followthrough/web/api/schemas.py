"""Request and response bodies of the REST API.

Input schemas forbid unknown fields (a misspelt field is a 422, not silently ignored) and
take only timezone-aware datetimes, and dates only from 1970-01-01 to 2200-12-31
(``followthrough.web.lib.dates``: ``Day`` and ``Moment``). PATCH schemas declare every field optional without
accepting null for fields that cannot be empty: an absent field is left alone, an explicit
``null`` on a required field is a 422.

Computed fields (policy, milestones, priority, agenda) come from the models and the core
through resolvers, so the API shows what the core computes and never recomputes it.
"""

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Case, Prefetch, QuerySet, When
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import AfterValidator, ConfigDict, StringConstraints, create_model

from followthrough.core.calendar import MilestoneState
from followthrough.core.policy import Decision as PolicyDecision
from followthrough.core.priority import Bucket
from followthrough.web.accounts.models import Person
from followthrough.web.accounts.visibility import is_restricted, may_see_incident
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.models import ActionStatus as ActionItemStatus
from followthrough.web.api.access import user_of
from followthrough.web.incidents.models import Incident
from followthrough.web.incidents.models import Severity as IncidentSeverity
from followthrough.web.lib.dates import Day, Moment
from followthrough.web.postmortems.derived import overdue_q
from followthrough.web.postmortems.models import (
    FactorKind,
    Meeting,
    Postmortem,
    Status,
    incident_is_overdue,
)
from followthrough.web.postmortems.models import RootCauseCategory as RootCause

# --- shared types ---------------------------------------------------------------------------

# The models' and the core's own enums, so the API cannot drift from what they accept.
Severity = IncidentSeverity
Decision = PolicyDecision
PostmortemStatus = Status
# The model's categories, or "" for none yet: one Literal, so a bad value is one error.
RootCauseCategory = Literal[(*RootCause.values, "")]  # type: ignore[valid-type]
ActionStatus = ActionItemStatus
Rating = Annotated[int, Field(ge=1, le=5)]
# Ids are 64-bit in the database: a bigger number names nothing and must not reach SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_VERSION = 2**31 - 1


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL cannot store NUL characters; say so instead of failing on the INSERT.
    if value is not None and "\x00" in value:
        raise ValueError("Text cannot contain NUL (\\x00) characters.")
    return value


_NO_NUL = AfterValidator(_no_nul)


# Free text: NUL-free; the "Required" kinds must hold more than whitespace (which is trimmed).
Text = Annotated[str, _NO_NUL]
Text200 = Annotated[str, StringConstraints(max_length=200), _NO_NUL]
Text300 = Annotated[str, StringConstraints(max_length=300), _NO_NUL]
RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _NO_NUL]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), _NO_NUL]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _NO_NUL
]
Title300 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), _NO_NUL
]
Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _NO_NUL
]

# Query-string filters.
TeamFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Team id.")]
OwnerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Person id of the owner.")]
PostmortemFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Postmortem id.")]
IncidentSearch = Annotated[
    str | None,
    Query(max_length=200, description="Words of the title, summary or failure mode, or a key."),
]
PeopleSearch = Annotated[
    str | None, Query(max_length=200, description="Part of a name, e-mail address or handle.")
]


def search_words(q: str | None) -> str:
    """The search text, trimmed; NUL characters (which PostgreSQL refuses) are dropped."""
    return (q or "").replace("\x00", "").strip()


class In(Schema):
    """Base of every request body: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Versioned(In):
    version: int = Field(
        ...,
        ge=1,
        le=MAX_VERSION,
        description="The version you read; a stale one gets 409 and changes nothing.",
    )


# --- pagination -----------------------------------------------------------------------------


class Page(Schema):
    """Every list the API answers: one page of ``items``, the ``count`` of all of them, the
    ``limit`` and ``offset`` that chose the page, and ``next``, the URL of the next page
    (null on the last one)."""

    items: list[Any]
    count: int
    limit: int
    offset: int
    next: str | None = Field(description="The URL of the next page; null on the last one.")


def _next_url(request: HttpRequest, limit: int, offset: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset + limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class Pages(LimitOffsetPagination):
    """``?limit=`` (1..200, default 50) and ``?offset=``; answers a :class:`Page`."""

    Output = Page

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="At most 200.")
        offset: int = Field(0, ge=0, le=MAX_VERSION)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=200, **kwargs)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        items = queryset[offset : offset + limit]
        if isinstance(items, QuerySet):
            items = list(items)
        if len(items) < limit and (items or offset == 0):
            # a short page is the last one: the count is known without asking for it
            count = offset + len(items)
        else:
            count = self._items_count(queryset)
        return {
            "items": items,
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": _next_url(request, limit, offset, count),
        }


@functools.cache
def paged(schema: type[Schema]) -> Any:
    """The page schema of ``schema``, for a route that answers a whole list at once (a
    reorder): the same shape, named as ``@paginate(Pages)`` names it."""
    return create_model(f"Paged{schema.__name__}", __base__=Page, items=(list[schema], ...))  # type: ignore[valid-type]


def whole_page(items: list[Any]) -> dict[str, Any]:
    """Every item on one page (see :func:`paged`)."""
    return {"items": items, "count": len(items), "limit": len(items), "offset": 0, "next": None}


# --- errors (documented in OpenAPI) --------------------------------------------------------


class FieldProblem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class Problem(Schema):
    """Every error (RFC 9457 problem details; ``followthrough.web.lib.problems``)."""

    type: str = Field(description="urn:followthrough:problem:<kind>; switch on this.")
    title: str
    status: int
    detail: str = Field(description="A sentence a person can act on.")
    errors: list[FieldProblem] = Field(description="The fields at fault; often empty.")


class Refusal(Problem):
    reasons: list[str]


class StaleDelete(Problem):
    current_version: int


class AlreadyExists(Problem):
    id: int


@functools.cache
def stale(schema: type[Schema]) -> Any:
    """The 409 body of a stale write: the problem and the row as it is now."""
    name = "Stale" + schema.__name__.removesuffix("Out")
    return create_model(name, __base__=Problem, current=(schema, ...))


ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 422: Problem}


# --- teams and people ----------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str
    is_private: bool
    lead_id: int | None
    version: int


class PersonOut(Schema):
    id: int
    name: str
    email: str
    handle: str
    manager_id: int | None
    has_login: bool
    version: int

    @staticmethod
    def resolve_has_login(obj: Person) -> bool:
        return obj.user_id is not None


class PersonRef(Schema):
    id: int
    name: str


# --- incidents -----------------------------------------------------------------------------


class PolicyOut(Schema):
    decision: Decision
    reasons: list[str]


class PostmortemRef(Schema):
    id: int
    status: PostmortemStatus


def incident_policy(incident: Incident) -> PolicyOut:
    """The policy's decision as stored on the incident (``postmortems.derived``)."""
    return PolicyOut(decision=incident.policy_decision, reasons=incident.policy_reasons)


def _postmortem_of(incident: Incident) -> Postmortem | None:
    return getattr(incident, "postmortem", None)


def postmortem_overdue(postmortem: Postmortem, now: datetime) -> bool:
    """Any milestone overdue, or any action item overdue (the model's rule)."""
    return postmortem.is_overdue(now)


def incident_overdue(incident: Incident, now: datetime) -> bool:
    """The one rule: asked of the database when the row was read (``overdue_q``,
    annotated by :func:`incidents_for_output`), else of the row (:func:`incident_is_overdue`)."""
    answer = getattr(incident, OVERDUE, None)
    if answer is None:
        return incident_is_overdue(incident, now)
    return bool(answer)


def _request(context: Any) -> HttpRequest | None:
    return context.get("request") if isinstance(context, dict) else None


def request_now(request: HttpRequest | None) -> datetime:
    """One "now" per request, so a list judges every row against the same instant."""
    if request is None:
        return timezone.now()
    now = getattr(request, "_followthrough_now", None)
    if now is None:
        now = timezone.now()
        request._followthrough_now = now  # type: ignore[attr-defined]
    return now


class IncidentOut(Schema):
    id: int
    key: str
    team_id: int
    title: str
    severity: Severity
    summary: str
    started_at: datetime | None
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    commander: PersonRef | None
    responders: list[PersonRef]
    customer_facing: bool
    data_loss: bool
    near_miss: bool
    security: bool
    process_failure: bool
    significant_impact: bool
    repeat_of_id: int | None
    failure_mode: str
    failure_tags: list[str]
    source: str
    source_label: str = Field(
        description="Where the incident came from, in words (“Imported from incident.io”)."
    )
    source_url: str = Field(description="The incident at the tool it was imported from.")
    external_id: str
    created_at: datetime
    updated_at: datetime
    version: int
    policy: PolicyOut
    postmortem: PostmortemRef | None
    overdue: bool = Field(description="A milestone or action item of its postmortem is overdue.")

    @staticmethod
    def resolve_source_label(obj: Incident) -> str:
        return obj.origin

    @staticmethod
    def resolve_policy(obj: Incident) -> PolicyOut:
        return incident_policy(obj)

    @staticmethod
    def resolve_postmortem(obj: Incident) -> Postmortem | None:
        return _postmortem_of(obj)

    @staticmethod
    def resolve_repeat_of_id(obj: Incident, context: Any) -> int | None:
        """The earlier incident's id, unless the reader may not see it (it stays unnamed)."""
        earlier = obj.repeat_of
        if earlier is None or earlier.deleted_at is not None:
            return None
        if not is_restricted(earlier) and not earlier.team.is_private:
            return earlier.pk
        request = _request(context)
        if request is None or not may_see_incident(user_of(request), earlier):
            return None
        return earlier.pk

    @staticmethod
    def resolve_overdue(obj: Incident, context: Any) -> bool:
        return incident_overdue(obj, request_now(_request(context)))


INCIDENT_RELATED = ("commander", "repeat_of__team", "postmortem")
#: the columns :class:`IncidentOut` reads, its own and its related rows' (the postmortem's
#: long texts and every bookkeeping column stay in the database)
INCIDENT_COLUMNS = (
    *(
        name
        for name in IncidentOut.model_fields
        if name not in ("key", "commander", "responders", "source_label", "policy", "postmortem")
        and name != "overdue"
    ),
    "policy_decision",
    "policy_reasons",
    "overdue_from",
    "deleted_at",
    "commander__name",
    "repeat_of__deleted_at",
    "repeat_of__security",
    "repeat_of__team__is_private",
    "postmortem__status",
    "postmortem__deleted_at",
)
#: the attribute :func:`incidents_for_output` annotates with the database's answer
OVERDUE = "overdue_now"


def incidents_for_output(
    queryset: QuerySet[Incident, Incident], request: HttpRequest | None
) -> QuerySet[Incident, Incident]:
    """Incidents with what :class:`IncidentOut` reads, overdue judged in SQL at the
    request's instant."""
    # Case, not the bare condition: "NULL < now OR false" is NULL in SQL, not false
    overdue = Case(When(overdue_q(request_now(request)), then=True), default=False)
    return (
        queryset.select_related(*INCIDENT_RELATED)
        .only(*INCIDENT_COLUMNS)
        .prefetch_related(Prefetch("responders", queryset=Person.objects.only("id", "name")))
        .annotate(**{OVERDUE: overdue})
    )


class IncidentIn(In):
    team_id: Id
    title: Title
    severity: Severity
    summary: Text = ""
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = Field(
        None, description="Resolution starts the postmortem clock (T+0)."
    )
    commander_id: Id | None = None
    responder_ids: list[Id] = []
    customer_facing: bool = False
    data_loss: bool = False
    near_miss: bool = False
    security: bool = False
    process_failure: bool = False
    significant_impact: bool = False
    repeat_of_id: Id | None = None
    failure_mode: Text300 = ""
    failure_tags: list[Tag] = []
    external_id: Text200 = Field(
        "", description="Your system's id for it; a second POST with the same id gets 409."
    )


# PATCH bodies: a default of None is never validated, so an absent field reads as None while
# an explicit null on a non-nullable field still fails validation (422).
class IncidentPatch(Versioned):
    team_id: Id = None  # type: ignore[assignment]
    title: Title = None  # type: ignore[assignment]
    severity: Severity = None  # type: ignore[assignment]
    summary: Text = None  # type: ignore[assignment]
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None
    commander_id: Id | None = None
    responder_ids: list[Id] = None  # type: ignore[assignment]
    customer_facing: bool = None  # type: ignore[assignment]
    data_loss: bool = None  # type: ignore[assignment]
    near_miss: bool = None  # type: ignore[assignment]
    security: bool = None  # type: ignore[assignment]
    process_failure: bool = None  # type: ignore[assignment]
    significant_impact: bool = None  # type: ignore[assignment]
    repeat_of_id: Id | None = None
    failure_mode: Text300 = None  # type: ignore[assignment]
    failure_tags: list[Tag] = None  # type: ignore[assignment]


# --- postmortems ---------------------------------------------------------------------------


class MilestoneOut(Schema):
    key: str
    name: str
    owner_role: str
    due_at: datetime
    completed_at: datetime | None
    state: MilestoneState


class AgendaItemOut(Schema):
    title: str
    minutes: int
    starts_at_minute: int
    guidance: str


class MeetingOut(Schema):
    id: int
    postmortem_id: int
    facilitator: PersonRef | None
    attendees: list[PersonRef]
    duration_minutes: int
    scheduled_for: datetime | None
    scheduled_at: datetime | None = Field(description="When the meeting first got a time.")
    location: str
    held_at: datetime | None
    notes: str
    version: int
    updated_at: datetime
    agenda: list[AgendaItemOut]

    @staticmethod
    def resolve_agenda(obj: Meeting) -> list[Any]:
        return obj.agenda()


class MeetingPatch(Versioned):
    facilitator_id: Id | None = Field(
        None, description="Someone not involved in the incident (not its commander or a responder)."
    )
    attendee_ids: list[Id] = None  # type: ignore[assignment]
    duration_minutes: int = Field(None, description="60 to 90.")  # type: ignore[assignment]
    scheduled_for: Moment | None = None
    location: Text300 = None  # type: ignore[assignment]
    held_at: Moment | None = None
    notes: Text = None  # type: ignore[assignment]


class WhyOut(Schema):
    id: int
    postmortem_id: int
    position: int
    question: str
    answer: str
    version: int
    updated_at: datetime


class WhyIn(In):
    question: Question
    answer: RequiredText


class WhyPatch(Versioned):
    question: Question = None  # type: ignore[assignment]
    answer: RequiredText = None  # type: ignore[assignment]


class TimelineEventOut(Schema):
    id: int
    postmortem_id: int
    occurred_at: datetime
    description: str
    version: int
    created_at: datetime
    updated_at: datetime


class TimelineEventIn(In):
    occurred_at: Moment
    description: RequiredText


class TimelineEventPatch(Versioned):
    occurred_at: Moment = None  # type: ignore[assignment]
    description: RequiredText = None  # type: ignore[assignment]


class FactorOut(Schema):
    id: int
    postmortem_id: int
    position: int
    kind: FactorKind
    description: str
    version: int
    updated_at: datetime


class FactorIn(In):
    kind: FactorKind = FactorKind.OTHER
    description: RequiredText


class FactorPatch(Versioned):
    kind: FactorKind = None  # type: ignore[assignment]
    description: RequiredText = None  # type: ignore[assignment]


class OrderIn(In):
    order: list[Id] = Field(..., description="Every id of the list, each once, in the new order.")


class IncidentRef(Schema):
    id: int
    key: str
    title: str
    severity: Severity
    team_id: int
    resolved_at: datetime | None


def _milestones(obj: Postmortem, context: Any) -> list[Any]:
    return obj.milestones(request_now(_request(context)))


class PostmortemSummaryOut(Schema):
    id: int
    incident: IncidentRef
    status: PostmortemStatus
    version: int
    created_at: datetime
    updated_at: datetime
    milestones: list[MilestoneOut]
    overdue: bool

    @staticmethod
    def resolve_milestones(obj: Postmortem, context: Any) -> list[Any]:
        return _milestones(obj, context)

    @staticmethod
    def resolve_overdue(obj: Postmortem, context: Any) -> bool:
        return postmortem_overdue(obj, request_now(_request(context)))


class PostmortemOut(PostmortemSummaryOut):
    allowed_transitions: list[PostmortemStatus]
    summary: str
    impact: str
    users_affected: int | None
    impact_minutes: int | None
    failed_requests: int | None
    revenue_impact: Decimal | None
    root_cause: str
    root_cause_category: RootCauseCategory
    trigger: str
    detection: str
    resolution: str
    lessons: str
    timeline_documented_at: datetime | None
    actions_tracked_at: datetime | None
    finalized_at: datetime | None
    closed_at: datetime | None
    final_override_reason: str
    meeting: MeetingOut | None
    whys: list[WhyOut]
    timeline: list[TimelineEventOut]
    factors: list[FactorOut]

    @staticmethod
    def resolve_meeting(obj: Postmortem) -> Meeting | None:
        return getattr(obj, "meeting", None)

    @staticmethod
    def resolve_timeline(obj: Postmortem) -> list[Any]:
        return list(obj.timeline_events.all())


POSTMORTEM_RELATED = (
    "incident",
    "incident__team",
    "meeting",
    "meeting__facilitator",
)
POSTMORTEM_PREFETCH = ("action_items",)
POSTMORTEM_DETAIL_PREFETCH = (
    "action_items",
    "meeting__attendees",
    "whys",
    "timeline_events",
    "factors",
)


class PostmortemPatch(Versioned):
    summary: Text = None  # type: ignore[assignment]
    impact: Text = None  # type: ignore[assignment]
    users_affected: int | None = Field(None, ge=0)
    impact_minutes: int | None = Field(None, ge=0)
    failed_requests: int | None = Field(None, ge=0)
    revenue_impact: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    root_cause: Text = None  # type: ignore[assignment]
    root_cause_category: RootCauseCategory = None  # type: ignore[assignment]
    trigger: Text = None  # type: ignore[assignment]
    detection: Text = None  # type: ignore[assignment]
    resolution: Text = None  # type: ignore[assignment]
    lessons: Text = None  # type: ignore[assignment]


class TransitionIn(Versioned):
    to: PostmortemStatus
    override_reason: Text = Field(
        "", description="Why the document goes final although the linter still finds errors."
    )


# --- action items --------------------------------------------------------------------------


class PriorityOut(Schema):
    bucket: Bucket
    score: float = Field(description="likelihood × consequence / effort; higher is more urgent.")


class ActionItemOut(Schema):
    id: int
    postmortem_id: int
    incident: IncidentRef
    title: str
    description: str
    owner: PersonRef | None
    due_date: date | None
    done_condition: str
    addresses_root_cause: bool
    addresses_factor_id: int | None
    likelihood: int = Field(description="1 to 5: how likely the failure is to recur without it.")
    consequence: int = Field(
        description="1 to 5: how bad a recurrence would be (not the incident's P0-P3 severity)."
    )
    effort: int
    priority: PriorityOut
    status: ActionStatus
    deprioritised_reason: str
    done_at: datetime | None
    evidence_url: str
    tracker_url: str
    tracker_status: str
    last_activity_at: datetime
    created_at: datetime
    updated_at: datetime
    version: int
    overdue: bool

    @staticmethod
    def resolve_incident(obj: ActionItem) -> Incident:
        return obj.postmortem.incident

    @staticmethod
    def resolve_consequence(obj: ActionItem) -> int:
        return obj.severity

    @staticmethod
    def resolve_priority(obj: ActionItem) -> PriorityOut:
        p = obj.priority()
        return PriorityOut(bucket=p.bucket.value, score=p.score)

    @staticmethod
    def resolve_overdue(obj: ActionItem, context: Any) -> bool:
        return obj.is_overdue(timezone.localdate(request_now(_request(context))))


ACTION_RELATED = ("postmortem", "postmortem__incident", "owner")


class ActionItemIn(In):
    title: Title300
    description: Text = ""
    owner_id: Id | None = Field(None, description="One person, never a team.")
    due_date: Day | None = None
    done_condition: Text = Field("", description="How anyone can tell it is done.")
    addresses_root_cause: bool = False
    addresses_factor_id: Id | None = None
    likelihood: Rating = 3
    consequence: Rating = 3
    effort: Rating = 3
    status: ActionStatus = ActionItemStatus.OPEN
    deprioritised_reason: Text = Field("", description="Required when deprioritised.")
    evidence_url: Text200 = ""
    tracker_url: Text200 = ""


class ActionItemPatch(Versioned):
    title: Title300 = None  # type: ignore[assignment]
    description: Text = None  # type: ignore[assignment]
    owner_id: Id | None = None
    due_date: Day | None = None
    done_condition: Text = None  # type: ignore[assignment]
    addresses_root_cause: bool = None  # type: ignore[assignment]
    addresses_factor_id: Id | None = None
    likelihood: Rating = None  # type: ignore[assignment]
    consequence: Rating = None  # type: ignore[assignment]
    effort: Rating = None  # type: ignore[assignment]
    status: ActionStatus = None  # type: ignore[assignment]
    deprioritised_reason: Text = None  # type: ignore[assignment]
    evidence_url: Text200 = None  # type: ignore[assignment]
    tracker_url: Text200 = None  # type: ignore[assignment]
