"""Request and response bodies of the incidents API (the shared types are in
``followthrough.web.api.schemas``)."""

from datetime import datetime
from typing import Any

from django.db.models import Case, Prefetch, QuerySet, When
from django.http import HttpRequest
from ninja import Field, Schema

from followthrough.web.accounts.models import Person
from followthrough.web.accounts.schemas import PersonRef
from followthrough.web.api.access import user_of
from followthrough.web.api.schemas import (
    Decision,
    Id,
    In,
    PostmortemStatus,
    Severity,
    Tag,
    Text,
    Text200,
    Text300,
    Title,
    Versioned,
    _request,
    request_now,
)
from followthrough.web.incidents.models import Incident
from followthrough.web.lib.dates import Moment
from followthrough.web.postmortems.derived import overdue_q
from followthrough.web.postmortems.models import (
    Postmortem,
    incident_is_overdue,
)
from followthrough.web.visibility import is_restricted, may_see_incident

# --- incidents -----------------------------------------------------------------------------


class PolicyOut(Schema):
    decision: Decision
    reasons: list[str]


class PostmortemRef(Schema):
    id: int
    status: PostmortemStatus


def incident_overdue(incident: Incident, now: datetime) -> bool:
    """The one rule: asked of the database when the row was read (``overdue_q``,
    annotated by :func:`incidents_for_output`), else of the row (:func:`incident_is_overdue`)."""
    answer = getattr(incident, OVERDUE, None)
    if answer is None:
        return incident_is_overdue(incident, now)
    return bool(answer)


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
        """The policy's decision as stored on the incident (``postmortems.derived``)."""
        return PolicyOut(decision=obj.policy_decision, reasons=obj.policy_reasons)

    @staticmethod
    def resolve_postmortem(obj: Incident) -> Postmortem | None:
        return getattr(obj, "postmortem", None)

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


class IncidentRef(Schema):
    id: int
    key: str
    title: str
    severity: Severity
    team_id: int
    resolved_at: datetime | None
