"""How an API answer writes a date-time, decided here and nowhere else.

The rule is the API renderer's (:data:`followthrough.web.api.schemas.RENDERER`: ninja's
encoder on Django's): ISO 8601, the microseconds cut to milliseconds (and left out when there
are none), "Z" for UTC, as in ``2026-03-20T09:30:00.123Z``. :func:`written` asks the
renderer's encoder itself, so a schema's answer and a hot read's answer cannot drift apart.

A hot read writing its answer without the schema (``incidents.schemas.IncidentAnswers``)
selects its date-time columns with :class:`AsWritten`: the database sends each value as text
(SQLite's stored text, PostgreSQL's ISO output in the session's zone, which Django sets to
UTC) and a few slices of that text give the answer's string. No datetime is made and the
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
#: what follows the time in the text of a UTC moment: nothing on SQLite (it stores the
#: moment in the connection's zone, without one), the offset on PostgreSQL
_UTC_SUFFIX = {"sqlite": "", "postgresql": "+00"}


def written(moment: datetime) -> str:
    """``moment`` as the API's answers write it."""
    return str(_ENCODER.default(moment))


def _fast(text: str, suffix: str) -> str | None:
    """The answer's form of a database's text "YYYY-MM-DD HH:MM:SS[.f]<suffix>" for a UTC
    moment (f: 1 to 6 digits), or None for a text in any other form."""
    end = len(text) - len(suffix)
    if (
        end < 19
        or not text.endswith(suffix)
        or text[4] != "-"
        or text[10] != " "
        or text[13] != ":"
        or text[16] != ":"
    ):
        return None
    day, time = text[:10], text[11:19]
    if end == 19:
        return f"{day}T{time}Z"
    fraction = text[20:end]
    if text[19] != "." or len(fraction) > 6 or not (fraction.isascii() and fraction.isdigit()):
        return None
    if not fraction.strip("0"):
        return f"{day}T{time}Z"
    # milliseconds, cut (not rounded) as the encoder cuts them: 0.000500 s is ".000"
    return f"{day}T{time}.{(fraction + '00')[:3]}Z"


def _read(text: str, connection: BaseDatabaseWrapper) -> datetime:
    """The moment ``text`` holds, as Django reads the column (aware, in the connection's
    zone)."""
    if connection.vendor == "sqlite":
        return connection.ops.convert_datetimefield_value(text, None, connection)  # type: ignore[no-any-return]
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError(f"not a date-time: {text!r}")
    return moment.astimezone(connection.timezone)


def from_database(
    text: str | None, expression: Any, connection: BaseDatabaseWrapper
) -> str | None:
    """A date-time column's text (``CAST(... AS TEXT)``) as the answer writes it (a Django
    converter: :class:`AsWritten` applies it to each value read)."""
    if text is None:
        return None
    suffix = _UTC_SUFFIX.get(connection.vendor)
    if suffix is not None and connection.timezone is UTC:
        fast = _fast(text, suffix)
        if fast is not None:
            return fast
    return written(_read(text, connection))


class AsWritten(Func):
    """A date-time column read as the API's answer writes it: a str (or None)."""

    template = "CAST(%(expressions)s AS TEXT)"
    output_field = TextField()

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        return [*super().get_db_converters(connection), from_database]
