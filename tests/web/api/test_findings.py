"""The linter's findings of a stored postmortem, through the API."""

from __future__ import annotations

import pytest

from conftest import Cast
from followthrough.core.markdown import parse
from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.operations import start_postmortem

pytestmark = pytest.mark.django_db


def test_a_vague_unowned_action_item_is_reported_in_the_action_items_panel(cast: Cast) -> None:
    pm = start_postmortem(cast.incident(), cast.alice)
    ActionItem.objects.create(postmortem=pm, title="Improve monitoring")
    response = cast.api("vera").get(f"/api/v1/postmortems/{pm.pk}/findings")
    assert response.status_code == 200
    body = response.json()
    on_actions = {f["category"] for f in body["findings"] if f["panel"] == "action_items"}
    assert {"vague_action", "unowned_action", "undated_action"} <= on_actions
    assert body["summary"]["errors"] >= 3


def test_each_finding_names_its_severity_in_the_editors_words_beside_the_code(
    cast: Cast,
) -> None:
    pm = start_postmortem(cast.incident(), cast.alice)
    ActionItem.objects.create(postmortem=pm, title="Improve monitoring")
    findings = cast.api("vera").get(f"/api/v1/postmortems/{pm.pk}/findings").json()["findings"]
    names = {(f["severity"], f["severity_name"]) for f in findings}
    assert ("error", "Error") in names
    assert names <= {("error", "Error"), ("warning", "Warning"), ("info", "Note")}


def test_the_markdown_of_a_postmortem_is_what_the_linter_reads(cast: Cast) -> None:
    pm = start_postmortem(cast.incident(), cast.alice)
    response = cast.api("alice").get(f"/api/v1/postmortems/{pm.pk}/markdown")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert parse(response.content.decode()).title == pm.incident.title


def test_an_outsider_gets_no_findings_of_a_private_team(cast: Cast) -> None:
    pm = start_postmortem(cast.incident(team=cast.security), cast.dana)
    assert cast.api("charlie").get(f"/api/v1/postmortems/{pm.pk}/findings").status_code == 404
