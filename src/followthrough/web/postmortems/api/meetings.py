"""The postmortem meeting: an uninvolved facilitator, the attendees, a 60-90 minute agenda."""

import copy
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from followthrough.web.api.access import NotFound, people, person
from followthrough.web.api.errors import Conflict
from followthrough.web.api.schemas import ERRORS, PathId, stale
from followthrough.web.postmortems.api.locking import LOCKABLE_ERRORS, SendBack, open_document
from followthrough.web.postmortems.api.postmortems import fetch_postmortem, postmortem_for_write
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import update_meeting
from followthrough.web.postmortems.schemas import MeetingOut, MeetingPatch
from followthrough.web.versioning import StaleVersion

router = Router(tags=["meetings"])


def _meeting_of(postmortem: Postmortem) -> Meeting:
    meeting = getattr(postmortem, "meeting", None)
    if meeting is None:
        raise NotFound("meeting for postmortem", postmortem.pk)
    return meeting


@router.get("/postmortems/{postmortem_id}/meeting", response={200: MeetingOut, **ERRORS})
def get_meeting(request: HttpRequest, postmortem_id: PathId) -> Any:
    """The meeting, with its agenda time-boxed to its length."""
    return _meeting_of(fetch_postmortem(request, postmortem_id))


@router.patch(
    "/postmortems/{postmortem_id}/meeting",
    response={200: MeetingOut, 409: stale(MeetingOut), **LOCKABLE_ERRORS},
)
def patch_meeting(
    request: HttpRequest,
    postmortem_id: PathId,
    payload: MeetingPatch,
    send_back_to_review: SendBack = False,
) -> Any:
    """Change the meeting. Someone involved in the incident cannot facilitate it.

    Giving the meeting a time completes "meeting scheduled"; setting ``held_at`` completes
    "meeting held". The meeting is part of the document: locked once the postmortem is final.
    """
    postmortem = postmortem_for_write(request, postmortem_id)
    meeting = _meeting_of(postmortem)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    attendees = people(data.pop("attendee_ids"), "attendee_ids") if "attendee_ids" in data else None
    if "facilitator_id" in data:
        data["facilitator"] = person(data.pop("facilitator_id"), "facilitator_id")
    candidate = copy.copy(meeting)
    for name, value in data.items():
        setattr(candidate, name, value)
    # The operation checks the length (60 to 90 minutes) and says so in the seed's words.
    candidate.full_clean(exclude=["duration_minutes"])
    try:
        with transaction.atomic():
            open_document(request, postmortem, send_back_to_review, "the meeting")
            update_meeting(meeting, version, data, attendees)
    except StaleVersion as e:
        current = MeetingOut.model_validate(
            _meeting_of(fetch_postmortem(request, postmortem_id)), context={"request": request}
        )
        raise Conflict({"detail": str(e), "current": current.model_dump(mode="json")}) from e
    return _meeting_of(fetch_postmortem(request, postmortem_id))
