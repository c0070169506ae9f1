"""What every source reads its input into, before anything touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class SourceRefused(Exception):
    """The input is not what it claims to be; ``lines`` says why, one problem a line."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class RowRefused(Exception):
    """One row cannot be read; the message says why."""


@dataclass(frozen=True)
class PersonRef:
    """Someone named by the source: matched to a Person by e-mail, then by name."""

    name: str = ""
    email: str = ""
    handle: str = ""  # a chat handle, without @

    def __bool__(self) -> bool:
        return bool(self.name.strip() or self.email.strip() or self.handle.strip())

    def label(self) -> str:
        if self.name and self.email:
            return f"{self.name} <{self.email}>"
        return self.name or self.email or f"@{self.handle}"


@dataclass
class ActionRecord:
    title: str
    description: str = ""
    owner: PersonRef | None = None
    due_date: date | None = None
    done: bool = False
    done_at: datetime | None = None
    deprioritised_reason: str = ""  # set: the item was dropped at the source, for this reason
    done_condition: str = ""
    tracker_url: str = ""


@dataclass
class PostmortemRecord:
    summary: str = ""
    impact: str = ""
    root_cause: str = ""
    trigger: str = ""
    detection: str = ""
    resolution: str = ""
    lessons: str = ""
    timeline: list[tuple[datetime, str]] = field(default_factory=list)
    whys: list[tuple[str, str]] = field(default_factory=list)
    factors: list[str] = field(default_factory=list)


@dataclass
class IncidentRecord:
    """One incident as the source has it. ``row`` names it in the report."""

    row: str
    external_id: str
    title: str
    severity: str  # as the source writes it; mapped to P0-P3 by the loader
    url: str = ""  # the incident's page at the source, kept as Incident.source_url
    team: str = ""  # a team slug or name, when the source names one
    summary: str = ""
    failure_mode: str = ""
    started_at: datetime | None = None
    detected_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    commander: PersonRef | None = None
    responders: list[PersonRef] = field(default_factory=list)
    postmortem: PostmortemRecord | None = None
    actions: list[ActionRecord] = field(default_factory=list)


@dataclass
class Refusal:
    """A row the source could not read at all."""

    row: str
    reason: str


@dataclass
class Skipped:
    """A row the source has that is not an incident to import (declined, cancelled ...)."""

    row: str
    reason: str


Row = IncidentRecord | Refusal | Skipped
