"""What every source's ``parse.py`` turns a payload into: one normalised incident event."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from followthrough.web.lib import dates


class EventStatus(StrEnum):
    """What an event says happened to the incident. UPDATED changes fields, not the status."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    UPDATED = "updated"


@dataclass(frozen=True)
class IncidentEvent:
    """One vendor event about one vendor incident, in our terms.

    ``event_id`` is the delivery's identity (a redelivery carries the same one);
    ``external_id`` the vendor's incident; ``occurred_at`` orders events, so an older one
    arriving late cannot undo a newer one. ``overwrite`` names the fields the event is
    authoritative for on an incident that already exists (a priority change sets the
    severity; an acknowledgement sets nothing but the vendor status). ``payload`` is the
    vendor's event as received, kept with the delivery for the drafted timeline.
    """

    event_id: str
    event_type: str
    external_id: str
    status: EventStatus
    occurred_at: datetime
    title: str = ""
    severity_values: tuple[str, ...] = ()
    started_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    url: str = ""
    route_keys: tuple[tuple[str, str], ...] = ()
    team: str = ""
    summary: str = ""
    commander_email: str = ""
    failure_mode: str = ""
    failure_tags: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    overwrite: frozenset[str] = field(default_factory=frozenset)
    # The vendor's event as received (JSON), stored with the delivery so the incident's
    # timeline can be drafted from it later (``followthrough.web.drafting``).
    payload: Any = None
    # An event about an incident (a note, a responder added) that cannot start one.
    needs_existing: bool = False


class BadSignature(Exception):
    """The request is not from whoever holds the secret (answered with 401, nothing stored)."""


class Malformed(ValueError):
    """The payload cannot be read; the message says why (answered with 400)."""


class Unsupported(Exception):
    """A well-formed event of a type we do not act on (answered with 200, "ignored")."""


# --- small readers the parsers share ---------------------------------------------------------


def load_json(body: bytes) -> Any:
    """The body as JSON, or ``Malformed`` (deep nesting included: no traceback, a 400)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise Malformed(f"the body is not JSON ({str(e)[:200] or 'nested too deeply'}).") from e


def obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{where} must be a JSON object.")
    return value


def text(container: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = container.get(key)
    if value is None or value == "":
        if required:
            raise Malformed(f"{where}.{key} is required.")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise Malformed(f"{where}.{key} must be a string.")
    if "\x00" in value:
        raise Malformed(f"{where}.{key} cannot contain NUL characters.")
    return value.strip()


def iso_time(value: Any, where: str) -> datetime:
    """An ISO 8601 time with a zone (``Z`` or an offset)."""
    if not isinstance(value, str) or not value:
        raise Malformed(f"{where} must be an ISO 8601 time, e.g. 2026-03-02T15:00:00Z.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise Malformed(f"{where} is not an ISO 8601 time: {value!r}.") from e
    if parsed.tzinfo is None:
        raise Malformed(f"{where} needs a timezone (Z or an offset): {value!r}.")
    return _in_range(parsed, where)


def _in_range(moment: datetime, where: str) -> datetime:
    try:
        return dates.check_moment(moment)
    except ValueError as e:
        raise Malformed(f"{where}: {e}") from e


def optional_iso_time(container: dict[str, Any], key: str, where: str) -> datetime | None:
    value = container.get(key)
    if value is None or value == "":
        return None
    return iso_time(value, f"{where}.{key}")


def epoch_time(value: Any, where: str) -> datetime:
    """A Unix time in seconds, milliseconds, microseconds or nanoseconds (Opsgenie mixes them)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"{where} must be a Unix time (a number).")
    number = float(value)
    # Seconds stay below 1e11 until the year 5138; each finer unit is a thousand times more.
    for threshold, divisor in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
        if abs(number) >= threshold:
            number /= divisor
            break
    try:
        moment = datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise Malformed(f"{where} is not a usable Unix time: {value!r}.") from e
    return _in_range(moment, where)
