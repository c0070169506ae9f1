"""The one entry point: ``followthrough COMMAND``.

Each family of commands lives in ``followthrough.commands``; this module only gathers them.
"""

from __future__ import annotations

import click

from followthrough import __version__
from followthrough.commands import accounts, docs, insights, lint, portability, service, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="followthrough")
def main() -> None:
    """Postmortems that change outcomes."""


for group in (service, accounts, docs, lint, worker, insights, portability):
    for command in group.COMMANDS:
        main.add_command(command)
