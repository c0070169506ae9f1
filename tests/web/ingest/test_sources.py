"""Configuring sources in the API and the pages: leads and admins only, secrets write-only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import IngestSource, Kind

from ..api.conftest import field_errors, ok
from .conftest import PD_SECRET, make_source

if TYPE_CHECKING:
    from conftest import Cast

API = "/api/v1/ingest/sources"
NEW_SECRET = "a-brand-new-signing-secret-42"


def body(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Checkout PagerDuty",
        "kind": "pagerduty",
        "team_id": cast.payments.pk,
        "routing": [{"field": "service", "value": "PF9KMXH", "team_id": cast.payments.pk}],
        "severity_map": {"P3": "P1"},
        "secret": NEW_SECRET,
        **changes,
    }


def test_a_lead_creates_a_source_and_the_secret_comes_back_only_as_secret_set(
    cast: Cast,
) -> None:
    response = cast.api("alice").post_json(API, body(cast))
    created = ok(response, 201)
    assert created["secret_set"] is True
    assert "secret" not in created
    assert NEW_SECRET not in response.content.decode()
    assert created["endpoint_url"].endswith(f"/ingest/pagerduty/{created['id']}/")
    source = IngestSource.objects.get(pk=created["id"])
    assert source.secret == NEW_SECRET
    for answer in (
        cast.api("alice").get(API),
        cast.api("alice").get(f"{API}/{source.pk}"),
        cast.api("admin").get(API),
    ):
        assert NEW_SECRET not in answer.content.decode()
        assert ok(answer)


def test_the_history_of_a_source_says_a_secret_is_set_never_what_it_is(cast: Cast) -> None:
    created = ok(cast.api("alice").post_json(API, body(cast)), 201)
    ok(cast.api("alice").patch_json(f"{API}/{created['id']}", {"secret": "rotated-secret-99"}))
    source = IngestSource.objects.get(pk=created["id"])
    assert source.secret == "rotated-secret-99"
    changes = history_of(source)
    dumped = json.dumps([[c.before, c.after] for c in changes])
    assert NEW_SECRET not in dumped and "rotated-secret-99" not in dumped
    assert changes.first().changed_fields()["secret"] == ("set", "replaced")  # type: ignore[union-attr]


def test_patch_without_a_secret_keeps_it(cast: Cast) -> None:
    created = ok(cast.api("alice").post_json(API, body(cast)), 201)
    ok(cast.api("alice").patch_json(f"{API}/{created['id']}", {"enabled": False}))
    source = IngestSource.objects.get(pk=created["id"])
    assert source.secret == NEW_SECRET
    assert source.enabled is False


def test_editors_and_outsiders_cannot_configure_sources(cast: Cast) -> None:
    assert cast.api("bob").post_json(API, body(cast)).status_code == 403
    assert cast.api("charlie").post_json(API, body(cast)).status_code == 403
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    refusal = "Only admins and leads of Payments configure its sources."
    for name in ("bob", "vera", "charlie", "dana"):
        assert ok(cast.api(name).get(f"{API}/{source.pk}"), 403)["detail"] == refusal
        assert ok(cast.api(name).patch_json(f"{API}/{source.pk}", {"enabled": False}), 403)
        assert ok(cast.api(name).delete(f"{API}/{source.pk}"), 403)
        assert ok(cast.api(name).get(API))["items"] == []
    source.refresh_from_db()
    assert source.enabled is True


def test_a_source_of_a_team_you_cannot_see_is_not_found(cast: Cast) -> None:
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    IngestSource.objects.filter(pk=source.pk).update(team=cast.security)
    missing = f"There is no incident source with id {source.pk}."
    for name in ("alice", "bob", "charlie"):
        assert ok(cast.api(name).get(f"{API}/{source.pk}"), 404)["detail"] == missing
        assert ok(cast.api(name).delete(f"{API}/{source.pk}"), 404)["detail"] == missing
    assert ok(cast.api("dana").get(f"{API}/{source.pk}"))["team_id"] == cast.security.pk


def test_a_lead_cannot_route_incidents_to_a_team_they_do_not_edit(cast: Cast) -> None:
    rules = [{"field": "service", "value": "PSECURE1", "team_id": cast.security.pk}]
    errors = field_errors(cast.api("alice").post_json(API, body(cast, routing=rules)))
    assert "Security" in errors["routing"]
    ok(cast.api("admin").post_json(API, body(cast, routing=rules)), 201)


def test_bad_configuration_is_a_field_error(cast: Cast) -> None:
    api = cast.api("alice")
    assert "secret" in field_errors(api.post_json(API, body(cast, secret="short")))
    assert "severity_map.P3" in field_errors(
        api.post_json(API, body(cast, severity_map={"P3": "P9"}))
    )
    tag_rule = [{"field": "tag", "value": "db", "team_id": cast.payments.pk}]
    assert "routes by" in field_errors(api.post_json(API, body(cast, routing=tag_rule)))["routing"]
    assert "kind" in field_errors(api.post_json(API, body(cast, kind="nagios")))
    assert "team_id" in field_errors(api.post_json(API, body(cast, team_id=cast.security.pk)))


def test_deleting_a_source_keeps_its_incidents(cast: Cast) -> None:
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    incident = cast.incident()
    source.incidents.create(external_id="Q1", incident=incident, last_event_at=incident.resolved_at)
    assert cast.api("alice").delete(f"{API}/{source.pk}").status_code == 204
    assert not IngestSource.objects.filter(pk=source.pk).exists()
    assert Incident.objects.filter(pk=incident.pk).exists()


# --- pages ---------------------------------------------------------------------------------


def test_the_source_pages_show_the_endpoint_but_never_the_secret(cast: Cast) -> None:
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    browser = cast.browser(cast.alice)
    listing = browser.get("/sources/")
    assert listing.status_code == 200
    assert f"/ingest/pagerduty/{source.pk}/" in listing.content.decode()
    page = browser.get(f"/sources/{source.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/ingest/pagerduty/{source.pk}/" in html
    assert "Generic Webhooks (v3)" in html
    assert "A secret is set" in html
    assert PD_SECRET not in html
    assert PD_SECRET not in listing.content.decode()


def test_a_lead_creates_a_source_in_the_page_with_routing_lines(cast: Cast) -> None:
    browser = cast.browser(cast.alice)
    response = browser.post(
        "/sources/new/",
        {
            "name": "Payments Opsgenie",
            "kind": "opsgenie",
            "team": cast.payments.pk,
            "new_secret": "opsgenie-token-123456",
            "routing_rules": "tag:checkout = payments\n# comment\nteam:Payments = payments",
            "severity_mapping": "P2 = P1\n* = P3",
            "enabled": "on",
        },
    )
    source = IngestSource.objects.get(name="Payments Opsgenie")
    assert response.status_code == 302
    assert source.routing == [
        {"field": "tag", "value": "checkout", "team_id": cast.payments.pk},
        {"field": "team", "value": "Payments", "team_id": cast.payments.pk},
    ]
    assert source.severity_map == {"P2": "P1", "*": "P3"}
    assert source.secret == "opsgenie-token-123456"
    assert source.severity_for(["P2"]) == "P1"
    assert source.severity_for([]) == "P3"


def test_the_page_form_explains_bad_lines_and_saves_nothing(cast: Cast) -> None:
    browser = cast.browser(cast.alice)
    response = browser.post(
        "/sources/new/",
        {
            "name": "Broken",
            "kind": "pagerduty",
            "team": cast.payments.pk,
            "new_secret": "",
            "routing_rules": "service PF9KMXH payments",
            "severity_mapping": "P1 = P7",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 1: write field:value = team-slug" in html
    assert "severities are P0, P1, P2 and P3" in html
    assert "Set a secret" in html
    assert not IngestSource.objects.exists()


def test_editing_with_an_empty_secret_keeps_the_secret(cast: Cast) -> None:
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    browser = cast.browser(cast.alice)
    response = browser.post(
        f"/sources/{source.pk}/",
        {"name": "Renamed", "team": cast.payments.pk, "new_secret": "", "enabled": "on"},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.name == "Renamed"
    assert source.secret == PD_SECRET


def test_people_who_lead_no_team_cannot_open_the_source_pages(cast: Cast) -> None:
    source = make_source(cast, Kind.PAGERDUTY, PD_SECRET)
    for user in (cast.bob, cast.charlie):
        browser = cast.browser(user)
        assert browser.get("/sources/").status_code == 403
        assert browser.get("/sources/new/").status_code == 403
        assert browser.get(f"/sources/{source.pk}/").status_code == 404
    dana = cast.browser(cast.dana)  # leads Security, not Payments
    assert dana.get(f"/sources/{source.pk}/").status_code == 404
    assert "Incident sources" in dana.get("/sources/").content.decode()
