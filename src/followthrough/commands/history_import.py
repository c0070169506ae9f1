"""``followthrough import-history``: a team's past incidents, postmortems and action items
from incident.io, Rootly, FireHydrant or a folder of Markdown postmortems."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from followthrough.commands.service import setup_django

FROM = ("incident-io", "rootly", "firehydrant", "markdown")


@click.command(name="import-history")
@click.option(
    "--from", "source", type=click.Choice(FROM), required=True, help="Where the history comes from."
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--team", "team", metavar="SLUG", help="The team the incidents belong to.")
@click.option(
    "--severity-map",
    "severity_map",
    multiple=True,
    metavar="NAME=P0..P3",
    help="Map the source's severities, e.g. 'SEV5=P3,Minor=P2'; 'none=P3' for rows without one. "
    "Repeatable.",
)
@click.option(
    "--ignore-unknown-fields",
    is_flag=True,
    help="Leave out fields the vendor's documentation does not name, instead of refusing the row.",
)
def import_history(
    source: str,
    path: Path,
    team: str | None,
    severity_map: tuple[str, ...],
    ignore_unknown_fields: bool,
) -> None:
    """Load past incidents, their postmortems and action items, all or nothing.

    Importing the same export again creates nothing new. Exit status 2 when anything is
    refused; then nothing is written.
    """
    setup_django()
    from followthrough.web.history_import.load import import_rows, parse_severity_map
    from followthrough.web.history_import.records import SourceRefused
    from followthrough.web.history_import.sources import SOURCES

    module = SOURCES[source]
    try:
        mapping = parse_severity_map(severity_map)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    notes: list[str] = []
    try:
        rows = module.read(path, strict=not ignore_unknown_fields, notes=notes)
        report = import_rows(
            source, module.SEVERITIES, rows, team_slug=team, severity_map=mapping, notes=notes
        )
    except SourceRefused as exc:
        for problem in exc.lines:
            click.secho(f"Error: {problem}", fg="red", err=True)
        click.secho("Nothing imported.", fg="red", err=True)
        sys.exit(2)
    for line in report.lines:
        colour = {"created": "green", "skipped": "yellow", "refused": "red", "ready": "cyan"}[
            line.outcome
        ]
        click.echo(f"{click.style(f'{line.outcome:>8}', fg=colour)}  {line.text()}")
    for note in report.notes:
        click.echo(f"    note  {note}")
    for person in report.people_created:
        click.echo(f"  person  created {person} (no one here had that e-mail or name)")
    created, skipped, refused = (report.count(k) for k in ("created", "skipped", "refused"))
    if refused:
        click.secho(
            f"Nothing imported from {module.LABEL}: {refused} row{'s' if refused != 1 else ''} "
            "refused (see above); fix them or map them, then run again.",
            fg="red",
            err=True,
        )
        sys.exit(2)
    click.echo(
        f"Imported from {module.LABEL}: {created} created, {skipped} skipped, "
        f"{len(report.people_created)} people created."
    )


COMMANDS: list[click.Command] = [import_history]
