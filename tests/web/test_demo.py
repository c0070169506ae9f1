"""The demo organisation shows the product working: every state is there to look at."""

from __future__ import annotations

import pytest
from django.utils import timezone

from followthrough.core.calendar import MilestoneState
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.demo import database_is_empty, load_demo
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, Status

pytestmark = pytest.mark.django_db


def test_the_demo_loads_two_teams_and_a_dozen_incidents_across_every_severity() -> None:
    assert database_is_empty()
    login = load_demo()
    assert not database_is_empty()
    assert login.username == "admin" and len(login.password) >= 12
    assert Incident.objects.values("team").distinct().count() == 2
    assert Incident.objects.count() == 12
    assert set(Incident.objects.values_list("severity", flat=True)) == {"P0", "P1", "P2", "P3"}


def test_the_demo_has_postmortems_in_every_state_and_action_items_in_every_status() -> None:
    load_demo()
    assert set(Postmortem.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(ActionItem.objects.values_list("status", flat=True)) == set(ActionStatus.values)
    assert any(item.is_overdue() for item in ActionItem.objects.all())


def test_the_demo_shows_milestones_kept_and_missed() -> None:
    load_demo(timezone.now())
    states = {m.state for pm in Postmortem.objects.all() for m in pm.milestones()}
    assert MilestoneState.DONE_ON_TIME in states
    assert MilestoneState.OVERDUE in states


def test_the_admin_login_printed_by_the_demo_works(client) -> None:  # type: ignore[no-untyped-def]
    login = load_demo()
    assert client.login(username=login.username, password=login.password)
