"""Each business rule once: the incident list, its filter and the API say the same thing.

"Overdue" for an incident is ``postmortems.models.incident_is_overdue`` (its postmortem's, or a required one
never started whose deadlines passed); for an action item, ``ActionItem.is_overdue``. The
issue found them drifted: a P0 resolved a month ago with no postmortem was ``overdue:
true`` in the API and listed under "not overdue" on the incident list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.followup.digest import team_review
from followthrough.web.postmortems.models import incident_is_overdue
from followthrough.web.postmortems.operations import start_postmortem

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def _listed(client: Any, **query: str) -> set[str]:
    return {row.incident.key for row in client.get("/", query).context["rows"]}


def _api_overdue(api: Any, incident_id: int) -> bool:
    return bool(api.get(f"/api/v1/incidents/{incident_id}").json()["overdue"])


def _api_listed(api: Any, overdue: str) -> set[str]:
    return {i["key"] for i in api.get("/api/v1/incidents", {"overdue": overdue}).json()["items"]}


def test_a_p0_resolved_a_month_ago_with_no_postmortem_is_overdue_on_the_list_and_the_api(
    cast: Any,
) -> None:
    p0 = cast.incident(title="Payments down", severity="P0", resolved_at=NOW - timedelta(days=30))
    p3 = cast.incident(
        title="A typo",
        severity="P3",
        significant_impact=False,
        resolved_at=NOW - timedelta(days=30),
    )
    browser, api = cast.browser(cast.admin), cast.api("admin")
    with time_machine.travel(NOW, tick=False):
        assert incident_is_overdue(p0) and not incident_is_overdue(p3)
        assert _listed(browser, overdue="yes") == {p0.key}
        assert _listed(browser, overdue="no") == {p3.key}
        assert _api_overdue(api, p0.pk) is True
        assert _api_overdue(api, p3.pk) is False
        assert _api_listed(api, "true") == {p0.key}
        assert _api_listed(api, "false") == {p3.key}


def test_a_started_postmortem_with_an_overdue_item_is_overdue_on_the_list_the_api_and_the_digest(
    cast: Any,
) -> None:
    incident = cast.incident(resolved_at=NOW - timedelta(days=2))
    postmortem = start_postmortem(incident, cast.alice)
    item = ActionItem.objects.create(
        postmortem=postmortem,
        title="Alert on 502 rate",
        owner=cast.bob.person,
        due_date=(NOW - timedelta(days=1)).date(),
    )
    browser, api = cast.browser(cast.admin), cast.api("admin")
    with time_machine.travel(NOW, tick=False):
        assert item.is_overdue() and postmortem.is_overdue()
        assert incident.key in _listed(browser, overdue="yes")
        assert _api_overdue(api, incident.pk) is True
        assert item in team_review(incident.team).overdue
        item.status = ActionStatus.DONE
        item.save()
        # Done is closed: the item is overdue nowhere, whatever its date.
        assert not item.is_overdue()
        assert item not in team_review(incident.team).overdue
        items = api.get("/api/v1/action-items", {"overdue": "true"}).json()["items"]
        assert item.pk not in {i["id"] for i in items}
