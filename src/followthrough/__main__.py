"""``followthrough`` (and ``python -m followthrough``): the command line, started quickly.

Most of a one-file lint (what a pre-commit hook runs, once per commit) is importing
Python's and followthrough's modules. Two costs of that are avoided here, before the
command runs as usual:

- The modules allocate a few hundred thousand objects, none of them garbage, and each pass
  of the cyclic garbage collector walks them all again, the last one at exit too. The
  collector is held off until the command's modules are imported, what they hold is then
  frozen out of every later pass (``gc.freeze``: a ``--jobs`` worker forked from here leaves
  those objects' pages shared, too), and the command runs with the collector on.
- ``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` ... as source
  text and compiles it: for the ~40 classes a lint imports, a tenth of the run. While the
  command's modules import, the ``exec`` it compiles them with takes the compiled code from
  the store of compiled patterns (``core.regex.code_kept``), where the first run put it:
  the same code, compiled from the same text.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def main() -> None:
    gc.disable()
    import importlib
    import sys

    from followthrough.cli import command_module
    from followthrough.cli import main as command_line

    module = command_module(sys.argv[1:])
    if module is not None:
        with _dataclass_methods_kept():
            importlib.import_module(module)
    gc.freeze()
    gc.enable()
    command_line()


@contextmanager
def _dataclass_methods_kept() -> Iterator[None]:
    import dataclasses

    from followthrough.core.regex import code_kept

    def exec_kept(
        source: Any, globals: dict[str, Any] | None = None, locals: Mapping[str, Any] | None = None
    ) -> None:
        exec(code_kept(source) if isinstance(source, str) else source, globals, locals)

    # dataclasses calls exec by its global name: a global of the module's own shadows the
    # builtin while the command's modules import (one thread: nothing else runs yet)
    vars(dataclasses)["exec"] = exec_kept
    try:
        yield
    finally:
        vars(dataclasses).pop("exec", None)


if __name__ == "__main__":
    main()
