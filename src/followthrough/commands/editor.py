"""``followthrough lsp``: the linter in VS Code, Neovim and any editor that speaks LSP."""

from __future__ import annotations

import click


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default and only way).")
def lsp_command(stdio: bool) -> None:
    """Run the language server: live diagnostics, hover with each rule's why, quick fixes."""
    from followthrough.lsp import serve

    serve()


COMMANDS: list[click.Command] = [lsp_command]
