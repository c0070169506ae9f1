"""The linter in the service: a stored postmortem is written out as Markdown in our
template's layout and checked by the same engine the CLI runs on files.

One engine, one set of rules: the editor shows exactly what ``followthrough lint`` would
say of the exported document.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from followthrough.core.document import SectionKind
from followthrough.core.lint import Finding, Severity, lint_document
from followthrough.core.markdown import parse
from followthrough.web.postmortems.models import Postmortem

# Editor panels, keyed by the document section a finding belongs to.
PANEL_OF_SECTION: dict[SectionKind, str] = {
    SectionKind.SUMMARY: "summary",
    SectionKind.IMPACT: "impact",
    SectionKind.TIMELINE: "timeline",
    SectionKind.WHYS: "whys",
    SectionKind.ROOT_CAUSE: "root_cause",
    SectionKind.TRIGGER: "root_cause",
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
        for i in pm.action_items.select_related("owner")
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
    """What the linter says of a postmortem, grouped for the editor's panels."""

    findings: list[Finding]
    by_panel: dict[str, list[Finding]]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]


def review(pm: Postmortem) -> Review:
    findings = lint_document(parse(postmortem_markdown(pm), path=f"{pm.incident.key}.md"))
    by_panel: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_panel[
            PANEL_OF_SECTION.get(finding.section, "document") if finding.section else "document"
        ].append(finding)
    return Review(findings=findings, by_panel=dict(by_panel))
