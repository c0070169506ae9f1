"""The linter in the service: a stored postmortem is written out as Markdown in our
template's layout and checked by the same engine the CLI runs on files.

One engine, one set of rules: the editor shows exactly what ``followthrough lint`` would
say of the exported document, and, while someone types, of the document as it would be
if they saved (``review_draft``).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from followthrough.core.document import SectionKind
from followthrough.core.lint import Finding, Severity, lint_document
from followthrough.core.markdown import parse
from followthrough.web.postmortems.models import Postmortem

# The editor's panels in page order, with the words the findings list names them by.
# "document" holds findings that belong to no section (a missing section, the title).
PANELS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("trigger", "Trigger"),
    ("detection", "Detection"),
    ("resolution", "Resolution"),
    ("lessons", "Lessons"),
    ("timeline", "Timeline"),
    ("whys", "Five whys"),
    ("factors", "Contributing factors"),
    ("action_items", "Action items"),
    ("document", "Whole document"),
)
PANEL_LABELS: dict[str, str] = dict(PANELS)

# Editor panels, keyed by the document section a finding belongs to.
PANEL_OF_SECTION: dict[SectionKind, str] = {
    SectionKind.SUMMARY: "summary",
    SectionKind.IMPACT: "impact",
    SectionKind.TIMELINE: "timeline",
    SectionKind.WHYS: "whys",
    SectionKind.ROOT_CAUSE: "root_cause",
    SectionKind.TRIGGER: "trigger",
    SectionKind.CONTRIBUTING_FACTORS: "factors",
    SectionKind.DETECTION: "detection",
    SectionKind.RESOLUTION: "resolution",
    SectionKind.ACTION_ITEMS: "action_items",
    SectionKind.LESSONS: "lessons",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _block(text: str) -> list[str]:
    return [text.strip(), ""] if text.strip() else []


def _items_with_owners(pm: Postmortem) -> Iterable[Any]:
    """The items as the caller prefetched them (several postmortems at once), else in one
    query with their owners."""
    if "action_items" in getattr(pm, "_prefetched_objects_cache", {}):
        return pm.action_items.all()
    return pm.action_items.select_related("owner")


def postmortem_markdown(pm: Postmortem) -> str:
    """The postmortem as Markdown in our template's layout (also what users download)."""
    incident = pm.incident
    tz = incident.team.calendar().timezone
    out = [f"# Postmortem: {_cell(incident.title)}", ""]
    if incident.resolved_at:
        out.append(f"- **Date:** {incident.resolved_at.astimezone(tz).date().isoformat()}")
    out.append(f"- **Severity:** {incident.severity}")
    if incident.commander:
        out.append(f"- **Incident commander:** {incident.commander.name}")
    meeting = getattr(pm, "meeting", None)
    if meeting and meeting.facilitator:
        out.append(f"- **Facilitator:** {meeting.facilitator.name}")
    out.append(f"- **Status:** {pm.get_status_display()}")
    if incident.failure_mode:
        out.append(f"- **Failure mode:** {_cell(incident.failure_mode)}")
    out.append("")
    numbers = [
        ("Users affected", pm.users_affected),
        ("Duration (minutes)", pm.impact_minutes),
        ("Failed requests", pm.failed_requests),
        ("Revenue impact", pm.revenue_impact),
    ]
    impact = _block(pm.impact) + [f"- {k}: {v}" for k, v in numbers if v is not None]
    events = [
        f"| {e.occurred_at.astimezone(tz):%Y-%m-%d %H:%M %z} | {_cell(e.description)} |"
        for e in pm.timeline_events.all()
    ]
    whys = []
    for n, why in enumerate(pm.whys.all(), start=1):
        question = _cell(why.question)
        if question and not question.endswith("?"):
            question += "?"
        whys.append(f"{n}. {question} {_cell(why.answer)}".rstrip())
    root_cause = _block(pm.root_cause)
    if pm.root_cause_category:
        root_cause.append(f"Category: {pm.root_cause_category}")
    items = [
        f"| {_cell(i.title)} | {_cell(i.owner.name if i.owner else '')} "
        f"| {i.due_date.isoformat() if i.due_date else ''} | {_cell(i.done_condition)} | {i.status} |"
        for i in _items_with_owners(pm)
    ]
    # Required sections are always written, so an empty one is reported as missing;
    # optional ones only when they say something.
    sections: list[tuple[str, list[str], bool]] = [
        ("Summary", _block(pm.summary), True),
        ("Impact", impact, True),
        ("Timeline", ["| Time | Event |", "| --- | --- |", *events] if events else [], True),
        ("Five whys", whys, True),
        ("Root cause", root_cause, True),
        ("Trigger", _block(pm.trigger), False),
        ("Contributing factors", [f"- {_cell(f.description)}" for f in pm.factors.all()], False),
        ("Detection", _block(pm.detection), False),
        ("Resolution", _block(pm.resolution), False),
        (
            "Action items",
            [
                "| Action | Owner | Due | Done when | Status |",
                "| --- | --- | --- | --- | --- |",
                *items,
            ]
            if items
            else [],
            True,
        ),
        ("Lessons learned", _block(pm.lessons), False),
    ]
    for heading, body, required in sections:
        if body or required:
            out += [f"## {heading}", "", *[line for line in body if line], ""]
    return "\n".join(out).rstrip("\n") + "\n"


@dataclass
class Review:
    """What the linter says of a postmortem, grouped for the editor's panels.

    Of a draft: ``unsaved`` names the fields whose typed value differs from the stored one,
    ``ignored`` the fields that were not applied (field -> why, in words; the stored value
    was checked in their place).
    """

    findings: list[Finding]
    by_panel: dict[str, list[Finding]]
    unsaved: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    @property
    def infos(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.INFO]

    def panel(self, key: str) -> list[Finding]:
        return self.by_panel.get(key, [])

    @property
    def located_errors(self) -> list[tuple[str, Finding]]:
        """The errors with the panel each belongs to, in page order."""
        return [
            (key, f) for key, _ in PANELS for f in self.panel(key) if f.severity == Severity.ERROR
        ]

    def counts(self) -> list[dict[str, object]]:
        """Per panel with findings, in page order: key, label, errors, warnings, infos."""
        rows: list[dict[str, object]] = []
        for key, label in PANELS:
            found = self.panel(key)
            if found:
                rows.append(
                    {
                        "key": key,
                        "label": label,
                        "errors": sum(f.severity == Severity.ERROR for f in found),
                        "warnings": sum(f.severity == Severity.WARNING for f in found),
                        "infos": sum(f.severity == Severity.INFO for f in found),
                    }
                )
        return rows


def _review_markdown(text: str, path: str) -> Review:
    findings = lint_document(parse(text, path=path))
    by_panel: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_panel[
            PANEL_OF_SECTION.get(finding.section, "document") if finding.section else "document"
        ].append(finding)
    return Review(findings=findings, by_panel=dict(by_panel))


def review(pm: Postmortem) -> Review:
    return _review_markdown(postmortem_markdown(pm), f"{pm.incident.key}.md")


# The section fields a draft may override: what the editor's sections form holds.
DRAFT_FIELDS: tuple[str, ...] = (
    "summary",
    "impact",
    "users_affected",
    "impact_minutes",
    "failed_requests",
    "revenue_impact",
    "root_cause",
    "root_cause_category",
    "trigger",
    "detection",
    "resolution",
    "lessons",
)
# Longer text is not checked as it is typed (it is when saved): keeps each keystroke cheap.
MAX_DRAFT_CHARS = 100_000


def _draft_value(name: str, raw: object) -> object:
    """``raw`` as the model would store it in ``name``; ValidationError if it cannot be."""
    model_field = Postmortem._meta.get_field(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if model_field.null:
            return None
        return ""
    if isinstance(raw, str):
        if len(raw) > MAX_DRAFT_CHARS:
            raise ValidationError(
                f"longer than {MAX_DRAFT_CHARS:,} characters, so it is checked when saved"
            )
        raw = raw.strip() if model_field.null else raw
    return model_field.clean(raw, None)  # type: ignore[attr-defined]


def _comparable(value: object) -> object:
    # A browser posts a textarea's line breaks as CRLF; the API may have stored LF.
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def review_draft(pm: Postmortem, fields: Mapping[str, object]) -> Review:
    """The review of ``pm`` as it would be with ``fields`` saved, without saving anything.

    Only the section fields in ``DRAFT_FIELDS`` are applied, each validated as the model
    would (numbers, category choices); unknown names are ignored, and an invalid value is
    left out (the stored one is checked instead) and named in ``Review.ignored``.
    """
    draft = copy.copy(pm)  # Django copies the field cache too: the stored row stays untouched
    ignored: dict[str, str] = {}
    unsaved: list[str] = []
    for name, raw in fields.items():
        if name not in DRAFT_FIELDS:
            continue
        try:
            value = _draft_value(name, raw)
        except ValidationError as invalid:
            ignored[name] = " ".join(str(m) for m in invalid.messages)
            continue
        if _comparable(value) != _comparable(getattr(pm, name)):
            unsaved.append(name)
        setattr(draft, name, value)
    result = review(draft)
    result.unsaved = [name for name in DRAFT_FIELDS if name in unsaved]
    result.ignored = ignored
    return result
