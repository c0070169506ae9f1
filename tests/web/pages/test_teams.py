"""The teams page leads each team to its weekly review; leads also to its settings."""

from __future__ import annotations

import pytest

from conftest import Cast

pytestmark = pytest.mark.django_db


def test_a_lead_sees_the_weekly_review_and_settings_of_her_team(cast: Cast) -> None:
    page = cast.browser(cast.alice).get("/teams/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/review/payments/" in html
    assert "/teams/payments/follow-up/" in html
    assert "/teams/payments/tracker/" in html
    assert "Incident sources" in html


def test_an_editor_sees_the_review_but_no_team_settings(cast: Cast) -> None:
    html = cast.browser(cast.bob).get("/teams/").content.decode()
    assert "/review/payments/" in html
    assert "/teams/payments/follow-up/" not in html
    assert "Incident sources" not in html


def test_an_outsider_does_not_see_a_private_team(cast: Cast) -> None:
    html = cast.browser(cast.charlie).get("/teams/").content.decode()
    assert "Payments" in html
    assert "Security" not in html
