"""The meeting panel: facilitator (never someone involved), attendees, time, notes, agenda."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from followthrough.web.postmortems.models import Meeting
from followthrough.web.postmortems.operations import Refused, update_meeting
from followthrough.web.versioning import StaleVersion

from ..forms import MeetingForm
from .common import in_team_time, login_required
from .postmortems import _editable_postmortem, done, panel_response


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
            update_meeting(
                meeting,
                form.cleaned_data["version"],
                form.changed_values(),
                attendees=list(form.cleaned_data["attendees"]),
            )
        except Refused as refused:
            field = refused.field if refused.field in form.fields else None
            for reason in refused.reasons:
                form.add_error(field, reason)
        except StaleVersion as stale:
            meeting.refresh_from_db()
            form.with_version(meeting.version)
            form.add_error(
                None, f"{stale} Your entries are still in the form; save again to replace theirs."
            )
            status = 409
        else:
            return done(request, postmortem, "meeting", "Meeting saved.")
    return panel_response(request, postmortem, "meeting", status, meeting_form=form)
