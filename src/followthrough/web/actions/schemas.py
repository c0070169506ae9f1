"""Request and response bodies of the action-items API."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Schema

from followthrough.core.priority import Bucket
from followthrough.web.accounts.schemas import PersonRef
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.models import ActionStatus as ActionItemStatus
from followthrough.web.api.schemas import (
    ActionStatus,
    Id,
    In,
    Rating,
    Text,
    Text200,
    Title300,
    Versioned,
    _request,
    request_now,
)
from followthrough.web.incidents.models import Incident
from followthrough.web.incidents.schemas import IncidentRef
from followthrough.web.lib.dates import Day

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
