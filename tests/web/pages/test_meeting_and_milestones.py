"""The meeting panel (facilitator, agenda) and the milestone panel (deadlines and states)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import time_machine
from django.urls import reverse

from followthrough.core.agenda import agenda
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import add_timeline_event

from .helpers import panel

HTMX = {"HX-Request": "true"}


def meeting_data(postmortem: Postmortem, **fields: Any) -> dict[str, Any]:
    meeting = postmortem.meeting
    data: dict[str, Any] = {
        "meeting-version": meeting.version,
        "meeting-duration_minutes": meeting.duration_minutes,
        "meeting-attendees": [p.pk for p in meeting.attendees.all()],
        "meeting-location": "",
        "meeting-notes": "",
    }
    data.update({f"meeting-{k}": v for k, v in fields.items()})
    return data


def save_meeting(client: Any, postmortem: Postmortem, **fields: Any) -> Any:
    return client.post(
        reverse("meeting-save", args=[postmortem.incident_id]), meeting_data(postmortem, **fields)
    )


def agenda_rows(body: str) -> list[tuple[int, str, int]]:
    """(start minute, title, minutes) of each agenda row shown."""
    return [
        (int(start), title, int(minutes))
        for start, title, minutes in re.findall(
            r"<td>\+(\d+) min</td>\s*<th scope=\"row\">\d\. ([^<]+)</th>\s*<td>(\d+) min</td>", body
        )
    ]


def states(body: str) -> dict[str, str]:
    """Milestone name -> state shown in the milestone panel."""
    return dict(
        (name, state)
        for state, name in re.findall(
            r'<li class="milestone state-(\w+)">\s*<div class="milestone-head"><strong>([^<]+)</strong>',
            body,
        )
    )


def test_the_agenda_is_the_seeds_five_parts_for_a_90_minute_meeting(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    response = save_meeting(client, postmortem, duration_minutes=90)
    assert response.status_code == 302
    body = panel(
        client.get(reverse("postmortem", args=[postmortem.incident_id]) + "?section=meeting"),
        "meeting",
    )
    assert agenda_rows(body) == [
        (0, "Timeline review", 15),
        (15, "Impact review", 10),
        (25, "Root cause analysis", 30),
        (55, "Contributing factors", 15),
        (70, "Action items", 20),
    ]
    assert "Walk through what happened, when. No analysis yet. Just facts." in body


def test_the_agenda_is_scaled_down_to_a_60_minute_meeting(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    save_meeting(client, postmortem, duration_minutes=90)
    postmortem.meeting.refresh_from_db()
    response = client.post(
        reverse("meeting-save", args=[postmortem.incident_id]),
        meeting_data(postmortem, duration_minutes=60),
        headers=HTMX,
    )
    rows = agenda_rows(panel(response, "meeting"))
    assert sum(minutes for _, _, minutes in rows) == 60
    assert rows == [(a.starts_at_minute, a.title, a.minutes) for a in agenda(60)]
    assert rows[2] == (17, "Root cause analysis", 20)
    assert "Agenda (60 minutes)" in panel(response, "meeting")


def test_a_meeting_longer_than_90_minutes_is_refused_inline(
    cast: Any, postmortem: Postmortem
) -> None:
    response = save_meeting(cast.browser(cast.bob), postmortem, duration_minutes=120)
    assert response.status_code == 422
    assert "Ensure this value is less than or equal to 90." in panel(response, "meeting")
    postmortem.meeting.refresh_from_db()
    assert postmortem.meeting.duration_minutes == 60


def test_a_facilitator_who_was_the_incident_commander_is_refused(
    cast: Any, postmortem: Postmortem
) -> None:
    response = save_meeting(
        cast.browser(cast.bob), postmortem, facilitator=cast.ivan.pk, location="Room 4"
    )
    assert response.status_code == 422
    body = panel(response, "meeting")
    assert (
        'id="id_meeting-facilitator_error" role="alert">Ivan Petrov was the incident commander; '
        "the facilitator must be someone not directly involved in the incident." in body
    )
    postmortem.meeting.refresh_from_db()
    assert postmortem.meeting.facilitator is None
    assert postmortem.meeting.location == ""


def test_a_facilitator_who_was_a_responder_is_refused_through_htmx(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        reverse("meeting-save", args=[postmortem.incident_id]),
        meeting_data(postmortem, facilitator=cast.rita.pk),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<section id="meeting"')
    assert "Rita Gomez was a responder" in response.content.decode()


def test_an_uninvolved_facilitator_is_accepted_with_attendees_and_notes(
    cast: Any, postmortem: Postmortem
) -> None:
    response = save_meeting(
        cast.browser(cast.bob),
        postmortem,
        facilitator=cast.frank.pk,
        attendees=[cast.ivan.pk, cast.rita.pk, cast.vera.person.pk],
        location="Room 4 / video link",
        notes="Blameless; focus on the review gap.",
    )
    assert response.status_code == 302
    meeting = postmortem.meeting
    meeting.refresh_from_db()
    assert meeting.facilitator == cast.frank
    # The facilitator is always an attendee, though the form did not tick them.
    assert set(meeting.attendees.all()) == {cast.ivan, cast.rita, cast.vera.person, cast.frank}
    assert meeting.location == "Room 4 / video link"
    assert meeting.version == 2


def test_the_milestone_panel_shows_each_state_with_owner_and_team_time(
    cast: Any, postmortem: Postmortem
) -> None:
    # Resolved Mon 2 March 15:00 UTC. The timeline comes on Thursday (late); nobody scheduled the meeting.
    thursday = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    with time_machine.travel(thursday, tick=False):
        add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 0, tzinfo=UTC), "Alert fired.")
        body = panel(
            cast.browser(cast.vera).get(reverse("postmortem", args=[postmortem.incident_id])),
            "milestones",
        )
    assert states(body) == {
        "Incident resolved": "done_on_time",
        "Initial timeline documented": "done_late",
        "Postmortem meeting scheduled": "overdue",
        "Postmortem meeting held": "pending",
        "Postmortem document finalized": "pending",
        "Action items assigned and tracked": "pending",
    }
    for words in ("done on time", "done late", "overdue", "pending"):
        assert f">{words}</span>" in body
    assert "IC or designee" in body and "Engineering manager" in body
    assert "Tue 3 Mar 2026, 16:00 CET" in body  # T+24 hours, in Berlin
    assert "Mon 9 Mar 2026, 23:59 CET" in body  # T+5 business days, end of the day in Berlin
    assert "Thu 5 Mar 2026, 13:00 CET" in body  # when the timeline was documented


def test_scheduling_the_meeting_completes_its_milestone_on_time(
    cast: Any, postmortem: Postmortem
) -> None:
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    client = cast.browser(cast.bob)
    with time_machine.travel(tuesday, tick=False):
        response = client.post(
            reverse("meeting-save", args=[postmortem.incident_id]),
            meeting_data(postmortem, facilitator=cast.frank.pk, scheduled_for="2026-03-06T14:00"),
            headers=HTMX,
        )
    body = response.content.decode()
    # The milestone panel comes along out of band, with the new state.
    assert (
        '<section id="milestones" class="card" aria-labelledby="milestones-h" hx-swap-oob="true">'
        in body
    )
    assert states(body)["Postmortem meeting scheduled"] == "done_on_time"
    postmortem.meeting.refresh_from_db()
    assert postmortem.meeting.scheduled_for == datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
