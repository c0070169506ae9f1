"""Incidents through the API: the policy says whether a postmortem is due, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, field_errors, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


def new_incident(cast: Cast, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "team_id": cast.payments.pk,
        "title": "Card payments declined in the EU",
        "severity": "P1",
        "started_at": "2026-03-06T09:00:00+01:00",
        "resolved_at": "2026-03-06T11:30:00+01:00",
        "commander_id": cast.ivan.pk,
        "responder_ids": [cast.rita.pk],
    }
    body.update(fields)
    return body


def test_a_p0_incident_requires_a_postmortem_and_says_why(cast: Cast) -> None:
    body = ok(
        cast.api("alice").post_json(f"{API}/incidents", new_incident(cast, severity="P0")), 201
    )
    assert body["policy"]["decision"] == "required"
    assert any("P0" in reason for reason in body["policy"]["reasons"])
    assert body["key"] == f"INC-{body['id']}"
    assert body["commander"] == {"id": cast.ivan.pk, "name": "Ivan Petrov"}
    assert [r["id"] for r in body["responders"]] == [cast.rita.pk]
    assert body["source"] == "api"
    assert body["postmortem"] is None
    assert body["version"] == 1


def test_a_p3_incident_does_not_require_a_postmortem(cast: Cast) -> None:
    body = ok(cast.api("bob").post_json(f"{API}/incidents", new_incident(cast, severity="P3")), 201)
    assert body["policy"]["decision"] == "not_required"
    assert body["policy"]["reasons"]


def test_an_incident_without_a_title_is_refused_on_the_title_field(cast: Cast) -> None:
    body = new_incident(cast)
    del body["title"]
    assert "title" in field_errors(cast.api("alice").post_json(f"{API}/incidents", body))
    blank = cast.api("alice").post_json(f"{API}/incidents", new_incident(cast, title="   "))
    assert "title" in field_errors(blank)
    assert Incident.objects.count() == 0


def test_a_severity_outside_p0_to_p3_is_refused(cast: Cast) -> None:
    errors = field_errors(
        cast.api("alice").post_json(f"{API}/incidents", new_incident(cast, severity="P9"))
    )
    assert "P0" in errors["severity"]


def test_a_naive_datetime_is_refused(cast: Cast) -> None:
    body = new_incident(cast, started_at="2026-03-06T09:00:00")
    errors = field_errors(cast.api("alice").post_json(f"{API}/incidents", body))
    assert "timezone" in errors["started_at"]


def test_an_incident_resolved_before_it_started_is_refused_on_the_resolved_field(
    cast: Cast,
) -> None:
    body = new_incident(cast, resolved_at="2026-03-06T08:00:00+01:00")
    errors = field_errors(cast.api("alice").post_json(f"{API}/incidents", body))
    assert "before" in errors["resolved_at"]
    assert Incident.objects.count() == 0


def test_unknown_people_and_fields_are_field_errors(cast: Cast) -> None:
    body = new_incident(cast, commander_id=99999, responder_ids=[cast.rita.pk, 88888], colour="red")
    errors = field_errors(cast.api("alice").post_json(f"{API}/incidents", body))
    assert errors == {"colour": "Extra inputs are not permitted"}
    del body["colour"]
    errors = field_errors(cast.api("alice").post_json(f"{API}/incidents", body))
    assert "88888" in errors["responder_ids"]


def test_a_second_post_with_the_same_external_id_is_a_conflict(cast: Cast) -> None:
    client = cast.api("alice")
    first = ok(client.post_json(f"{API}/incidents", new_incident(cast, external_id="PD-42")), 201)
    again = client.post_json(f"{API}/incidents", new_incident(cast, external_id="PD-42"))
    assert ok(again, 409)["id"] == first["id"]
    assert Incident.objects.count() == 1


def test_a_viewer_cannot_record_an_incident(cast: Cast) -> None:
    response = cast.api("vera").post_json(f"{API}/incidents", new_incident(cast))
    assert ok(response, 403)["detail"].startswith("You are a viewer on Payments")


def test_an_outsider_cannot_record_an_incident_on_a_public_team(cast: Cast) -> None:
    response = cast.api("charlie").post_json(f"{API}/incidents", new_incident(cast))
    assert "not a member of Payments" in ok(response, 403)["detail"]


def test_a_private_team_is_not_even_named_to_an_outsider(cast: Cast) -> None:
    body = new_incident(cast, team_id=cast.security.pk)
    errors = field_errors(cast.api("charlie").post_json(f"{API}/incidents", body))
    assert errors["team_id"] == f"There is no team with id {cast.security.pk}."


def test_a_private_teams_incident_is_invisible_to_an_outsider(cast: Cast) -> None:
    secret = cast.incident(team=cast.security, title="Leaked signing key", security=True)
    charlie = cast.api("charlie")
    missing = ok(charlie.get(f"{API}/incidents/{secret.pk}"), 404)
    unknown = ok(charlie.get(f"{API}/incidents/999999"), 404)
    assert missing["detail"] == f"There is no incident with id {secret.pk}."
    assert unknown["detail"] == "There is no incident with id 999999."
    assert ok(charlie.get(f"{API}/incidents"))["count"] == 0
    assert ok(charlie.patch_json(f"{API}/incidents/{secret.pk}", {"title": "x", "version": 1}), 404)
    assert [i["id"] for i in ok(cast.api("dana").get(f"{API}/incidents"))["items"]] == [secret.pk]
    assert (
        ok(cast.api("admin").get(f"{API}/incidents/{secret.pk}"))["title"] == "Leaked signing key"
    )


def test_a_non_member_sees_only_public_teams(cast: Cast) -> None:
    teams = ok(cast.api("charlie").get(f"{API}/teams"))
    assert [t["slug"] for t in teams["items"]] == ["payments"]
    assert ok(cast.api("charlie").get(f"{API}/teams/{cast.security.pk}"), 404)
    dana = ok(cast.api("dana").get(f"{API}/teams"))
    assert [t["slug"] for t in dana["items"]] == ["payments", "security"]


def test_people_are_listed_by_team_and_found_by_name(cast: Cast) -> None:
    client = cast.api("alice")
    team = ok(client.get(f"{API}/people?team={cast.payments.pk}"))
    assert {p["name"] for p in team["items"]} >= {"Alice", "Frank Osei", "Ivan Petrov"}
    assert "Dana" not in {p["name"] for p in team["items"]}
    found = ok(client.get(f"{API}/people?q=rita"))
    assert [p["name"] for p in found["items"]] == ["Rita Gomez"]
    assert ok(client.get(f"{API}/people?team={cast.security.pk}"), 404)


def test_patching_with_the_current_version_changes_the_incident(
    cast: Cast, incident: Incident
) -> None:
    client = cast.api("bob")
    body = ok(
        client.patch_json(
            f"{API}/incidents/{incident.pk}",
            {"title": "Checkout 502s", "severity": "P0", "responder_ids": [], "version": 1},
        )
    )
    assert (body["title"], body["severity"], body["version"]) == ("Checkout 502s", "P0", 2)
    assert body["responders"] == []
    assert body["policy"]["decision"] == "required"


def test_patching_with_a_stale_version_is_a_conflict_and_keeps_the_newer_title(
    cast: Cast, incident: Incident
) -> None:
    ok(
        cast.api("alice").patch_json(
            f"{API}/incidents/{incident.pk}", {"title": "Newer", "version": 1}
        )
    )
    stale = cast.api("bob").patch_json(
        f"{API}/incidents/{incident.pk}", {"title": "Older", "severity": "P3", "version": 1}
    )
    body = ok(stale, 409)
    assert body["current"]["title"] == "Newer"
    assert body["current"]["version"] == 2
    incident.refresh_from_db()
    assert (incident.title, incident.severity, incident.version) == ("Newer", "P1", 2)


def test_patching_null_into_a_required_field_is_refused(cast: Cast, incident: Incident) -> None:
    errors = field_errors(
        cast.api("alice").patch_json(
            f"{API}/incidents/{incident.pk}", {"title": None, "version": 1}
        )
    )
    assert "title" in errors
    missing_version = cast.api("alice").patch_json(f"{API}/incidents/{incident.pk}", {"title": "x"})
    assert "version" in field_errors(missing_version)


def _many(cast: Cast) -> dict[str, Incident]:
    base = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    made = {
        "p0": cast.incident(
            title="Ledger lost writes",
            severity="P0",
            data_loss=True,
            started_at=base - timedelta(hours=5),
        ),
        "p2": cast.incident(
            title="Slow refunds page",
            severity="P2",
            significant_impact=False,
            started_at=base - timedelta(hours=4),
        ),
        "p3": cast.incident(
            title="Typo in receipt e-mail",
            severity="P3",
            significant_impact=False,
            started_at=base - timedelta(hours=3),
        ),
        "secret": cast.incident(
            team=cast.security,
            title="Phishing",
            severity="P3",
            started_at=base - timedelta(hours=2),
        ),
    }
    start_postmortem(made["p0"], cast.alice)
    return made


def test_incidents_filter_by_severity_decision_status_and_words(cast: Cast) -> None:
    made = _many(cast)
    client = cast.api("alice")

    def ids(query: str) -> list[int]:
        return [i["id"] for i in ok(client.get(f"{API}/incidents?{query}"))["items"]]

    assert ids("severity=P2") == [made["p2"].pk]
    assert ids("decision=required") == [made["p0"].pk]
    assert ids("decision=recommended") == [made["p2"].pk]
    assert ids("decision=not_required") == [made["p3"].pk]
    assert ids("status=draft") == [made["p0"].pk]
    assert ids("status=none") == [made["p3"].pk, made["p2"].pk]
    assert ids("q=refunds") == [made["p2"].pk]
    assert ids(f"q=INC-{made['p3'].pk}") == [made["p3"].pk]
    assert ids(f"team={cast.security.pk}") == []
    assert ids("overdue=true") == [made["p0"].pk]
    assert ids("overdue=false") == [made["p3"].pk, made["p2"].pk]
    assert "severity" in field_errors_of_query(client.get(f"{API}/incidents?severity=P9"))


def field_errors_of_query(response: Any) -> dict[str, str]:
    assert response.status_code == 422
    return {e["loc"][-1]: e["msg"] for e in response.json()["errors"]}


def test_incidents_paginate_with_limit_and_offset_also_when_filtered_by_decision(
    cast: Cast,
) -> None:
    for n in range(7):
        cast.incident(
            title=f"Outage {n}",
            severity="P0",
            started_at=datetime(2026, 3, 1, n, tzinfo=UTC),
        )
    for n in range(3):
        cast.incident(title=f"Blip {n}", severity="P3", significant_impact=False)
    client = cast.api("alice")
    page = ok(client.get(f"{API}/incidents?decision=required&limit=3&offset=3"))
    assert page["count"] == 7
    assert [i["title"] for i in page["items"]] == ["Outage 3", "Outage 2", "Outage 1"]
    everything = ok(client.get(f"{API}/incidents?limit=200"))
    assert everything["count"] == 10 and len(everything["items"]) == 10
    assert len(ok(client.get(f"{API}/incidents"))["items"]) == 10
    assert "limit" in field_errors_of_query(client.get(f"{API}/incidents?limit=201"))
    assert "offset" in field_errors_of_query(client.get(f"{API}/incidents?offset=-1"))


def test_a_required_postmortem_never_started_makes_its_incident_overdue(cast: Cast) -> None:
    forgotten = cast.incident(title="Forgotten", severity="P0")
    fine = cast.incident(title="Minor", severity="P3", significant_impact=False)
    client = cast.api("alice")
    assert ok(client.get(f"{API}/incidents/{forgotten.pk}"))["overdue"] is True
    assert ok(client.get(f"{API}/incidents/{fine.pk}"))["overdue"] is False


def test_malformed_ids_and_text_get_json_errors_not_tracebacks(cast: Cast) -> None:
    client = cast.api("alice")
    assert client.get(f"{API}/incidents/abc").json()["errors"][0]["loc"] == ["path", "incident_id"]
    assert client.get(f"{API}/incidents/{2**64}").status_code == 422
    assert client.get(f"{API}/incidents?team={2**64}").status_code == 422
    assert ok(client.get(f"{API}/incidents?q=a%00b"))["count"] == 0
    errors = field_errors(client.post_json(f"{API}/incidents", new_incident(cast, title="a\x00b")))
    assert "NUL" in errors["title"]
    response = client.post(f"{API}/incidents", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]
