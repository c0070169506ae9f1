"""Fixtures for the insights tests: March 2026 at Payments, with numbers checked by hand.

Payments, incidents that started in March 2026 (all resolved Mon 2 March, 15:00 UTC):

- A "Checkout 502" P1 with significant impact: postmortem required; closed 48 hours after
  resolution; finalised on time. Action items: done on time, done late, deprioritised.
- B "Checkout 502 again" P2, repeat of A: required (repeat rule); postmortem in draft, not
  final (overdue). No action items.
- C "Search slow" P3: no postmortem needed, none written.
- D "Ledger down" P0: required; postmortem final, finalised late; one open action item.

So: repeat rate 1/4, completion 1/3 (A closed of A, B, D), actions completed 2/3 (the
deprioritised one left out), on time 1/2, document final on time 1/3, resolution to close
48 h. Security (private) has one P0 in March that only dana and the admin may see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

API = "/api/v1"
RESOLVED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OPENED = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
MARCH = {"period": "month", "from": "2026-01-01", "to": "2026-06-30"}


@pytest.fixture(autouse=True)
def _catch_up_every_time(settings: Any) -> None:
    """Tests change rows with UPDATEs and look at once: no catch-up throttling."""
    settings.INSIGHTS_CATCH_UP_SECONDS = 0
    settings.INSIGHTS_SIMILARITY_CATCH_UP_SECONDS = 0


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:2000])
    json_types = ("application/json", "application/problem+json")
    return response.json() if response["Content-Type"].startswith(json_types) else None


def _postmortem(cast: Cast, incident: Incident, **fields: Any) -> Postmortem:
    postmortem = start_postmortem(incident, cast.alice)
    if fields:
        Postmortem.objects.filter(pk=postmortem.pk).update(**fields)
        postmortem.refresh_from_db()
    return postmortem


@pytest.fixture
def march(cast: Cast) -> dict[str, Any]:
    a = cast.incident(
        title="Checkout returned 502 for EU customers",
        failure_mode="connection pool exhaustion on orders-db",
        failure_tags=["database", "pool"],
    )
    b = cast.incident(
        title="Checkout 502 again",
        severity="P2",
        significant_impact=False,
        repeat_of=a,
        failure_mode="orders-db ran out of database connections in the pool",
        started_at=RESOLVED - timedelta(hours=1),
    )
    c = cast.incident(
        title="Search results slow",
        severity="P3",
        significant_impact=False,
        failure_mode="search index rebuilt during peak traffic",
    )
    d = cast.incident(title="Ledger down", severity="P0", significant_impact=False)
    pa = _postmortem(
        cast,
        a,
        status="closed",
        finalized_at=RESOLVED + timedelta(days=2),
        closed_at=RESOLVED + timedelta(hours=48),
    )
    pb = _postmortem(cast, b)
    pd = _postmortem(cast, d, status="final", finalized_at=RESOLVED + timedelta(days=18))
    due = date(2026, 3, 10)
    items = {
        "on_time": ActionItem.objects.create(
            postmortem=pa,
            title="Alert when the orders-db pool is 80% used for 5 minutes",
            owner=cast.ivan,
            due_date=due,
            status="done",
            done_at=datetime(2026, 3, 9, 12, tzinfo=UTC),
        ),
        "late": ActionItem.objects.create(
            postmortem=pa,
            title="Cap connections per client at 20",
            owner=cast.rita,
            due_date=due,
            status="done",
            done_at=datetime(2026, 3, 12, 12, tzinfo=UTC),
        ),
        "dropped": ActionItem.objects.create(
            postmortem=pa,
            title="Rewrite the batch job",
            owner=cast.rita,
            due_date=due,
            status="deprioritised",
            deprioritised_reason="The batch job is retired in April.",
        ),
        "open": ActionItem.objects.create(
            postmortem=pd, title="Second ledger replica", owner=cast.ivan, due_date=due
        ),
    }
    ActionItem.objects.filter(pk=items["open"].pk).update(created_at=OPENED)
    secret = cast.incident(cast.security, title="Secret key leaked", severity="P0", commander=None)
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "pa": pa,
        "pb": pb,
        "pd": pd,
        "items": items,
        "secret": secret,
    }


#: reads a page a second time: ``(browser, url, at most this many queries)`` -> its body and
#: the SQL of its queries
SecondRead = Callable[[Any, str, int], tuple[str, list[str]]]


@pytest.fixture
def second_read(settings: Any, django_assert_max_num_queries: Any) -> SecondRead:
    """A page read twice, the second read's queries counted: the first catches the
    similarity index up and fills Django's caches, as a server's first request does."""

    def read(browser: Any, url: str, limit: int) -> tuple[str, list[str]]:
        settings.INSIGHTS_SIMILARITY_CATCH_UP_SECONDS = 3600  # caught up by the first read
        browser.get(url)
        with django_assert_max_num_queries(limit) as page:
            body = browser.get(url).content.decode()
        return body, [q["sql"] for q in page.captured_queries]

    return read
