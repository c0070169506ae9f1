"""A new organisation set up from the pages, without Django's admin: the first-run page
creates the first team, its lead invites people, an invitation link sets a password once,
members and managers change in place; nobody meets a dead end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followthrough.web.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    Person,
    Role,
    Team,
)
from followthrough.web.followup.notifications import deliver_due
from followthrough.web.history.recording import history_of

from .helpers import messages_of, text

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "plum tree under a quiet moon"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def root(db: None) -> User:
    """The admin of a fresh installation (``followthrough createuser root --admin``)."""
    user = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    Person.objects.create(name="root", email=user.email, handle="root", user=user)
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_on_an_empty_organisation_is_sent_to_the_first_run_page(root: User) -> None:
    client = signed_in(root)
    assert client.get("/").url == reverse("welcome")
    assert client.get(reverse("incident-create")).url == reverse("welcome")
    assert client.get(reverse("team-list")).url == reverse("welcome")
    page = text(client.get(reverse("welcome")))
    assert "Create the first team here" in page
    assert "not an editor on any team" not in page


def test_the_first_run_page_creates_the_first_team_with_its_calendar(root: User) -> None:
    data = {
        "organisation": "Acme",
        "name": "Payments",
        "timezone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "BE",
        "i_lead": "on",
    }
    response = signed_in(root).post(reverse("welcome"), data, follow=True)
    team = Team.objects.get()
    assert response.redirect_chain[-1][0] == reverse("team-detail", args=[team.slug])
    assert (team.timezone, team.holiday_country, team.holiday_subdivision) == (
        "Europe/Berlin",
        "DE",
        "BE",
    )
    assert team.lead == root.person  # type: ignore[attr-defined]
    assert Membership.objects.get(team=team).role == Role.LEAD
    assert Organisation.current().name == "Acme"
    assert "Next: invite the people" in " ".join(messages_of(response))
    assert history_of(team).filter(action="create").exists()
    # Once a team exists, the first-run page is done.
    assert signed_in(root).get(reverse("welcome")).url == reverse("team-list")


def test_a_calendar_the_engine_does_not_know_is_refused_and_nothing_is_created(
    root: User,
) -> None:
    data = {"organisation": "Acme", "name": "Ops", "timezone": "UTC", "holiday_subdivision": "BY"}
    response = signed_in(root).post(reverse("welcome"), data)
    assert response.status_code == 422
    assert "needs a country" in text(response)
    assert not Team.objects.exists()


def test_someone_who_is_not_an_admin_is_told_whom_to_ask(root: User) -> None:
    newcomer = User.objects.create_user("newcomer", password=PASSWORD)
    page = text(signed_in(newcomer).get(reverse("welcome")))
    assert "only an organisation admin can create the first one" in page
    assert 'href="mailto:root@example.com"' in page
    assert signed_in(newcomer).post(reverse("welcome"), {"name": "Mine"}).status_code == 200
    assert not Team.objects.exists()


def test_without_any_admin_the_page_says_how_to_make_one(db: None) -> None:
    newcomer = User.objects.create_user("newcomer", password=PASSWORD)
    assert "followthrough createuser NAME --admin" in text(
        signed_in(newcomer).get(reverse("welcome"))
    )


def test_someone_who_cannot_record_incidents_is_told_whom_to_ask(cast: Any) -> None:
    response = cast.browser(cast.vera).get(reverse("incident-create"), follow=True)
    said = " ".join(messages_of(response))
    assert "not an editor on any team" in said and "Ask a lead of your team (Alice)" in said


# --- invitations ---------------------------------------------------------------------------


def invite(cast: Any, email: str = "nia@example.com", role: str = "editor") -> Any:
    return cast.browser(cast.alice).post(
        reverse("team-invite", args=["payments"]),
        {"email": email, "name": "Nia Newcomer", "role": role},
    )


def link_of(response: Any) -> str:
    page = text(response)
    start = page.index('id="invite-link" readonly value="') + len(
        'id="invite-link" readonly value="'
    )
    return page[start : page.index('"', start)]


def mailed_path() -> str:
    """The path of the invitation link in the last e-mail the outbox sent."""
    deliver_due("test")
    body = mail.outbox[-1].body
    start = body.index("/invite/")
    return body[start : body.index("/", start + 8) + 1]


def test_a_lead_invites_and_the_newcomer_chooses_a_password_and_is_signed_in(
    cast: Any, settings: Any
) -> None:
    settings.BASE_URL = "https://ft.example.com"
    response = invite(cast)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # never cached
    page = text(response)
    assert "on its way to nia@example.com" in page and 'id="invite-link"' not in page
    path = mailed_path()
    assert mail.outbox[0].to == ["nia@example.com"]
    assert "https://ft.example.com" + path in mail.outbox[0].body

    visitor = Client()
    page = text(visitor.get(path))
    assert "Welcome, Nia Newcomer" in page and "Alice invited you to Payments as editor" in page
    assert 'value="nia"' in page  # the login name proposed from the address
    done = visitor.post(
        path,
        {"username": "nia", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("team-detail", args=["payments"])
    assert done.context["user"].username == "nia"
    assert User.objects.get(username="nia").check_password(NEW_PASSWORD)
    # The link is spent.
    assert Client().get(path).status_code == 404
    invitation = Invitation.objects.get()
    assert invitation.status() == "accepted"
    assert history_of(invitation).filter(action="update").exists()


def test_an_admin_who_invites_sees_the_link_once(cast: Any) -> None:
    response = cast.browser(cast.admin).post(
        reverse("team-invite", args=["payments"]),
        {"email": "nia@example.com", "name": "Nia Newcomer", "role": "editor"},
    )
    assert link_of(response).endswith(mailed_path())


def test_a_weak_password_or_a_taken_login_name_is_refused(cast: Any) -> None:
    invite(cast)
    path = mailed_path()
    visitor = Client()
    weak = visitor.post(path, {"username": "nia", "new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 422 and "too short" in text(weak)
    taken = visitor.post(
        path, {"username": "bob", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert taken.status_code == 422 and "taken" in text(taken)
    assert not User.objects.get(email="nia@example.com").has_usable_password()


def test_an_expired_or_unknown_link_says_what_to_do(cast: Any) -> None:
    invite(cast)
    path = mailed_path()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 404
    assert "Ask whoever invited you for a new one" in text(response)
    assert Client().get("/invite/ft_inv_made-up/").status_code == 404


def test_inviting_someone_with_a_login_adds_them_without_a_link(cast: Any) -> None:
    response = cast.browser(cast.admin).post(
        reverse("team-invite", args=["payments"]),
        {"email": "dana@example.com", "name": "", "role": "viewer"},
    )
    assert "has a login already, so there is no link" in text(response)
    assert 'id="invite-link"' not in text(response)
    assert Membership.objects.filter(team=cast.payments, person=cast.person(cast.dana)).exists()


def test_only_a_lead_or_an_admin_manages_the_team(cast: Any) -> None:
    assert invite(cast).status_code == 200
    bob = cast.browser(cast.bob)
    page = text(bob.get(reverse("team-detail", args=["payments"])))
    assert "Only a lead of Payments or an organisation admin" in page
    assert "Send invitation" not in page
    response = bob.post(
        reverse("team-invite", args=["payments"]), {"email": "x@example.com", "role": "lead"}
    )
    assert response.status_code == 403
    assert (
        cast.browser(cast.charlie).get(reverse("team-detail", args=["security"])).status_code == 404
    )


def test_a_lead_changes_a_role_and_removes_a_member(cast: Any) -> None:
    client = cast.browser(cast.alice)
    frank = Membership.objects.get(team=cast.payments, person=cast.frank)
    client.post(
        reverse("team-member-role", args=["payments", frank.pk]),
        {f"m{frank.pk}-version": frank.version, f"m{frank.pk}-role": "viewer"},
    )
    frank.refresh_from_db()
    assert frank.role == "viewer"
    client.post(
        reverse("team-member-remove", args=["payments", frank.pk]), {"version": frank.version}
    )
    assert not Membership.objects.filter(pk=frank.pk).exists()


def test_the_last_lead_cannot_remove_themselves(cast: Any) -> None:
    alice = Membership.objects.get(team=cast.payments, person=cast.person(cast.alice))
    response = cast.browser(cast.alice).post(
        reverse("team-member-remove", args=["payments", alice.pk]), {"version": alice.version}
    )
    assert response.status_code == 422
    assert "only lead of Payments" in text(response)
    assert Membership.objects.filter(pk=alice.pk).exists()


def test_a_lead_changes_the_teams_calendar(cast: Any) -> None:
    data = {
        "version": cast.payments.version,
        "name": "Payments",
        "timezone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "BY",
        "lead": cast.person(cast.alice).pk,
    }
    cast.browser(cast.alice).post(reverse("team-settings", args=["payments"]), data)
    assert Team.objects.get(pk=cast.payments.pk).holiday_subdivision == "BY"
    stale = cast.browser(cast.alice).post(reverse("team-settings", args=["payments"]), data)
    assert stale.status_code == 409 and "holidays DE" in text(stale)


# --- people --------------------------------------------------------------------------------


def test_an_admin_sets_a_manager_in_place(cast: Any) -> None:
    client = cast.browser(cast.admin)
    frank = cast.frank
    form = text(client.get(reverse("person-edit", args=[frank.pk]), headers=HTMX))
    assert form.startswith(f'<tr id="person-{frank.pk}">') and f'name="p{frank.pk}-manager"' in form
    data = {
        f"p{frank.pk}-version": frank.version,
        f"p{frank.pk}-name": frank.name,
        f"p{frank.pk}-email": frank.email,
        f"p{frank.pk}-handle": frank.handle,
        f"p{frank.pk}-manager": cast.person(cast.alice).pk,
    }
    row = text(client.post(reverse("person-edit", args=[frank.pk]), data, headers=HTMX))
    assert row.startswith(f'<tr id="person-{frank.pk}">') and "<td>Alice</td>" in row
    frank.refresh_from_db()
    assert frank.manager == cast.person(cast.alice)


def test_a_manager_loop_is_refused_on_the_page(cast: Any) -> None:
    alice = cast.person(cast.alice)
    Person.objects.filter(pk=alice.pk).update(manager=cast.frank)
    frank = cast.frank
    data = {
        f"p{frank.pk}-version": frank.version,
        f"p{frank.pk}-name": frank.name,
        f"p{frank.pk}-email": frank.email,
        f"p{frank.pk}-handle": frank.handle,
        f"p{frank.pk}-manager": alice.pk,
    }
    response = cast.browser(cast.admin).post(
        reverse("person-edit", args=[frank.pk]), data, headers=HTMX
    )
    assert response.status_code == 422 and "cannot loop" in text(response)


def test_people_are_read_by_members_and_changed_by_admins_only(cast: Any) -> None:
    page = text(cast.browser(cast.charlie).get(reverse("people")))
    assert "Frank Osei" in page and "Dana" not in page  # Security is private
    assert "Add a person" not in page
    response = cast.browser(cast.alice).post(reverse("person-add"), {"name": "Mallory"})
    assert response.status_code == 403
    assert not Person.objects.filter(name="Mallory").exists()
