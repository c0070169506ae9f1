"""The one range of dates followthrough accepts, and every way an input is held to it.

Every date and moment a person or a client gives, wherever it comes in, must fall on a
day from ``EARLIEST`` (1970-01-01) to ``LATEST`` (2200-12-31), in UTC. Outside it a date
is refused with ``RANGE_MESSAGE`` (HTTP 422 in the API, the form's error on a page, a line
of the import's report), never stored. The range is wide enough for any incident,
deadline or meeting, and narrow enough that a stored moment plus a meeting's length, a
team's timezone or a few business days never leaves Python's calendar (which ends at
9999-12-31: a meeting at 9999-12-31T23:59:59Z overflowed on every page that showed it).

Where the range is applied (one rule, used by all of them):

- API bodies and query parameters: the pydantic types ``Day`` and ``Moment``;
- page query parameters and other text: ``parse_day``;
- every date and date-time field of followthrough's own models: ``bound_model_fields``
  gives each the validator ``validate_in_range``, so ``full_clean`` (every
  page form, the admin, the API's writes, the import) refuses a date outside the range;
- on read, ``in_range`` lets code that computes from a stored moment (the .ics, the
  invite job, the editor) skip a value stored before the range was enforced instead of
  failing on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from pydantic import AfterValidator, AwareDatetime, WithJsonSchema

EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)
EARLIEST_MOMENT = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
LATEST_MOMENT = datetime.combine(LATEST, time.max, tzinfo=UTC)

RANGE_MESSAGE = (
    f"Dates are accepted from {EARLIEST.isoformat()} to {LATEST.isoformat()} (UTC); "
    "{value} is outside that range."
)


def _refusal(value: object) -> str:
    return RANGE_MESSAGE.format(value=value)


def utc(moment: datetime) -> datetime | None:
    """The moment in UTC (a naive one taken as UTC), or None if that leaves the calendar."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def in_range(value: date | datetime | None) -> bool:
    """Whether a date or moment falls in the accepted range (None: nothing to check)."""
    if value is None:
        return True
    if isinstance(value, datetime):
        moment = utc(value)
        return moment is not None and EARLIEST_MOMENT <= moment <= LATEST_MOMENT
    return EARLIEST <= value <= LATEST


def check_day(value: date) -> date:
    """The date, or ``ValueError`` with the range's message."""
    if not in_range(value):
        raise ValueError(_refusal(value.isoformat()))
    return value


def check_moment(value: datetime) -> datetime:
    """The moment in UTC, or ``ValueError`` with the range's message.

    Converting to UTC also keeps any ISO 8601 offset (up to ±23:59) from failing in
    PostgreSQL, which stores offsets up to ±15:59 only.
    """
    if not in_range(value):
        raise ValueError(_refusal(value.isoformat()))
    moment = utc(value)
    assert moment is not None  # in_range said it converts
    return moment


def parse_day(raw: str) -> date:
    """A date written as YYYY-MM-DD, in the range; ``ValueError`` saying what is wrong."""
    text = raw.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text[:40]}” is not a date; write it as YYYY-MM-DD.") from None
    return check_day(day)


def validate_in_range(value: Any) -> None:
    """A Django validator: a date or a moment in the range."""
    if isinstance(value, date) and not in_range(value):
        raise ValidationError(_refusal(value.isoformat()), code="date_out_of_range")


_SCHEMA_NOTE = f"From {EARLIEST.isoformat()} to {LATEST.isoformat()} (UTC)."

# A calendar day, in the range.
Day = Annotated[
    date,
    AfterValidator(check_day),
    WithJsonSchema({"type": "string", "format": "date", "description": _SCHEMA_NOTE}),
]
# A point in time: timezone-aware, in the range, stored in UTC.
Moment = Annotated[
    AwareDatetime,
    AfterValidator(check_moment),
    WithJsonSchema({"type": "string", "format": "date-time", "description": _SCHEMA_NOTE}),
]


class MomentFormField(forms.DateTimeField):
    """A date-time form field that shows a stored moment it cannot convert to the reader's
    timezone (one stored outside the range) as it is, in UTC, instead of failing the page;
    saving it unchanged then says why it is refused."""

    def prepare_value(self, value: Any) -> Any:
        try:
            return super().prepare_value(value)
        except OverflowError:
            return value.astimezone(UTC).replace(tzinfo=None)


def _formfield(field: Any) -> Any:
    original = field.formfield

    def formfield(**kwargs: Any) -> Any:
        return original(**{"form_class": MomentFormField, **kwargs})

    return formfield


def bound_model_fields(app_labels: tuple[str, ...]) -> None:
    """Hold every date and date-time field of these apps' models to the range.

    Each field object gets the range's validator (``default_validators``, which
    migrations do not record), so ``full_clean`` refuses a date outside the range wherever
    a model is validated; a date-time field's form field is a ``MomentFormField``, so a
    value stored outside the range never breaks the form that shows it.
    """
    from django.apps import apps
    from django.db import models

    for label in app_labels:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.DateField):  # DateTimeField is one too
                    continue
                field.default_validators = [validate_in_range]
                field.__dict__.pop("validators", None)  # a cached list, if any
                if isinstance(field, models.DateTimeField):
                    field.formfield = _formfield(field)  # type: ignore[method-assign]
