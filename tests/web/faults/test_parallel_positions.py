"""Positioned lists under concurrency: parallel adds get distinct positions, parallel
reorders take turns (no deadlock, no 503), with real threads on the real database.

On PostgreSQL, 20 parallel why-adds gave duplicate positions (each read the same last
position) and 10 parallel reorders deadlocked (each updated the rows in its own order),
9 of them answering 503. Every change of a positioned list now takes the lock of its
postmortem first.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connections
from django.db.models.signals import post_save, pre_save

from followthrough.web.history.models import Change
from followthrough.web.postmortems.models import ContributingFactor, Postmortem, Why
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

from .conftest import postgres_only

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at once; their results, in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.fixture
def postmortem(cast: Cast) -> Postmortem:
    return start_postmortem(cast.incident(), cast.alice)


@pytest.fixture(autouse=True)
def slow_writes() -> Iterator[None]:
    """A busy database: each row written takes a moment, so parallel requests interleave
    between reading the list and writing it, as they do under load (on two cores the
    threads would otherwise often run one after another and hide the race)."""

    def pause(**kwargs: Any) -> None:
        time.sleep(0.03)

    for model in (Why, ContributingFactor):
        pre_save.connect(pause, sender=model, dispatch_uid=f"slow-{model.__name__}")
    post_save.connect(pause, sender=Change, dispatch_uid="slow-change")
    yield
    for model in (Why, ContributingFactor):
        pre_save.disconnect(sender=model, dispatch_uid=f"slow-{model.__name__}")
    post_save.disconnect(sender=Change, dispatch_uid="slow-change")


@postgres_only
def test_twenty_parallel_why_adds_get_twenty_distinct_positions(
    cast: Cast, postmortem: Postmortem
) -> None:
    url = f"/api/v1/postmortems/{postmortem.pk}/whys"

    def add(i: int) -> int:
        body = {"question": f"Why {i}?", "answer": f"Because {i}."}
        return int(cast.api("alice").post_json(url, body).status_code)

    statuses = in_parallel(20, add)
    assert statuses == [201] * 20, statuses
    positions = sorted(Why.objects.filter(postmortem=postmortem).values_list("position", flat=True))
    assert positions == list(range(20))


@postgres_only
def test_parallel_factor_adds_through_the_pages_get_distinct_positions(
    cast: Cast, postmortem: Postmortem
) -> None:
    url = f"/incidents/{postmortem.incident_id}/postmortem/factors/"

    def add(i: int) -> int:
        data = {"new-factor-kind": "tooling", "new-factor-description": f"Factor {i}"}
        return int(cast.browser(cast.bob).post(url, data, HTTP_HX_REQUEST="true").status_code)

    statuses = in_parallel(10, add)
    assert statuses == [200] * 10, statuses
    factors = ContributingFactor.objects.filter(postmortem=postmortem)
    assert sorted(factors.values_list("position", flat=True)) == list(range(10))


@postgres_only
def test_ten_parallel_reorders_take_turns_without_a_deadlock(
    cast: Cast, postmortem: Postmortem
) -> None:
    ids = [
        Why.objects.create(
            postmortem=postmortem, position=i, question=f"Why {i}?", answer="Because."
        ).pk
        for i in range(12)
    ]
    url = f"/api/v1/postmortems/{postmortem.pk}/whys/reorder"
    orders = [random.Random(seed).sample(ids, len(ids)) for seed in range(10)]

    def reorder(i: int) -> int:
        return int(cast.api("alice").post_json(url, {"order": orders[i]}).status_code)

    statuses = in_parallel(10, reorder)
    assert statuses == [200] * 10, statuses
    final = list(Why.objects.filter(postmortem=postmortem).values_list("pk", flat=True))
    assert final in orders  # one of the orders asked for, whole: the last to run
    positions = list(Why.objects.filter(postmortem=postmortem).values_list("position", flat=True))
    assert positions == list(range(12))


def test_every_model_with_a_position_is_a_list_changed_under_the_lock() -> None:
    """A new positioned list must be added to ``POSITIONED`` (and so changed only by
    ``append``, ``reorder`` and ``move``, which take the postmortem's lock first)."""
    from django.apps import apps

    from followthrough.web.postmortems.operations import POSITIONED

    positioned = {
        model
        for model in apps.get_models()
        if model.__module__.startswith("followthrough.")
        and any(f.name == "position" for f in model._meta.concrete_fields)
    }
    assert positioned == set(POSITIONED.values())
