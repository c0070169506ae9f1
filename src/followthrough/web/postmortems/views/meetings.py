"""The meeting panel: facilitator (never someone involved), attendees, time, notes, agenda.

The meeting is part of the document: once the postmortem is final, a change is refused
unless the editor sends it back to review with it."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from followthrough.web.front.common import in_team_time, login_required, refusal_to_form
from followthrough.web.front.forms import MeetingForm
from followthrough.web.postmortems.locking import DocumentLocked
from followthrough.web.postmortems.models import Meeting
from followthrough.web.postmortems.operations import Refused, update_meeting
from followthrough.web.postmortems.views.editor import (
    _editable_postmortem,
    done,
    form_response,
    locked_response,
    open_document,
)
from followthrough.web.versioning import StaleVersion


@login_required
@require_POST
def meeting_save(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    meeting = postmortem.meeting
    with in_team_time(postmortem.incident.team):
        form = MeetingForm(
            request.POST,
            instance=Meeting.objects.get(pk=meeting.pk),
            prefix="meeting",
            user=request.user,
        )
        valid = form.is_valid()
    status = 422
    if valid:
        try:
            with transaction.atomic():
                sent_back = open_document(request, postmortem, "the meeting")
                update_meeting(
                    meeting,
                    form.cleaned_data["version"],
                    form.changed_values(),
                    attendees=list(form.cleaned_data["attendees"]),
                )
        except DocumentLocked as refused:
            return locked_response(request, postmortem, "meeting", refused, meeting_form=form)
        except Refused as refused:
            refusal_to_form(form, refused)
        except StaleVersion as stale:
            meeting.refresh_from_db()
            form.with_version(meeting.version)
            form.add_error(
                None, f"{stale} Your entries are still in the form; save again to replace theirs."
            )
            status = 409
        else:
            return done(request, postmortem, "meeting", "Meeting saved.", sent_back)
    return form_response(request, postmortem, "meeting", status, meeting_form=form)
