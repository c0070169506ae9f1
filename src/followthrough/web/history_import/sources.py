"""The sources ``import-history --from`` knows, by name."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from followthrough.web.history_import import firehydrant, incident_io, markdown, rootly
from followthrough.web.history_import.records import Row


class Reader(Protocol):
    def __call__(self, path: Path, *, strict: bool, notes: list[str]) -> list[Row]: ...


class SourceModule(Protocol):
    NAME: str
    LABEL: str
    SEVERITIES: dict[str, str]
    read: Reader


SOURCES: dict[str, SourceModule] = {
    module.NAME: module  # type: ignore[misc]
    for module in (incident_io, rootly, firehydrant, markdown)
}
