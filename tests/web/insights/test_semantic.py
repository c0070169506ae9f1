"""Repeat suggestions by meaning, behind INSIGHTS_SEMANTIC and the "semantic" extra (issue 6)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner
from django.core import checks
from django.utils import timezone

from followthrough.cli import main
from followthrough.core import repeats as core
from followthrough.core import semantic as engine
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import repeats, semantic
from followthrough.web.insights.models import IncidentEmbedding

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast


def _require_extra() -> None:
    if not engine.available():
        reason = f"The semantic extra is not installed ({engine.INSTALL_HINT})."
        if os.environ.get("FOLLOWTHROUGH_REQUIRE_SEMANTIC") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def on(settings: Any) -> Iterator[None]:
    _require_extra()
    settings.INSIGHTS_SEMANTIC = True
    semantic.changed()  # rows of earlier tests were rolled back: read the matrix afresh
    yield
    semantic.changed()


def _earlier(cast: Cast, team: Any = None) -> dict[str, Incident]:
    return {
        "dns": cast.incident(
            team,
            title="Site down",
            failure_mode="DNS record deleted by mistake",
            failure_tags=["dns"],
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
        "pool": cast.incident(
            title="Orders API returned 500s",
            failure_mode="connection pool exhaustion on orders-db",
            failure_tags=["database", "connection-pool"],
        ),
    }


def _paraphrase(cast: Cast) -> Incident:
    # not one content word in common with "Site down / DNS record deleted by mistake / dns"
    return cast.incident(
        title="Website unreachable", failure_mode="domain name entry removed accidentally"
    )


def test_with_the_semantic_mode_on_a_paraphrased_failure_mode_is_suggested_that_shares_no_words(
    cast: Cast, on: None
) -> None:
    earlier = _earlier(cast)
    new = _paraphrase(cast)
    found = ok(cast.api("bob").get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert [s["incident"]["id"] for s in found] == [earlier["dns"].pk]
    assert found[0]["engine"] == "meaning"
    assert semantic.THRESHOLD <= found[0]["score"] <= 1
    page = cast.browser(cast.bob).get(f"/incidents/{new.pk}/similar/")
    assert page.status_code == 200
    assert b"by meaning" in page.content


def test_a_match_by_shared_words_keeps_its_engine_and_the_higher_score_wins(
    cast: Cast, on: None
) -> None:
    earlier = _earlier(cast)
    new = cast.incident(
        title="Checkout failing for EU customers",
        failure_mode="orders-db ran out of database connections in the pool",
        failure_tags=["database"],
    )
    found = repeats.similar_incidents(new, cast.bob)
    assert found[0].incident == earlier["pool"]
    by_words = core.score(repeats.signature_of(new), repeats.signature_of(earlier["pool"]))
    assert found[0].score >= by_words
    assert found[0].engine in {"words", "meaning"}
    assert earlier["dns"].pk not in {s.incident.pk for s in found}


def test_the_semantic_mode_off_leaves_suggestions_as_they_were(cast: Cast, settings: Any) -> None:
    settings.INSIGHTS_SEMANTIC = False
    _earlier(cast)
    new = _paraphrase(cast)
    assert ok(cast.api("bob").get(f"{API}/incidents/{new.pk}/similar"))["items"] == []
    later = cast.incident(
        title="Orders API 500s once more",
        failure_mode="orders-db ran out of database connections in the pool",
    )
    found = ok(cast.api("bob").get(f"{API}/incidents/{later.pk}/similar"))["items"]
    assert found and {s["engine"] for s in found} == {"words"}
    assert not IncidentEmbedding.objects.exists()


def test_a_security_incident_found_by_meaning_is_still_hidden_from_an_outsider(
    cast: Cast, on: None
) -> None:
    secret = _earlier(cast, cast.security)["dns"]
    new = _paraphrase(cast)
    seen_by_bob = ok(cast.api("bob").get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert secret.pk not in {s["incident"]["id"] for s in seen_by_bob}
    seen_by_dana = ok(cast.api("dana").get(f"{API}/incidents/{new.pk}/similar"))["items"]
    assert [(s["incident"]["id"], s["engine"]) for s in seen_by_dana] == [(secret.pk, "meaning")]


def test_a_deleted_incident_found_by_meaning_is_not_suggested(cast: Cast, on: None) -> None:
    earlier = _earlier(cast)
    new = _paraphrase(cast)
    assert [s.incident for s in repeats.similar_incidents(new, cast.bob)] == [earlier["dns"]]
    now = timezone.now()
    Incident.all_objects.filter(pk=earlier["dns"].pk).update(deleted_at=now, updated_at=now)
    assert repeats.similar_incidents(new, cast.bob) == []
    assert not IncidentEmbedding.objects.filter(incident_id=earlier["dns"].pk).exists()


def test_a_rejected_pair_found_by_meaning_is_not_suggested_again(cast: Cast, on: None) -> None:
    earlier = _earlier(cast)
    new = _paraphrase(cast)
    ok(
        cast.api("bob").put_json(
            f"{API}/incidents/{new.pk}/similar/{earlier['dns'].pk}", {"decision": "rejected"}
        )
    )
    assert repeats.similar_incidents(new, cast.bob) == []


def test_an_edit_is_embedded_again_by_the_catch_up(cast: Cast, on: None) -> None:
    earlier = _earlier(cast)
    new = _paraphrase(cast)
    assert repeats.similar_incidents(new, cast.bob)
    before = bytes(IncidentEmbedding.objects.get(incident=earlier["dns"]).vector)
    Incident.objects.filter(pk=earlier["dns"].pk).update(
        title="Batch job slow",
        failure_mode="nightly report query missing an index",
        failure_tags=[],
        updated_at=timezone.now(),
    )
    assert repeats.similar_incidents(new, cast.bob) == []
    assert bytes(IncidentEmbedding.objects.get(incident=earlier["dns"]).vector) != before


def test_embeddings_survive_the_rebuild_command(cast: Cast, on: None) -> None:
    earlier = _earlier(cast)
    IncidentEmbedding.objects.all().delete()
    result = CliRunner().invoke(main, ["insights", "rebuild"])
    assert result.exit_code == 0, result.output
    assert IncidentEmbedding.objects.count() == Incident.objects.count() == 4
    stored = IncidentEmbedding.objects.get(incident=earlier["dns"])
    assert len(bytes(stored.vector)) == engine.DIMENSIONS * 4
    new = _paraphrase(cast)
    found = repeats.similar_incidents(new, cast.bob)
    assert [(s.incident, s.engine) for s in found] == [(earlier["dns"], "meaning")]


def test_a_rebuild_with_the_semantic_mode_off_drops_the_embeddings(
    cast: Cast, on: None, settings: Any
) -> None:
    _earlier(cast)
    repeats.rebuild()
    assert IncidentEmbedding.objects.count() == 4
    settings.INSIGHTS_SEMANTIC = False
    repeats.rebuild()
    assert not IncidentEmbedding.objects.exists()


def test_the_check_refuses_the_semantic_mode_when_the_extra_is_missing(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.INSIGHTS_SEMANTIC = True
    monkeypatch.setattr(engine, "available", lambda: False)
    errors = [e for e in checks.run_checks() if e.id == "followthrough.E201"]
    assert len(errors) == 1
    assert "followthrough[semantic]" in (errors[0].hint or "")
    settings.INSIGHTS_SEMANTIC = False
    assert not [e for e in checks.run_checks() if e.id == "followthrough.E201"]


def test_a_look_up_reuses_the_stored_vector_and_embeds_an_unsaved_edit_afresh(
    cast: Cast, on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = _earlier(cast)
    new = _paraphrase(cast)
    repeats.catch_up()
    calls: list[int] = []
    real = semantic.embed

    def counted(texts: Any) -> list[bytes]:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(semantic, "embed", counted)
    semantic._query_cache.clear()
    assert [s.incident for s in repeats.similar_incidents(new, cast.bob)] == [earlier["dns"]]
    assert calls == []
    new.failure_mode = "nightly report query missing an index"
    new.title = "Batch job slow"
    assert repeats.similar_incidents(new, cast.bob) == []
    assert calls == [1]


def test_turned_off_and_on_again_the_semantic_mode_embeds_what_changed_meanwhile(
    cast: Cast, on: None, settings: Any
) -> None:
    earlier = _earlier(cast)
    repeats.catch_up()
    assert IncidentEmbedding.objects.count() == 4
    settings.INSIGHTS_SEMANTIC = False
    Incident.objects.filter(pk=earlier["cert"].pk).update(
        title="Renamed", updated_at=timezone.now()
    )
    repeats.catch_up()
    assert not IncidentEmbedding.objects.filter(incident=earlier["cert"]).exists()
    settings.INSIGHTS_SEMANTIC = True
    repeats.catch_up()
    assert IncidentEmbedding.objects.count() == 4
