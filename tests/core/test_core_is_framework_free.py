"""The core is framework-free: nothing under followthrough/core imports Django.

The source is read with ``ast`` rather than imported, so a Django import hidden in a
function body or behind ``if TYPE_CHECKING`` is caught too, and nothing gets executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "followthrough" / "core"
FORBIDDEN = "django"
DYNAMIC_IMPORTERS = {"__import__", "import_module"}


def _is_forbidden(module: str | None) -> bool:
    return module is not None and (module == FORBIDDEN or module.startswith(FORBIDDEN + "."))


def django_imports(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, module) of every import of Django in a module's source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.extend(
                (node.lineno, alias.name) for alias in node.names if _is_forbidden(alias.name)
            )
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_forbidden(node.module):
            found.append((node.lineno, str(node.module)))
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else None
            )
            if name in DYNAMIC_IMPORTERS and node.args:
                first = node.args[0]
                if (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and _is_forbidden(first.value)
                ):
                    found.append((node.lineno, first.value))
    return found


def test_the_core_is_where_this_test_expects_it() -> None:
    assert (CORE / "__init__.py").is_file()
    assert len(list(CORE.rglob("*.py"))) > 1


def offenders(core: Path) -> list[str]:
    """ "<file>:<line> imports <module>" for every Django import below ``core``."""
    found = []
    for path in sorted(core.rglob("*.py")):
        relative = path.relative_to(core.parent.parent)
        for line, module in django_imports(path.read_text(encoding="utf-8"), str(path)):
            found.append(f"{relative}:{line} imports {module}")
    return found


def test_no_module_in_the_core_imports_django() -> None:
    found = offenders(CORE)
    assert not found, "followthrough.core must not import Django:\n" + "\n".join(found)


def test_a_django_import_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    core = tmp_path / "followthrough" / "core"
    (core / "rules").mkdir(parents=True)
    (core / "__init__.py").write_text("")
    (core / "rules" / "blame.py").write_text("import re\n\nfrom django.db import models\n")
    assert offenders(core) == ["followthrough/core/rules/blame.py:3 imports django.db"]


@pytest.mark.parametrize(
    "source",
    [
        "import django",
        "import os, django.db",
        "from django.conf import settings",
        "from django import forms",
        "def f():\n    from django.utils import timezone\n",
        "import importlib\nimportlib.import_module('django.db')",
        "__import__('django')",
    ],
)
def test_the_check_catches_every_way_of_importing_django(source: str) -> None:
    assert django_imports(source, "example.py")


@pytest.mark.parametrize(
    "source",
    ["import djangoish", "from . import django", "from .django import x", "x = 'import django'"],
)
def test_the_check_does_not_mistake_lookalikes_for_django(source: str) -> None:
    assert django_imports(source, "example.py") == []
