"""Weeks of follow-through, travelled in time: reminders, weekly reviews across DST, escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core import mail

from followthrough.web.accounts.models import Person
from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup.digest import send_due_digests
from followthrough.web.followup.escalation import escalate_stuck_items
from followthrough.web.followup.models import Escalation, Notification, TeamSettings
from followthrough.web.followup.reminders import check_milestones
from followthrough.web.followup.worker import one_pass
from followthrough.web.history.recording import history_of
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

RESOLVED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # the cast's incidents, a Monday


def subjects_to(address: str) -> list[str]:
    return [m.subject for m in mail.outbox if address in m.to]


def test_the_incident_commander_is_reminded_before_the_timeline_deadline_and_again_when_missed(
    cast: Cast,
) -> None:
    with time_machine.travel(RESOLVED, tick=False) as traveller:
        postmortem = start_postmortem(cast.incident(), cast.alice)
        traveller.move_to(RESOLVED + timedelta(minutes=30))
        one_pass("w1")
        due = subjects_to("ivan@example.com")
        assert due == [
            f"INC-{postmortem.incident_id}: “Initial timeline documented” is due Tue 03 Mar 2026 16:00 CET"
        ]
        traveller.move_to(RESOLVED + timedelta(hours=3))
        one_pass("w1")
        assert subjects_to("ivan@example.com") == due  # once, not every pass
        traveller.move_to(RESOLVED + timedelta(hours=25))
        one_pass("w1")
        later = subjects_to("ivan@example.com")[1:]
        assert sorted(later) == sorted(
            [
                f"INC-{postmortem.incident_id}: “Initial timeline documented” missed its deadline (Tue 03 Mar 2026 16:00 CET)",
                f"INC-{postmortem.incident_id}: “Postmortem meeting scheduled” is due Wed 04 Mar 2026 16:00 CET",
            ]
        )
        body = mail.outbox[-1].body
        assert f"http://127.0.0.1:8000/incidents/{postmortem.incident_id}/postmortem/" in body


def test_a_milestone_done_in_time_gets_no_missed_reminder(cast: Cast) -> None:
    with time_machine.travel(RESOLVED + timedelta(hours=1), tick=False):
        postmortem = start_postmortem(cast.incident(), cast.alice)
        add_timeline_event(postmortem, RESOLVED - timedelta(hours=2), "Checkout 502s began.")
    check_milestones(RESOLVED + timedelta(hours=30))
    kinds = set(Notification.objects.values_list("kind", "postmortem_id"))
    assert ("milestone-missed", postmortem.pk) not in kinds


def test_without_a_facilitator_the_team_lead_hears_about_the_meeting_deadline(cast: Cast) -> None:
    with time_machine.travel(RESOLVED, tick=False):
        start_postmortem(cast.incident(), cast.alice)
    # T+5 business days: Monday 9 March, end of day in Berlin.
    check_milestones(datetime(2026, 3, 9, 8, tzinfo=UTC))
    held = Notification.objects.filter(dedupe_key__contains=":meeting_held:")
    assert {n.recipient for n in held} == {cast.alice.person}  # type: ignore[attr-defined]


def _digest_times(start: datetime, hours: int) -> list[datetime]:
    """Run the weekly-review check every hour from ``start``; when did digests get queued?"""
    queued = []
    with time_machine.travel(start, tick=False) as traveller:
        for hour in range(hours):
            now = start + timedelta(hours=hour)
            traveller.move_to(now)
            if send_due_digests(now) != "queued 0":
                queued.append(now)
    return queued


def test_the_weekly_review_goes_out_on_the_teams_local_monday_9_across_berlins_spring_change(
    cast: Cast,
) -> None:
    TeamSettings.objects.create(team=cast.payments, review_weekday=0, review_hour=9)
    # Three weeks around Sunday 29 March 2026, when Berlin moves from CET to CEST.
    queued = _digest_times(datetime(2026, 3, 20, 0, tzinfo=UTC), 24 * 19)
    assert queued == [
        datetime(2026, 3, 23, 8, tzinfo=UTC),  # 09:00 CET
        datetime(2026, 3, 30, 7, tzinfo=UTC),  # 09:00 CEST
        datetime(2026, 4, 6, 7, tzinfo=UTC),
    ]
    assert Notification.objects.filter(kind="weekly-review").count() == 3  # e-mail to alice


def test_the_weekly_review_follows_new_yorks_november_change_and_goes_once_a_week(
    cast: Cast,
) -> None:
    cast.security.lead = cast.dana.person  # type: ignore[attr-defined]
    cast.security.save()
    Person.objects.filter(pk=cast.alice.person.pk).update(email="")  # type: ignore[attr-defined]
    TeamSettings.objects.create(team=cast.security, review_weekday=4, review_hour=16)
    # Sunday 1 November 2026: New York moves from EDT (UTC-4) to EST (UTC-5).
    queued = _digest_times(datetime(2026, 10, 26, 0, tzinfo=UTC), 24 * 14)
    assert queued == [
        datetime(2026, 10, 30, 20, tzinfo=UTC),  # Friday 16:00 EDT
        datetime(2026, 11, 6, 21, tzinfo=UTC),  # Friday 16:00 EST
    ]


def test_the_digest_lists_overdue_due_soon_stalled_deprioritised_and_waiting_postmortems(
    cast: Cast,
) -> None:
    start = datetime(2026, 3, 8, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        postmortem = final_postmortem(cast)
        late = add_item(postmortem, cast.frank, "Alert on pool exhaustion", date(2026, 3, 20))
        add_item(postmortem, cast.frank, "Load-test the pooler", date(2026, 5, 1))
        dropped = add_item(postmortem, cast.rita, "Rewrite the pool", date(2026, 5, 1))
        traveller.move_to(datetime(2026, 3, 20, 9, tzinfo=UTC))
        add_item(postmortem, cast.rita, "Add the schema checklist", date(2026, 3, 26))
        update_action_item(
            dropped,
            dropped.version,
            cast.bob,
            {"status": "deprioritised", "deprioritised_reason": "The pooler replaces it."},
        )
        # Overdue, but someone works on it: overdue, not stalled.
        traveller.move_to(datetime(2026, 3, 21, 10, tzinfo=UTC))
        update_action_item(late, late.version, cast.bob, {"status": "in_progress"})
        traveller.move_to(datetime(2026, 3, 23, 8, 5, tzinfo=UTC))
        one_pass("w1")
    digest = next(m for m in mail.outbox if "weekly review" in m.subject)
    assert digest.to == ["alice@example.com"]
    assert digest.subject.startswith(
        "Payments weekly review, Mon 23 Mar: 1 overdue, 1 due soon, 1 stalled"
    )
    body = digest.body
    for heading in (
        "Overdue:",
        "Due within 7 days:",
        "Stalled (overdue and untouched since, or no activity for 14 days):",
        "Deprioritised this week:",
        "Postmortems waiting to close:",
        "Forgotten postmortems",
    ):
        assert heading in body
    assert "Rewrite the pool" in body and "The pooler replaces it." in body
    assert "http://127.0.0.1:8000/review/payments/" in body
    html = digest.alternatives[0][0]  # type: ignore[index]
    assert 'href="http://127.0.0.1:8000/review/payments/"' in html


@pytest.fixture
def managers(cast: Cast) -> tuple[Person, Person]:
    vp = Person.objects.create(name="Victor Vance", email="victor@example.com")
    manager = Person.objects.create(name="Mona Li", email="mona@example.com", manager=vp)
    Person.objects.filter(pk=cast.frank.pk).update(manager=manager)
    cast.frank.refresh_from_db()
    return manager, vp


def test_an_overdue_item_goes_to_the_owners_manager_then_one_level_up_a_week_later(
    cast: Cast, managers: tuple[Person, Person]
) -> None:
    manager, vp = managers
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False) as traveller:
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 20))
        for n in range(30):  # daily, 11 March to 9 April
            traveller.move_to(datetime(2026, 3, 11, 9, tzinfo=UTC) + timedelta(days=n))
            escalate_stuck_items()
        steps = list(Escalation.objects.filter(item=item).order_by("level"))
    assert [(s.level, s.to_person, s.at.date()) for s in steps] == [
        (1, manager, date(2026, 3, 21)),
        (2, vp, date(2026, 3, 28)),
    ]
    assert steps[0].reason == "overdue since Fri 20 Mar 2026 and not updated since"
    assert {n.recipient for n in Notification.objects.filter(kind="escalation")} == {manager, vp}
    notes = [c.note for c in history_of(item)]
    assert (
        "Escalated to Mona Li (level 1): overdue since Fri 20 Mar 2026 and not updated since."
        in notes
    )


def test_escalation_stops_when_the_item_moves_and_a_new_standstill_starts_over(
    cast: Cast, managers: tuple[Person, Person]
) -> None:
    manager, vp = managers
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=UTC), tick=False) as traveller:
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 3, 20))
        traveller.move_to(datetime(2026, 3, 21, 9, tzinfo=UTC))
        escalate_stuck_items()
        traveller.move_to(datetime(2026, 3, 23, 9, tzinfo=UTC))
        update_action_item(item, item.version, cast.bob, {"status": "in_progress"})
        for day in (28, 30):
            traveller.move_to(datetime(2026, 3, day, 9, tzinfo=UTC))
            escalate_stuck_items()
        assert list(Escalation.objects.values_list("level", flat=True)) == [1]
        # Then nothing happens for 14 days: stalled, a new chain starts with the manager.
        traveller.move_to(datetime(2026, 4, 6, 9, 30, tzinfo=UTC))
        escalate_stuck_items()
    last = Escalation.objects.order_by("at").last()
    assert last is not None and (last.level, last.to_person) == (1, manager)
    assert last.reason == "no activity for 14 days"
