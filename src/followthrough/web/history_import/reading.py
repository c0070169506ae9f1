"""Reading a vendor's export file: JSON (the vendor's API answers) or CSV (where the vendor
documents its CSV export's columns), text only, fields checked against the vendor's
documented ones."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from followthrough.web.history_import.records import PersonRef, Refusal, RowRefused, SourceRefused

T = TypeVar("T")

# An export of a few thousand incidents is a few megabytes; anything far bigger is not one.
MAX_BYTES = 64 * 1024 * 1024


def _read_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path`` (a BOM, as spreadsheets write it, left out), or
    SourceRefused saying why it is not ``what``."""
    data = _read_bytes(path, what)
    if b"\x00" in data:
        raise SourceRefused([f"{path}: holds NUL bytes; it is not {what} (a text file)."])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceRefused([f"{path}: is not UTF-8 text; it is not {what}."]) from None


def looks_like_csv(path: Path) -> bool:
    """A ``.csv`` file, or one (not ``.json``) whose first line does not start like JSON
    (``{`` or ``[``) and holds a comma, as a CSV header line does."""
    if path.suffix.lower() == ".csv":
        return True
    if path.suffix.lower() == ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as file:
            head = file.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    first = head.split(b"\n", 1)[0]
    return bool(first) and first[:1] not in (b"{", b"[") and b"," in first


def read_csv(
    path: Path, what: str, columns: frozenset[str], required: tuple[str, ...]
) -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    """The rows of a CSV export with a header line, each named by its line in the file
    ("line 3"), and the columns that are not among ``columns`` (the vendor's documented
    ones). A header without the ``required`` columns refuses the whole file."""
    text = _read_text(path, what)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise SourceRefused([f"{path}: line 1 is not CSV ({exc}); it is not {what}."]) from None
    missing = [name for name in required if name not in header]
    if not header or missing:
        raise SourceRefused(
            [
                f"{path}: the header line has no {', '.join(missing or required)} "
                f"column{'s' if len(missing or required) > 1 else ''}; it is not {what}."
            ]
        )
    if len(set(header)) != len(header):
        raise SourceRefused([f"{path}: the header line names a column twice; it is not {what}."])
    reader.fieldnames = header
    rows: list[tuple[str, dict[str, str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SourceRefused([f"{path}: line {start} is not CSV ({exc})."]) from None
        if None in row:
            rows.append((f"line {start}", {"": "more cells than the header has columns"}))
            continue
        rows.append((f"line {start}", {k: (v or "").strip() for k, v in row.items()}))
    return rows, sorted(set(header) - columns)


def csv_not_documented(path: Path, label: str) -> SourceRefused:
    """What a CSV file gets from a source whose CSV export's columns we could not check
    against a documentation of the vendor's: refused, rather than guessed."""
    return SourceRefused(
        [
            f"{path}: is CSV; {label} publishes no description of its CSV export's columns, "
            f"so it is not read (a guess could put a time in the wrong field). Save the API's "
            f"JSON answers instead (docs/import-history.md)."
        ]
    )


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceRefused(
                [f"{path}: {size:,} bytes is too big for {what} (the limit is {MAX_BYTES:,})."]
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceRefused([f"{path}: no such file."]) from None
    except IsADirectoryError:
        raise SourceRefused([f"{path}: is a folder; {what} is one file."]) from None
    except OSError as exc:
        raise SourceRefused([f"{path}: cannot be read ({exc.strerror or exc})."]) from None


def read_json(path: Path, what: str) -> Any:
    """The parsed JSON of ``path``, or SourceRefused saying why it is not ``what``."""
    data = _read_bytes(path, what)
    if b"\x00" in data:
        raise SourceRefused([f"{path}: holds NUL bytes; it is not {what} (a JSON text file)."])
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SourceRefused([f"{path}: is not UTF-8 text; it is not {what}."]) from None
    except ValueError as exc:
        raise SourceRefused([f"{path}: is not JSON ({exc}); it is not {what}."]) from None


def check_fields(
    value: Any, known: frozenset[str], where: str, *, strict: bool, notes: list[str]
) -> dict[str, Any]:
    """``value`` as an object whose keys are all documented; unknown ones refuse the row
    (or, not ``strict``, are noted and left out)."""
    if not isinstance(value, dict):
        raise RowRefused(f"{where} is not an object.")
    unknown = sorted(set(value) - known)
    if unknown:
        message = f"{where}: unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
        if strict:
            raise RowRefused(message + " (pass --ignore-unknown-fields to leave them out).")
        notes.append(message + ", left out.")
    return value


def text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowRefused(f"{where} is not text.")
    return value


def moment(value: Any, where: str) -> datetime | None:
    """An ISO 8601 time with a zone (what every vendor's API writes), or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowRefused(f"{where} is not a time.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RowRefused(f"{where} “{value[:40]}” is not an ISO 8601 time.") from None
    if parsed.tzinfo is None:
        raise RowRefused(f"{where} “{value[:40]}” has no time zone.")
    return parsed


def day(value: Any, where: str) -> date | None:
    """A date, also from a time ("2026-03-04T00:00:00Z")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowRefused(f"{where} is not a date.")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RowRefused(f"{where} “{value[:40]}” is not a date.") from None


def rows_of(document: Any, key: str, what: str, path: Path, envelope: frozenset[str]) -> list[Any]:
    """The list under ``key`` of a vendor's list response; anything else is not ``what``."""
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise SourceRefused([f"{path}: has no “{key}” list; it is not {what}."])
    unknown = sorted(set(document) - envelope)
    if unknown:
        raise SourceRefused(
            [
                f"{path}: unknown top-level field{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(unknown)}; it is not {what}."
            ]
        )
    rows: list[Any] = document[key]
    return rows


def per_incident(
    folder: Path | None, sub: str, incident_id: str, what: str, envelope: frozenset[str]
) -> list[Any]:
    """The ``data`` list of ``folder/sub/<incident id>.json`` (one saved API answer per
    incident), or nothing when there is no such file."""
    if folder is None or not incident_id or "/" in incident_id or incident_id.startswith("."):
        return []
    path = folder / sub / f"{incident_id}.json"
    if not path.is_file():
        return []
    return list(rows_of(read_json(path, what), "data", what, path, envelope))


def data_attributes(value: Any) -> dict[str, Any]:
    """JSON:API's ``{"data": {"attributes": {...}}}`` (a related record), or ``{}``."""
    if isinstance(value, dict):
        data = value.get("data")
        if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
            return data["attributes"]  # type: ignore[no-any-return]
    return {}


def misshapen(what: str, error: Exception) -> str:
    """A row where an object was expected and something else came (a string, a number)."""
    return f"a field holds the wrong kind of value for {what} ({type(error).__name__}: {error})."


def read_list(
    path: Path, file_name: str, key: str, what: str, envelope: frozenset[str]
) -> tuple[Path | None, dict[str, Any], list[Any]]:
    """A vendor's saved list answer: PATH itself, or ``file_name`` in the folder PATH.
    Returns the folder (None for a file), the whole answer and its list under ``key``."""
    folder = path if path.is_dir() else None
    file = folder / file_name if folder is not None else path
    document = read_json(file, what)
    return folder, document, rows_of(document, key, what, file, envelope)


def each_row(
    items: list[Any], prefix: str, what: str, build: Callable[[Any, str], T]
) -> list[T | Refusal]:
    """``build(item, "prefix[n]")`` for every item; a row that cannot be read is a Refusal."""
    rows: list[T | Refusal] = []
    for n, raw in enumerate(items):
        where = f"{prefix}[{n}]"
        try:
            rows.append(build(raw, where))
        except RowRefused as exc:
            rows.append(Refusal(where, str(exc)))
        except (AttributeError, TypeError) as exc:
            rows.append(Refusal(where, misshapen(what, exc)))
    return rows


def roles(
    assignments: Iterable[tuple[bool, PersonRef | None]],
) -> tuple[PersonRef | None, list[PersonRef]]:
    """The commander (the first person in the lead role) and everyone else as responders,
    from (is the lead role, person) pairs."""
    commander: PersonRef | None = None
    responders: list[PersonRef] = []
    for lead, person in assignments:
        if lead and commander is None:
            commander = person
        elif person is not None and person not in responders:
            responders.append(person)
    return commander, [p for p in responders if p != commander]
