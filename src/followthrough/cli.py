"""The one entry point: ``followthrough COMMAND``.

Each family of commands lives in a module of ``followthrough.commands``; this module only
names them. A command's module is imported when that command runs, so ``followthrough lint``
never pays for Django, the server or the worker (a pre-commit hook starts it once per
commit).
"""

from __future__ import annotations

import importlib

import click

from followthrough import __version__

#: command name -> the module of ``followthrough.commands`` whose COMMANDS holds it, in the
#: order ``followthrough --help`` lists them. A test checks it against every module.
COMMAND_MODULES: dict[str, str] = {
    "serve": "service",
    "manage": "service",
    "createuser": "service",
    "deprovision": "accounts",
    "invite": "accounts",
    "scim-token": "accounts",
    "new": "docs",
    "parse": "docs",
    "lint": "lint",
    "rules": "lint",
    "lsp": "editor",
    "worker": "worker",
    "insights": "insights",
    "export": "portability",
    "import": "portability",
    "import-history": "history_import",
}


def command_module(args: list[str]) -> str | None:
    """The module of the command ``args`` start with, if they name one (the entry point,
    ``followthrough.__main__``, imports it before the collector runs again)."""
    module = COMMAND_MODULES.get(args[0]) if args else None
    return None if module is None else f"followthrough.commands.{module}"


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is None:
            return None
        commands = importlib.import_module(f"followthrough.commands.{module}").COMMANDS
        return next((c for c in commands if c.name == cmd_name), None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="followthrough")
def main() -> None:
    """Postmortems that change outcomes."""
