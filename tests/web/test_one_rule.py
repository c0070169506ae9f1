"""Each business rule once: the incident list, its filter and the API say the same thing.

"Overdue" for an incident is ``postmortems.models.incident_is_overdue`` (its postmortem's, or a required one
never started whose deadlines passed); for an action item, ``ActionItem.is_overdue``. The
issue found them drifted: a P0 resolved a month ago with no postmortem was ``overdue:
true`` in the API and listed under "not overdue" on the incident list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

import followthrough.web
from followthrough.core import effectiveness
from followthrough.web.actions.models import CLOSED_STATES, OPEN_STATES, ActionItem, ActionStatus
from followthrough.web.followup.digest import team_review
from followthrough.web.integrations.common import standing
from followthrough.web.postmortems import loop as postmortems_loop
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


def test_an_action_items_open_and_closed_states_agree_on_the_model_its_queryset_and_every_app(
    cast: Any,
) -> None:
    postmortem = start_postmortem(cast.incident(resolved_at=NOW - timedelta(days=2)), cast.alice)
    items = {
        status: ActionItem.objects.create(postmortem=postmortem, title=status, status=status)
        for status in ActionStatus.values
    }
    # Open and closed split the states between them, no state in both or in neither.
    assert set(OPEN_STATES) | set(CLOSED_STATES) == set(ActionStatus.values)
    assert not set(OPEN_STATES) & set(CLOSED_STATES)
    assert set(ActionItem.objects.open()) == {items[s] for s in OPEN_STATES}
    assert set(ActionItem.objects.closed()) == {items[s] for s in CLOSED_STATES}
    assert set(postmortem.action_items.open()) == {items[s] for s in OPEN_STATES}
    assert {s for s, item in items.items() if item.is_closed()} == set(CLOSED_STATES)
    # The engine reads history files without Django, and closing the loop sits below the
    # action items' layer: both spell the states out, and must say the same.
    assert set(OPEN_STATES) == effectiveness.OPEN_STATUSES
    assert set(CLOSED_STATES) == set(postmortems_loop.CLOSED_STATUSES)
    # A tracker shows an open item as open, a closed one as what closed it.
    assert {s: standing(s) for s in ActionStatus.values} == {
        **{s: "open" for s in OPEN_STATES},
        **{s: s for s in CLOSED_STATES},
    }


# A tuple or list of two or more statuses written out by hand: the states open and closed
# come from actions.models, so no other module can drift from them.
SPELLED_OUT = re.compile(
    r"ActionStatus\.[A-Z_]+,\s*(?:\w+\.)?ActionStatus\.|Choice\.[A-Z_]+,\s*Choice\."
)


def test_no_module_outside_the_model_spells_out_which_action_states_are_open_or_closed() -> None:
    web = Path(followthrough.web.__file__).parent
    model = web / "actions" / "models.py"
    found = [
        f"{path.relative_to(web)}: {match[0]}"
        for path in web.rglob("*.py")
        if path != model and "migrations" not in path.parts
        for match in SPELLED_OUT.finditer(path.read_text())
    ]
    assert found == []
