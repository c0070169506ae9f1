"""Copy-paste postmortems: "'Improve monitoring' appears in every postmortem, but nothing
changes." (seed, Anti-Patterns)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.http import HttpResponse

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import API, SecondRead, ok

if TYPE_CHECKING:
    from conftest import Cast

PASTED = (
    "Add more dashboards and review the alert thresholds for the checkout API "
    "every quarter so that we notice problems earlier."
)


def _with_text(cast: Cast, title: str, lessons: str, **fields: object) -> Postmortem:
    incident = cast.incident(title=title, **fields)
    postmortem = start_postmortem(incident, cast.alice)
    Postmortem.objects.filter(pk=postmortem.pk).update(lessons=lessons)
    postmortem.refresh_from_db()
    return postmortem


def test_a_passage_copied_from_an_earlier_postmortem_is_pointed_out(cast: Cast) -> None:
    earlier = _with_text(
        cast,
        "Checkout 502 in January",
        f"The pool alert worked. {PASTED}",
        failure_mode="upstream gateway timeouts",
    )
    ActionItem.objects.create(postmortem=earlier, title=PASTED, owner=cast.ivan)
    unrelated = _with_text(
        cast, "Search outage", "Index builds belong outside peak hours, with a size check first."
    )
    later = _with_text(cast, "Ledger export late", PASTED, failure_mode="export job stuck")
    found = ok(cast.api("bob").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"]
    assert found, "the pasted lessons should be found"
    passage = found[0]
    assert passage["panel"] == "lessons"
    assert "Add more dashboards" in passage["excerpt"]
    sources = {s["postmortem_id"] for s in passage["sources"]}
    assert earlier.pk in sources and unrelated.pk not in sources
    assert all(0 < s["score"] <= 1 for s in passage["sources"])
    assert passage["line"] >= 1


def test_an_original_postmortem_has_no_copied_passages(cast: Cast) -> None:
    _with_text(cast, "Checkout 502 in January", PASTED)
    fresh = _with_text(
        cast, "Ledger export late", "The export job waited on a lock held by the nightly vacuum."
    )
    assert ok(cast.api("bob").get(f"{API}/postmortems/{fresh.pk}/copied-passages"))["items"] == []


def test_copies_from_a_private_team_are_not_shown_to_outsiders(cast: Cast) -> None:
    _with_text(
        cast,
        "Ledger export late",
        PASTED,
        team=cast.security,
        commander=None,
        failure_mode="export job stuck on a lock",
    )
    later = _with_text(cast, "Ledger export late again", PASTED, failure_mode="export job stuck")
    assert ok(cast.api("bob").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"] == []
    assert ok(cast.api("admin").get(f"{API}/postmortems/{later.pk}/copied-passages"))["items"]


def test_the_editor_panel_lists_copied_passages(cast: Cast) -> None:
    earlier = _with_text(cast, "Checkout 502 in January", PASTED)
    later = _with_text(cast, "Ledger export late", PASTED)
    browser = cast.browser(cast.bob)
    panel = browser.get(
        f"/incidents/{later.incident_id}/postmortem/copied/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="copied-passages"' in panel and "<html" not in panel
    assert earlier.incident.key in panel and "Add more dashboards" in panel
    page = browser.get(f"/incidents/{later.incident_id}/postmortem/copied/")
    assert page.status_code == 200 and "<html" in page.content.decode()
    secret = _with_text(cast, "Secret thing", PASTED, team=cast.security, commander=None)
    assert (
        cast.browser(cast.charlie)
        .get(f"/incidents/{secret.incident_id}/postmortem/copied/")
        .status_code
        == 404
    )


def _queries(get: Callable[[], HttpResponse]) -> tuple[int, str]:
    """How many queries ``get`` runs (counted as they run: pytest-django's captured list
    comes out empty once the connection's query log is full), and the page."""
    ran = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        ran[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        page = get().content.decode()
    return ran[0], page


def test_comparing_with_more_earlier_postmortems_costs_no_more_queries(cast: Cast) -> None:
    def earlier(n: int) -> str:  # one more postmortem compared, with two owned items
        postmortem = _with_text(cast, f"Checkout 502 number {n}", PASTED)
        Postmortem.objects.filter(pk=postmortem.pk).update(
            created_at=datetime(2026, 1, n + 1, tzinfo=UTC)
        )
        for owner in (cast.ivan, cast.person(cast.bob)):
            ActionItem.objects.create(postmortem=postmortem, title=f"Fix {n}", owner=owner)
        return postmortem.incident.key

    first = earlier(0)
    later = _with_text(cast, "Ledger export late", PASTED)
    ActionItem.objects.create(postmortem=later, title="Alert on the lock", owner=cast.ivan)
    browser = cast.browser(cast.bob)
    url = f"/incidents/{later.incident_id}/postmortem/copied/"
    browser.get(url)  # warm the content-type cache and the similarity index
    one, page = _queries(lambda: browser.get(url))
    assert first in page
    for n in range(1, 5):
        earlier(n)
    browser.get(url)  # the similarity index catches up with the new incidents
    five, page = _queries(lambda: browser.get(url))
    assert "Add more dashboards" in page
    assert five == one


def test_the_copied_passages_page_reads_each_list_once_for_every_postmortem_compared(
    cast: Cast, second_read: SecondRead
) -> None:
    """This postmortem's lists are read with the earlier ones' (one query per list), its
    root cause with it, and its commander and facilitator with the incident and meeting."""
    earlier = _with_text(cast, "Checkout 502 in January", PASTED)
    ActionItem.objects.create(postmortem=earlier, title="Fix it", owner=cast.frank)
    later = _with_text(cast, "Ledger export late", PASTED)
    ActionItem.objects.create(postmortem=later, title="Alert on the lock", owner=cast.ivan)
    meeting = later.meeting
    meeting.facilitator = cast.frank
    meeting.save()
    url = f"/incidents/{later.incident_id}/postmortem/copied/"
    body, sqls = second_read(cast.browser(cast.bob), url, 15)
    assert earlier.incident.key in body
    tables = [m.group(1) for sql in sqls if (m := re.search(r'\bFROM "(\w+)"', sql))]
    for table in ("postmortems_timelineevent", "postmortems_why", "actions_actionitem"):
        assert tables.count(table) == 1, table
    assert tables.count("postmortems_postmortem") == 2  # this one, the earlier ones
    assert not [sql for sql in sqls if 'WHERE "accounts_person"."id" =' in sql]


def test_the_copied_passages_page_reads_the_similar_incidents_postmortems_not_the_incidents(
    cast: Cast, second_read: SecondRead
) -> None:
    """The similar incidents' postmortems are read by incident id, with their incidents:
    not the incidents first and then their postmortems; when the index last caught up comes
    with the candidates' signatures (14 statements here, savepoints included; 16 before)."""
    earlier = _with_text(cast, "Checkout 502 in January", PASTED)
    later = _with_text(cast, "Checkout 502 in February", PASTED)
    deleted = _with_text(cast, "Checkout 502 in March", PASTED)
    deleted.incident.delete()  # soft: neither it nor its postmortem is compared
    url = f"/incidents/{later.incident_id}/postmortem/copied/"
    body, sqls = second_read(cast.browser(cast.bob), url, 14)
    assert earlier.incident.key in body and deleted.incident.key not in body
    # a query's own table is the one its first column is of
    assert not [sql for sql in sqls if sql.startswith('SELECT "incidents_incident".')]
    assert not [sql for sql in sqls if sql.startswith('SELECT "insights_indexstate".')]
