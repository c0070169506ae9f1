"""A date-time read with ``api.moments.AsWritten`` (the database's text, written as the
answer writes it, no datetime made) is exactly what the API's renderer writes for the
moment Django reads from the same column: every moment a column can hold, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from followthrough.web.api.moments import AsWritten
from followthrough.web.api.schemas import RENDERER
from followthrough.web.incidents.models import Incident

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda moment: moment.replace(tzinfo=UTC))


def _rendered(value: Any) -> str:
    return RENDERER.render(None, {"at": value}, response_status=200)  # type: ignore[arg-type]


def _stored_and_read(incident: Incident, moment: datetime | None) -> tuple[Any, Any]:
    """``moment`` saved in the incident's ``detected_at``, then read back by Django and as
    the answer writes it."""
    rows = Incident.objects.filter(pk=incident.pk)
    rows.update(detected_at=moment)
    django = rows.values_list("detected_at", flat=True).get()
    as_written = rows.values_list(AsWritten("detected_at"), flat=True).get()
    return django, as_written


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(moment=MOMENTS)
@example(moment=datetime(2026, 3, 20, 9, 30, tzinfo=UTC))  # no microseconds: none written
@example(moment=datetime(2026, 3, 20, 9, 30, 0, 500, tzinfo=UTC))  # cut to ".000"
@example(moment=datetime(2026, 3, 20, 9, 30, 0, 999999, tzinfo=UTC))  # cut, not rounded
@example(moment=datetime(2026, 3, 20, 9, 30, 0, 500000, tzinfo=UTC))  # ".5" on PostgreSQL
@example(moment=datetime(2026, 3, 20, 9, 30, 0, 1, tzinfo=UTC))
@example(moment=datetime(999, 12, 31, 23, 59, 59, 120000, tzinfo=UTC))  # a 3-digit year
@example(moment=datetime(1, 1, 1, tzinfo=UTC))
@example(moment=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
def test_every_moment_a_column_holds_is_written_as_the_renderer_writes_it(
    cast: Cast, moment: datetime
) -> None:
    incident = Incident.objects.first() or cast.incident()
    django, as_written = _stored_and_read(incident, moment)
    assert django == moment
    assert isinstance(as_written, str)
    assert _rendered(as_written) == _rendered(django)


def test_an_empty_moment_is_null(cast: Cast) -> None:
    django, as_written = _stored_and_read(cast.incident(), None)
    assert django is None and as_written is None
    assert _rendered(as_written) == '{"at": null}'


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite stores moments as text")
@pytest.mark.parametrize(
    "stored",
    [
        "2026-03-20 09:30:00.120",  # SQLite's own clock (Django's Now()): milliseconds
        "2026-03-20 09:30:00.000",
        "2026-03-20T09:30:00.5",
        "2026-03-20 09:30:00+00:00",
        "2026-03-20 10:30:00.25+01:00",
        "2026-03-20 09:30:00.1234567",
    ],
)
def test_a_moment_stored_in_another_layout_than_djangos_reads_as_django_reads_it(
    cast: Cast, stored: str
) -> None:
    incident = cast.incident()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET detected_at = %s WHERE id = %s", [stored, incident.pk]
        )
    rows = Incident.objects.filter(pk=incident.pk)
    django = rows.values_list("detected_at", flat=True).get()
    as_written = rows.values_list(AsWritten("detected_at"), flat=True).get()
    assert _rendered(as_written) == _rendered(django)


def test_a_database_read_in_another_zone_than_utc_writes_the_offset_as_the_renderer_does(
    cast: Cast,
) -> None:
    incident = cast.incident()
    paris = ZoneInfo("Europe/Paris")
    real = connections[DEFAULT_DB_ALIAS]  # not the proxy: its zone is a cached property
    real.__dict__["timezone"] = paris
    try:
        with real.cursor() as cursor:
            if real.vendor == "postgresql":  # what Django does for a connection in that zone
                cursor.execute("SET TIME ZONE 'Europe/Paris'")
        django, as_written = _stored_and_read(
            incident, datetime(2026, 3, 20, 9, 30, 0, 500000, tzinfo=UTC)
        )
    finally:
        del real.__dict__["timezone"]
        if real.vendor == "postgresql":
            with real.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
    assert as_written == "2026-03-20T10:30:00.500+01:00"
    assert _rendered(as_written) == _rendered(django)
