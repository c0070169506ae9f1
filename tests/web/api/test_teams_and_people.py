"""Setting up the organisation through the API: teams, people, memberships, manager links
and invitations. Organisation admins do everything; a team's leads manage its settings and
members and invite people onto it; every change is in the history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from followthrough.web.accounts.models import Invitation, Membership, Person, Team
from followthrough.web.followup.models import Channel, Notification, TeamSettings
from followthrough.web.followup.notifications import deliver_due
from followthrough.web.history.recording import history_of

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def refused(response: Any) -> list[str]:
    body = ok(response, 422)
    assert isinstance(body["detail"], str), body
    return list(body["reasons"])


def forbidden(response: Any) -> str:
    body = ok(response, 403)
    assert body["detail"].endswith("."), body
    return str(body["detail"])


# --- teams ---------------------------------------------------------------------------------


def test_an_admin_creates_a_team_with_its_calendar(cast: Cast) -> None:
    body = {
        "name": "Platform",
        "timezone": "America/Los_Angeles",
        "holiday_country": "us",
        "holiday_subdivision": "ca",
        "lead_id": cast.person(cast.bob).pk,
    }
    team = ok(cast.api("admin").post_json(f"{API}/teams", body), 201)
    assert (team["slug"], team["holiday_country"], team["holiday_subdivision"]) == (
        "platform",
        "US",
        "CA",
    )
    made = Team.objects.get(pk=team["id"])
    assert made.lead == cast.person(cast.bob)
    assert Membership.objects.get(team=made, person=cast.person(cast.bob)).role == "lead"
    assert history_of(made).filter(action="create").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Ops", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "Ops", "holiday_country": "XX"}, None),
        ({"name": "Ops", "holiday_subdivision": "BY"}, None),
        ({"name": "payments"}, "name"),
        ({"name": "   "}, "name"),
    ],
)
def test_a_team_with_a_calendar_or_name_the_engine_refuses_is_not_created(
    cast: Cast, body: dict[str, Any], field: str | None
) -> None:
    response = cast.api("admin").post_json(f"{API}/teams", body)
    assert response.status_code == 422, response.content
    if field is not None:
        assert field in str(response.json()["detail"])
    assert (
        not Team.objects.filter(name__iexact=body["name"].strip() or "x")
        .exclude(pk=cast.payments.pk)
        .exists()
    )


def test_only_an_admin_creates_or_deletes_teams(cast: Cast) -> None:
    assert "organisation admin" in forbidden(
        cast.api("alice").post_json(f"{API}/teams", {"name": "Mine"})
    )
    empty = Team.objects.create(name="Empty", slug="empty")
    forbidden(cast.api("alice").delete(f"{API}/teams/{empty.pk}?version=1"))
    ok(cast.api("admin").delete(f"{API}/teams/{empty.pk}?version=1"), 204)


def test_a_team_with_incidents_is_not_deleted(cast: Cast) -> None:
    cast.incident()
    reasons = refused(cast.api("admin").delete(f"{API}/teams/{cast.payments.pk}?version=1"))
    assert "1 incident(s)" in reasons[0]
    assert Team.objects.filter(pk=cast.payments.pk).exists()


def test_a_lead_changes_their_teams_calendar_with_the_version(cast: Cast) -> None:
    api = cast.api("alice")
    path = f"{API}/teams/{cast.payments.pk}"
    body = ok(api.patch_json(path, {"holiday_subdivision": "BY", "version": 1}))
    assert (body["holiday_subdivision"], body["version"]) == ("BY", 2)
    stale = ok(api.patch_json(path, {"timezone": "UTC", "version": 1}), 409)
    assert stale["current"]["timezone"] == "Europe/Berlin"
    change = history_of(cast.payments).get(action="update", actor=cast.alice)
    assert (
        change.before["holiday_subdivision"] == "BE" and change.after["holiday_subdivision"] == "BY"
    )


def test_an_editor_cannot_change_the_team_and_an_outsider_cannot_see_a_private_one(
    cast: Cast,
) -> None:
    assert "lead of Payments" in forbidden(
        cast.api("bob").patch_json(f"{API}/teams/{cast.payments.pk}", {"name": "X", "version": 1})
    )
    response = cast.api("alice").patch_json(
        f"{API}/teams/{cast.security.pk}", {"name": "X", "version": 1}
    )
    assert response.status_code == 404


def test_naming_a_team_lead_makes_them_a_lead_member(cast: Cast) -> None:
    bob = cast.person(cast.bob)
    ok(
        cast.api("alice").patch_json(
            f"{API}/teams/{cast.payments.pk}", {"lead_id": bob.pk, "version": 1}
        )
    )
    assert Team.objects.get(pk=cast.payments.pk).lead == bob
    assert Membership.objects.get(team=cast.payments, person=bob).role == "lead"


# --- memberships ---------------------------------------------------------------------------


def test_a_lead_puts_someone_on_the_team_changes_their_role_and_takes_them_off(
    cast: Cast,
) -> None:
    api = cast.api("alice")
    newcomer = Person.objects.create(name="Nia Newcomer")
    made = ok(
        api.post_json(
            f"{API}/memberships",
            {"team_id": cast.payments.pk, "person_id": newcomer.pk, "role": "viewer"},
        ),
        201,
    )
    assert made["role"] == "viewer" and made["person"]["name"] == "Nia Newcomer"
    changed = ok(
        api.patch_json(f"{API}/memberships/{made['id']}", {"role": "editor", "version": 1})
    )
    assert changed["version"] == 2
    ok(api.delete(f"{API}/memberships/{made['id']}?version=2"), 204)
    assert not Membership.objects.filter(pk=made["id"]).exists()
    membership_changes = history_of(Membership(pk=made["id"]))
    assert [c.action for c in membership_changes.order_by("at", "pk")] == [
        "create",
        "update",
        "delete",
    ]


def test_someone_already_on_the_team_is_not_added_twice(cast: Cast) -> None:
    body = {"team_id": cast.payments.pk, "person_id": cast.frank.pk, "role": "lead"}
    assert (
        "already"
        in field_errors(cast.api("alice").post_json(f"{API}/memberships", body))["person_id"]
    )


def test_the_last_lead_cannot_leave_the_team_leaderless_but_an_admin_can_decide_so(
    cast: Cast,
) -> None:
    alice = Membership.objects.get(team=cast.payments, person=cast.person(cast.alice))
    path = f"{API}/memberships/{alice.pk}"
    errors = field_errors(cast.api("alice").patch_json(path, {"role": "editor", "version": 1}))
    assert "only lead of Payments" in errors["role"]
    ok(cast.api("admin").patch_json(path, {"role": "editor", "version": 1}))
    assert Team.objects.get(pk=cast.payments.pk).lead is None  # no longer its named lead


def test_an_editor_cannot_change_memberships(cast: Cast) -> None:
    frank = Membership.objects.get(team=cast.payments, person=cast.frank)
    forbidden(
        cast.api("bob").patch_json(f"{API}/memberships/{frank.pk}", {"role": "lead", "version": 1})
    )
    body = {"team_id": cast.security.pk, "person_id": cast.frank.pk, "role": "lead"}
    assert "team_id" in field_errors(cast.api("alice").post_json(f"{API}/memberships", body))


# --- people and managers -------------------------------------------------------------------


def test_an_admin_records_a_person_and_sets_their_manager(cast: Cast) -> None:
    api = cast.api("admin")
    grace = ok(api.post_json(f"{API}/people", {"name": "Grace", "email": "grace@example.com"}), 201)
    body = ok(
        api.patch_json(
            f"{API}/people/{grace['id']}",
            {"manager_id": cast.person(cast.alice).pk, "version": 1},
        )
    )
    assert body["manager_id"] == cast.person(cast.alice).pk
    cleared = ok(api.patch_json(f"{API}/people/{grace['id']}", {"manager_id": None, "version": 2}))
    assert cleared["manager_id"] is None
    assert history_of(Person(pk=grace["id"])).filter(action="update").count() == 2


def test_a_chain_of_managers_cannot_loop(cast: Cast) -> None:
    api = cast.api("admin")
    alice, bob = cast.person(cast.alice), cast.person(cast.bob)
    ok(api.patch_json(f"{API}/people/{bob.pk}", {"manager_id": alice.pk, "version": 1}))
    ok(api.patch_json(f"{API}/people/{alice.pk}", {"manager_id": cast.frank.pk, "version": 1}))
    errors = field_errors(
        api.patch_json(f"{API}/people/{cast.frank.pk}", {"manager_id": bob.pk, "version": 1})
    )
    assert "cannot loop" in errors["manager_id"]
    self_managed = field_errors(
        api.patch_json(f"{API}/people/{cast.frank.pk}", {"manager_id": cast.frank.pk, "version": 1})
    )
    assert "their own manager" in self_managed["manager_id"]


def test_one_address_names_one_person(cast: Cast) -> None:
    response = cast.api("admin").post_json(
        f"{API}/people", {"name": "Other Alice", "email": "ALICE@example.com"}
    )
    assert "someone else" in field_errors(response)["email"]


def test_only_an_admin_changes_people(cast: Cast) -> None:
    forbidden(cast.api("alice").post_json(f"{API}/people", {"name": "X"}))
    forbidden(
        cast.api("alice").patch_json(f"{API}/people/{cast.frank.pk}", {"name": "F", "version": 1})
    )


def test_a_person_named_on_records_or_with_a_login_is_not_deleted(cast: Cast) -> None:
    cast.incident()  # ivan commanded it
    api = cast.api("admin")
    assert (
        "1 incident(s) as commander"
        in refused(api.delete(f"{API}/people/{cast.ivan.pk}?version=1"))[0]
    )
    assert (
        "has a login"
        in refused(api.delete(f"{API}/people/{cast.person(cast.bob).pk}?version=1"))[0]
    )
    typo = Person.objects.create(name="Fank Osei")
    ok(api.delete(f"{API}/people/{typo.pk}?version=1"), 204)


def test_someone_on_a_private_team_only_is_not_found_by_an_outsider(cast: Cast) -> None:
    dana = cast.person(cast.dana)
    assert cast.api("charlie").get(f"{API}/people/{dana.pk}").status_code == 404
    assert ok(cast.api("admin").get(f"{API}/people/{dana.pk}"))["name"] == "Dana"


# --- invitations ---------------------------------------------------------------------------


def invite(cast: Cast, who: str = "alice", **body: Any) -> Any:
    defaults = {"email": "nia@example.com", "name": "Nia Newcomer", "team_id": cast.payments.pk}
    return cast.api(who).post_json(f"{API}/invitations", {**defaults, **body})


def mailed_link() -> str:
    """The invitation link of the last e-mail the outbox sent."""
    deliver_due("test")
    body = mail.outbox[-1].body
    start = body.index("http")
    return body[start : body.index("/", body.index("/invite/") + 8) + 1]


def test_a_lead_invites_a_newcomer_who_gets_a_link_by_e_mail(cast: Cast, settings: Any) -> None:
    settings.BASE_URL = "https://ft.example.com"
    body = ok(invite(cast, role="viewer"), 201)
    assert body["created"] and body["email_queued"]
    assert body["membership"]["role"] == "viewer"
    assert body["link"] is None  # a lead never sees someone else's password link
    person = Person.objects.get(email="nia@example.com")
    assert person.user is not None and not person.user.has_usable_password()
    link = mailed_link()
    assert link.startswith("https://ft.example.com/invite/ft_inv_")
    assert mail.outbox[-1].to == ["nia@example.com"]
    assert "Alice invited you to Payments as viewer" in mail.outbox[-1].body
    # Only the link's hash is stored.
    secret = link.rsplit("/", 2)[1]
    assert not Invitation.objects.filter(digest=secret).exists()
    assert Invitation.objects.usable(secret) is not None


def test_an_admin_sees_the_link_once_to_pass_it_on(cast: Cast) -> None:
    body = ok(invite(cast, "admin"), 201)
    assert body["link"] == mailed_link()


def test_a_lead_cannot_take_over_someone_on_another_team(cast: Cast) -> None:
    """Dana's colleague on Security has no login yet: a Payments lead who invites their
    address gets no link, so cannot choose their password and sign in as them."""
    colleague = Person.objects.create(name="Sec Colleague", email="sec@example.com")
    cast.security.memberships.create(person=colleague, role="lead")
    body = ok(invite(cast, email="sec@example.com"), 201)
    assert body["link"] is None and not body["created"]
    mailed_link()
    assert [m.to for m in mail.outbox] == [["sec@example.com"]]  # the link is theirs alone


def test_the_link_never_goes_to_a_teams_slack_channel(cast: Cast) -> None:
    TeamSettings.objects.update_or_create(
        team=cast.payments, defaults={"slack_webhook_url": "https://hooks.slack.com/services/T/B/x"}
    )
    ok(invite(cast), 201)
    rows = Notification.objects.filter(kind="invitation")
    assert [row.channel for row in rows] == [Channel.EMAIL]


def test_someone_with_a_login_is_added_and_gets_no_link(cast: Cast) -> None:
    body = ok(invite(cast, "admin", email="dana@example.com", role="viewer"), 201)
    assert body["link"] is None and body["invitation"] is None
    assert (
        Membership.objects.get(team=cast.payments, person=cast.person(cast.dana)).role == "viewer"
    )
    assert cast.dana.check_password("correct horse battery staple")


def test_a_person_who_signed_in_by_single_sign_on_gets_no_password_link(cast: Cast) -> None:
    sso = User.objects.create_user("sso-sam", "sam@example.com")
    sso.set_unusable_password()
    sso.last_login = timezone.now()
    sso.save()
    Person.objects.create(name="Sam", email="sam@example.com", user=sso)
    body = ok(invite(cast, email="sam@example.com"), 201)
    assert body["link"] is None
    assert not Invitation.objects.filter(person__user=sso).exists()


def test_inviting_again_replaces_the_earlier_link(cast: Cast) -> None:
    first = ok(invite(cast, "admin"), 201)["link"].rsplit("/", 2)[1]
    second = ok(invite(cast, "admin"), 201)["link"].rsplit("/", 2)[1]
    assert Invitation.objects.usable(first) is None
    assert Invitation.objects.usable(second) is not None


def test_an_invitation_is_refused_to_those_who_do_not_lead_the_team(cast: Cast) -> None:
    forbidden(invite(cast, "bob"))
    assert "team_id" in field_errors(invite(cast, "alice", team_id=cast.security.pk))
    forbidden(invite(cast, "alice", team_id=None))
    assert not Person.objects.filter(email="nia@example.com").exists()


def test_a_bad_address_is_a_field_error(cast: Cast) -> None:
    assert "email" in field_errors(invite(cast, email="nia@@example"))
    assert "email" in field_errors(invite(cast, email="nia@example.com\nBcc: x@evil.example"))


def test_a_revoked_invitation_stops_working(cast: Cast) -> None:
    body = ok(invite(cast), 201)
    secret = mailed_link().rsplit("/", 2)[1]
    listed = ok(cast.api("alice").get(f"{API}/invitations"))["items"]
    assert [i["email"] for i in listed] == ["nia@example.com"]
    assert ok(cast.api("charlie").get(f"{API}/invitations"))["items"] == []
    ok(cast.api("alice").delete(f"{API}/invitations/{body['invitation']['id']}"), 204)
    assert Invitation.objects.usable(secret) is None
