"""The seed's "Prioritizing Action Items": likelihood, severity, effort -> what to do."""

from __future__ import annotations

from itertools import product

import pytest

from followthrough.core.priority import Bucket, Priority, priority

RATINGS = range(1, 6)
ALL = list(product(RATINGS, RATINGS, RATINGS))
HIGH = (4, 5)
LOW = (1, 2)


def test_high_likelihood_high_severity_and_low_effort_means_do_it_now() -> None:
    assert priority(5, 5, 1).bucket is Bucket.DO_NOW
    assert Bucket.DO_NOW == "do it now"
    for likelihood, severity, effort in product(HIGH, HIGH, LOW):
        assert priority(likelihood, severity, effort).bucket is Bucket.DO_NOW


def test_low_likelihood_low_severity_and_high_effort_means_do_not_bother() -> None:
    assert priority(1, 1, 5).bucket is Bucket.DO_NOT_BOTHER
    assert Bucket.DO_NOT_BOTHER == "do not bother"
    for likelihood, severity, effort in product(LOW, LOW, HIGH):
        assert priority(likelihood, severity, effort).bucket is Bucket.DO_NOT_BOTHER


@pytest.mark.parametrize(
    ("ratings", "bucket", "score"),
    [
        ((4, 4, 2), Bucket.DO_NOW, 8.0),
        ((5, 5, 1), Bucket.DO_NOW, 25.0),
        ((4, 3, 3), Bucket.NEXT, 4.0),
        ((5, 5, 4), Bucket.NEXT, 6.25),
        ((3, 3, 4), Bucket.PLAN, 2.25),
        ((5, 2, 5), Bucket.PLAN, 2.0),
        ((3, 2, 4), Bucket.LATER, 1.5),
        ((1, 5, 4), Bucket.LATER, 1.25),
        ((2, 2, 4), Bucket.DO_NOT_BOTHER, 1.0),
        ((1, 1, 5), Bucket.DO_NOT_BOTHER, 0.2),
        ((5, 5, 3), Bucket.DO_NOW, 8.33),
    ],
)
def test_the_documented_table_holds(
    ratings: tuple[int, int, int], bucket: Bucket, score: float
) -> None:
    assert priority(*ratings) == Priority(bucket, score)


def test_more_likely_more_severe_or_less_effort_never_lowers_the_priority() -> None:
    for likelihood, severity, effort in ALL:
        here = priority(likelihood, severity, effort)
        neighbours = []
        if likelihood < 5:
            neighbours.append(priority(likelihood + 1, severity, effort))
        if severity < 5:
            neighbours.append(priority(likelihood, severity + 1, effort))
        if effort > 1:
            neighbours.append(priority(likelihood, severity, effort - 1))
        for more_urgent in neighbours:
            assert more_urgent.score >= here.score, (likelihood, severity, effort)
            assert more_urgent.bucket.rank >= here.bucket.rank, (likelihood, severity, effort)


def test_a_higher_score_never_sits_in_a_lower_bucket() -> None:
    results = sorted(priority(*ratings) for ratings in ALL)
    ranks = [result.bucket.rank for result in results]
    assert ranks == sorted(ranks)


def test_every_bucket_is_reachable() -> None:
    assert {priority(*ratings).bucket for ratings in ALL} == set(Bucket)


def test_priorities_sort_by_score_most_urgent_last() -> None:
    items = [priority(1, 1, 5), priority(5, 5, 1), priority(3, 3, 3)]
    assert [p.bucket for p in sorted(items, reverse=True)] == [
        Bucket.DO_NOW,
        Bucket.PLAN,
        Bucket.DO_NOT_BOTHER,
    ]
    assert priority(3, 3, 3) > priority(1, 1, 5)
    assert priority(2, 3, 1) <= priority(3, 2, 1)


def test_buckets_rank_from_do_it_now_down_to_do_not_bother() -> None:
    assert [bucket.rank for bucket in Bucket] == [4, 3, 2, 1, 0]


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ((0, 3, 3), "likelihood must be a whole number from 1 to 5; got 0."),
        ((3, 6, 3), "severity must be a whole number from 1 to 5; got 6."),
        ((3, 3, -1), "effort must be a whole number from 1 to 5; got -1."),
        ((2.5, 3, 3), "likelihood must be a whole number from 1 to 5; got 2.5."),
        ((3, "4", 3), "severity must be a whole number from 1 to 5; got '4'."),
        ((3, 3, True), "effort must be a whole number from 1 to 5; got True."),
    ],
)
def test_a_rating_outside_one_to_five_is_a_clear_error(
    ratings: tuple[object, object, object], message: str
) -> None:
    with pytest.raises(ValueError) as error:
        priority(*ratings)  # type: ignore[arg-type]
    assert str(error.value) == message
