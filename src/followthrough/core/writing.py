"""Document -> text: our template's Markdown (``to_markdown``, ``template``) and the JSON
record of what the reader understood (``to_record``, what ``followthrough parse --format
json`` prints)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from followthrough.core.document import Document, Section, SectionKind
from followthrough.core.parsing.blocks import scan

__all__ = ["TEMPLATE_TITLE_PLACEHOLDER", "template", "to_markdown", "to_record"]

TEMPLATE_TITLE_PLACEHOLDER: Final = (
    "[fill in: what failed, for whom, e.g. Checkout errors for EU customers]"
)

K = SectionKind


_TEMPLATE_ORDER: Final[tuple[SectionKind, ...]] = (
    K.SUMMARY,
    K.IMPACT,
    K.TIMELINE,
    K.WHYS,
    K.ROOT_CAUSE,
    K.TRIGGER,
    K.CONTRIBUTING_FACTORS,
    K.DETECTION,
    K.RESOLUTION,
    K.ACTION_ITEMS,
    K.LESSONS,
    K.PEOPLE,
    K.APPENDIX,
    K.OTHER,
)
_CANONICAL_HEADINGS: Final[dict[SectionKind, str]] = {
    K.SUMMARY: "Summary",
    K.IMPACT: "Impact",
    K.TIMELINE: "Timeline",
    K.WHYS: "Five whys",
    K.ROOT_CAUSE: "Root cause",
    K.TRIGGER: "Trigger",
    K.CONTRIBUTING_FACTORS: "Contributing factors",
    K.DETECTION: "Detection",
    K.RESOLUTION: "Resolution",
    K.ACTION_ITEMS: "Action items",
    K.LESSONS: "Lessons learned",
    K.PEOPLE: "Attendees",
    K.APPENDIX: "Appendix",
}
# Sections whose content to_markdown rebuilds from the parsed lists.
_STRUCTURED: Final = frozenset(
    {K.TIMELINE, K.WHYS, K.ROOT_CAUSE, K.CONTRIBUTING_FACTORS, K.ACTION_ITEMS}
)


def _cell(value: str | None) -> str:
    return (value or "").replace("\r", " ").replace("\n", " ").replace("|", "\\|").strip()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _format_at(at: datetime) -> str:
    text = at.strftime("%Y-%m-%d %H:%M:%S" if at.second else "%Y-%m-%d %H:%M")
    if at.tzinfo is None:
        return text
    offset = at.utcoffset() or timedelta(0)
    if not offset:
        return text + " UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_markdown(doc: Document) -> str:
    """The document in our template's layout: parse(to_markdown(d)) keeps what was understood."""
    out: list[str] = [f"# Postmortem: {_one_line(doc.title or 'Untitled')}", ""]
    meta: list[tuple[str, str]] = []
    if doc.incident_date is not None:
        meta.append(("Date", doc.incident_date.isoformat()))
    if doc.severity:
        meta.append(("Severity", _one_line(doc.severity)))
    if doc.failure_mode:
        meta.append(("Failure mode", _one_line(doc.failure_mode)))
    for key, value in meta:
        out.append(f"- **{key}:** {value}")
    if meta:
        out.append("")
    written: list[tuple[int, int]] = []
    # untitled runs read by a structured reader inside other sections: written once, rebuilt
    rebuilt = [
        (s.line, s.end_line) for s in doc.sections if not s.heading and s.kind in _STRUCTURED
    ]
    for kind in _TEMPLATE_ORDER:
        if kind in _STRUCTURED:
            block = _structured(doc, kind)
            if block:
                out.extend([f"## {_CANONICAL_HEADINGS[kind]}", "", *block, ""])
            continue
        for section in doc.sections_of(kind):
            if any(a <= section.line and section.end_line <= b for a, b in written):
                continue
            if kind is K.OTHER and section.level == 1:
                continue
            if not section.heading and kind is K.OTHER:
                continue
            written.append((section.line, section.end_line))
            heading = _one_line(section.heading) or _CANONICAL_HEADINGS.get(kind, "Notes")
            body = _own_body(section, rebuilt).strip("\n")
            out.extend([f"## {heading}", ""])
            if body:
                out.extend([body, ""])
    return "\n".join(out).rstrip("\n") + "\n"


def _own_body(section: Section, rebuilt: list[tuple[int, int]]) -> str:
    """The section's body without the lines of untitled runs nested in it, which are
    written (rebuilt) in their own section; sub-headings in it stay below the section's
    "##" (written as "###")."""
    body = section.body
    inside = [(a, b) for a, b in rebuilt if section.line < a and b <= section.end_line]
    if inside and section.body_line <= section.end_line:
        body = "\n".join(
            line
            for number, line in enumerate(body.split("\n"), start=section.body_line)
            if not any(a <= number <= b for a, b in inside)
        )
    if "#" not in body and "\n-" not in body and "\n=" not in body:
        return body
    found = scan(body)
    lines = list(found.lines)
    for heading in found.headings:
        if heading.level <= 2:
            lines[heading.index] = f"### {heading.text}"
            if heading.underline:
                lines[heading.index + 1] = ""
    return "\n".join(lines)


def _structured(doc: Document, kind: SectionKind) -> list[str]:
    if kind is K.TIMELINE and doc.timeline:
        rows = ["| Time | Event |", "| --- | --- |"]
        for e in doc.timeline:
            when = _format_at(e.at) if e.at is not None else e.time_text
            rows.append(f"| {_cell(when)} | {_cell(e.text)} |")
        return rows
    if kind is K.WHYS and doc.whys:
        rows = []
        for n, w in enumerate(doc.whys, start=1):
            answer = _one_line(w.answer)
            if answer[:1].islower():
                answer = f"Because {answer}"
            question = _one_line(w.question)
            if question and not question.endswith("?"):
                question += "?"
            rows.append(f"{n}. {question} {answer}".rstrip() if question else f"{n}. {answer}")
        return rows
    if kind is K.ROOT_CAUSE and doc.root_causes:
        rows = []
        for c in doc.root_causes:
            rows.append(f"- {_one_line(c.text)}")
            if c.category is not None:
                rows.append(f"  - Category: {c.category.value}")
        return rows
    if kind is K.CONTRIBUTING_FACTORS and doc.factors:
        return [f"- {_one_line(f.text)}" for f in doc.factors]
    if kind is K.ACTION_ITEMS and doc.action_items:
        items = doc.action_items
        columns = ["Action", "Owner", "Due", "Done when"]
        if any(a.kind for a in items):
            columns.append("Type")
        if any(a.tracker for a in items):
            columns.append("Tracker")
        columns.append("Status")
        rows = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        for a in items:
            due = a.due.isoformat() if a.due is not None else (a.due_text or "")
            values = {
                "Action": a.text,
                "Owner": a.owner or "",
                "Due": due,
                "Done when": a.done_when or "",
                "Type": a.kind or "",
                "Tracker": a.tracker or "",
                "Status": "done" if a.done else "open",
            }
            rows.append("| " + " | ".join(_cell(values[c]) for c in columns) + " |")
        return rows
    return []


def template(title: str = TEMPLATE_TITLE_PLACEHOLDER) -> str:
    """Our postmortem template, with ``title`` on its first line."""
    from importlib import resources  # only here: it imports tempfile, shutil, zip support

    text = (
        resources.files("followthrough.core")
        .joinpath("templates/postmortem.md")
        .read_text(encoding="utf-8")
    )
    return text.replace("{title}", _one_line(title) or TEMPLATE_TITLE_PLACEHOLDER, 1)


def to_record(doc: Document) -> dict[str, object]:
    """What the parser understood, as JSON-ready data with stable snake_case keys."""
    return {
        "path": doc.path,
        "title": doc.title,
        "title_line": doc.title_line,
        "incident_date": doc.incident_date.isoformat() if doc.incident_date else None,
        "severity": doc.severity,
        "failure_mode": doc.failure_mode,
        "genre": doc.genre.value,
        "sections": [
            {
                "kind": s.kind.value,
                "heading": s.heading,
                "level": s.level,
                "line": s.line,
                "end_line": s.end_line,
                "body_line": s.body_line,
                "found_by": s.found_by or "heading",
            }
            for s in doc.sections
        ],
        "timeline": [
            {
                "line": e.line,
                "time_text": e.time_text,
                "at": e.at.isoformat() if e.at is not None else None,
                "text": e.text,
            }
            for e in doc.timeline
        ],
        "whys": [{"line": w.line, "question": w.question, "answer": w.answer} for w in doc.whys],
        "root_causes": [
            {"line": c.line, "text": c.text, "category": c.category.value if c.category else None}
            for c in doc.root_causes
        ],
        "factors": [{"line": f.line, "text": f.text} for f in doc.factors],
        "action_items": [
            {
                "line": a.line,
                "text": a.text,
                "owner": a.owner,
                "due": a.due.isoformat() if a.due is not None else None,
                "due_text": a.due_text,
                "done_when": a.done_when,
                "kind": a.kind,
                "tracker": a.tracker,
                "done": a.done,
                "state": a.state,
                "state_reason": a.done_reason or "nothing in the document marks it done",
            }
            for a in doc.action_items
        ],
        "suppressions": {
            str(line): sorted(codes) for line, codes in sorted(doc.suppressions.items())
        },
    }
