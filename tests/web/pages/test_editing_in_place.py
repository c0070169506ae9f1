"""Editing in place: an incident's facts, timeline events, contributing factors and action
items change where they are shown (htmx swaps the row or card), with the version read (a
stale save is 409 and keeps both versions), the same checks as when they were created, and
the history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import ContributingFactor, Postmortem, TimelineEvent
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem
from followthrough.web.versioning import save_versioned

from .helpers import messages_of, tables_read, text
from .test_postmortem_editor import HTMX, url

pytestmark = pytest.mark.django_db


# --- incidents -------------------------------------------------------------------------------


def incident_data(incident: Incident, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it (times in Berlin, Payments' zone)."""
    data: dict[str, Any] = {
        "version": incident.version,
        "team": incident.team_id,
        "title": incident.title,
        "severity": incident.severity,
        "summary": incident.summary,
        "started_at": "2026-03-02T14:00",
        "detected_at": "2026-03-02T14:10",
        "mitigated_at": "",
        "resolved_at": "2026-03-02T16:00",
        "commander": incident.commander_id or "",
        "responders": [p.pk for p in incident.responders.all()],
        "failure_mode": incident.failure_mode,
        "failure_tags": ", ".join(incident.failure_tags),
        "repeat_of": "",
    }
    for flag in ("customer_facing", "data_loss", "near_miss", "security", "process_failure"):
        if getattr(incident, flag):
            data[flag] = "on"
    if incident.significant_impact:
        data["significant_impact"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def p2(cast: Any) -> Incident:
    return cast.incident(severity="P2", significant_impact=False, title="Refunds slow in DE")


def test_the_edit_button_swaps_the_facts_for_a_form_with_the_version(
    cast: Any, p2: Incident
) -> None:
    response = cast.browser(cast.bob).get(reverse("incident-edit", args=[p2.pk]), headers=HTMX)
    body = text(response)
    assert body.startswith('<section id="facts"')
    assert f'name="version" value="{p2.version}"' in body
    assert 'value="2026-03-02T16:00"' in body  # resolved 15:00 UTC, shown in Berlin time
    assert 'id="policy"' in body and 'hx-swap-oob="true"' in body


@pytest.mark.parametrize("htmx", [True, False], ids=["in place", "page"])
def test_the_incident_form_reads_its_pickers_and_responders_once(
    cast: Any, p2: Incident, htmx: bool, django_assert_max_num_queries: Any
) -> None:
    """The team select (required: its first option decides ``required``, then all are
    shown) reads the teams once; the commander and responders pickers share one read of
    the people; the form's responders and the facts card's list share one read."""
    client = cast.browser(cast.bob)
    address = reverse("incident-edit", args=[p2.pk])
    client.get(address, headers=HTMX if htmx else {})  # warm up
    with django_assert_max_num_queries(14 if htmx else 15) as page:
        response = client.get(address, headers=HTMX if htmx else {})
    body = text(response)
    assert f'<option value="{cast.payments.pk}" selected>Payments</option>' in body
    assert f'value="{cast.rita.pk}"' in body and "checked" in body
    lists = [  # what a picker or a list reads: every row of a table, in order
        sql
        for sql in (q["sql"] for q in page.captured_queries)
        if re.search(r'\bFROM "accounts_(team|person)"', sql.split(" WHERE ")[0])
        and "ORDER BY" in sql
        and "LIMIT" not in sql
    ]
    assert len(lists) == 3, lists  # teams, people, the incident's responders


def test_raising_the_severity_says_the_postmortem_is_now_required(cast: Any, p2: Incident) -> None:
    data = incident_data(p2, severity="P1", significant_impact="on")
    response = cast.browser(cast.bob).post(
        reverse("incident-edit", args=[p2.pk]), data, headers=HTMX
    )
    assert response.status_code == 200
    body = text(response)
    assert (
        "Postmortem now required (was recommended): P1 incident with significant impact: "
        "always run a postmortem." in body
    )
    p2.refresh_from_db()
    assert (p2.severity, p2.significant_impact, p2.version) == ("P1", True, 2)
    change = history_of(p2).get(action="update", actor=cast.bob)
    assert change.before["severity"] == "P2" and change.after["severity"] == "P1"


def test_without_htmx_the_edit_is_a_page_and_the_save_redirects_with_the_policy_change(
    cast: Any, p2: Incident
) -> None:
    client = cast.browser(cast.bob)
    page = client.get(reverse("incident-edit", args=[p2.pk]))
    assert page.status_code == 200 and "Save facts" in text(page)
    response = client.post(
        reverse("incident-edit", args=[p2.pk]), incident_data(p2, severity="P3"), follow=True
    )
    said = messages_of(response)
    assert any("Postmortem now not required (was recommended)" in m for m in said), said


def test_a_change_that_leaves_the_policy_alone_says_only_saved(cast: Any, p2: Incident) -> None:
    response = cast.browser(cast.bob).post(
        reverse("incident-edit", args=[p2.pk]),
        incident_data(p2, title="Refunds slow in DE and AT"),
        headers=HTMX,
    )
    body = text(response)
    assert f"{p2.key} saved (version 2)." in body
    assert "Postmortem now" not in body and "Postmortem still" not in body


def test_a_stale_incident_save_is_refused_and_shows_their_change(cast: Any, p2: Incident) -> None:
    data = incident_data(p2, title="Mine")
    save_versioned(p2, p2.version, {"title": "Theirs"})
    response = cast.browser(cast.bob).post(
        reverse("incident-edit", args=[p2.pk]), data, headers=HTMX
    )
    assert response.status_code == 409
    body = text(response)
    assert "Someone else changed this incident" in body
    assert "Theirs" in body and 'value="Mine"' in body
    assert f'name="version" value="{p2.version}"' in body  # saving again replaces theirs
    assert Incident.objects.get(pk=p2.pk).title == "Theirs"


def test_an_incident_edit_gets_the_same_checks_as_a_new_one(cast: Any, p2: Incident) -> None:
    data = incident_data(p2, detected_at="2026-03-02T13:00", title="")
    response = cast.browser(cast.bob).post(
        reverse("incident-edit", args=[p2.pk]), data, headers=HTMX
    )
    assert response.status_code == 422
    body = text(response)
    assert "Detected cannot be before started." in body
    assert "This field is required." in body
    assert Incident.objects.get(pk=p2.pk).version == 1


def test_responders_change_and_the_history_records_it(cast: Any, p2: Incident) -> None:
    data = incident_data(p2, responders=[cast.rita.pk, cast.frank.pk])
    cast.browser(cast.alice).post(reverse("incident-edit", args=[p2.pk]), data, headers=HTMX)
    assert set(p2.responders.all()) == {cast.rita, cast.frank}
    assert any(
        c.after and c.after.get("responders") == sorted([cast.rita.pk, cast.frank.pk])
        for c in history_of(p2)
    )


@pytest.mark.parametrize("who, status", [("vera", 403), ("charlie", 403)])
def test_who_cannot_edit_the_team_cannot_edit_its_incident(
    cast: Any, p2: Incident, who: str, status: int
) -> None:
    client = cast.browser(getattr(cast, who))
    assert client.get(reverse("incident-edit", args=[p2.pk])).status_code == status
    response = client.post(reverse("incident-edit", args=[p2.pk]), incident_data(p2, title="x"))
    assert response.status_code == status
    assert Incident.objects.get(pk=p2.pk).title == "Refunds slow in DE"


def test_a_private_teams_incident_is_not_found_for_an_outsider(cast: Any) -> None:
    secret = cast.incident(team=cast.security, title="Leaked key")
    response = cast.browser(cast.charlie).get(reverse("incident-edit", args=[secret.pk]))
    assert response.status_code == 404


def test_an_editor_cannot_move_an_incident_to_a_team_they_do_not_edit(
    cast: Any, p2: Incident
) -> None:
    data = incident_data(p2, team=cast.security.pk)
    response = cast.browser(cast.bob).post(
        reverse("incident-edit", args=[p2.pk]), data, headers=HTMX
    )
    assert response.status_code == 422
    assert Incident.objects.get(pk=p2.pk).team == cast.payments


# --- timeline events, factors, action items --------------------------------------------------


@pytest.fixture
def event(postmortem: Postmortem, cast: Any) -> TimelineEvent:
    return add_timeline_event(
        postmortem, cast.payments and postmortem.incident.started_at, "Alert fired."
    )


def test_an_event_opens_as_a_form_in_its_place_and_cancel_puts_it_back(
    cast: Any, postmortem: Postmortem, event: TimelineEvent
) -> None:
    client = cast.browser(cast.bob)
    form = text(client.get(url("event-edit", postmortem, event.pk), headers=HTMX))
    assert form.startswith(f'<li id="event-{event.pk}">')
    assert f'name="event-{event.pk}-description"' in form and "autofocus" in form
    back = text(client.get(url("event-edit", postmortem, event.pk) + "?cancel=1", headers=HTMX))
    assert "Alert fired." in back and "<form method" in back and "-description" not in back


def test_an_event_is_edited_in_team_time_and_recorded(
    cast: Any, postmortem: Postmortem, event: TimelineEvent
) -> None:
    data = {
        f"event-{event.pk}-version": event.version,
        f"event-{event.pk}-occurred_at": "2026-03-02T14:05",
        f"event-{event.pk}-description": "Error-rate alert fired for checkout.",
    }
    response = cast.browser(cast.bob).post(
        url("event-edit", postmortem, event.pk), data, headers=HTMX
    )
    assert response.status_code == 200 and "Event saved." in text(response)
    event.refresh_from_db()
    assert event.occurred_at.isoformat() == "2026-03-02T13:05:00+00:00"  # 14:05 in Berlin
    assert history_of(event).filter(action="update").exists()


def test_a_stale_event_save_is_a_conflict_that_keeps_both(
    cast: Any, postmortem: Postmortem, event: TimelineEvent
) -> None:
    data = {
        f"event-{event.pk}-version": event.version,
        f"event-{event.pk}-occurred_at": "2026-03-02T14:05",
        f"event-{event.pk}-description": "Mine",
    }
    save_versioned(event, event.version, {"description": "Theirs"})
    response = cast.browser(cast.bob).post(
        url("event-edit", postmortem, event.pk), data, headers=HTMX
    )
    assert response.status_code == 409
    body = text(response)
    assert "“Theirs”" in body and "Mine</textarea>" in body
    assert TimelineEvent.objects.get(pk=event.pk).description == "Theirs"


def test_an_empty_event_description_is_refused_as_when_adding(
    cast: Any, postmortem: Postmortem, event: TimelineEvent
) -> None:
    data = {
        f"event-{event.pk}-version": event.version,
        f"event-{event.pk}-occurred_at": "2026-03-02T14:05",
        f"event-{event.pk}-description": "",
    }
    response = cast.browser(cast.bob).post(
        url("event-edit", postmortem, event.pk), data, headers=HTMX
    )
    assert response.status_code == 422
    assert TimelineEvent.objects.get(pk=event.pk).description == "Alert fired."


def test_a_factor_is_edited_in_place(cast: Any, postmortem: Postmortem) -> None:
    factor = ContributingFactor.objects.create(postmortem=postmortem, description="No alert")
    client = cast.browser(cast.bob)
    assert f'name="factor-{factor.pk}-kind"' in text(
        client.get(url("factor-edit", postmortem, factor.pk), headers=HTMX)
    )
    data = {
        f"factor-{factor.pk}-version": factor.version,
        f"factor-{factor.pk}-kind": "detection",
        f"factor-{factor.pk}-description": "No alert on pool saturation for 40 minutes",
    }
    response = client.post(url("factor-edit", postmortem, factor.pk), data, headers=HTMX)
    assert "Contributing factor saved." in text(response)
    factor.refresh_from_db()
    assert (factor.kind, factor.version) == ("detection", 2)


def item_data(item: ActionItem, **changes: Any) -> dict[str, Any]:
    prefix = f"edit-action-{item.pk}"
    data = {
        "version": item.version,
        "title": item.title,
        "owner": item.owner_id or "",
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "done_condition": item.done_condition,
        "likelihood": item.likelihood,
        "severity": item.severity,
        "effort": item.effort,
    }
    data.update(changes)
    return {f"{prefix}-{k}": v for k, v in data.items()}


@pytest.fixture
def item(cast: Any, postmortem: Postmortem) -> ActionItem:
    return ActionItem.objects.create(postmortem=postmortem, title="Improve monitoring")


def test_an_action_item_is_edited_in_place_with_everything_it_says(
    cast: Any, postmortem: Postmortem, item: ActionItem
) -> None:
    client = cast.browser(cast.bob)
    form = text(client.get(url("action-edit", postmortem, item.pk), headers=HTMX))
    assert form.startswith(f'<li id="action-item-{item.pk}"')
    due = date(2026, 4, 1)
    data = item_data(
        item,
        title="Alert when the connection pool is 80% used",
        owner=cast.frank.pk,
        due_date=due.isoformat(),
        done_condition="The alert pages on-call in staging when the pool is 80% used.",
        likelihood=4,
        severity=5,
        effort=1,
    )
    response = client.post(url("action-edit", postmortem, item.pk), data, headers=HTMX)
    assert response.status_code == 200, text(response)[:400]
    assert "“Alert when the connection pool is 80% used” saved." in text(response)
    item.refresh_from_db()
    assert (item.owner, item.due_date, item.likelihood, item.severity, item.effort) == (
        cast.frank,
        due,
        4,
        5,
        1,
    )
    change = history_of(item).get(action="update")
    assert change.before["title"] == "Improve monitoring"
    # Owned and dated now: the "actions tracked" milestone completed from it.
    assert Postmortem.objects.get(pk=postmortem.pk).actions_tracked_at is not None


@pytest.mark.parametrize("htmx", [True, False], ids=["in place", "page"])
def test_opening_an_action_item_for_edit_reads_it_once_with_the_others(
    cast: Any,
    postmortem: Postmortem,
    item: ActionItem,
    htmx: bool,
    django_assert_max_num_queries: Any,
) -> None:
    """The item opened is the one the action items list read, not a read of its own; the
    page's other reads are the editor's (test_postmortem_editor), plus the owner pickers of
    the new-item form and the item's form."""
    ActionItem.objects.create(postmortem=postmortem, title="Another", owner=cast.frank)
    client = cast.browser(cast.bob)
    address = url("action-edit", postmortem, item.pk)
    client.get(address, headers=HTMX if htmx else {})  # warm up
    with django_assert_max_num_queries(15) as page:
        response = client.get(address, headers=HTMX if htmx else {})
    assert f'name="edit-action-{item.pk}-title"' in text(response)
    assert tables_read(page.captured_queries)["actions_actionitem"] == 1


def test_an_action_item_deleted_or_of_another_postmortem_is_not_opened_for_edit(
    cast: Any, postmortem: Postmortem, item: ActionItem
) -> None:
    other = ActionItem.objects.create(
        postmortem=start_postmortem(cast.incident(title="Other"), cast.alice), title="Theirs"
    )
    client = cast.browser(cast.bob)
    assert client.get(url("action-edit", postmortem, other.pk)).status_code == 404
    ActionItem.objects.filter(pk=item.pk).update(deleted_at=timezone.now())
    assert client.get(url("action-edit", postmortem, item.pk)).status_code == 404
    assert (
        client.get(
            url("action-edit", postmortem, other.pk).replace(
                f"/{postmortem.incident_id}/", f"/{other.postmortem.incident_id}/"
            )
        ).status_code
        == 200
    )


def test_a_stale_action_item_save_says_what_they_saved(
    cast: Any, postmortem: Postmortem, item: ActionItem
) -> None:
    data = item_data(item, title="Mine")
    save_versioned(item, item.version, {"title": "Theirs", "due_date": date.today() + timedelta(1)})
    response = cast.browser(cast.bob).post(
        url("action-edit", postmortem, item.pk), data, headers=HTMX
    )
    assert response.status_code == 409
    body = text(response)
    assert "Theirs: “Theirs”" in body and 'value="Mine"' in body
    assert ActionItem.objects.get(pk=item.pk).title == "Theirs"


def test_an_action_item_rating_outside_one_to_five_is_refused(
    cast: Any, postmortem: Postmortem, item: ActionItem
) -> None:
    response = cast.browser(cast.bob).post(
        url("action-edit", postmortem, item.pk), item_data(item, effort=9), headers=HTMX
    )
    assert response.status_code == 422
    assert ActionItem.objects.get(pk=item.pk).effort == 3


def test_a_viewer_sees_no_edit_buttons_and_cannot_post(
    cast: Any, postmortem: Postmortem, item: ActionItem, event: TimelineEvent
) -> None:
    client = cast.browser(cast.vera)
    body = text(client.get(url("postmortem", postmortem) + "?section=timeline"))
    assert "Edit" not in body.split('id="timeline"')[1].split("</section>")[0]
    assert client.post(url("action-edit", postmortem, item.pk), item_data(item)).status_code == 403
    assert client.post(url("event-edit", postmortem, event.pk), {}).status_code == 403
