"""``followthrough lint`` and ``followthrough rules``: the postmortem linter on files.

Exit status: 0 when no finding is at or above the fail threshold, 1 when some are, 2 on a
usage, configuration or input error (each unreadable file gets one ``path: reason`` line
on stderr; the other files are still linted), 3 when followthrough itself failed (a bug:
CI can tell it from "the postmortem has findings").
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from followthrough.core.config import ConfigError, load_config, unknown_rule_refs, with_overrides
from followthrough.core.lint import lint_paths, path_text
from followthrough.core.reporters import REPORTERS, RULE_FORMATS, WRITERS
from followthrough.core.rules.base import Severity


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _codes(values: tuple[str, ...]) -> list[str]:
    return [code for value in values for code in re.split(r"[,\s]+", value) if code]


@click.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: [tool.followthrough.lint] in the nearest pyproject.toml, or .followthrough.toml).",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Exit 1 when a finding is at or above this severity (default: warning).",
)
@click.option(
    "--select",
    multiple=True,
    help="Only these rules: codes, prefixes (PM2), names or categories; comma-separated.",
)
@click.option(
    "--ignore",
    multiple=True,
    help="Skip these rules: codes, prefixes, names or categories; comma-separated.",
)
@click.option(
    "--no-corpus", is_flag=True, help="Skip folder-level checks (copy-paste, repeat incidents)."
)
@click.option(
    "--against",
    multiple=True,
    type=click.Path(path_type=str),
    help="Also compare with the postmortems in this file or folder (copy-paste, repeat "
    "incidents) without reporting on them. Repeatable.",
)
@click.option(
    "--against-parent-folders",
    is_flag=True,
    help="Compare each file with every postmortem in its folder (what a pre-commit hook "
    "needs: it is given only the staged files).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Processes that read and lint the files (default: one per core; 1 lints in this "
    "process alone). The report is the same whatever the number.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read every file again, and read or write nothing in the cache folder. By default "
    "what reading each Markdown file gave is kept there (FOLLOWTHROUGH_CACHE_DIR, else "
    "~/.cache/followthrough), and a file unchanged since an earlier run with the same "
    "configuration and followthrough is not read again; the report is the same.",
)
@click.option(
    "--sarif-output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as SARIF to this file (for code scanning uploads).",
)
def lint_command(
    paths: tuple[str, ...],
    fmt: str,
    config_file: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    no_corpus: bool,
    against: tuple[str, ...],
    against_parent_folders: bool,
    sarif_output: Path | None,
    jobs: int | None,
    no_cache: bool,
) -> None:
    """Lint postmortems: blame, shallow analysis, dead-end action items.

    PATHS are Markdown files or folders (searched for *.md and *.markdown).
    """
    try:
        _lint(
            paths,
            fmt,
            config_file,
            fail_on,
            select,
            ignore,
            no_corpus,
            against,
            against_parent_folders,
            sarif_output,
            jobs or _cores(),
            cache=not no_cache,
        )
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as error:  # a bug in followthrough: say so, and exit apart from findings
        click.echo(
            f"followthrough: internal error: {type(error).__name__}: {error} "
            "(a bug in followthrough, not in your postmortem; please report it)",
            err=True,
        )
        sys.exit(3)


def _lint(
    paths: tuple[str, ...],
    fmt: str,
    config_file: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    no_corpus: bool,
    against: tuple[str, ...],
    against_parent_folders: bool,
    sarif_output: Path | None,
    jobs: int,
    *,
    cache: bool = True,
) -> None:
    if not cache:
        from followthrough.core.regex import keep_nothing

        keep_nothing()
    selected, ignored = _codes(select), _codes(ignore)
    unknown = unknown_rule_refs([*selected, *ignored])
    if unknown:
        raise click.UsageError(
            f"unknown rule {', '.join(map(repr, unknown))} (see `followthrough rules`)"
        )
    try:
        start = Path(paths[0]) if paths else None
        config, warnings = load_config(start=start, explicit=config_file)
    except ConfigError as error:
        click.echo(f"config: {error}", err=True)
        sys.exit(2)
    config, more = with_overrides(
        config,
        select=selected or None,
        ignore=ignored or None,
        fail_on=Severity(fail_on) if fail_on else None,
        corpus=False if no_corpus else None,
    )
    for warning in warnings + more:
        click.echo(f"warning: {warning}", err=True)
    neighbours = list(against)
    if against_parent_folders:
        neighbours += sorted({os.path.dirname(p) or "." for p in paths if not os.path.isdir(p)})
    report = lint_paths(list(paths), config, against=neighbours, jobs=jobs, cache=cache)
    for path, reason in report.errors:
        click.echo(f"{path_text(path)}: {reason}", err=True)
    if sarif_output is not None:
        sarif_output.write_text(REPORTERS["sarif"](report.to_record()), encoding="utf-8")
    if fmt in WRITERS:
        with _echoed_in_pieces() as write:
            WRITERS[fmt](report.to_record(files=False), report.file_records(), write)
    else:
        click.echo(REPORTERS[fmt](report.to_record()), nl=False)
    if report.crashed:
        sys.exit(3)
    if report.errors:
        sys.exit(2)
    sys.exit(1 if report.failed(config.fail_on) else 0)


@contextmanager
def _echoed_in_pieces(size: int = 1 << 16) -> Iterator[Callable[[str], None]]:
    """A ``write`` for a report written as it goes: its text echoed a piece of ``size``
    characters or so at a time."""
    pending: list[str] = []
    held = 0

    def write(text: str) -> None:
        nonlocal held
        pending.append(text)
        held += len(text)
        if held >= size:
            click.echo("".join(pending), nl=False)
            pending.clear()
            held = 0

    yield write
    click.echo("".join(pending), nl=False)


@click.command("rules")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RULE_FORMATS)),
    default="text",
    show_default=True,
    help="markdown renders docs/rules.md.",
)
def rules_command(fmt: str) -> None:
    """List the lint rules: code, name, category, severity, summary."""
    click.echo(RULE_FORMATS[fmt](), nl=False)


COMMANDS: list[click.Command] = [lint_command, rules_command]
