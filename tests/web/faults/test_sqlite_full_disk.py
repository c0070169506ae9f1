"""A full disk on SQLite: SQLite's own page limit (``PRAGMA max_page_count``) makes writes
fail with "database or disk is full", the same error a full disk gives. A write is refused
cleanly with 503, nothing is half-written, and reads keep working."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from followthrough.web.history.models import Change
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="SQLite's page limit stands in for a full disk; PostgreSQL has no such pragma",
    ),
    pytest.mark.django_db(transaction=True),
]

LONG = "The connection pool ran out under the retry storm. " * 4000  # ~200 KB: new pages


@pytest.fixture
def full_disk() -> Iterator[None]:
    """No page beyond the ones the database has now: the disk is full."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count")
        (limit,) = cursor.fetchone()
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        # A few pages spare for the test's small setup rows and their history, never ~50 for LONG.
        cursor.execute(f"PRAGMA max_page_count = {int(pages) + 8}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {int(limit)}")


def test_a_write_on_a_full_disk_is_refused_with_503_and_reads_still_work(
    cast: Cast, full_disk: None
) -> None:
    incident = cast.incident()
    postmortem = start_postmortem(incident, cast.alice)
    api = cast.api("alice")
    url = f"/api/v1/postmortems/{postmortem.pk}"
    changes = Change.objects.count()

    response = api.patch_json(url, {"summary": LONG, "version": postmortem.version})

    assert response.status_code == 503, response.content[:300]
    assert "nothing was saved" in response.json()["detail"]
    assert response["Retry-After"].isdigit()
    saved = Postmortem.objects.get(pk=postmortem.pk)
    assert saved.summary == postmortem.summary and saved.version == postmortem.version
    assert Change.objects.count() == changes
    assert api.get(url).status_code == 200
    page = cast.browser(cast.alice).get(f"/incidents/{incident.pk}/postmortem/")
    assert page.status_code == 200


def test_a_page_write_on_a_full_disk_gets_the_503_page(cast: Cast, full_disk: None) -> None:
    incident = cast.incident()
    postmortem = start_postmortem(incident, cast.alice)
    browser = cast.browser(cast.alice)
    response = browser.post(
        f"/incidents/{incident.pk}/postmortem/factors/",
        {"new-factor-kind": "other", "new-factor-description": LONG},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 503
    assert b"Service unavailable" in response.content
    assert postmortem.factors.count() == 0
