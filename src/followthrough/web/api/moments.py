"""How an API answer writes a date-time, decided here and nowhere else.

The rule is the API renderer's (:data:`followthrough.web.api.schemas.RENDERER`: ninja's
encoder on Django's): ISO 8601, the microseconds cut to milliseconds (and left out when there
are none), "Z" for UTC, as in ``2026-03-20T09:30:00.123Z``. :func:`written` asks the
renderer's encoder itself, so a schema's answer and a hot read's answer cannot drift apart.

A hot read writing its answer without the schema (``incidents.schemas.IncidentAnswers``)
selects its date-time columns with :class:`AsWritten`: the database sends each value as text
(SQLite's stored text, PostgreSQL's ISO output in the session's zone, which Django sets to
UTC); one match of that text gives the answer's string. No datetime is made and the
JSON encoder never calls back into Python for it; parsing each value, then formatting it
again in the encoder's callback, was a third of the incident list's CPU. A text in any
other form (another zone, another layout) is read as Django would read it and written by
:func:`written`, so the answer is the same either way; tests/web/api/test_answer_moments.py
holds the two to each other on both databases.
"""

from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, TextField
from django.utils.dateparse import parse_datetime

from followthrough.web.api.schemas import RENDERER

_ENCODER = RENDERER.encoder_class()

_DAY = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_TIME = "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
#: SQLite stores a moment as text, in the connection's zone without naming it: Django writes
#: "YYYY-MM-DD HH:MM:SS" and 6 digits of microseconds when there are any, SQLite's own clock
#: (``Now()``) 3 digits of milliseconds. Any other text is handed over marked with
#: :data:`_UNREAD`, for Python to read as Django does.
_SQLITE = (
    "CASE WHEN {x} GLOB '{day} {time}' THEN substr({x}, 1, 10) || 'T' || substr({x}, 12) || 'Z'"
    " WHEN {x} GLOB '{day} {time}.[0-9][0-9][0-9]'"
    " OR {x} GLOB '{day} {time}.[0-9][0-9][0-9][0-9][0-9][0-9]'"
    " THEN substr({x}, 1, 10) || 'T' || substr({x}, 12, 8)"
    " || CASE WHEN rtrim(substr({x}, 21), '0') = '' THEN '' ELSE '.' || substr({x}, 21, 3) END"
    " || 'Z'"
    " ELSE '{unread}' || {x} END"
)
#: PostgreSQL holds the instant: written in UTC, milliseconds cut (not rounded) by ``MS``
_POSTGRESQL = (
    "CASE WHEN date_trunc('second', {x}) = {x}"
    """ THEN to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
    """ ELSE to_char({x} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END"""
)
#: marks a text SQLite's formatting left as it is (an answer starts with a digit)
_UNREAD = "~"


def written(moment: datetime) -> str:
    """``moment`` as the API's answers write it."""
    return str(_ENCODER.default(moment))


def _in_sql(connection: BaseDatabaseWrapper) -> bool:
    """Whether the database writes the answer's text itself: the rule's "Z" is for moments
    in UTC, so only when Django reads moments in UTC (its default)."""
    return connection.vendor in ("sqlite", "postgresql") and connection.timezone is UTC


def _read(text: str, connection: BaseDatabaseWrapper) -> datetime:
    """The moment ``text`` holds, as Django reads the column (aware, in the connection's
    zone)."""
    if connection.vendor == "sqlite":
        return connection.ops.convert_datetimefield_value(text, None, connection)  # type: ignore[no-any-return]
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError(f"not a date-time: {text!r}")
    return moment.astimezone(connection.timezone)


def _from_text(text: str | None, expression: Any, connection: BaseDatabaseWrapper) -> str | None:
    """A Django converter: the column's text (``CAST(... AS TEXT)``) as the answer writes it."""
    return None if text is None else written(_read(text, connection))


def _unread(text: str | None, expression: Any, connection: BaseDatabaseWrapper) -> str | None:
    """A Django converter: the SQL's answer as it is, a text it left marked read in Python."""
    if text is None or text[0] != _UNREAD:
        return text
    return written(_read(text[1:], connection))


class AsWritten(Func):
    """A date-time column read as the API's answer writes it: a str (or None)."""

    output_field = TextField()

    def as_sql(
        self, compiler: Any, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        (column,) = self.get_source_expressions()
        sql, params = compiler.compile(column)
        if not _in_sql(connection):
            return f"CAST({sql} AS TEXT)", list(params)
        form = _SQLITE if connection.vendor == "sqlite" else _POSTGRESQL
        written = form.format(x=sql, day=_DAY, time=_TIME, unread=_UNREAD)
        return written, list(params) * form.count("{x}")

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        if not _in_sql(connection):
            return [*super().get_db_converters(connection), _from_text]
        if connection.vendor == "sqlite":
            return [*super().get_db_converters(connection), _unread]
        return super().get_db_converters(connection)  # type: ignore[no-any-return]
