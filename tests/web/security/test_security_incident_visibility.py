"""Security incidents: only their team, the people named on them and admins see them.

Payments is a public team. A security incident of Payments (and everything under it) is
answered to anyone else exactly like a row that does not exist: 404 on pages and in the
API, absent from lists, counts, suggestions, drill-downs and downloads; messages to them
say "a security incident (details restricted)" instead of its title.

The cast: alice leads Payments, bob edits on it, vera views it; charlie is on no team; dana
leads the private Security team (an editor, of another team); ivan commands the incidents,
rita responds, frank facilitates (all three on Payments); admin is an organisation admin.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import create_action_item
from followthrough.web.followup.digest import send_due_digests
from followthrough.web.followup.escalation import escalate_stuck_items
from followthrough.web.followup.models import Channel, Notification, TeamSettings
from followthrough.web.followup.notifications import RESTRICTED
from followthrough.web.followup.reminders import check_milestones
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import IngestSource, Kind, SlackIdentity, SlackWorkspace
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.visibility import (
    incident_q,
    may_see_incident,
    readable_incident_ids,
    visible_incidents,
)

from ..ingest.conftest import SLACK_SECRET, slack_headers

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

API = "/api/v1"
LEAK = "Signing keys leaked through checkout debug logs"
SLACK_WEBHOOK = "http://127.0.0.1:9/services/T0001/B0001/abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _no_catch_up_throttling(settings: Any) -> None:
    settings.INSIGHTS_CATCH_UP_SECONDS = 0
    settings.INSIGHTS_SIMILARITY_CATCH_UP_SECONDS = 0


@pytest.fixture
def leak(cast: Cast) -> Incident:
    """A security incident of the public Payments team, with a postmortem and an item."""
    incident = cast.incident(
        title=LEAK,
        security=True,
        failure_mode="secrets written to application logs",
        failure_tags=["secrets", "logging"],
    )
    postmortem = start_postmortem(incident, cast.alice)
    create_action_item(
        postmortem,
        cast.alice,
        title="Rotate every signing key",
        owner=cast.frank,
        due_date=date(2026, 3, 20),
        done_condition="The old keys are refused by the gateway.",
    )
    return incident


def item_of(incident: Incident) -> ActionItem:
    return ActionItem.objects.get(postmortem__incident=incident)


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


# --- the rule itself -----------------------------------------------------------------------


def test_members_of_the_team_in_any_role_and_admins_see_a_security_incident(
    cast: Cast, leak: Incident
) -> None:
    for user in (cast.alice, cast.bob, cast.vera, cast.admin):
        assert may_see_incident(user, leak), user
        assert leak in visible_incidents(user)
    for user in (cast.charlie, cast.dana, AnonymousUser()):
        assert not may_see_incident(user, leak), user
        assert leak not in visible_incidents(user)


def _commander(cast: Cast, incident: Incident, person: Person) -> None:
    Incident.objects.filter(pk=incident.pk).update(commander=person)


def _responder(cast: Cast, incident: Incident, person: Person) -> None:
    incident.responders.add(person)


def _creator(cast: Cast, incident: Incident, person: Person) -> None:
    Incident.objects.filter(pk=incident.pk).update(created_by=person.user)


def _postmortem_author(cast: Cast, incident: Incident, person: Person) -> None:
    Postmortem.objects.filter(incident=incident).update(created_by=person.user)


def _facilitator(cast: Cast, incident: Incident, person: Person) -> None:
    Meeting.objects.filter(postmortem__incident=incident).update(facilitator=person)


def _attendee(cast: Cast, incident: Incident, person: Person) -> None:
    Meeting.objects.get(postmortem__incident=incident).attendees.add(person)


def _owner(cast: Cast, incident: Incident, person: Person) -> None:
    ActionItem.objects.filter(postmortem__incident=incident).update(owner=person)


NAMINGS: dict[str, Callable[[Cast, Incident, Person], None]] = {
    "incident commander": _commander,
    "responder": _responder,
    "creator of the incident": _creator,
    "author of the postmortem": _postmortem_author,
    "meeting facilitator": _facilitator,
    "meeting attendee": _attendee,
    "action-item owner": _owner,
}


@pytest.mark.parametrize("way", list(NAMINGS))
def test_a_person_named_on_a_security_incident_of_another_team_may_read_it(
    cast: Cast, leak: Incident, way: str
) -> None:
    charlie = cast.person(cast.charlie)
    assert not may_see_incident(cast.charlie, leak)
    NAMINGS[way](cast, leak, charlie)
    assert may_see_incident(cast.charlie, leak), way
    assert readable_incident_ids(charlie, [leak.pk]) == {leak.pk}
    items = ActionItem.objects.filter(incident_q(cast.charlie, "postmortem__incident"))
    assert list(items) == [item_of(leak)]


def test_being_named_on_a_private_teams_incident_does_not_open_the_private_team(
    cast: Cast,
) -> None:
    secret = cast.incident(team=cast.security, security=True, commander=cast.person(cast.charlie))
    assert not may_see_incident(cast.charlie, secret)


def test_a_plain_incident_of_a_public_team_stays_visible_to_everyone_signed_in(
    cast: Cast, leak: Incident
) -> None:
    plain = cast.incident(title="Search slow")
    assert may_see_incident(cast.charlie, plain)
    assert set(visible_incidents(cast.charlie)) == {plain}


# --- API -------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_a_security_incident_and_everything_under_it(
    cast: Cast, leak: Incident
) -> None:
    api = cast.api("charlie")
    postmortem = leak.postmortem
    item = item_of(leak)
    for path in (
        f"/incidents/{leak.pk}",
        f"/incidents/{leak.pk}/postmortem",
        f"/postmortems/{postmortem.pk}",
        f"/postmortems/{postmortem.pk}/meeting",
        f"/postmortems/{postmortem.pk}/action-items",
        f"/action-items/{item.pk}",
        f"/action-items/{item.pk}/history",
        f"/action-items/{item.pk}/tracker",
        f"/incidents/{leak.pk}/similar",
        f"/postmortems/{postmortem.pk}/copied-passages",
    ):
        response = api.get(API + path)
        assert response.status_code == 404, path
    hidden = api.get(f"{API}/incidents/{leak.pk}").json()
    missing = api.get(f"{API}/incidents/999999").json()
    assert hidden == {**missing, "detail": f"There is no incident with id {leak.pk}."}


def test_lists_and_searches_leave_a_security_incident_out_for_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    plain = cast.incident(title="Checkout slow")
    start_postmortem(plain, cast.alice)
    charlie, bob = cast.api("charlie"), cast.api("bob")
    assert ids(charlie.get(f"{API}/incidents")) == {plain.pk}
    assert ids(charlie.get(f"{API}/incidents", {"q": "Signing"})) == set()
    assert charlie.get(f"{API}/incidents").json()["count"] == 1
    assert ids(bob.get(f"{API}/incidents")) == {plain.pk, leak.pk}
    assert ids(charlie.get(f"{API}/postmortems")) == {plain.postmortem.pk}
    assert ids(charlie.get(f"{API}/action-items")) == set()
    assert ids(bob.get(f"{API}/action-items")) == {item_of(leak).pk}
    assert ids(cast.api("admin").get(f"{API}/incidents")) == {plain.pk, leak.pk}


def test_a_responder_on_a_security_incident_of_another_team_can_read_its_postmortem(
    cast: Cast, leak: Incident
) -> None:
    leak.responders.add(cast.person(cast.charlie))
    api = cast.api("charlie")
    response = api.get(f"{API}/postmortems/{leak.postmortem.pk}")
    assert response.status_code == 200
    assert response.json()["incident"]["title"] == LEAK
    assert ids(api.get(f"{API}/incidents")) == {leak.pk}
    page = cast.browser(cast.charlie).get(f"/incidents/{leak.pk}/postmortem/")
    assert page.status_code == 200 and LEAK in page.content.decode()


def test_an_editor_of_another_team_gets_404_for_a_security_incidents_action_item(
    cast: Cast, leak: Incident
) -> None:
    item = item_of(leak)
    api = cast.api("dana")
    assert api.get(f"{API}/action-items/{item.pk}").status_code == 404
    response = api.patch_json(
        f"{API}/action-items/{item.pk}", {"version": item.version, "status": "done"}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_writing_to_a_security_incident_one_may_not_see_is_404_not_403(
    cast: Cast, leak: Incident
) -> None:
    api = cast.api("charlie")
    assert (
        api.patch_json(
            f"{API}/incidents/{leak.pk}", {"version": leak.version, "title": "x"}
        ).status_code
        == 404
    )
    assert (
        api.post_json(
            f"{API}/postmortems/{leak.postmortem.pk}/action-items",
            {"title": "Rotate again", "owner_id": cast.frank.pk},
        ).status_code
        == 404
    )
    assert api.post_json(f"{API}/incidents/{leak.pk}/postmortem", {}).status_code == 404
    leak.refresh_from_db()
    assert leak.title == LEAK
    # A plain incident of the same public team: visible, so the answer is 403 with a reason.
    plain = cast.incident(title="Search slow")
    refused = api.patch_json(
        f"{API}/incidents/{plain.pk}", {"version": plain.version, "title": "x"}
    )
    assert refused.status_code == 403


def test_a_security_incident_cannot_be_named_as_what_a_new_incident_repeats_by_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    response = cast.api("dana").post_json(
        f"{API}/incidents",
        {"team_id": cast.security.pk, "title": "Again", "severity": "P2", "repeat_of_id": leak.pk},
    )
    assert response.status_code == 422
    assert f"There is no incident with id {leak.pk}." in response.content.decode()


def test_an_incident_that_repeats_a_security_incident_does_not_name_it_to_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    again = cast.incident(title="Keys in logs again", repeat_of=leak)
    seen_by_outsider = cast.api("dana").get(f"{API}/incidents/{again.pk}").json()
    seen_by_member = cast.api("vera").get(f"{API}/incidents/{again.pk}").json()
    assert seen_by_outsider["repeat_of_id"] is None
    assert seen_by_member["repeat_of_id"] == leak.pk


# --- pages -------------------------------------------------------------------------------


def test_pages_answer_404_for_a_security_incident_to_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    browser = cast.browser(cast.charlie)
    item = item_of(leak)
    for path in (
        f"/incidents/{leak.pk}/",
        f"/incidents/{leak.pk}/postmortem/",
        f"/incidents/{leak.pk}/postmortem.md",
        f"/incidents/{leak.pk}/postmortem/lint/",
        f"/incidents/{leak.pk}/similar/",
        f"/incidents/{leak.pk}/postmortem/copied/",
        f"/action-items/{item.pk}/",
    ):
        assert browser.get(path).status_code == 404, path
    assert (
        browser.get(f"/incidents/{leak.pk}/").status_code
        == browser.get("/incidents/999999/").status_code
    )


def test_an_editor_of_another_team_cannot_change_a_security_incident_on_the_pages(
    cast: Cast, leak: Incident
) -> None:
    browser = cast.browser(cast.dana)
    item = item_of(leak)
    answer = browser.post(
        f"/incidents/{leak.pk}/postmortem/actions/{item.pk}/status/",
        {"version": item.version, "status": "done"},
    )
    assert answer.status_code == 404
    assert browser.post(f"/incidents/{leak.pk}/postmortem/whys/", {"text": "x"}).status_code == 404
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_the_incident_list_and_the_team_counts_leave_a_security_incident_out(
    cast: Cast, leak: Incident
) -> None:
    Incident.objects.filter(pk=leak.pk).update(resolved_at=None)
    cast.incident(title="Search slow", resolved_at=None, detected_at=None)
    outsider = cast.browser(cast.charlie).get("/").content.decode()
    member = cast.browser(cast.vera).get("/").content.decode()
    assert LEAK not in outsider and "Search slow" in outsider
    assert LEAK in member
    teams = cast.browser(cast.charlie).get("/teams/")
    rows = {r["team"].name: r for r in teams.context["rows"]}
    assert rows["Payments"]["team"].open_incidents == 1
    mine = cast.browser(cast.alice).get("/teams/")
    assert {r["team"].name: r for r in mine.context["rows"]}["Payments"]["team"].open_incidents == 2


def test_the_weekly_review_page_of_another_team_leaves_a_security_incident_out(
    cast: Cast, leak: Incident
) -> None:
    plain = start_postmortem(cast.incident(title="Search slow"), cast.alice)
    create_action_item(plain, cast.alice, title="Warm the search cache", owner=cast.frank)
    outsider = cast.browser(cast.charlie).get("/review/payments/").content.decode()
    assert "Warm the search cache" in outsider and "Rotate every signing key" not in outsider
    member = cast.browser(cast.vera).get("/review/payments/").content.decode()
    assert "Rotate every signing key" in member
    review = cast.api("charlie").get(f"{API}/teams/{cast.payments.pk}/review").json()
    titles = [
        i["title"] for group in ("overdue", "due_soon", "stalled", "open") for i in review[group]
    ]
    assert titles == ["Warm the search cache"]


def test_the_meeting_invite_of_a_security_incident_is_not_downloadable_by_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    Meeting.objects.filter(postmortem__incident=leak).update(
        scheduled_for=datetime(2026, 3, 4, 14, tzinfo=UTC)
    )
    path = f"/incidents/{leak.pk}/postmortem/meeting.ics"
    assert cast.browser(cast.charlie).get(path).status_code == 404
    assert cast.browser(cast.dana).get(path).status_code == 404
    assert cast.browser(cast.vera).get(path).status_code == 200


# --- insights ----------------------------------------------------------------------------


def test_a_security_incident_is_never_suggested_as_similar_to_someone_who_may_not_see_it(
    cast: Cast, leak: Incident
) -> None:
    later = cast.incident(
        title="API tokens printed in request logs",
        failure_mode="secrets written to the application logs",
        failure_tags=["secrets", "logging"],
        started_at=datetime(2026, 3, 9, 9, tzinfo=UTC),
        resolved_at=datetime(2026, 3, 9, 12, tzinfo=UTC),
    )
    member = cast.api("bob").get(f"{API}/incidents/{later.pk}/similar").json()["items"]
    assert leak.pk in {s["incident"]["id"] for s in member}, "the member is shown the match"
    outsider = cast.api("charlie").get(f"{API}/incidents/{later.pk}/similar")
    assert outsider.status_code == 200
    assert leak.pk not in {s["incident"]["id"] for s in outsider.json()["items"]}
    page = cast.browser(cast.charlie).get(f"/incidents/{later.pk}/similar/").content.decode()
    assert LEAK not in page


def test_an_outsider_cannot_confirm_a_security_incident_as_the_earlier_failure(
    cast: Cast, leak: Incident
) -> None:
    later = cast.incident(team=cast.security, title="Tokens in logs again", commander=None)
    response = cast.api("dana").put_json(
        f"{API}/incidents/{later.pk}/similar/{leak.pk}", {"decision": "confirmed"}
    )
    assert response.status_code == 404
    later.refresh_from_db()
    assert later.repeat_of_id is None


PASTED = (
    "Add more dashboards and review the alert thresholds for the checkout API "
    "every quarter so that we notice problems earlier."
)


def test_copied_passages_never_point_to_a_security_postmortem_one_may_not_see(
    cast: Cast, leak: Incident
) -> None:
    Postmortem.objects.filter(incident=leak).update(lessons=f"Rotation worked. {PASTED}")
    later = start_postmortem(cast.incident(title="Ledger export late"), cast.alice)
    Postmortem.objects.filter(pk=later.pk).update(lessons=PASTED)
    path = f"{API}/postmortems/{later.pk}/copied-passages"
    member = cast.api("bob").get(path).json()["items"]
    assert leak.postmortem.pk in {s["postmortem_id"] for p in member for s in p["sources"]}
    outsider = cast.api("charlie").get(path)
    assert outsider.status_code == 200 and outsider.json()["items"] == []


def test_the_dashboard_drill_down_leaves_a_security_incident_out_but_counts_it(
    cast: Cast, leak: Incident
) -> None:
    plain = cast.incident(title="Search slow")
    window = {"period": "month", "from": "2026-01-01", "to": "2026-06-30"}
    drill = cast.browser(cast.charlie).get("/insights/drill/", {**window, "metric": "repeat_rate"})
    rows = drill.context["drill"].rows
    assert [r.pk for r in rows] == [plain.pk]
    assert LEAK not in drill.content.decode()
    actions = cast.browser(cast.charlie).get(
        "/insights/drill/", {**window, "metric": "action_completion_rate"}
    )
    assert actions.context["drill"].rows == []
    member = cast.browser(cast.vera).get("/insights/drill/", {**window, "metric": "repeat_rate"})
    assert {r.pk for r in member.context["drill"].rows} == {plain.pk, leak.pk}
    # The aggregate numbers may include it: a count names nothing.
    report = cast.api("charlie").get(f"{API}/insights", window).json()
    assert report["organisation"]["total"]["counts"]["incidents"] == 2


def test_the_dashboard_lists_no_repeat_of_a_security_incident_to_an_outsider(
    cast: Cast, leak: Incident
) -> None:
    cast.incident(title="Keys leaked again", repeat_of=leak)
    window = {"period": "month", "from": "2026-01-01", "to": "2026-06-30"}
    outsider = cast.browser(cast.charlie).get("/insights/", window)
    assert outsider.context["recent_repeats"] == []
    assert LEAK not in outsider.content.decode()
    member = cast.browser(cast.vera).get("/insights/", window)
    assert [i.repeat_of_id for i in member.context["recent_repeats"]] == [leak.pk]


def test_the_drill_down_names_no_key_of_a_security_incident_a_visible_one_repeats(
    cast: Cast, leak: Incident
) -> None:
    again = cast.incident(title="Keys leaked again", repeat_of=leak)
    window = {"period": "month", "from": "2026-01-01", "to": "2026-06-30"}
    outsider = cast.browser(cast.charlie).get(
        "/insights/drill/", {**window, "metric": "repeat_rate"}
    )
    page = outsider.content.decode()
    assert [r.pk for r in outsider.context["drill"].rows] == [again.pk]
    assert "an incident you may not see" in page
    assert f"/incidents/{leak.pk}/" not in page and f">{leak.key}<" not in page
    member = cast.browser(cast.vera).get("/insights/drill/", {**window, "metric": "repeat_rate"})
    assert f">{leak.key}</a>" in member.content.decode()


# --- messages ------------------------------------------------------------------------------


def _rows(kind: str, person: Person) -> dict[str, Notification]:
    return {n.channel: n for n in Notification.objects.filter(kind=kind, recipient=person)}


def test_the_weekly_digest_to_a_manager_outside_the_team_redacts_a_security_incident(
    cast: Cast, leak: Incident
) -> None:
    plain = start_postmortem(cast.incident(title="Search slow"), cast.alice)
    create_action_item(
        plain,
        cast.alice,
        title="Warm the search cache",
        owner=cast.frank,
        due_date=date(2026, 3, 20),
    )
    manager = Person.objects.create(name="Mona Li", email="mona@example.com")
    cast.payments.lead = manager
    cast.payments.save()
    with time_machine.travel(datetime(2026, 3, 16, 8, 5, tzinfo=UTC), tick=False):
        send_due_digests()
    [email] = _rows("weekly-review", manager).values()
    assert "Warm the search cache" in email.text
    assert RESTRICTED in email.text and RESTRICTED in email.html
    assert "Rotate every signing key" not in email.text + email.html
    assert leak.key not in email.text + email.html
    assert LEAK not in email.text + email.html


def test_the_weekly_digest_to_the_teams_lead_names_a_security_incident_but_slack_does_not(
    cast: Cast, leak: Incident
) -> None:
    conf = TeamSettings.of(cast.payments)
    conf.slack_webhook_url = SLACK_WEBHOOK
    conf.save()
    with time_machine.travel(datetime(2026, 3, 16, 8, 5, tzinfo=UTC), tick=False):
        send_due_digests()
    rows = _rows("weekly-review", cast.person(cast.alice))
    assert "Rotate every signing key" in rows[Channel.EMAIL].text
    assert "Rotate every signing key" not in rows[Channel.SLACK].text
    assert RESTRICTED in rows[Channel.SLACK].text


def _stuck_with_a_manager(cast: Cast, leak: Incident) -> Person:
    """frank's item of the leak has not moved since before its due date; frank has a
    manager who is on no team."""
    manager = Person.objects.create(name="Mona Li", email="mona@example.com")
    Person.objects.filter(pk=cast.frank.pk).update(manager=manager)
    ActionItem.objects.filter(postmortem__incident=leak).update(
        last_activity_at=datetime(2026, 3, 10, 9, tzinfo=UTC)
    )
    return manager


def test_an_escalation_to_a_manager_outside_the_team_names_no_security_incident(
    cast: Cast, leak: Incident
) -> None:
    manager = _stuck_with_a_manager(cast, leak)
    with time_machine.travel(datetime(2026, 3, 21, 9, tzinfo=UTC), tick=False):
        escalate_stuck_items()
    [email] = _rows("escalation", manager).values()
    assert RESTRICTED in email.subject and RESTRICTED in email.text
    for secret in ("Rotate every signing key", LEAK, leak.key):
        assert secret not in email.subject + email.text + email.html + email.url


def test_an_escalation_to_a_manager_named_on_the_incident_names_it(
    cast: Cast, leak: Incident
) -> None:
    manager = _stuck_with_a_manager(cast, leak)
    leak.responders.add(manager)
    with time_machine.travel(datetime(2026, 3, 21, 9, tzinfo=UTC), tick=False):
        escalate_stuck_items()
    [email] = _rows("escalation", manager).values()
    assert "Rotate every signing key" in email.subject and RESTRICTED not in email.text


def test_a_milestone_reminder_to_a_team_lead_outside_the_team_redacts_a_security_incident(
    cast: Cast, leak: Incident
) -> None:
    manager = Person.objects.create(name="Mona Li", email="mona@example.com")
    cast.payments.lead = manager
    cast.payments.save()
    # Nobody facilitates yet, so the team lead owns the meeting and the document milestones.
    with time_machine.travel(datetime(2026, 3, 3, 9, tzinfo=UTC), tick=False) as traveller:
        for day in range(3, 17):  # daily checks over the two weeks after resolution
            traveller.move_to(datetime(2026, 3, day, 9, tzinfo=UTC))
            check_milestones()
    rows = list(Notification.objects.filter(recipient=manager, kind__startswith="milestone"))
    assert rows, "the lead outside the team is still reminded"
    for row in rows:
        assert RESTRICTED in row.subject and RESTRICTED in row.text
        for secret in (LEAK, leak.key):
            assert secret not in row.subject + row.text + row.html + row.url
    commander = Notification.objects.filter(recipient=cast.ivan, kind__startswith="milestone")
    assert any(leak.key in row.subject for row in commander), "ivan is named: he reads it all"


# --- Slack -------------------------------------------------------------------------------


@pytest.fixture
def slack_source(cast: Cast) -> IngestSource:
    source = IngestSource.objects.create(
        name="Slack", kind=Kind.SLACK, team=cast.payments, secret=SLACK_SECRET
    )
    SlackWorkspace.objects.create(team_id="T0001", source=source, bound_by=cast.admin)
    return source


def _slash(person: Person, text: str) -> str:
    member = f"U0{person.pk:08d}"
    SlackIdentity.objects.get_or_create(
        workspace=SlackWorkspace.objects.get(team_id="T0001"), slack_user_id=member, person=person
    )
    body = urlencode(
        {
            "command": "/postmortem",
            "text": text,
            "user_id": member,
            "team_id": "T0001",
        }
    ).encode()
    response = Client().post(
        "/ingest/slack/commands/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=slack_headers(body),
    )
    assert response.status_code == 200, response.content
    return str(response.json()["text"])


def test_slack_start_of_a_security_incident_by_an_editor_of_another_team_hears_it_does_not_exist(
    cast: Cast, slack_source: IngestSource
) -> None:
    incident = cast.incident(title=LEAK, security=True)
    reply = _slash(cast.person(cast.dana), f"start {incident.key}")
    assert reply == f"There is no incident {incident.key}."
    assert not Postmortem.objects.filter(incident=incident).exists()


def test_slack_mine_and_done_leave_out_an_item_of_a_security_incident_one_may_not_see(
    cast: Cast, leak: Incident, slack_source: IngestSource
) -> None:
    secret = cast.incident(team=cast.security, security=True, commander=None)
    item = create_action_item(
        start_postmortem(secret, cast.dana), cast.dana, title="Audit the vault", owner=cast.frank
    )
    # frank owns it but is not on the private Security team: he may not see it.
    frank = cast.frank
    mine = _slash(frank, "mine")
    assert "Rotate every signing key" in mine and "Audit the vault" not in mine
    assert _slash(frank, f"done {item.pk}") == (
        f"There is no action item #{item.pk} that you own or edit."
    )
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_slack_message_to_the_teams_channel_about_a_security_incident_is_redacted(
    cast: Cast, leak: Incident
) -> None:
    from followthrough.web.followup.notifications import Message, Section, notify_team_channel

    conf = TeamSettings.of(cast.payments)
    conf.slack_webhook_url = SLACK_WEBHOOK
    conf.save()
    message = Message(
        f"{leak.key} needs a facilitator",
        f"{leak.key} ({LEAK}) has no facilitator yet.",
        f"/incidents/{leak.pk}/postmortem/",
        [Section("Items", [("Rotate every signing key", "")], secret={0: leak.pk})],
        secret_incident=leak.pk,
        restricted_subject=f"{RESTRICTED} needs a facilitator",
        restricted_intro=f"{RESTRICTED} has no facilitator yet.",
    )
    assert notify_team_channel(cast.payments, "test", "1", message) == 1
    row = Notification.objects.get(kind="test")
    for secret in (LEAK, leak.key, "Rotate every signing key"):
        assert secret not in row.subject + row.text + row.url
    assert RESTRICTED in row.subject and RESTRICTED in row.text
