"""A folder of postmortems (Markdown, and .docx/HTML converted), read by the linter's reader.

Each file becomes an incident with a final postmortem and its action items; its key at the
source is its path inside the folder, so importing the same folder again creates nothing.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from followthrough.core.document import Document, SectionKind
from followthrough.core.document import TimelineEvent as Event
from followthrough.core.lint import LINTED_SUFFIXES, read_document
from followthrough.core.markdown import DocumentReadError
from followthrough.web.history_import.records import (
    ActionRecord,
    IncidentRecord,
    PersonRef,
    PostmortemRecord,
    Refusal,
    Row,
    SourceRefused,
)

NAME = "markdown"
LABEL = "Markdown"
# What postmortems write: P0-P3 as they are, SEV0-SEV3 as the same level.
SEVERITIES = {f"sev{n}": f"P{n}" for n in range(4)} | {f"sev-{n}": f"P{n}" for n in range(4)}
# A folder of thousands of files is not a folder of postmortems.
MAX_FILES = 5000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SECTIONS = {
    "impact": SectionKind.IMPACT,
    "trigger": SectionKind.TRIGGER,
    "detection": SectionKind.DETECTION,
    "resolution": SectionKind.RESOLUTION,
    "lessons": SectionKind.LESSONS,
}


def read(path: Path, *, strict: bool, notes: list[str]) -> list[Row]:
    if not path.is_dir():
        raise SourceRefused(
            [f"{path}: is not a folder; --from markdown reads a folder of postmortems."]
        )
    files = sorted(
        p for p in path.rglob("*")
        if p.suffix.lower() in LINTED_SUFFIXES and p.is_file() and not p.is_symlink()
    )  # fmt: skip
    if not files:
        raise SourceRefused([f"{path}: holds no postmortems (.md, .markdown, .docx, .html)."])
    if len(files) > MAX_FILES:
        raise SourceRefused(
            [f"{path}: {len(files):,} files; import at most {MAX_FILES:,} at a time."]
        )
    rows: list[Row] = []
    for file in files:
        name = file.relative_to(path).as_posix()
        try:
            document, _ = read_document(str(file))
        except DocumentReadError as exc:
            rows.append(Refusal(name, f"cannot be read: {exc}."))
            continue
        rows.append(_record(name, document))
    return rows


def owner(written: str | None) -> PersonRef | None:
    """An owner as the linter reads it: "@alice", "alice@example.com" or "Alice Smith"."""
    text = (written or "").strip()
    if not text:
        return None
    if EMAIL.match(text):
        return PersonRef(email=text)
    if text.startswith("@"):
        return PersonRef(handle=text[1:])
    return PersonRef(name=text)


def _record(name: str, doc: Document) -> Row:
    if not (doc.title or "").strip():
        return Refusal(
            name, "has no title (a first “# heading”); it does not read as a postmortem."
        )
    timeline = _timeline(doc)
    started = timeline[0][0] if timeline else _midnight(doc.incident_date)
    mitigated = _first(timeline, "mitigated")
    resolved = _first(timeline, "resolved") or (timeline[-1][0] if len(timeline) > 1 else None)
    summary = _body(doc, SectionKind.SUMMARY)
    root_cause = "\n".join(c.text for c in doc.root_causes) or _body(doc, SectionKind.ROOT_CAUSE)
    postmortem = PostmortemRecord(
        summary=summary,
        root_cause=root_cause,
        timeline=timeline,
        whys=[(w.question, w.answer) for w in doc.whys if w.answer.strip()],
        factors=[f.text for f in doc.factors],
        **{field: _body(doc, kind) for field, kind in SECTIONS.items()},
    )
    actions = [
        ActionRecord(
            title=a.text,
            owner=owner(a.owner),
            due_date=a.due,
            done=a.done,
            done_condition=a.done_when or "",
            tracker_url=a.tracker
            if a.tracker and a.tracker.startswith(("http://", "https://"))
            else "",
        )
        for a in doc.action_items
    ]
    return IncidentRecord(
        row=name,
        external_id=name,
        title=doc.title or "",
        severity=doc.severity or "",
        summary=summary,
        failure_mode=doc.failure_mode or "",
        started_at=started,
        mitigated_at=mitigated,
        resolved_at=resolved,
        postmortem=postmortem,
        actions=actions,
    )


def _first(timeline: list[tuple[datetime, str]], word: str) -> datetime | None:
    """The time of the first event that says ``word`` ("13:40 Resolved after ...")."""
    return next((at for at, text in timeline if word in text.lower()), None)


def _body(doc: Document, kind: SectionKind) -> str:
    return "\n\n".join(s.body.strip() for s in doc.sections_of(kind) if s.body.strip())


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time()) if day is not None else None


def _timeline(doc: Document) -> list[tuple[datetime, str]]:
    """Events with a time: their own, or the incident's date at the clock time written.
    A clock earlier than the one before it is taken to be the next day."""
    events: list[tuple[datetime, str]] = []
    previous: datetime | None = None
    for event in doc.timeline:
        at = _when(event, doc.incident_date)
        if at is None:
            continue
        comparable = previous is not None and (previous.tzinfo is None) == (at.tzinfo is None)
        if comparable and event.at is None and previous is not None and at < previous:
            at += timedelta(days=1)
        events.append((at, event.text.strip() or event.time_text))
        previous = at
    return events


def _when(event: Event, day: date | None) -> datetime | None:
    if event.at is not None:
        return event.at
    if event.clock is not None and day is not None:
        return datetime.combine(day, event.clock)
    return None
