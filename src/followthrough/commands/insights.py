"""Insights from the command line: ``followthrough insights rebuild``."""

from __future__ import annotations

import time

import click

from followthrough.commands.service import setup_django


@click.group()
def insights() -> None:
    """Repeat-incident index and effectiveness numbers."""


@insights.command()
def rebuild() -> None:
    """Build the similar-incident index, the milestone deadlines and the action-item
    counts from scratch."""
    setup_django()
    from followthrough.web.insights import deadlines, repeats

    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 2 or done == total:
            last[0] = now
            click.echo(f"  {done:,} / {total:,} incidents", err=True)

    count = repeats.rebuild(progress)
    click.echo(f"Indexed {count:,} incidents in {time.perf_counter() - started:.1f} s.")
    started = time.perf_counter()
    written = deadlines.rebuild()
    click.echo(
        f"Computed the deadlines of {written:,} postmortems in {time.perf_counter() - started:.1f} s."
    )


COMMANDS: list[click.Command] = [insights]
