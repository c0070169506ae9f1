"""A postmortem that went final for real: sound enough for the linter and the process, moved
through review to final by its lead. Pages and API tests of the final lock share it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.linting import review
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.postmortems.operations import start_postmortem, transition

if TYPE_CHECKING:
    from conftest import Cast

SOUND_SUMMARY = "Checkout returned 502 for EU customers for 47 minutes."
BLAME = "John forgot to run the migration."


def final_postmortem(cast: Cast) -> Postmortem:
    """The cast's Payments incident, its postmortem final with no lint error and one open item."""
    incident = cast.incident()
    pm = start_postmortem(incident, cast.alice)
    Postmortem.objects.filter(pk=pm.pk).update(
        status=Status.IN_REVIEW,
        summary=SOUND_SUMMARY,
        impact="12,400 checkout attempts failed over 47 minutes.",
        root_cause="There is no review checklist for schema changes on hot tables.",
        root_cause_category="process",
    )
    TimelineEvent.objects.create(
        postmortem=pm, occurred_at=incident.started_at, description="Error rate alert fired."
    )
    for n, (q, a) in enumerate(
        [
            ("Why did checkout fail?", "The database ran out of connections."),
            ("Why did it run out?", "A query did a full table scan."),
            ("Why a full scan?", "The migration had no index and review has no checklist."),
        ]
    ):
        Why.objects.create(postmortem=pm, position=n, question=q, answer=a)
    ContributingFactor.objects.create(
        postmortem=pm, kind="detection", description="The pool had no saturation alert."
    )
    ActionItem.objects.create(
        postmortem=pm,
        title="Add a schema-change checklist to the PR template",
        owner=cast.frank,
        due_date=date.today() + timedelta(days=10),
        done_condition="The checklist is in the PR template and used by the next migration.",
    )
    pm.meeting.held_at = timezone.now()
    pm.meeting.save()
    pm.refresh_from_db()
    assert review(pm).errors == [], review(pm).errors
    transition(pm, Status.FINAL, pm.version, cast.alice)
    pm.refresh_from_db()
    assert pm.status == Status.FINAL
    return pm


def closed_postmortem(cast: Cast) -> Postmortem:
    """The same, with its one item done: the postmortem closed itself."""
    pm = final_postmortem(cast)
    pm.action_items.update(status="done", done_at=timezone.now())
    transition(pm, Status.CLOSED, pm.version, cast.alice)
    pm.refresh_from_db()
    assert pm.status == Status.CLOSED
    return pm
