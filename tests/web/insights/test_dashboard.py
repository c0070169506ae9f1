"""The effectiveness dashboard, its drill-down, exports and API (seed: Measuring Effectiveness)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from followthrough.core import effectiveness as eff
from followthrough.core.policy import decide
from followthrough.web.accounts.models import Organisation
from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import queries
from followthrough.web.insights.deadlines import COMPLETED_AT
from followthrough.web.insights.models import MilestoneDeadlines

from .conftest import API, MARCH, OPENED, ok

if TYPE_CHECKING:
    from conftest import Cast

MARCH_START = "2026-03-01"


def _march(body: dict[str, Any], team_id: int | None = None) -> dict[str, Any]:
    series = (
        body["organisation"]
        if team_id is None
        else next(t for t in body["teams"] if t["team_id"] == team_id)
    )
    return next(p for p in series["periods"] if p["start"] == MARCH_START)


def _tile(html: str, key: str) -> str:
    match = re.search(rf'id="tile-{key}".*?data-metric="{key}">([^<]*)<', html, re.S)
    assert match, f"no tile for {key}"
    return match.group(1)


def test_the_api_reports_march_with_the_numbers_checked_by_hand(cast: Cast, march: Any) -> None:
    body = ok(cast.api("alice").get(f"{API}/insights", MARCH))
    values = _march(body)["values"]
    assert values["repeat_rate"] == 0.25
    assert values["postmortem_completion_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert values["action_completion_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert values["actions_on_time"] == 0.5
    assert values["time_to_close"] == 48.0
    assert values["milestone_document_final"] == pytest.approx(1 / 3, abs=1e-4)
    age = (timezone.now() - OPENED).total_seconds() / 86400
    assert values["open_action_age"] == pytest.approx(age, abs=0.01)
    counts = _march(body)["counts"]
    assert (counts["incidents"], counts["repeats"], counts["required"]) == (4, 1, 3)
    assert counts["milestones"]["document_final"] == {
        "on_time": 1,
        "late": 1,
        "overdue": 1,
        "pending": 0,
    }
    assert [p["label"] for p in body["organisation"]["periods"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    # a month with no incidents has no rate, not a rate of zero
    assert body["organisation"]["periods"][0]["values"]["repeat_rate"] is None


def test_the_organisation_is_the_sum_of_its_teams(cast: Cast, march: Any) -> None:
    body = ok(cast.api("admin").get(f"{API}/insights", MARCH))
    org = _march(body)["counts"]
    teams = [_march(body, t["team_id"])["counts"] for t in body["teams"]]
    assert org["incidents"] == sum(t["incidents"] for t in teams) == 5
    assert org["required"] == sum(t["required"] for t in teams) == 4


def test_private_team_numbers_are_invisible_to_outsiders(cast: Cast, march: Any) -> None:
    alice = ok(cast.api("alice").get(f"{API}/insights", MARCH))
    assert _march(alice)["counts"]["incidents"] == 4
    assert [t["name"] for t in alice["teams"]] == ["Payments"]
    dana = ok(cast.api("dana").get(f"{API}/insights", MARCH))
    assert {t["name"] for t in dana["teams"]} == {"Payments", "Security"}
    assert _march(dana)["counts"]["incidents"] == 5
    asked = cast.api("alice").get(f"{API}/insights", {**MARCH, "team": cast.security.pk})
    assert asked.status_code == 422
    assert "no team" in asked.json()["errors"][0]["msg"]
    page = cast.browser(cast.charlie).get("/insights/", MARCH)
    assert page.status_code == 200
    assert "Secret key leaked" not in page.content.decode()
    drill = cast.browser(cast.alice).get(
        "/insights/drill/", {**MARCH, "metric": "repeat_rate", "start": MARCH_START}
    )
    assert "Secret key leaked" not in drill.content.decode()


def test_bad_filters_get_a_clear_answer(cast: Cast) -> None:
    api = cast.api("alice")
    assert api.get(f"{API}/insights", {"period": "year"}).status_code == 422
    bad = api.get(f"{API}/insights", {"from": "2026-05-01", "to": "2026-04-01"})
    assert bad.status_code == 422
    assert "before" in bad.json()["errors"][0]["msg"]
    page = cast.browser(cast.alice).get("/insights/", {"from": "yesterday"})
    assert page.status_code == 400
    assert "is not a date" in page.content.decode()
    unknown = cast.browser(cast.alice).get("/insights/drill/", {"metric": "happiness"})
    assert unknown.status_code == 400
    assert "Unknown metric" in unknown.content.decode()


def test_the_dashboard_draws_svg_charts_with_the_api_numbers(cast: Cast, march: Any) -> None:
    page = cast.browser(cast.alice).get("/insights/", MARCH)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<svg") >= 8
    assert 'role="img"' in html
    assert "<script" not in html.split("</head>", 1)[1]  # no inline script in the page body
    body = ok(cast.api("alice").get(f"{API}/insights", MARCH))
    total = body["organisation"]["total"]["values"]
    assert _tile(html, "repeat_rate") == "25%" == f"{total['repeat_rate'] * 100:.0f}%"
    assert _tile(html, "postmortem_completion_rate") == "33%"
    assert _tile(html, "action_completion_rate") == "67%"
    assert _tile(html, "actions_on_time") == "50%"
    assert _tile(html, "time_to_close") == "48.0 h"
    assert "1 of 4" in html
    assert _tile(html, "escalations") == "0"
    # the chart's table has the same month figure
    assert re.search(r"2026-03</a></th><td>25%</td>", html)


def test_the_drill_down_lists_the_items_behind_a_number(cast: Cast, march: Any) -> None:
    browser = cast.browser(cast.alice)
    query = {**MARCH, "start": MARCH_START}
    repeats = browser.get("/insights/drill/", {**query, "metric": "repeat_rate"}).content.decode()
    rows = repeats.split('id="drill-rows"', 1)[1]
    for key in ("a", "b", "c", "d"):
        assert march[key].key in rows
    assert rows.index(march["b"].key) < rows.index(march["a"].key), "the repeat comes first"
    actions = browser.get(
        "/insights/drill/", {**query, "metric": "actions_on_time"}
    ).content.decode()
    assert "Alert when the orders-db pool" in actions
    assert "(on time)" in actions and "(late)" in actions
    milestones = browser.get(
        "/insights/drill/", {**query, "metric": "milestone_document_final"}
    ).content.decode()
    assert "state-on_time" in milestones and "state-late" in milestones
    assert "state-overdue" in milestones
    postmortems = browser.get("/insights/drill/", {**query, "metric": "postmortem_completion_rate"})
    assert march["c"].key not in postmortems.content.decode()  # not required, none written
    # the dashboard links every tile to its drill-down
    html = browser.get("/insights/", MARCH).content.decode()
    assert "/insights/drill/?" in html and "metric=repeat_rate" in html


def _steady(series: dict[str, Any]) -> dict[str, Any]:
    """The series without the open action age, which grows between two requests."""
    out = json.loads(json.dumps(series))
    for part in [out["total"], *out["periods"]]:
        part["values"].pop("open_action_age")
        part["counts"].pop("open_age_days_total")
    return out


def test_csv_and_json_exports_hold_the_same_numbers(cast: Cast, march: Any) -> None:
    browser = cast.browser(cast.alice)
    exported = browser.get("/insights/export.json", MARCH)
    assert exported["Content-Disposition"].startswith("attachment;")
    body = exported.json()
    api = ok(cast.api("alice").get(f"{API}/insights", MARCH))
    assert _steady(body["organisation"]) == _steady(api["organisation"])
    response = browser.get("/insights/export.csv", MARCH)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    march_row = next(r for r in rows if r["scope"] == "organisation" and r["period"] == "2026-03")
    assert march_row["repeat_rate"] == "0.25"
    assert march_row["incidents"] == "4"
    team_row = next(r for r in rows if r["scope"] == "Payments" and r["period"] == "2026-03")
    assert team_row["team_id"] == str(cast.payments.pk)
    assert len(rows) == 2 * 6  # organisation and Payments, six months


def test_weeks_and_quarters_hold_the_same_cohort(cast: Cast, march: Any) -> None:
    api = cast.api("alice")
    quarter = ok(api.get(f"{API}/insights", {**MARCH, "period": "quarter"}))
    q1 = quarter["organisation"]["periods"][0]
    assert (q1["label"], q1["counts"]["incidents"]) == ("2026-Q1", 4)
    week = ok(
        api.get(f"{API}/insights", {"period": "week", "from": "2026-02-23", "to": "2026-03-08"})
    )
    labels = {p["label"]: p["counts"]["incidents"] for p in week["organisation"]["periods"]}
    assert labels == {"2026-W09": 0, "2026-W10": 4}


def _rows_from_python(cast: Cast, now: datetime) -> dict[eff.Key, eff.Counts]:
    """The same cohort counted by the core over plain rows, for comparison with SQL."""
    config = Organisation.current().policy_config()
    incidents = []
    for i in Incident.objects.select_related("postmortem"):
        pm = getattr(i, "postmortem", None)
        incidents.append(
            eff.IncidentRow(
                i.pk,
                i.team_id,
                i.started_at or i.created_at,
                i.is_repeat,
                decide(i.facts(), config).decision == "required",
                pm.status if pm else None,
                i.resolved_at,
                pm.closed_at if pm else None,
            )
        )
    actions = [
        eff.ActionRow(
            a.pk,
            a.postmortem.incident.team_id,
            a.postmortem.incident.started_at,
            a.status,
            a.created_at,
            a.due_date,
            a.done_at,
        )
        for a in ActionItem.objects.select_related("postmortem__incident")
    ]
    milestones = []
    for row in MilestoneDeadlines.objects.select_related(
        "postmortem__incident", "postmortem__meeting"
    ):
        pm = row.postmortem
        stones = {m.key.value: m for m in pm.milestones(now)}
        for key in COMPLETED_AT:
            assert stones[key].due_at == getattr(row, key)
            milestones.append(
                eff.MilestoneRow(
                    pm.pk,
                    pm.incident.team_id,
                    pm.incident.started_at,
                    key,
                    stones[key].due_at,
                    stones[key].completed_at,
                )
            )
    return eff.count_rows(eff.Period.MONTH, now, incidents, actions, milestones)


def test_sql_counts_equal_the_core_definitions_over_plain_rows(cast: Cast, march: Any) -> None:
    now = timezone.now()
    scope = queries.scope(cast.admin, period="month", start="2026-01-01", until="2026-06-30")
    from_sql = queries.counts(scope, now)
    from_rows = _rows_from_python(cast, now)
    assert set(from_sql) == set(from_rows)
    for key, counts in from_rows.items():
        sql = from_sql[key]
        assert sql.open_age_days == pytest.approx(counts.open_age_days)
        assert sql.close_hours == pytest.approx(counts.close_hours)
        sql.open_age_days = counts.open_age_days = 0
        sql.close_hours = counts.close_hours = 0
        sql.escalations = counts.escalations
        assert sql == counts, key


def test_milestone_deadlines_follow_a_moved_resolution(cast: Cast, march: Any) -> None:
    queries.counts(queries.scope(cast.admin, **{"period": "month"}))
    a = march["a"]
    Incident.objects.filter(pk=a.pk).update(resolved_at=datetime(2026, 3, 3, 15, tzinfo=UTC))
    scope = queries.scope(cast.admin, period="month", start="2026-03-01", until="2026-03-31")
    queries.counts(scope)
    row = MilestoneDeadlines.objects.get(postmortem=march["pa"])
    assert row.resolved_at == datetime(2026, 3, 3, 15, tzinfo=UTC)
    assert row.initial_timeline == datetime(2026, 3, 4, 15, tzinfo=UTC)


def test_a_query_string_builds_the_same_page(cast: Cast, march: Any) -> None:
    page = cast.browser(cast.alice).get(
        "/insights/?" + urlencode({**MARCH, "team": cast.payments.pk})
    )
    assert page.status_code == 200
    assert "Payments" in page.content.decode()
