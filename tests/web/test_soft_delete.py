"""Recovery: deleting is soft, hides a row everywhere, and an admin restores it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from followthrough.web import recovery
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.worker import run_tasks
from followthrough.web.history.models import Change
from followthrough.web.incidents.models import Incident, Source
from followthrough.web.insights import repeats
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
INSIGHTS = "/api/v1/insights?period=month&from=2026-01-01&to=2026-04-30"


def _full_incident(
    cast: Cast, title: str = "Checkout returned 502 for EU customers", **fields: Any
) -> Incident:
    """An incident with a postmortem, a meeting, a why, an event, a factor and two items."""
    incident = cast.incident(title=title, failure_mode="connection pool exhausted", **fields)
    postmortem = start_postmortem(incident, cast.alice)
    Why.objects.create(postmortem=postmortem, question="Why 502?", answer="Pool exhausted.")
    add_timeline_event(postmortem, AT, "Alerts fired for checkout")
    ContributingFactor.objects.create(postmortem=postmortem, description="No pool alert")
    for title_ in ("Alert on pool saturation", "Raise the pool size"):
        create_action_item(
            postmortem,
            cast.alice,
            title=title_,
            owner=cast.person(cast.bob),
            due_date=date(2026, 3, 20),
            done_condition="The alert fires in staging at 80% use.",
        )
    return incident


def _changes(obj: Any, action: str) -> list[Change]:
    return list(
        Change.objects.filter(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            action=action,
        )
    )


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _flat(item, f"{path}[{i}]").items()
        }
    return {path: value}


def _report(cast: Cast) -> dict[str, Any]:
    """The insights report, less what moves with the clock (the age of open items)."""
    body: dict[str, Any] = cast.api("admin").get(INSIGHTS).json()
    return {
        k: v
        for k, v in _flat(body).items()
        if k != ".generated_at" and not k.endswith(".open_action_age")
    }


def _similar_ids(cast: Cast, incident: Incident) -> set[int]:
    answer = cast.api("admin").get(f"/api/v1/incidents/{incident.pk}/similar")
    assert answer.status_code == 200, answer.content
    return {row["incident"]["id"] for row in answer.json()["items"]}


def test_an_editor_deletes_an_incident_and_it_disappears_from_lists_api_and_dashboard(
    cast: Cast,
) -> None:
    incident = _full_incident(
        cast,
        started_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        detected_at=datetime(2026, 3, 1, 9, 10, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 1, 11, 0, tzinfo=UTC),
    )
    later = cast.incident(
        title="Checkout returned 502 again", failure_mode="connection pool exhausted"
    )
    repeats.rebuild()
    with_it = _report(cast)
    assert with_it[".organisation.total.counts.incidents"] == 2
    assert incident.pk in _similar_ids(cast, later)
    postmortem = Postmortem.objects.get(incident=incident)
    items = list(postmortem.action_items.all())
    bob = cast.api("bob")

    # The insights are refreshed by the worker once the delete is committed.
    answer = bob.delete(f"/api/v1/incidents/{incident.pk}?version={incident.version}")
    run_tasks("test-worker")

    assert answer.status_code == 204, answer.content
    listed = bob.get("/api/v1/incidents").json()["items"]
    assert incident.pk not in [row["id"] for row in listed]
    assert bob.get(f"/api/v1/incidents/{incident.pk}").status_code == 404
    assert bob.get(f"/api/v1/postmortems/{postmortem.pk}").status_code == 404
    item_ids = [row["id"] for row in bob.get("/api/v1/action-items").json()["items"]]
    assert not set(item_ids) & {i.pk for i in items}
    page = cast.browser(cast.bob)
    assert incident.title not in page.get(reverse("incident-list")).content.decode()
    assert page.get(reverse("incident-detail", args=[incident.pk])).status_code == 404
    # The dashboard counts and the similarity suggestions no longer include it.
    without = _report(cast)
    assert without[".organisation.total.counts.incidents"] == 1
    assert without != with_it
    assert incident.pk not in _similar_ids(cast, later)
    # One batch, and a DELETE in the history of every row, by bob.
    hidden = [incident, postmortem, Meeting.all_objects.get(postmortem=postmortem), *items]
    batches = {type(r).all_objects.get(pk=r.pk).deletion for r in hidden}
    assert len(batches) == 1 and None not in batches
    for row in hidden:
        [change] = _changes(row, Change.Action.DELETE)
        assert change.actor == cast.bob
    assert Incident.all_objects.get(pk=incident.pk).deleted_by == cast.bob


def test_an_editor_deletes_an_incident_from_its_page_after_confirming(cast: Cast) -> None:
    incident = _full_incident(cast)
    page = cast.browser(cast.alice)
    detail = page.get(reverse("incident-detail", args=[incident.pk])).content.decode()
    assert reverse("incident-delete", args=[incident.pk]) in detail

    confirm = page.get(reverse("incident-delete", args=[incident.pk]))
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "its postmortem (draft)" in text and "its 2 action items" in text
    assert Incident.objects.filter(pk=incident.pk).exists()  # a GET deletes nothing

    done = page.post(
        reverse("incident-delete", args=[incident.pk]), {"version": incident.version}, follow=True
    )

    assert done.redirect_chain[-1][0] == reverse("incident-list")
    assert "An admin can restore it from the trash" in done.content.decode()
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not ActionItem.objects.filter(postmortem__incident=incident).exists()
    assert ActionItem.all_objects.filter(postmortem__incident=incident).count() == 2


def test_an_editor_deletes_an_action_item_from_its_page_and_the_api(cast: Cast) -> None:
    incident = _full_incident(cast)
    first, second = ActionItem.objects.filter(postmortem__incident=incident).order_by("pk")
    page = cast.browser(cast.bob)
    assert (
        reverse("action-item-delete", args=[incident.pk, first.pk])
        in page.get(first.get_absolute_url()).content.decode()
    )

    done = page.post(
        reverse("action-item-delete", args=[incident.pk, first.pk]), {"version": first.version}
    )
    answer = cast.api("bob").delete(f"/api/v1/action-items/{second.pk}?version={second.version}")

    assert done.status_code == 302
    assert answer.status_code == 204, answer.content
    assert not ActionItem.objects.filter(postmortem__incident=incident).exists()
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert cast.api("bob").get(f"/api/v1/action-items/{first.pk}").status_code == 404
    # Each item is its own batch: restoring one leaves the other in the trash.
    recovery.restore(ActionItem.all_objects.get(pk=first.pk).deletion, cast.admin)
    assert list(ActionItem.objects.filter(postmortem__incident=incident)) == [first]


def test_a_viewer_cannot_delete(cast: Cast) -> None:
    incident = _full_incident(cast)
    item = ActionItem.objects.filter(postmortem__incident=incident).first()
    assert item is not None
    why = Why.objects.get(postmortem__incident=incident)
    vera = cast.api("vera")

    refused = [
        vera.delete(f"/api/v1/incidents/{incident.pk}?version={incident.version}"),
        vera.delete(f"/api/v1/action-items/{item.pk}?version={item.version}"),
        vera.delete(f"/api/v1/whys/{why.pk}?version={why.version}"),
        cast.browser(cast.vera).post(
            reverse("incident-delete", args=[incident.pk]), {"version": incident.version}
        ),
        cast.browser(cast.vera).get(reverse("incident-delete", args=[incident.pk])),
        cast.browser(cast.vera).post(
            reverse("action-item-delete", args=[incident.pk, item.pk]), {"version": item.version}
        ),
    ]

    assert [r.status_code for r in refused] == [403] * 6
    # dana (another team, private) cannot even see them
    dana = cast.api("dana").delete(f"/api/v1/incidents/{incident.pk}?version={incident.version}")
    assert dana.status_code in (403, 404)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert ActionItem.objects.filter(pk=item.pk).exists() and Why.objects.filter(pk=why.pk).exists()
    assert not Change.objects.filter(action=Change.Action.DELETE).exists()


def test_an_admin_restores_a_deleted_incident_with_its_postmortem_and_action_items(
    cast: Cast,
) -> None:
    incident = _full_incident(cast)
    repeats.rebuild()
    with_it = _report(cast)
    postmortem = Postmortem.objects.get(incident=incident)
    rows = [
        incident,
        postmortem,
        Meeting.objects.get(postmortem=postmortem),
        Why.objects.get(postmortem=postmortem),
        TimelineEvent.objects.get(postmortem=postmortem),
        ContributingFactor.objects.get(postmortem=postmortem),
        *ActionItem.objects.filter(postmortem=postmortem),
    ]
    deletion = recovery.delete(incident, cast.bob, expected_version=incident.version)
    run_tasks("test-worker")
    assert _report(cast) != with_it
    admin = cast.browser(cast.admin)
    trash = admin.get(reverse("trash")).content.decode()
    assert f"Incident {incident.key}" in trash and "bob" in trash

    done = admin.post(reverse("trash-restore", args=[deletion.batch]), follow=True)
    run_tasks("test-worker")

    assert "Restored incident" in done.content.decode()
    for row in rows:
        fresh = type(row).objects.get(pk=row.pk)
        assert fresh.deleted_at is None and fresh.deleted_by is None and fresh.deletion is None
        [change] = _changes(row, Change.Action.RESTORE)
        assert change.actor == cast.admin
    assert cast.api("bob").get(f"/api/v1/incidents/{incident.pk}").status_code == 200
    assert ActionItem.objects.filter(postmortem__incident=incident).count() == 2
    assert _report(cast) == with_it
    assert "The trash is empty" in admin.get(reverse("trash")).content.decode()


def test_restoring_over_a_re_created_external_id_is_refused_and_changes_nothing(
    cast: Cast,
) -> None:
    api = cast.api("bob")
    body = {
        "team_id": cast.payments.pk,
        "title": "Payments API timeouts",
        "severity": "P2",
        "external_id": "status-page-77",
    }
    first = api.post_json("/api/v1/incidents", body).json()
    assert (
        api.delete(f"/api/v1/incidents/{first['id']}?version={first['version']}").status_code == 204
    )
    # The same external id can be recorded again once the first one is deleted.
    again = api.post_json("/api/v1/incidents", body)
    assert again.status_code == 201, again.content
    deleted = Incident.all_objects.get(pk=first["id"])

    done = cast.browser(cast.admin).post(
        reverse("trash-restore", args=[deleted.deletion]), follow=True
    )

    text = done.content.decode()
    assert "Nothing was restored" in text and f"INC-{again.json()['id']}" in text
    assert Incident.all_objects.get(pk=first["id"]).deleted_at is not None
    assert not Change.objects.filter(action=Change.Action.RESTORE).exists()
    assert Incident.objects.filter(source=Source.API, external_id="status-page-77").count() == 1


def test_a_restore_of_an_item_under_a_deleted_incident_is_refused(cast: Cast) -> None:
    incident = _full_incident(cast)
    item = ActionItem.objects.filter(postmortem__incident=incident).first()
    assert item is not None
    alone = recovery.delete(item, cast.bob)
    recovery.delete(incident, cast.bob)

    with pytest.raises(recovery.RestoreRefused) as refused:
        recovery.restore(alone.batch, cast.admin)

    assert "restore that first" in str(refused.value)
    assert ActionItem.all_objects.get(pk=item.pk).deleted_at is not None


def test_a_non_admin_cannot_see_the_trash(cast: Cast) -> None:
    incident = _full_incident(cast)
    deletion = recovery.delete(incident, cast.bob)
    for user in (cast.alice, cast.bob, cast.vera, cast.charlie):
        page = cast.browser(user)
        assert page.get(reverse("trash")).status_code == 404
        assert page.post(reverse("trash-restore", args=[deletion.batch])).status_code == 404
    anonymous = cast.browser(cast.alice)
    anonymous.logout()
    assert anonymous.get(reverse("trash")).status_code == 302
    assert Incident.all_objects.get(pk=incident.pk).deleted_at is not None
    assert "Trash" not in cast.browser(cast.alice).get(reverse("incident-list")).content.decode()


def test_a_deleted_timeline_event_is_restored_by_the_admin_action(cast: Cast) -> None:
    incident = _full_incident(cast)
    event = TimelineEvent.objects.get(postmortem__incident=incident)
    editor = cast.browser(cast.bob)
    removed = editor.post(reverse("event-delete", args=[incident.pk, event.pk]))
    assert removed.status_code == 302
    assert not TimelineEvent.objects.filter(pk=event.pk).exists()
    assert (
        "Alerts fired for checkout"
        not in editor.get(reverse("postmortem", args=[incident.pk])).content.decode()
    )
    admin = cast.browser(cast.admin)
    changelist = reverse("admin:postmortems_timelineevent_changelist")
    listed = admin.get(changelist + "?deleted=yes").content.decode()
    assert "Alerts fired for checkout" in listed
    # Only superusers get the action.
    assert "restore_selected" in listed

    done = admin.post(
        changelist,
        {"action": "restore_selected", "_selected_action": [event.pk], "index": 0},
        follow=True,
    )

    assert "Restored 1 row" in done.content.decode()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()
    [change] = _changes(event, Change.Action.RESTORE)
    assert change.actor == cast.admin
    assert (
        "Alerts fired for checkout"
        in editor.get(
            reverse("postmortem", args=[incident.pk]) + "?section=timeline"
        ).content.decode()
    )


def test_a_stale_version_delete_is_refused_with_409(cast: Cast) -> None:
    incident = _full_incident(cast)
    why = Why.objects.get(postmortem__incident=incident)
    api = cast.api("bob")
    read = incident.version
    changed = api.patch_json(
        f"/api/v1/incidents/{incident.pk}", {"version": read, "title": "Checkout 502s (EU)"}
    )
    assert changed.status_code == 200
    why_read = why.version
    assert (
        api.patch_json(
            f"/api/v1/whys/{why.pk}", {"version": why_read, "answer": "Pool."}
        ).status_code
        == 200
    )

    stale = api.delete(f"/api/v1/incidents/{incident.pk}?version={read}")
    stale_why = api.delete(f"/api/v1/whys/{why.pk}?version={why_read}")

    assert stale.status_code == 409
    assert stale.json()["current_version"] == read + 1
    assert stale_why.status_code == 409
    assert stale_why.json()["current_version"] == why_read + 1
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert Why.objects.filter(pk=why.pk).exists()
    assert not Change.objects.filter(action=Change.Action.DELETE).exists()
    # The page's confirmation carries the version too: a stale one is shown again, 409.
    page = cast.browser(cast.bob).post(
        reverse("incident-delete", args=[incident.pk]), {"version": read}
    )
    assert page.status_code == 409
    assert "changed by someone else" in page.content.decode()
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_deleted_sections_are_soft_in_the_api_and_the_editor(cast: Cast) -> None:
    incident = _full_incident(cast)
    postmortem = Postmortem.objects.get(incident=incident)
    why = Why.objects.get(postmortem=postmortem)
    factor = ContributingFactor.objects.get(postmortem=postmortem)
    api = cast.api("bob")

    assert api.delete(f"/api/v1/whys/{why.pk}?version={why.version}").status_code == 204
    assert (
        cast.browser(cast.bob)
        .post(reverse("factor-delete", args=[incident.pk, factor.pk]))
        .status_code
        == 302
    )

    assert api.get(f"/api/v1/postmortems/{postmortem.pk}/whys").json()["items"] == []
    assert api.get(f"/api/v1/postmortems/{postmortem.pk}/factors").json()["items"] == []
    assert api.delete(f"/api/v1/whys/{why.pk}?version={why.version + 1}").status_code == 404
    assert Why.all_objects.get(pk=why.pk).deleted_by == cast.bob
    assert ContributingFactor.all_objects.get(pk=factor.pk).deleted_at is not None
    assert len(_changes(why, Change.Action.DELETE)) == 1
    assert len(_changes(factor, Change.Action.DELETE)) == 1


def test_a_webhook_event_about_a_deleted_incident_changes_nothing(cast: Cast) -> None:
    from followthrough.web.ingest.apply import apply_event
    from followthrough.web.ingest.events import EventStatus, IncidentEvent
    from followthrough.web.ingest.models import IngestSource

    source = IngestSource.objects.create(
        name="Hooks", kind="webhook", team=cast.payments, secret="s3cret", created_by=cast.admin
    )

    def event(event_id: str, status: EventStatus) -> IncidentEvent:
        return IncidentEvent(
            event_id=event_id,
            event_type=f"incident.{status.value}",
            external_id="ext-1",
            status=status,
            occurred_at=AT,
            title="Queue backlog",
        )

    created = apply_event(source, event("e1", EventStatus.TRIGGERED))
    assert created.incident is not None
    recovery.delete(created.incident, cast.bob)

    later = apply_event(source, event("e2", EventStatus.RESOLVED))

    assert later.status == "deleted" and "restore" in later.detail
    assert Incident.all_objects.count() == 1
    assert Incident.all_objects.get().resolved_at is None


def test_a_deleted_incident_is_not_counted_among_its_teams_open_incidents(cast: Cast) -> None:
    cast.incident(title="Still open", resolved_at=None)
    gone = cast.incident(title="Open, then deleted", resolved_at=None)

    def open_count() -> int:
        page = cast.browser(cast.alice).get(reverse("team-list"))
        [row] = [r for r in page.context["rows"] if r["team"].pk == cast.payments.pk]
        return int(row["team"].open_incidents)

    assert open_count() == 2
    recovery.delete(gone, cast.alice)
    assert open_count() == 1


def test_an_admin_moves_an_incident_to_the_trash_in_the_admin_and_a_staff_member_cannot_restore(
    cast: Cast,
) -> None:
    incident = _full_incident(cast)
    admin = cast.browser(cast.admin)
    changelist = reverse("admin:incidents_incident_changelist")

    moved = admin.post(
        changelist,
        {"action": "move_to_trash", "_selected_action": [incident.pk], "index": 0},
        follow=True,
    )

    assert "Moved 8 rows to the trash" in moved.content.decode()
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert incident.title in admin.get(changelist + "?deleted=yes").content.decode()
    assert incident.title not in admin.get(changelist + "?deleted=no").content.decode()
    # A staff member with every permission on incidents but not a superuser: no Restore.
    cast.vera.is_staff = True
    cast.vera.save()
    cast.vera.user_permissions.add(
        *Permission.objects.filter(content_type=ContentType.objects.get_for_model(Incident))
    )
    staff = cast.browser(cast.vera)
    listed = staff.get(changelist + "?deleted=yes").content.decode()
    assert "restore_selected" not in listed and incident.title in listed
    refused = staff.post(
        changelist, {"action": "restore_selected", "_selected_action": [incident.pk], "index": 0}
    )
    assert refused.status_code in (200, 302)
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not Change.objects.filter(action=Change.Action.RESTORE).exists()
