"""Owners hear about their own action items: "an owner is never told their own item is
overdue ... and gets no reminder before the due date" (issue 13). Two business days before
the due date by default (the team's calendar), on the first overdue day, then weekly;
never for done, deprioritised or deleted items; never against the person's preferences."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pytest
import time_machine
from django.core import mail

from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup.models import Notification, Preferences, TeamSettings
from followthrough.web.followup.reminders import remind_owners
from followthrough.web.followup.worker import one_pass
from followthrough.web.recovery import delete

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 9)


def to_frank() -> list[str]:
    return [m.subject for m in mail.outbox if m.to == ["frank@example.com"]]


def at(day: int, hour_utc: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour_utc, tzinfo=UTC)


def test_the_owner_is_reminded_two_business_days_before_then_on_the_first_overdue_day_then_weekly(
    cast: Cast,
) -> None:
    with time_machine.travel(at(2, 9), tick=False) as traveller:
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool exhaustion", MONDAY)
        key = item.postmortem.incident.key
        traveller.move_to(at(4, 9))  # Wednesday: three business days before
        one_pass("w1")
        assert to_frank() == []
        traveller.move_to(at(5, 6))  # Thursday 07:00 in Berlin: nobody is woken
        one_pass("w1")
        assert to_frank() == []
        traveller.move_to(at(5, 8))  # Thursday 09:00 in Berlin
        one_pass("w1")
        assert to_frank() == [f"Due Mon 09 Mar 2026: “Alert on pool exhaustion” ({key})"]
        for day in (6, 9):  # Friday, and the due date itself: nothing new
            traveller.move_to(at(day, 12))
            one_pass("w1")
        assert len(to_frank()) == 1
        traveller.move_to(at(10, 9))  # Tuesday: overdue
        one_pass("w1")
        assert to_frank()[1].startswith("Overdue since Mon 09 Mar 2026: “Alert on pool exhaustion”")
        for day in range(11, 17):  # the rest of the week: once is enough
            traveller.move_to(at(day, 12))
            one_pass("w1")
        assert len(to_frank()) == 2
        traveller.move_to(at(17, 9))  # a week after the first overdue day
        one_pass("w1")
        assert len(to_frank()) == 3 and to_frank()[2].startswith("Overdue since")
    body = mail.outbox[-1].body
    assert "Done when: An alert fires in staging" in body
    assert "/action-items/" in body


def test_a_reminder_counts_business_days_of_the_teams_calendar_not_calendar_days(
    cast: Cast,
) -> None:
    # Due Tuesday 7 April 2026: Good Friday (3rd) and Easter Monday (6th) are Berlin holidays,
    # so two business days before is Wednesday 1 April.
    with time_machine.travel(at(30, 9), tick=False):
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 4, 7))
    conf = TeamSettings.of(cast.payments)
    assert remind_owners(at(31, 9)) == "queued 0"
    assert remind_owners(at(1, 9, month=4)) == "queued 1"
    assert remind_owners(at(2, 9, month=4)) == "queued 0"  # idempotent
    assert Notification.objects.get(action_item=item).kind == "item-due"
    assert conf.remind_owner_business_days == 2


def test_the_team_chooses_how_many_business_days_ahead_and_zero_means_on_the_day(
    cast: Cast,
) -> None:
    with time_machine.travel(at(2, 9), tick=False):
        add_item(final_postmortem(cast), cast.frank, "Alert on pool", MONDAY)
    TeamSettings.objects.create(team=cast.payments, remind_owner_business_days=0)
    assert remind_owners(at(6, 9)) == "queued 0"  # Friday
    assert remind_owners(at(9, 9)) == "queued 1"  # Monday, the due date


def test_a_new_due_date_gets_its_own_reminder(cast: Cast) -> None:
    with time_machine.travel(at(2, 9), tick=False) as traveller:
        item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", MONDAY)
        traveller.move_to(at(5, 9))
        assert remind_owners() == "queued 1"
        update_action_item(item, item.version, cast.bob, {"due_date": date(2026, 3, 16)})
        assert remind_owners() == "queued 0"  # not yet: two business days before the 16th
        traveller.move_to(at(12, 9))
        assert remind_owners() == "queued 1"


def test_done_deprioritised_and_deleted_items_remind_nobody(cast: Cast) -> None:
    with time_machine.travel(at(2, 9), tick=False) as traveller:
        postmortem = final_postmortem(cast)
        done = add_item(postmortem, cast.frank, "Done already", MONDAY)
        dropped = add_item(postmortem, cast.frank, "Dropped", MONDAY)
        deleted = add_item(postmortem, cast.frank, "Deleted", MONDAY)
        update_action_item(done, done.version, cast.bob, {"status": "done"})
        update_action_item(
            dropped,
            dropped.version,
            cast.bob,
            {"status": "deprioritised", "deprioritised_reason": "The pooler replaces it."},
        )
        delete(deleted, cast.bob)
        for day in (5, 10, 17):
            traveller.move_to(at(day, 9))
            one_pass("w1")
    assert to_frank() == []
    assert not Notification.objects.filter(kind__startswith="item-").exists()


def test_an_owner_who_turned_reminders_off_hears_nothing_and_email_off_means_no_email(
    cast: Cast,
) -> None:
    with time_machine.travel(at(2, 9), tick=False):
        postmortem = final_postmortem(cast)
        add_item(postmortem, cast.frank, "Alert on pool", MONDAY)
        add_item(postmortem, cast.bob.person, "Add the checklist", MONDAY)  # type: ignore[attr-defined]
    Preferences.objects.create(person=cast.frank, reminders_enabled=False)
    Preferences.objects.create(person=cast.bob.person, email_enabled=False)  # type: ignore[attr-defined]
    assert remind_owners(at(5, 9)) == "queued 0"
    assert remind_owners(at(10, 9)) == "queued 0"


def test_the_preference_is_on_the_notifications_page_and_in_the_api(cast: Cast) -> None:
    client = cast.browser(cast.bob)
    assert "Remind me about my action items" in client.get("/me/notifications/").content.decode()
    client.post("/me/notifications/", {"email_enabled": "on"})
    assert not Preferences.objects.get(person=cast.bob.person).reminders_enabled  # type: ignore[attr-defined]
    api = cast.api("bob")
    url = "/api/v1/me/notification-preferences"
    answer = api.patch_json(url, {"reminders_enabled": True})
    assert answer.status_code == 200 and answer.json()["reminders_enabled"] is True


def test_the_lead_sets_the_business_days_in_the_follow_up_settings_page_and_api(
    cast: Cast,
) -> None:
    url = f"/api/v1/teams/{cast.payments.pk}/follow-up"
    assert cast.api("alice").get(url).json()["remind_owner_business_days"] == 2
    answer = cast.api("alice").patch_json(url, {"remind_owner_business_days": 5})
    assert answer.status_code == 200 and answer.json()["remind_owner_business_days"] == 5
    refused = cast.api("alice").patch_json(url, {"remind_owner_business_days": 21})
    assert refused.status_code == 422
    assert TeamSettings.of(cast.payments).remind_owner_business_days == 5
    page = cast.browser(cast.alice).get("/teams/payments/follow-up/").content.decode()
    assert "Remind owners (business days before the due date)" in page


def test_a_reminder_about_a_security_incident_names_it_only_to_an_owner_who_may_see_it(
    cast: Cast,
) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    incident = cast.incident(team=cast.security, commander=None, security=True, title="Leak")
    with time_machine.travel(at(2, 9), tick=False):
        postmortem = start_postmortem(incident, cast.dana)
        add_item(postmortem, cast.dana.person, "Rotate the keys", MONDAY)  # type: ignore[attr-defined]
    assert remind_owners(at(6, 15)) == "queued 1"
    row = Notification.objects.get(kind="item-due")
    assert "Rotate the keys" in row.subject  # dana is on the team: she reads it whole
    assert row.recipient == cast.dana.person  # type: ignore[attr-defined]
