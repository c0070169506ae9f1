"""Every change is recorded once, with who made it, whatever made it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import Cast
from followthrough.web.accounts.models import Organisation
from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import create_action_item, update_action_item
from followthrough.web.followup.escalation import escalate_stuck_items
from followthrough.web.history.context import acting_as
from followthrough.web.history.models import Change
from followthrough.web.history.recording import history_of
from followthrough.web.integrations.models import TrackerConfig
from followthrough.web.postmortems.models import Postmortem, TimelineEvent
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

pytestmark = pytest.mark.django_db


def test_renaming_an_incident_through_the_api_records_who_when_before_and_after(
    cast: Cast,
) -> None:
    incident = cast.incident(title="Checkout 502s")
    started = datetime.now(UTC)
    answer = cast.api("bob").patch_json(
        f"/api/v1/incidents/{incident.pk}",
        {"version": incident.version, "title": "Checkout 502s in the EU"},
    )
    assert answer.status_code == 200, answer.content
    change = history_of(incident).first()
    assert change is not None and change.actor == cast.bob and change.who == "bob"
    assert started <= change.at <= datetime.now(UTC)
    assert change.changed_fields() == {"title": ("Checkout 502s", "Checkout 502s in the EU")}
    assert change.object_repr == f"{incident.key} Checkout 502s in the EU"
    assert (change.team_id, change.incident_id) == (cast.payments.pk, incident.pk)


def test_a_change_made_in_the_django_admin_is_recorded(cast: Cast) -> None:
    organisation = Organisation.current()
    answer = cast.browser(cast.admin).post(
        f"/admin/accounts/organisation/{organisation.pk}/change/",
        {"name": "Acme Payments", "policy": '{"required_severities": ["P0"]}'},
    )
    assert answer.status_code == 302, answer.content
    change = history_of(organisation).get(action=Change.Action.UPDATE)
    assert change.actor == cast.admin
    assert change.changed_fields() == {
        "name": ("Our organisation", "Acme Payments"),
        "policy": ({}, {"required_severities": ["P0"]}),
    }


def test_a_worker_escalation_is_recorded_as_the_worker(cast: Cast) -> None:
    rita = cast.rita
    rita.manager = cast.ivan
    rita.save()
    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = create_action_item(
        postmortem, cast.alice, title="Alert on pool", owner=rita, due_date=date.today()
    )
    # Untouched for longer than the team's 14 days: stalled, up to the owner's manager.
    assert escalate_stuck_items(datetime.now(UTC) + timedelta(days=15)) == "escalated 1"
    latest = history_of(item).first()
    assert latest is not None
    assert (latest.who, latest.actor, latest.actor_label) == ("worker", None, "worker")
    assert latest.note.startswith("Escalated to Ivan Petrov (level 1)")
    step = Change.objects.get(content_type__model="escalation")
    assert step.who == "worker" and step.action == Change.Action.CREATE
    assert step.incident_id == postmortem.incident_id


def test_an_action_item_status_change_is_recorded_once_not_twice(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = create_action_item(postmortem, cast.alice, title="Alert on pool", owner=cast.rita)
    assert history_of(item).count() == 1
    answer = cast.api("bob").patch_json(
        f"/api/v1/action-items/{item.pk}", {"version": item.version, "status": "in_progress"}
    )
    assert answer.status_code == 200, answer.content
    updates = list(history_of(item).filter(action=Change.Action.UPDATE))
    assert len(updates) == 1
    assert updates[0].changed_fields() == {"status": ("open", "in_progress")}
    assert updates[0].who == "bob"


def test_the_deprioritise_reason_is_kept_as_the_note_of_the_change(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = create_action_item(postmortem, cast.alice, title="Alert on pool", owner=cast.rita)
    update_action_item(
        item,
        item.version,
        cast.alice,
        {"status": ActionStatus.DEPRIORITISED, "deprioritised_reason": "Pool is being retired"},
        note="Pool is being retired",
    )
    change = history_of(item).first()
    assert change is not None and change.note == "Pool is being retired"
    assert change.changed_fields()["status"] == ("open", "deprioritised")


def test_timeline_events_are_recorded_under_their_incident_even_once_deleted(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    with acting_as(user=cast.bob):
        event = add_timeline_event(
            postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), "Pager fired for 502s"
        )
    pk = event.pk
    with acting_as(user=cast.alice):
        TimelineEvent.objects.filter(pk=pk).delete()
    changes = Change.objects.filter(content_type__model="timelineevent", object_id=str(pk))
    assert [(c.action, c.who) for c in changes] == [("delete", "alice"), ("create", "bob")]
    assert {c.incident_id for c in changes} == {postmortem.incident_id}
    assert changes[0].before["description"] == "Pager fired for 502s"


def test_deleting_a_postmortem_records_its_sections_going_too(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), "Pager fired")
    incident_id = postmortem.incident_id
    Postmortem.objects.filter(pk=postmortem.pk).delete()
    deleted = Change.objects.filter(action=Change.Action.DELETE, incident_id=incident_id)
    assert {c.content_type.model for c in deleted} == {"postmortem", "meeting", "timelineevent"}
    assert {c.who for c in deleted} == {"system"}


def test_responders_changed_through_the_api_are_recorded(cast: Cast) -> None:
    incident = cast.incident()
    answer = cast.api("bob").patch_json(
        f"/api/v1/incidents/{incident.pk}",
        {"version": incident.version, "responder_ids": [cast.rita.pk, cast.frank.pk]},
    )
    assert answer.status_code == 200, answer.content
    change = history_of(incident).first()
    assert change is not None and change.who == "bob"
    assert change.changed_fields() == {
        "responders": ([cast.rita.pk], sorted([cast.rita.pk, cast.frank.pk]))
    }


def test_a_tracker_token_is_recorded_as_set_or_replaced_never_its_value(cast: Cast) -> None:
    config = TrackerConfig.objects.create(
        team=cast.payments,
        kind="github",
        settings={"repository": "acme/pay"},
        api_token="ghp_first",
    )
    config.api_token = "ghp_second"
    config.save()
    changes = list(history_of(config))
    assert "ghp_" not in str([(c.before, c.after) for c in changes])
    assert changes[0].changed_fields() == {"api_token": ("set", "replaced")}
    assert changes[1].after["api_token"] == "set"
    assert changes[0].team_id == cast.payments.pk


def test_a_time_given_in_another_timezone_is_not_a_change(cast: Cast) -> None:
    incident = cast.incident()
    count = history_of(incident).count()
    assert incident.resolved_at is not None
    incident.resolved_at = incident.resolved_at.astimezone(ZoneInfo("Europe/Berlin"))
    incident.save()
    assert history_of(incident).count() == count


def test_a_change_made_from_the_command_line_is_recorded_as_the_cli(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from django.core import management

    from followthrough.cli import main

    def command(argv: list[str]) -> None:
        # What `manage shell -c ...` would run, without the command closing the test's
        # database connection (a real command closes them all when it ends).
        assert argv[1:3] == ["shell", "-c"]
        cast.payments.timezone = "UTC"
        cast.payments.save()

    monkeypatch.setattr(management, "execute_from_command_line", command)
    result = CliRunner().invoke(main, ["manage", "shell", "-c", "..."])
    assert result.exit_code == 0, result.output
    change = history_of(cast.payments).first()
    assert change is not None and change.who == "cli: manage shell"
    assert change.changed_fields() == {"timezone": ("Europe/Berlin", "UTC")}


def test_reordering_whys_through_the_api_records_each_moved_why(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    api = cast.api("bob")
    url = f"/api/v1/postmortems/{postmortem.pk}/whys"
    ids = [
        api.post_json(url, {"question": f"Why {n}?", "answer": f"Because {n}."}).json()["id"]
        for n in (1, 2, 3)
    ]
    answer = api.post_json(url + "/reorder", {"order": [ids[2], ids[0], ids[1]]})
    assert answer.status_code == 200, answer.content
    moves = Change.objects.filter(content_type__model="why", action=Change.Action.UPDATE)
    assert {(c.object_id, c.changed_fields()["position"]) for c in moves} == {
        (str(ids[2]), (2, 0)),
        (str(ids[0]), (0, 1)),
        (str(ids[1]), (1, 2)),
    }
    assert {c.who for c in moves} == {"bob"}
    assert {c.incident_id for c in moves} == {postmortem.incident_id}
