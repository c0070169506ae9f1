"""Request and response bodies of the postmortems API: the document, its sections
(whys, timeline, factors) and the meeting."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from followthrough.core.calendar import MilestoneState
from followthrough.web.accounts.schemas import PersonRef
from followthrough.web.api.schemas import (
    Id,
    In,
    PostmortemStatus,
    Question,
    RequiredText,
    RootCauseCategory,
    Text,
    Text300,
    Versioned,
    _request,
    request_now,
)
from followthrough.web.incidents.schemas import IncidentRef
from followthrough.web.lib.dates import Moment
from followthrough.web.postmortems.models import (
    FactorKind,
    Meeting,
    Postmortem,
)

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
        return obj.is_overdue(request_now(_request(context)))


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
