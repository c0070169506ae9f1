"""Repeat incidents: "If the same failure mode recurs, the postmortem failed." (seed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from click.testing import CliRunner

from followthrough.cli import main
from followthrough.core import repeats as core_repeats
from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import repeats
from followthrough.web.insights.models import (
    IncidentSignature,
    IndexState,
    RepeatDecision,
    SignatureBand,
)

from .conftest import API, SecondRead, ok

if TYPE_CHECKING:
    from conftest import Cast


def _earlier(cast: Cast) -> dict[str, Incident]:
    """Three earlier incidents: the pool exhaustion, and two unrelated ones."""
    return {
        "pool": cast.incident(
            title="Orders API returned 500s",
            failure_mode="connection pool exhaustion on orders-db",
            failure_tags=["database", "connection-pool"],
            summary="A batch job held every orders-db connection for twenty minutes.",
        ),
        "cert": cast.incident(
            title="TLS certificate expired on the public API",
            failure_mode="certificate expiry not monitored",
            failure_tags=["tls"],
        ),
        "search": cast.incident(
            title="Search results stale for two hours",
            failure_mode="search index not refreshed after deploy",
            failure_tags=["search"],
        ),
    }


def _new(cast: Cast, **fields: Any) -> Incident:
    defaults = {
        "title": "Checkout failing for EU customers",
        "failure_mode": "orders-db ran out of database connections in the pool",
        "failure_tags": ["database"],
    }
    return cast.incident(**{**defaults, **fields})


def test_the_same_failure_mode_worded_differently_ranks_first_with_a_score(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    found = ok(cast.api("bob").get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert found, "the pool exhaustion should be suggested"
    assert found[0]["incident"]["id"] == earlier["pool"].pk
    assert 0.3 <= found[0]["score"] <= 1
    assert found[0]["decision"] is None
    ids = {s["incident"]["id"] for s in found}
    assert earlier["cert"].pk not in ids and earlier["search"].pk not in ids


def test_only_earlier_incidents_are_suggested(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    found = ok(cast.api("bob").get(f"{API}/incidents/{earlier['pool'].pk}/similar"))["items"]
    assert new.pk not in {s["incident"]["id"] for s in found}


def test_confirming_marks_a_repeat_and_the_policy_then_requires_a_postmortem(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast, severity="P3", significant_impact=False)
    api = cast.api("bob")
    before = ok(api.get(f"{API}/incidents/{new.pk}"))
    assert before["policy"]["decision"] == "not_required"
    decision = ok(
        api.put_json(
            f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}",
            {"decision": "confirmed", "note": "Same pool, same batch job."},
        )
    )
    assert decision["decision"] == "confirmed" and decision["decided_by"] == "bob"
    after = ok(api.get(f"{API}/incidents/{new.pk}"))
    assert after["repeat_of_id"] == earlier["pool"].pk
    assert after["policy"]["decision"] == "required"
    assert any(r.startswith("Repeat incident") for r in after["policy"]["reasons"])
    # the earlier incident's postmortem failed to prevent this one
    later = ok(api.get(f"{API}/incidents/{earlier['pool'].pk}/repeats"))["items"]
    assert [i["id"] for i in later] == [new.pk]
    # the change is in the incident's history, with who made it
    change = history_of(new).first()
    assert change is not None and change.actor == cast.bob
    assert "confirmed a repeat of" in change.note
    # still shown, marked confirmed
    found = ok(api.get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert found[0]["decision"]["decision"] == "confirmed"


def test_a_rejected_suggestion_is_kept_and_not_suggested_again(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    api = cast.api("bob")
    ok(
        api.put_json(
            f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}",
            {"decision": "rejected", "note": "Different pool."},
        )
    )
    kept = RepeatDecision.objects.get(incident=new, candidate=earlier["pool"])
    assert (kept.decision, kept.note, kept.decided_by) == ("rejected", "Different pool.", cast.bob)
    found = ok(api.get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert earlier["pool"].pk not in {s["incident"]["id"] for s in found}
    new.refresh_from_db()
    assert new.repeat_of_id is None


def test_rejecting_a_confirmed_repeat_unmarks_it(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    api = cast.api("bob")
    url = f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}"
    ok(api.put_json(url, {"decision": "confirmed"}))
    ok(api.put_json(url, {"decision": "rejected"}))
    new.refresh_from_db()
    assert new.repeat_of_id is None
    assert RepeatDecision.objects.filter(incident=new).count() == 1


def test_a_rejected_pair_is_found_among_the_decisions_and_withdrawn_is_suggested_again(
    cast: Cast,
) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    api = cast.api("bob")
    pair = f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}"
    ok(api.put_json(pair, {"decision": "rejected", "note": "Different pool."}))
    decisions = ok(api.get(f"{API}/incidents/{new.pk}/similar/decisions?decision=rejected"))
    assert decisions["count"] == 1
    [found] = decisions["items"]
    assert (found["candidate_id"], found["decision"], found["note"], found["decided_by"]) == (
        earlier["pool"].pk,
        "rejected",
        "Different pool.",
        "bob",
    )
    assert ok(api.get(f"{API}/incidents/{new.pk}/similar/decisions?decision=confirmed")) == {
        "items": [],
        "count": 0,
        "limit": 50,
        "offset": 0,
        "next": None,
    }
    withdrawn = api.delete(pair)
    assert withdrawn.status_code == 204 and withdrawn.content == b""
    assert not RepeatDecision.objects.filter(incident=new).exists()
    suggested = ok(api.get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert earlier["pool"].pk in {s["incident"]["id"] for s in suggested}
    again = api.delete(pair)
    assert again.status_code == 404
    assert again.json()["type"] == "urn:followthrough:problem:not-found"


def test_withdrawing_a_confirmed_repeat_unmarks_it_in_the_history(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    api = cast.api("bob")
    pair = f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}"
    ok(api.put_json(pair, {"decision": "confirmed"}))
    assert ok(api.get(f"{API}/incidents/{new.pk}"))["repeat_of_id"] == earlier["pool"].pk
    assert api.delete(pair).status_code == 204
    assert ok(api.get(f"{API}/incidents/{new.pk}"))["repeat_of_id"] is None
    change = history_of(new).first()
    assert change is not None and change.actor == cast.bob
    assert "withdrew the repeat of" in change.note


def test_a_viewer_cannot_withdraw_and_an_outsider_sees_no_decisions(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    pair = f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}"
    ok(cast.api("bob").put_json(pair, {"decision": "rejected"}))
    refused = cast.api("vera").delete(pair)
    assert refused.status_code == 403
    assert RepeatDecision.objects.filter(incident=new).exists()
    # a decision naming an incident the reader may not see is not listed
    secret = cast.incident(cast.security, title="Orders API returned 500s", commander=None)
    repeats.decide_repeat(new, secret, "rejected", None)
    listed = ok(cast.api("vera").get(f"{API}/incidents/{new.pk}/similar/decisions"))
    assert [d["candidate_id"] for d in listed["items"]] == [earlier["pool"].pk]
    assert cast.api("vera").delete(f"{API}/incidents/{new.pk}/similar/{secret.pk}").status_code in (
        403,
        404,
    )


def test_a_viewer_cannot_confirm_and_outsiders_do_not_see_private_incidents(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    url = f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}"
    refused = cast.api("vera").put_json(url, {"decision": "confirmed"})
    assert refused.status_code == 403
    secret = cast.incident(
        cast.security,
        title="Orders API returned 500s",
        failure_mode="connection pool exhaustion on orders-db",
        commander=None,
    )
    later = _new(cast, title="Orders API 500s once more")
    seen_by_bob = ok(cast.api("bob").get(f"{API}/incidents/{later.pk}/similar"))["items"]
    assert secret.pk not in {s["incident"]["id"] for s in seen_by_bob}
    seen_by_dana = ok(cast.api("dana").get(f"{API}/incidents/{later.pk}/similar"))["items"]
    assert secret.pk in {s["incident"]["id"] for s in seen_by_dana}
    assert cast.api("charlie").get(f"{API}/incidents/{secret.pk}/similar").status_code == 404
    bad = cast.api("bob").put_json(
        f"{API}/incidents/{later.pk}/similar/{secret.pk}", {"decision": "confirmed"}
    )
    assert bad.status_code == 404


def test_bad_decisions_are_refused_with_a_reason(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    api = cast.api("bob")
    assert (
        api.put_json(
            f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}", {"decision": "maybe"}
        ).status_code
        == 422
    )
    itself = api.put_json(f"{API}/incidents/{new.pk}/similar/{new.pk}", {"decision": "rejected"})
    assert itself.status_code == 422
    assert "cannot repeat itself" in str(itself.json())
    ok(
        api.put_json(
            f"{API}/incidents/{new.pk}/similar/{earlier['pool'].pk}", {"decision": "confirmed"}
        )
    )
    loop = api.put_json(
        f"{API}/incidents/{earlier['pool'].pk}/similar/{new.pk}", {"decision": "confirmed"}
    )
    assert loop.status_code == 422
    assert "cannot repeat each other" in str(loop.json())


def test_an_edit_through_the_api_is_indexed_before_the_next_look_up(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast, failure_mode="", failure_tags=[], title="Something broke")
    api = cast.api("bob")
    assert ok(api.get(f"{API}/incidents/{new.pk}/similar"))["items"] == []
    current = ok(api.get(f"{API}/incidents/{new.pk}"))
    ok(
        api.patch_json(
            f"{API}/incidents/{new.pk}",
            {"version": current["version"], "failure_mode": "orders-db connection pool exhausted"},
        )
    )
    found = ok(api.get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert found and found[0]["incident"]["id"] == earlier["pool"].pk


def test_an_earlier_incident_changed_without_a_signal_is_found_once_the_catch_up_is_due(
    cast: Cast, settings: Any
) -> None:
    """The candidates are read before the catch-up is decided; a due catch-up that
    re-indexes something has them read again, a catch-up not yet due leaves them."""
    from django.utils import timezone

    earlier = _earlier(cast)
    new = _new(cast)
    assert [s.incident for s in repeats.similar_incidents(new, cast.bob)] == [earlier["pool"]]
    # a conditional UPDATE (as save_versioned makes) sends no signal
    Incident.objects.filter(pk=earlier["cert"].pk).update(
        failure_mode="orders-db ran out of database connections in the pool",
        failure_tags=["database"],
        updated_at=timezone.now(),
    )
    settings.INSIGHTS_SIMILARITY_CATCH_UP_SECONDS = 3600
    assert earlier["cert"] not in [s.incident for s in repeats.similar_incidents(new, cast.bob)]
    settings.INSIGHTS_SIMILARITY_CATCH_UP_SECONDS = 0
    assert earlier["cert"] in [s.incident for s in repeats.similar_incidents(new, cast.bob)]


def test_the_incident_page_panel_suggests_and_confirms(cast: Cast) -> None:
    earlier = _earlier(cast)
    new = _new(cast)
    browser = cast.browser(cast.bob)
    panel = browser.get(f"/incidents/{new.pk}/similar/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert 'id="similar-incidents"' in html and "<html" not in html
    assert earlier["pool"].key in html and earlier["cert"].key not in html
    response = browser.post(
        f"/incidents/{new.pk}/similar/{earlier['pool'].pk}/",
        {"decision": "confirmed"},
        HTTP_HX_REQUEST="true",
    )
    assert "Confirmed repeat" in response.content.decode()
    new.refresh_from_db()
    assert new.repeat_of_id == earlier["pool"].pk
    # the earlier incident's panel says its postmortem failed to prevent the new one
    page = browser.get(f"/incidents/{earlier['pool'].pk}/similar/").content.decode()
    assert "failed to prevent" in page and new.key in page
    # a viewer sees the suggestions but no buttons, and cannot post
    vera = cast.browser(cast.vera)
    assert "Not a repeat" not in vera.get(f"/incidents/{new.pk}/similar/").content.decode()
    assert (
        vera.post(
            f"/incidents/{new.pk}/similar/{earlier['cert'].pk}/", {"decision": "rejected"}
        ).status_code
        == 403
    )


def test_the_similar_incidents_page_reads_the_postmortem_with_the_incident(
    cast: Cast, second_read: SecondRead
) -> None:
    """Its root cause is compared and the panel names it: read in the incident's query, not
    once for each; when the index last caught up comes with the candidates (12 statements
    here, savepoints included; 15 before)."""
    from followthrough.web.postmortems.models import Postmortem
    from followthrough.web.postmortems.operations import start_postmortem

    earlier = _earlier(cast)
    new = _new(cast)
    postmortem = start_postmortem(new, cast.alice)
    Postmortem.objects.filter(pk=postmortem.pk).update(root_cause="orders-db pool too small")
    later = _new(cast, title="Checkout failing again", repeat_of=new)
    body, read = second_read(cast.browser(cast.bob), f"/incidents/{new.pk}/similar/", 12)
    assert "Its postmortem failed to prevent" in body and later.key in body
    assert earlier["pool"].key in body
    # a query's own table is the one its first column is of
    assert not [sql for sql in read if sql.startswith('SELECT "postmortems_postmortem".')]
    assert not [sql for sql in read if sql.startswith('SELECT "insights_indexstate".')]


def test_the_index_is_rebuilt_from_scratch_by_a_command(cast: Cast) -> None:
    earlier = _earlier(cast)
    SignatureBand.objects.all().delete()
    IncidentSignature.objects.all().delete()
    result = CliRunner().invoke(main, ["insights", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 incidents" in result.output
    assert IncidentSignature.objects.count() == 3
    assert SignatureBand.objects.filter(incident=earlier["pool"]).count() == core_repeats.BANDS
    new = _new(cast)
    found = repeats.similar_incidents(new, cast.bob)
    assert found[0].incident == earlier["pool"]


def test_the_incident_page_and_the_editor_load_the_insights_panels(cast: Cast) -> None:
    from followthrough.web.postmortems.operations import start_postmortem

    incident = _new(cast)
    start_postmortem(incident, cast.alice)
    browser = cast.browser(cast.bob)
    page = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'hx-get="/incidents/{incident.pk}/similar/"' in page
    assert f'href="/incidents/{incident.pk}/similar/"' in page  # works without JavaScript
    editor = browser.get(f"/incidents/{incident.pk}/postmortem/").content.decode()
    assert f'hx-get="/incidents/{incident.pk}/postmortem/copied/"' in editor
    assert "postmortem-changed from:body" in editor


def _partner_incidents(cast: Cast) -> tuple[Incident, Incident]:
    """Two written-up incidents of the partner API: its certificate expired; its pool was
    exhausted (the same service, another failure)."""
    expired = cast.incident(
        title="Partner API certificate expired",
        failure_mode="certificate expiry on partner-api",
        failure_tags=["tls"],
        summary="Partner calls were refused for three hours after the certificate expired.",
    )
    pool = cast.incident(
        title="Partner API returned 500s",
        failure_mode="connection pool exhaustion on partner-api",
        failure_tags=["database"],
        summary="Partner calls failed for 25 minutes while a slow query held every connection.",
    )
    return expired, pool


def test_the_same_failure_worded_differently_is_suggested_and_another_failure_is_not(
    cast: Cast,
) -> None:
    # "cert lapsed" after "certificate expiry": other words, other tenses, an abbreviation
    expired, pool = _partner_incidents(cast)
    lapsed = cast.incident(
        title="partner-api cert lapsed",
        failure_mode="TLS cert lapsed",
        failure_tags=["tls"],
        summary="Partners saw handshake errors for 40 minutes until a new one was installed.",
    )
    found = ok(cast.api("bob").get(f"{API}/incidents/{lapsed.pk}/similar"))["items"]
    ids = [s["incident"]["id"] for s in found]
    assert ids[:1] == [expired.pk]
    assert found[0]["score"] >= core_repeats.DEFAULT_THRESHOLD
    assert pool.pk not in ids


def test_an_incident_recorded_with_only_its_title_is_suggested_the_same_failure_written_up(
    cast: Cast,
) -> None:
    expired, pool = _partner_incidents(cast)
    lapsed = cast.incident(title="partner api cert lapsed")
    found = ok(cast.api("bob").get(f"{API}/incidents/{lapsed.pk}/similar"))["items"]
    assert [s["incident"]["id"] for s in found] == [expired.pk]
    assert pool.pk not in {s["incident"]["id"] for s in found}


def test_signatures_made_under_other_terms_are_made_again_at_the_next_look_up(cast: Cast) -> None:
    earlier = _earlier(cast)
    repeats.catch_up()
    stale = IncidentSignature.objects.get(incident=earlier["pool"])
    # as an older version of the terms would have left it: words that match nothing now
    IncidentSignature.objects.filter(pk=stale.pk).update(
        terms=core_repeats.pack([1, 2, 3]), mode_terms=core_repeats.pack([1, 2])
    )
    IndexState.objects.filter(name=repeats.INDEX).update(detail="terms v1")
    new = _new(cast)
    found = repeats.similar_incidents(new, cast.bob)
    assert found and found[0].incident == earlier["pool"]
    assert IndexState.objects.get(name=repeats.INDEX).detail == repeats.TERMS
