"""Postmortem documents on disk: ``parse`` shows what was understood, ``new`` writes our template."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import click

from followthrough.core.document import Document
from followthrough.core.lint import read_document
from followthrough.core.markdown import DocumentReadError
from followthrough.core.sources import Source
from followthrough.core.writing import template, to_record


def _fail(path: str, reason: str) -> click.exceptions.Exit:
    click.echo(f"followthrough: {path}: {reason}", err=True)
    return click.exceptions.Exit(2)


@click.command("parse")
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (stable snake_case keys).",
)
def parse_command(file: str, output_format: str) -> None:
    """Show what followthrough understood in FILE: sections, timeline, whys, causes, actions.

    FILE is Markdown, or a .docx (Word, Google Docs) or HTML (Confluence, Notion) export read
    the way ``lint`` reads it; an HTML export's lines are the lines of the HTML file.
    """
    try:
        doc, source = read_document(file)
    except DocumentReadError as error:
        raise _fail(file, str(error)) from None
    if source is not None:
        doc = _in_source_lines(doc, source)
    if output_format == "json":
        click.echo(json.dumps(to_record(doc), indent=2, ensure_ascii=False))
    else:
        click.echo(_as_text(doc))


def _in_source_lines(doc: Document, source: Source) -> Document:
    """What was understood of a converted document, its lines moved into the file the person
    wrote (an HTML export has lines; a .docx has none, so its lines stay those of the
    converted Markdown, which ``lint`` reports too)."""
    at = source.source_line
    return replace(
        doc,
        title_line=at(doc.title_line) if doc.title_line else doc.title_line,
        sections=[
            replace(s, line=at(s.line), end_line=at(s.end_line), body_line=at(s.body_line))
            for s in doc.sections
        ],
        timeline=[replace(e, line=at(e.line)) for e in doc.timeline],
        whys=[replace(w, line=at(w.line)) for w in doc.whys],
        root_causes=[replace(c, line=at(c.line)) for c in doc.root_causes],
        factors=[replace(f, line=at(f.line)) for f in doc.factors],
        action_items=[replace(a, line=at(a.line)) for a in doc.action_items],
        suppressions={at(line) if line else 0: codes for line, codes in doc.suppressions.items()},
    )


def _as_text(doc: Document) -> str:
    out: list[str] = [f"{doc.path}"]
    out.append(
        f"  title: {doc.title or '(none)'}"
        + (f"  (line {doc.title_line})" if doc.title_line else "")
    )
    out.append(
        f"  incident date: {doc.incident_date.isoformat() if doc.incident_date else '(none)'}"
    )
    out.append(f"  severity: {doc.severity or '(none)'}")
    out.append(f"  failure mode: {doc.failure_mode or '(none)'}")
    out.append(f"  genre: {doc.genre.value}")
    out.append(f"sections ({len(doc.sections)}):")
    for s in doc.sections:
        heading = f"{'#' * min(s.level, 6)} {s.heading}" if s.heading else "(untitled)"
        why = f"  [{s.found_by}]" if s.found_by else ""
        out.append(f"  {s.line}-{s.end_line}  {s.kind.value:<20}  {heading}{why}")
    out.append(f"timeline ({len(doc.timeline)}):")
    for e in doc.timeline:
        at = e.at.isoformat() if e.at is not None else "?"
        out.append(f"  line {e.line}: [{e.time_text or '-'}] {at}  {e.text}")
    out.append(f"whys ({len(doc.whys)}):")
    for w in doc.whys:
        out.append(f"  line {w.line}: Q: {w.question or '-'}  A: {w.answer or '-'}")
    out.append(f"root causes ({len(doc.root_causes)}):")
    for c in doc.root_causes:
        category = c.category.value if c.category else "no category"
        out.append(f"  line {c.line}: ({category}) {c.text}")
    out.append(f"contributing factors ({len(doc.factors)}):")
    for f in doc.factors:
        out.append(f"  line {f.line}: {f.text}")
    out.append(f"action items ({len(doc.action_items)}):")
    for a in doc.action_items:
        due = a.due.isoformat() if a.due else "-"
        out.append(f"  line {a.line}: [{'x' if a.done else ' '}] {a.text}")
        out.append(
            f"      state: {a.state} ({a.done_reason or 'nothing in the document marks it done'})"
        )
        out.append(
            f"      owner: {a.owner or '-'}  due: {due} (written: {a.due_text or '-'})"
            f"  done when: {a.done_when or '-'}"
            + (f"  type: {a.kind}" if a.kind else "")
            + (f"  tracker: {a.tracker}" if a.tracker else "")
        )
    if doc.suppressions:
        out.append("suppressions:")
        for line, codes in sorted(doc.suppressions.items()):
            where = "whole file" if line == 0 else f"line {line}"
            out.append(f"  {where}: {', '.join(sorted(codes))}")
    return "\n".join(out)


@click.command("new")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--title", default=None, help="The incident's title (what failed, for whom).")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def new_command(path: str | None, title: str | None, force: bool) -> None:
    """Write our postmortem template to PATH (or print it when no PATH is given)."""
    text = template(title) if title else template()
    if path is None:
        click.echo(text, nl=False)
        return
    target = Path(path)
    if target.is_dir():
        raise _fail(path, "is a directory")
    if target.exists() and not force:
        raise _fail(path, "already exists (use --force to overwrite it)")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _fail(path, error.strerror or "cannot be written") from None
    click.echo(f"wrote {os.fspath(target)}", err=True)


COMMANDS: list[click.Command] = [parse_command, new_command]
