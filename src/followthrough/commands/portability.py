"""Moving an organisation: ``followthrough export`` and ``followthrough import``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from followthrough.commands.service import setup_django


@click.command()
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    help="The JSON file to write; - for standard output.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="markdown: a folder of postmortems plus export.json beside them (needs --dir).",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder for --format markdown.",
)
def export(output: str, fmt: str, directory: Path | None) -> None:
    """Write the whole organisation to one JSON document (it holds password hashes,
    token digests and integration secrets: the files are written readable by you only)."""
    if fmt == "markdown" and directory is None:
        raise click.UsageError("--format markdown needs --dir DIR")
    setup_django()
    from followthrough.web import portability

    text = portability.dumps(portability.export_document())
    if fmt == "markdown":
        assert directory is not None
        count = portability.write_markdown(directory)
        portability.write_private(directory / "export.json", text)
        click.echo(f"Wrote {count} postmortems and export.json to {directory}", err=True)
        return
    if output == "-":
        click.echo(text)
    else:
        portability.write_private(Path(output), text)
        click.echo(f"Wrote {output} (readable by you only)", err=True)


@click.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Restore an export into an empty database, all or nothing."""
    setup_django()
    from followthrough.web import portability

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        click.secho(f"Error: cannot read {file}: {exc}", fg="red", err=True)
        sys.exit(2)
    try:
        counts = portability.import_document(portability.parse(text))
    except portability.ImportRefused as exc:
        click.secho(f"Error: nothing imported: {exc}", fg="red", err=True)
        for line in exc.report():
            click.echo(f"  {line}", err=True)
        sys.exit(2)
    except Exception as exc:  # whatever else a crafted file provokes: a sentence, not a traceback
        click.secho(
            f"Error: nothing imported: the export could not be loaded "
            f"({type(exc).__name__}: {str(exc)[:200]})",
            fg="red",
            err=True,
        )
        sys.exit(2)
    total = sum(counts.values())
    click.echo(f"Imported {total:,} rows from {file}; similarity index rebuilt.")


COMMANDS: list[click.Command] = [export, import_]
