"""A fresh installation set up in a real Chromium, without Django's admin: the admin made by
``followthrough createuser root --admin`` signs in to an empty database, creates the first
team on the first-run page, invites a newcomer, and the newcomer's link signs them in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from followthrough.web.accounts.models import Person, Team

from .conftest import PASSWORD, Console, log_in, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "plum tree under a quiet moon"


def test_first_run_creates_the_team_invites_a_newcomer_and_the_link_signs_them_in(
    live_server: Any, page: Any, console: Console
) -> None:
    from playwright.sync_api import expect

    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    Person.objects.create(name="Rosa Root", email=root.email, handle="root", user=root)

    # An empty organisation: the admin lands on the first-run page, not on a dead end.
    log_in(page, live_server.url, "root")
    expect(page).to_have_url(live_server.url + "/welcome/")
    expect(page.get_by_text("not an editor on any team")).to_have_count(0)
    page.get_by_label("Your organisation's name").fill("Acme")
    page.get_by_label("Name", exact=True).fill("Payments")
    page.get_by_label("Timezone").select_option("Europe/Berlin")
    page.get_by_label("Public holidays of").select_option("DE")
    page.get_by_label("State or region").fill("BE")
    page.get_by_role("button", name="Create the team").click()

    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    expect(page.get_by_text("Next: invite the people")).to_be_visible()
    team = stored(Team, slug="payments")
    assert (team.timezone, team.holiday_country, team.holiday_subdivision) == (
        "Europe/Berlin",
        "DE",
        "BE",
    )

    # The lead invites a newcomer; the link is shown once (and e-mailed).
    page.get_by_label("E-mail address").fill("nia@example.com")
    page.get_by_label("Name (optional)").fill("Nia Newcomer")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("heading", name="Nia Newcomer is invited")).to_be_visible()
    link = page.get_by_label("Invitation link").input_value()
    assert link.startswith("http") and "/invite/ft_inv_" in link
    members = page.locator("#members")
    expect(members).to_contain_text("Nia Newcomer")
    expect(members).to_contain_text("invited")

    # The newcomer, signed out, follows the link and chooses a password.
    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/invite/" + link.split("/invite/", 1)[1])
    expect(page.get_by_role("heading", name="Welcome, Nia Newcomer")).to_be_visible()
    expect(page.get_by_text("Rosa Root invited you to Payments as editor")).to_be_visible()
    page.get_by_label("Login name").fill("nia")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password and sign in").click()

    expect(page.get_by_text("Welcome, Nia Newcomer. You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    # As an editor she can record an incident straight away.
    page.get_by_role("link", name="New incident").first.click()
    expect(page.get_by_role("heading", name="New incident")).to_be_visible()
    assert stored(User, username="nia").check_password(NEW_PASSWORD)
