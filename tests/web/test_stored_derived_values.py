"""What every incident list shows is stored on the incident, and every write that changes an
input stores it again (``followthrough.web.postmortems.derived``): the policy's decision and
reasons, the next milestone and its deadline, and the earliest deadline not met.

Each test makes one kind of write and checks the stored values against what the core says
now (:func:`fresh`: recomputing changes nothing), beside the value the write should give.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner
from django.core.management import call_command

from conftest import Cast
from followthrough.cli import main
from followthrough.web.accounts.models import Organisation
from followthrough.web.demo import load_demo
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import incident_is_overdue
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem
from followthrough.web.versioning import save_versioned

pytestmark = pytest.mark.django_db
API = "/api/v1"
RESOLVED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday (cast.incident's resolution)
FIXTURES = Path(__file__).parent / "fixtures" / "import_history"


def stored(incident: Incident) -> Incident:
    return Incident.all_objects.get(pk=incident.pk)


def fresh(incident: Incident) -> bool:
    """The stored values are what the core computes from the rows as they are now."""
    return derived.refresh([incident.pk]) == 0


def customer_facing_required() -> None:
    org = Organisation.current()
    org.policy = {"customer_facing": "required"}
    org.save()


def test_a_p1_marked_customer_facing_through_the_api_is_stored_as_requiring_a_postmortem(
    cast: Cast,
) -> None:
    customer_facing_required()
    made = cast.api("alice").post_json(
        f"{API}/incidents",
        {"team_id": cast.payments.pk, "title": "Checkout slow", "severity": "P1"},
    )
    assert made.status_code == 201, made.content
    incident = Incident.objects.get(pk=made.json()["id"])
    assert stored(incident).policy_decision == "not_required"
    patched = cast.api("alice").patch_json(
        f"{API}/incidents/{incident.pk}", {"version": 1, "customer_facing": True}
    )
    assert patched.status_code == 200, patched.content
    again = stored(incident)
    assert again.policy_decision == "required"
    assert any("ustomer" in reason for reason in again.policy_reasons), again.policy_reasons
    assert patched.json()["policy"] == {
        "decision": "required",
        "reasons": again.policy_reasons,
    }
    assert fresh(incident)


def test_a_p1_marked_customer_facing_on_the_incident_page_is_stored_as_requiring_a_postmortem(
    cast: Cast,
) -> None:
    from web.pages.test_editing_in_place import incident_data

    customer_facing_required()
    incident = cast.incident(significant_impact=False, severity="P3")
    assert stored(incident).policy_decision == "not_required"
    data = incident_data(incident, severity="P1", customer_facing="on")
    response = cast.browser(cast.bob).post(f"/incidents/{incident.pk}/edit/", data)
    assert response.status_code == 302, response.content[:3000]
    assert stored(incident).severity == "P1"
    assert stored(incident).policy_decision == "required"
    assert fresh(incident)


def test_a_change_of_the_organisation_policy_is_stored_on_every_incident(cast: Cast) -> None:
    incidents = [cast.incident(severity="P1", significant_impact=False, customer_facing=True)]
    incidents.append(cast.incident(severity="P3", customer_facing=True, title="Another"))
    assert {stored(i).policy_decision for i in incidents} == {"not_required"}
    customer_facing_required()
    assert {stored(i).policy_decision for i in incidents} == {"required"}
    assert all(fresh(i) for i in incidents)


def test_a_required_incident_without_a_postmortem_is_due_from_its_resolution(cast: Cast) -> None:
    incident = stored(cast.incident(severity="P0"))
    assert incident.policy_decision == "required"
    assert incident.overdue_from == RESOLVED + timedelta(hours=24)  # the initial timeline
    assert (incident.next_milestone, incident.next_milestone_due) == ("", None)  # none started
    recommended = stored(cast.incident(severity="P2", significant_impact=False, title="P2"))
    assert recommended.policy_decision == "recommended" and recommended.overdue_from is None


def test_starting_the_postmortem_and_each_milestone_done_move_the_next_milestone(
    cast: Cast,
) -> None:
    incident = cast.incident(severity="P0")
    postmortem = start_postmortem(incident, cast.alice)
    assert stored(incident).next_milestone == "initial_timeline"
    assert stored(incident).next_milestone_due == RESOLVED + timedelta(hours=24)
    add_timeline_event(postmortem, RESOLVED - timedelta(hours=1), "Alert fired.")
    assert stored(incident).next_milestone == "meeting_scheduled"
    meeting = postmortem.meeting
    response = cast.api("alice").patch_json(
        f"{API}/postmortems/{postmortem.pk}/meeting",
        {"version": meeting.version, "scheduled_for": "2026-03-04T10:00:00Z"},
    )
    assert response.status_code == 200, response.content
    assert stored(incident).next_milestone == "meeting_held"
    assert fresh(incident)


def test_a_postmortem_status_change_to_final_stores_its_milestone_done(cast: Cast) -> None:
    """``transition`` writes the status and ``finalized_at`` with ``save_versioned``."""
    incident = cast.incident(severity="P0")
    postmortem = start_postmortem(incident, cast.alice)
    add_timeline_event(postmortem, RESOLVED, "Resolved.")
    meeting = postmortem.meeting
    meeting.scheduled_at = meeting.held_at = RESOLVED + timedelta(days=1)
    meeting.save()
    assert stored(incident).next_milestone == "document_final"
    postmortem.refresh_from_db()
    done = RESOLVED + timedelta(days=2)
    save_versioned(postmortem, postmortem.version, {"status": "final", "finalized_at": done})
    assert stored(incident).next_milestone == "actions_tracked"
    assert fresh(incident)


def test_a_team_calendar_change_moves_the_business_day_deadlines(cast: Cast) -> None:
    incident = cast.incident(severity="P0")
    postmortem = start_postmortem(incident, cast.alice)
    add_timeline_event(postmortem, RESOLVED, "Resolved.")
    meeting = postmortem.meeting
    meeting.scheduled_at = RESOLVED
    meeting.save()
    berlin = stored(incident).next_milestone_due
    assert stored(incident).next_milestone == "meeting_held"
    cast.payments.timezone = "Pacific/Auckland"
    cast.payments.save()
    assert stored(incident).next_milestone_due != berlin
    assert fresh(incident)


def test_the_history_import_stores_the_values_of_what_it_creates(cast: Cast) -> None:
    result = CliRunner().invoke(
        main,
        [
            "import-history",
            "--from",
            "incident-io",
            str(FIXTURES / "incident_io"),
            "--team",
            "payments",
        ],
    )
    assert result.exit_code == 0, result.output
    imported = list(Incident.objects.filter(external_id__startswith="incident-io:"))
    assert imported and all(fresh(i) for i in imported)
    assert {i.policy_decision for i in imported} != {""}


def test_the_rebuild_after_importing_an_export_stores_the_values_again(cast: Cast) -> None:
    """An export's rows are saved raw (no signal): ``import_document`` rebuilds at its end."""
    from followthrough.web import portability

    incident = cast.incident(severity="P0")
    Incident.all_objects.filter(pk=incident.pk).update(policy_decision="not_required")
    assert not fresh(incident)
    Incident.all_objects.filter(pk=incident.pk).update(policy_decision="not_required")
    portability.rebuild_derived()
    assert stored(incident).policy_decision == "required"
    assert fresh(incident)


def test_the_demo_organisation_is_stored_as_the_core_computes_it() -> None:
    load_demo()
    assert derived.refresh() == 0


def test_refresh_derived_recomputes_every_incident_and_says_how_many_changed(cast: Cast) -> None:
    incident = cast.incident(severity="P0")
    Incident.all_objects.filter(pk=incident.pk).update(
        policy_decision="not_required", policy_reasons=[]
    )
    out = StringIO()
    call_command("refresh_derived", stdout=out)
    assert out.getvalue().strip() == "1 incident(s) changed."
    assert stored(incident).policy_decision == "required"


@pytest.mark.parametrize("days", [0, 1, 2, 5, 9, 14, 30])
def test_overdue_in_sql_and_in_memory_agree_on_the_demo_organisation(days: int) -> None:
    load_demo()
    at = datetime.now(UTC) + timedelta(days=days)
    with time_machine.travel(at, tick=False):
        in_sql = set(Incident.objects.filter(derived.overdue_q()).values_list("pk", flat=True))
        rows: Any = Incident.objects.select_related("postmortem")
        in_memory = {i.pk for i in rows if incident_is_overdue(i)}
    assert in_sql == in_memory
