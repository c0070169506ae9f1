"""How an API answer writes a date-time, decided here and nowhere else.

The rule is the API renderer's (:data:`followthrough.web.api.schemas.RENDERER`: ninja's
encoder on Django's): ISO 8601, the microseconds cut to milliseconds (and left out when there
are none), "Z" for UTC, as in ``2026-03-20T09:30:00.123Z``. :func:`written` asks the
renderer's encoder itself, so a schema's answer and a hot read's answer cannot drift apart.

A hot read writing its answer without the schema (``incidents.schemas.IncidentAnswers``)
selects its date-time columns with :class:`AsWritten`: the database sends each value as text
(SQLite's stored text, PostgreSQL's ISO output in the session's zone, which Django sets to
UTC); one match of that text gives the answer's string. No datetime is made and the
JSON encoder never calls back into Python for it: parsing each value (on PostgreSQL with
Django's pure-Python loader), then formatting it again in the encoder's callback, was a
sixth of the incident list's CPU on SQLite and a fifth on PostgreSQL. A text in any other
form (another zone, another layout) is read as Django would read it and written by
:func:`written`, so the answer is the same either way; tests/web/api/test_answer_moments.py
holds the two to each other on both databases.

One body writes its date-times otherwise: the "current" row of a stale write's 409 was
always dumped by its schema in pydantic's JSON mode before the renderer saw it, which keeps
the microseconds (``2026-03-20T09:30:00.123456Z``); :func:`precise` writes that form, with
pydantic's own serializer.

Formatting in SQL instead was measured and dropped: SQLite's GLOB and substr cost more
than the match in Python, and PostgreSQL's ``to_char`` saved little client CPU for more
server CPU.
"""

import re
from datetime import UTC, datetime
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Func, TextField
from django.utils.dateparse import parse_datetime
from pydantic import TypeAdapter

from followthrough.web.api.schemas import RENDERER

_ENCODER = RENDERER.encoder_class()
_TEXT = r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,6}))?"
#: the text of a UTC moment (day, time, fraction of a second): SQLite's stores the moment in
#: the connection's zone without naming it, PostgreSQL's names the offset
_UTC_TEXT = {"sqlite": re.compile(_TEXT), "postgresql": re.compile(_TEXT + r"\+00")}


def written(moment: datetime) -> str:
    """``moment`` as the API's answers write it."""
    return str(_ENCODER.default(moment))


_PYDANTIC = TypeAdapter(datetime | None)


def precise(moment: datetime | None) -> str | None:
    """``moment`` as a schema's ``model_dump(mode="json")`` writes it (microseconds kept)."""
    return _PYDANTIC.dump_python(moment, mode="json")  # type: ignore[no-any-return]


def _fast(text: str, form: re.Pattern[str]) -> str | None:
    """The answer's form of a UTC moment's text in ``form``, or None for any other text."""
    found = form.fullmatch(text)
    if found is None:
        return None
    day, time, fraction = found.groups()
    if fraction is None or not fraction.strip("0"):
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


def from_database(text: str | None, expression: Any, connection: BaseDatabaseWrapper) -> str | None:
    """A date-time column's text (``CAST(... AS TEXT)``) as the answer writes it (a Django
    converter: :class:`AsWritten` applies it to each value read)."""
    if text is None:
        return None
    form = _UTC_TEXT.get(connection.vendor)
    if form is not None and connection.timezone is UTC:
        fast = _fast(text, form)
        if fast is not None:
            return fast
    return written(_read(text, connection))


class AsWritten(Func):
    """A date-time column read as the API's answer writes it: a str (or None)."""

    template = "CAST(%(expressions)s AS TEXT)"
    output_field = TextField()

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        return [*super().get_db_converters(connection), from_database]
