"""The linter's word on drafted events: each description is written into a timeline table the
way the postmortem's Markdown export writes it, linted by the engine the CLI runs, and every
finding on an event's line is that event's (timeline analysis, blame, ...).

A draft event with findings is shown with them; the timeline cannot be accepted while an
accepted event has one: the commander edits the words down to the fact, or drops it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from followthrough.core.lint import Finding, lint_text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def lint_descriptions(rows: Sequence[tuple[datetime, str]], zone: tzinfo) -> list[list[Finding]]:
    """For each (time, description), the linter's findings on its line of the timeline."""
    if not rows:
        return []
    head = [
        "# Postmortem: drafted timeline",
        "",
        "## Timeline",
        "",
        "| Time | Event |",
        "| --- | --- |",
    ]
    first = len(head) + 1
    lines = [f"| {at.astimezone(zone):%Y-%m-%d %H:%M %z} | {_cell(text)} |" for at, text in rows]
    found: list[list[Finding]] = [[] for _ in rows]
    for finding in lint_text("\n".join(head + lines) + "\n", "<drafted timeline>"):
        index = finding.line - first
        if 0 <= index < len(rows):
            found[index].append(finding)
    return found
