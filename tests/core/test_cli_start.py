"""The command line starts fast: a command's module is imported only when it runs."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys

from click.testing import CliRunner

import followthrough.commands
from followthrough.cli import COMMAND_MODULES, main


def test_every_command_of_every_module_is_named_in_the_table() -> None:
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(followthrough.commands.__path__):
        module = importlib.import_module(f"followthrough.commands.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            found[command.name] = info.name
    assert found == COMMAND_MODULES


def test_help_lists_every_command() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    assert all(name in out for name in COMMAND_MODULES)


def test_linting_imports_neither_django_nor_the_server() -> None:
    code = (
        "import sys\n"
        "from followthrough.cli import main\n"
        "try:\n"
        "    main(['rules'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'gunicorn', 'ninja', 'httpx', 'pygls'})\n"
        "print('heavy:' + ','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip().splitlines()[-1] == "heavy:"
