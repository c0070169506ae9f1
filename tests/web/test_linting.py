"""The linter in the service: the same engine as the CLI, on the stored postmortem."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import Cast
from followthrough.core.markdown import parse
from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.linting import postmortem_markdown, review
from followthrough.web.postmortems.models import Postmortem, Status, TimelineEvent, Why
from followthrough.web.postmortems.operations import Refused, start_postmortem, transition

pytestmark = pytest.mark.django_db


def _ready_for_final(cast: Cast, *, item_title: str, owner: bool = True) -> Postmortem:
    incident = cast.incident()
    pm = start_postmortem(incident, cast.alice)
    Postmortem.objects.filter(pk=pm.pk).update(
        status=Status.IN_REVIEW,
        summary="Checkout returned 502 for EU customers for 47 minutes.",
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
    ActionItem.objects.create(
        postmortem=pm,
        title=item_title,
        owner=cast.frank if owner else None,
        due_date=date.today() + timedelta(days=10),
        done_condition="The checklist is in the PR template and used by the next migration.",
    )
    pm.meeting.held_at = timezone.now()
    pm.meeting.save()
    pm.refresh_from_db()
    return pm


def test_the_stored_postmortem_exports_as_markdown_the_parser_reads_back(cast: Cast) -> None:
    pm = _ready_for_final(cast, item_title="Add a schema-change checklist to the PR template")
    doc = parse(postmortem_markdown(pm))
    assert doc.title == pm.incident.title
    assert len(doc.whys) == 3
    assert doc.root_causes and doc.root_causes[0].category == "process"
    assert doc.action_items[0].owner == "Frank Osei"
    assert doc.action_items[0].due == date.today() + timedelta(days=10)


def test_a_sound_postmortem_has_no_error_and_goes_final(cast: Cast) -> None:
    pm = _ready_for_final(cast, item_title="Add a schema-change checklist to the PR template")
    assert review(pm).errors == []
    transition(pm, Status.FINAL, pm.version, cast.alice)
    assert Postmortem.objects.get(pk=pm.pk).status == Status.FINAL


def test_going_final_is_refused_while_the_linter_finds_errors(cast: Cast) -> None:
    pm = _ready_for_final(cast, item_title="Improve monitoring")
    findings = review(pm)
    assert any(f.category == "vague_action" for f in findings.errors)
    assert "action_items" in findings.by_panel
    with pytest.raises(Refused) as refused:
        transition(pm, Status.FINAL, pm.version, cast.alice)
    assert "linter found" in str(refused.value)
    assert Postmortem.objects.get(pk=pm.pk).status == Status.IN_REVIEW


def test_going_final_with_lint_errors_needs_a_recorded_reason(cast: Cast) -> None:
    pm = _ready_for_final(cast, item_title="Improve monitoring")
    transition(pm, Status.FINAL, pm.version, cast.alice, override_reason="Agreed in the meeting.")
    pm.refresh_from_db()
    assert pm.status == Status.FINAL
    assert pm.final_override_reason == "Agreed in the meeting."


def test_a_postmortem_whose_items_are_all_done_closes_as_it_goes_final(cast: Cast) -> None:
    pm = _ready_for_final(cast, item_title="Add a schema-change checklist to the PR template")
    pm.action_items.update(status="done", done_at=timezone.now())
    transition(pm, Status.FINAL, pm.version, cast.alice)
    pm.refresh_from_db()
    assert pm.status == Status.CLOSED and pm.finalized_at and pm.closed_at
