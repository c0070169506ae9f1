"""The repeat-incident signature of followthrough.core.repeats: plain data, no database."""

from __future__ import annotations

import pytest

from followthrough.core import repeats
from followthrough.core.repeats import IncidentText, signature


def _pool() -> IncidentText:
    return IncidentText(
        title="Orders API returned 500s",
        failure_mode="connection pool exhaustion on orders-db",
        tags=("database", "pool"),
    )


def _partner_cert_expired(root_cause: str = "") -> IncidentText:
    return IncidentText(
        title="Partner API certificate expired",
        failure_mode="certificate expiry on partner-api",
        tags=("tls",),
        summary="Partner calls were refused for three hours after the certificate expired.",
        root_cause=root_cause,
    )


def _partner_pool_exhausted() -> IncidentText:
    """The same service's other failure."""
    return IncidentText(
        title="Partner API returned 500s",
        failure_mode="connection pool exhaustion on partner-api",
        tags=("database",),
        summary="Partner calls failed for 25 minutes while a slow query held every connection.",
    )


def test_the_same_failure_mode_worded_differently_scores_high() -> None:
    reworded = IncidentText(
        title="Checkout failing",
        failure_mode="orders-db connections exhausted: the pool ran dry",
        tags=("db",),
    )
    unrelated = IncidentText(
        title="Search results stale",
        failure_mode="search index not refreshed after deploy",
        tags=("search",),
    )
    a = signature(_pool())
    assert repeats.score(a, signature(reworded)) >= repeats.DEFAULT_THRESHOLD
    assert repeats.score(a, signature(unrelated)) < 0.1
    assert repeats.score(a, a) == 1.0


def test_similar_incidents_share_lsh_buckets_and_unrelated_ones_do_not() -> None:
    a = signature(_pool())
    b = signature(
        IncidentText(
            title="Orders API returned 500s again",
            failure_mode="connection pool exhaustion on orders-db",
            tags=("database",),
        )
    )
    c = signature(
        IncidentText(title="TLS certificate expired", failure_mode="expiry not monitored")
    )
    assert len(a.buckets()) == repeats.BANDS
    assert set(a.buckets()) & set(b.buckets())
    assert not set(a.buckets()) & set(c.buckets())


def test_signatures_survive_being_stored_as_bytes() -> None:
    a = signature(_pool())
    back = repeats.stored(
        repeats.pack(a.terms), repeats.pack(a.mode_terms), repeats.pack_sketch(a.minhash)
    )
    assert back == a
    assert back.buckets() == a.buckets()


def test_an_incident_with_no_words_matches_nothing() -> None:
    empty = signature(IncidentText())
    assert empty.is_empty and empty.buckets() == []
    assert repeats.score(empty, signature(_pool())) == 0.0


def test_ranking_keeps_the_best_above_the_threshold() -> None:
    a = signature(_pool())
    same = signature(_pool())
    other = signature(IncidentText(title="Disk full on the log host"))
    ranked = repeats.rank(a, [(7, other), (3, same)], limit=5)
    assert [m.key for m in ranked] == [3]


def test_tenses_and_derived_forms_are_one_term() -> None:
    forms = ("exhausted", "exhaustion", "exhausting", "exhausts")
    assert len({repeats.terms(w) for w in forms}) == 1


def test_the_same_failure_worded_differently_passes_the_default_threshold() -> None:
    # "cert lapsed" / "certificate expiry": before the words were normalised this pair
    # scored 0.15 and the same service's pool exhaustion 0.19
    expired = _partner_cert_expired()
    lapsed = IncidentText(
        title="partner-api cert lapsed",
        failure_mode="TLS cert lapsed",
        tags=("tls",),
        summary="Partners saw handshake errors for 40 minutes until a new one was installed.",
    )
    pool = _partner_pool_exhausted()
    assert repeats.score(signature(expired), signature(lapsed)) >= repeats.DEFAULT_THRESHOLD
    assert repeats.score(signature(expired), signature(pool)) < repeats.DEFAULT_THRESHOLD
    assert repeats.score(signature(lapsed), signature(pool)) < repeats.DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "later",
    [
        # another tense, an abbreviation, the service written another way
        IncidentText(
            title="partner-api certs expiring",
            failure_mode="SSL cert expiring on partner-api",
            summary="Handshakes to the partner API failed until the cert was renewed.",
        ),
        # a perfect tense and no tags
        IncidentText(
            title="Partner API TLS certificate has expired",
            failure_mode="tls certificate has expired",
            summary="Partners could not connect until someone renewed it by hand.",
        ),
        # a derived noun ("expiration") and an abbreviation in the tags
        IncidentText(
            title="Cert expiration on the partner API",
            failure_mode="partner-api cert expiration",
            tags=("ssl",),
            summary="TLS handshakes failed for an hour.",
        ),
    ],
    ids=["expiring", "has-expired", "expiration"],
)
def test_a_certificate_expiry_in_other_tenses_and_abbreviations_is_suggested_and_a_pool_exhaustion_is_not(
    later: IncidentText,
) -> None:
    expired = _partner_cert_expired()
    pool = _partner_pool_exhausted()
    assert repeats.score(signature(later), signature(expired)) >= repeats.DEFAULT_THRESHOLD
    assert repeats.score(signature(later), signature(pool)) < repeats.DEFAULT_THRESHOLD


def test_an_incident_recorded_with_only_its_title_is_compared_by_its_title_as_its_failure_mode() -> (
    None
):
    # all words alone, "partner api cert lapsed" against the earlier write-up scored 0.44,
    # and 0.27 once that write-up had a root cause: the words the new incident has not
    # written yet counted against it
    lapsed = IncidentText(title="partner api cert lapsed")
    expired = _partner_cert_expired(
        root_cause="Nobody owned the renewal and no alert watched the expiry date."
    )
    pool = _partner_pool_exhausted()
    assert signature(lapsed).mode_terms == repeats.terms("partner api cert lapsed")
    assert repeats.score(signature(lapsed), signature(expired)) >= repeats.DEFAULT_THRESHOLD
    # the same service's other failure: as low as two written-up incidents of it (0.19)
    assert repeats.score(signature(lapsed), signature(pool)) <= 0.2
    assert repeats.score(signature(lapsed), signature(pool)) == repeats.score(
        signature(pool), signature(lapsed)
    )


def test_a_written_failure_mode_is_compared_and_the_title_is_not_put_in_its_place() -> None:
    written = IncidentText(title="Checkout failing", failure_mode="orders-db pool ran dry")
    assert signature(written).mode_terms == repeats.terms("orders-db pool ran dry")


def test_a_score_from_stored_bytes_equals_the_score_of_the_signatures() -> None:
    texts = [
        _pool(),
        IncidentText(title="Checkout failing", failure_mode="orders-db pool ran dry"),
        IncidentText(title="Orders API slow", summary="connection pool exhaustion again"),
        IncidentText(title="Disk full on the log host", root_cause="no alert on disk usage"),
        IncidentText(),
    ]
    for a in map(signature, texts):
        for b in map(signature, texts):
            stored_b = (repeats.pack(b.terms), repeats.pack(b.mode_terms))
            assert repeats.score_stored(a, *stored_b) == repeats.score(a, b)


def test_buckets_mix_each_band_number_into_its_value() -> None:
    a = signature(_pool())
    expected = [
        (v ^ ((band + 1) * 0x9E3779B97F4A7C15)) & ((1 << 63) - 1)
        for band, v in enumerate(a.minhash)
    ]
    assert repeats.ROWS == 1 and a.buckets() == expected
