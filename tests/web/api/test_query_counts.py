"""List endpoints do a fixed number of queries, however many rows they show."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.utils import timezone

from followthrough.web.accounts.models import Organisation
from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.security import API_COUNTS

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> None:
    """This process's API request counts reach the shared count every 20 requests (a few
    queries): start each test from none, so that write never falls inside a counted request
    because of how many requests the tests before it made in the same minute."""
    API_COUNTS.counts.clear()


@pytest.fixture
def twenty(cast: Cast) -> list[Postmortem]:
    """Twenty incidents, each with a postmortem, a meeting, responders and an action item."""
    Organisation.current()  # exists in every real installation
    postmortems = []
    for n in range(20):
        incident = cast.incident(title=f"Outage {n}", severity="P0" if n % 2 else "P2")
        postmortem = start_postmortem(incident, cast.alice)
        ActionItem.objects.create(
            postmortem=postmortem,
            title=f"Fix {n}",
            owner=cast.frank,
            due_date=timezone.localdate() - timedelta(days=n - 10),
        )
        postmortems.append(postmortem)
    return postmortems


def test_the_incident_list_does_not_query_per_row(
    cast: Cast, twenty: list[Postmortem], django_assert_max_num_queries: Any
) -> None:
    client = cast.api("alice")
    ok(client.get(f"{API}/teams"))  # the token's last use is recorded once, outside the count
    for query in ("", "?decision=required", "?overdue=true", "?status=draft&severity=P0"):
        with django_assert_max_num_queries(8, info=query):
            body = ok(client.get(f"{API}/incidents{query}"))
        assert body["items"], query


def test_a_list_read_whole_on_one_page_is_not_counted_apart(
    cast: Cast, twenty: list[Postmortem], django_assert_num_queries: Any
) -> None:
    """A page shorter than its limit is the last one: its count is the rows before it and on
    it. Overdue is judged in the page's own query."""
    client = cast.api("alice")
    ok(client.get(f"{API}/teams"))
    # the savepoint and its release, the token, then the page and its responders: in one
    # statement on PostgreSQL, in two on SQLite (incidents.schemas._responders_apart)
    page = 1 if connection.vendor == "postgresql" else 2
    with django_assert_num_queries(3 + page):
        body = ok(client.get(f"{API}/incidents"))
    assert (body["count"], len(body["items"]), body["next"]) == (20, 20, None)
    with django_assert_num_queries(4 + page):  # a full page: the count is asked for
        body = ok(client.get(f"{API}/incidents?limit=5&offset=5"))
    assert (body["count"], len(body["items"]), body["offset"]) == (20, 5, 5)
    with django_assert_num_queries(3 + page):
        body = ok(client.get(f"{API}/incidents?limit=15&offset=15"))
    assert (body["count"], len(body["items"]), body["next"]) == (20, 5, None)
    with django_assert_num_queries(5):  # past the end: nothing to prefetch, the count asked for
        body = ok(client.get(f"{API}/incidents?offset=40"))
    assert (body["count"], body["items"]) == (20, [])


def test_the_action_item_list_does_not_query_per_row(
    cast: Cast, twenty: list[Postmortem], django_assert_max_num_queries: Any
) -> None:
    client = cast.api("alice")
    ok(client.get(f"{API}/teams"))
    for query in ("", "?sort=priority", "?overdue=true", f"?owner={cast.frank.pk}&status=open"):
        with django_assert_max_num_queries(5, info=query):
            body = ok(client.get(f"{API}/action-items{query}"))
        assert body["items"], query


def test_the_postmortem_list_does_not_query_per_row(
    cast: Cast, twenty: list[Postmortem], django_assert_max_num_queries: Any
) -> None:
    client = cast.api("alice")
    ok(client.get(f"{API}/teams"))
    with django_assert_max_num_queries(6):
        body = ok(client.get(f"{API}/postmortems"))
    assert body["count"] == 20


def test_an_incident_is_read_with_its_responders_in_one_statement(
    cast: Cast, twenty: list[Postmortem], django_assert_num_queries: Any
) -> None:
    incident = twenty[0].incident
    bob = cast.person(cast.bob)
    incident.responders.set([cast.frank, bob])
    client = cast.api("alice")
    ok(client.get(f"{API}/teams"))
    with django_assert_num_queries(4):  # the savepoint and its release, token, the incident
        body = ok(client.get(f"{API}/incidents/{incident.pk}"))
    assert [person["id"] for person in body["responders"]] == [bob.pk, cast.frank.pk]
