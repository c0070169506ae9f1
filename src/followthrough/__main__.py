"""``followthrough`` (and ``python -m followthrough``): the command line, started quickly.

Most of a one-file lint (what a pre-commit hook runs, once per commit) is importing
Python's and followthrough's modules, and they allocate a few hundred thousand objects,
none of them garbage: each pass of the cyclic garbage collector walks them all again, and
so does the last one at exit. The collector is held off until the command's modules are
imported, what they hold is then frozen out of every later pass (``gc.freeze``: a
``--jobs`` worker forked from here leaves those objects' pages shared, too), and the command
runs with the collector on.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    import importlib
    import sys

    from followthrough.cli import command_module
    from followthrough.cli import main as command_line

    args = sys.argv[1:]
    if args[:1] == ["lint"] and "--no-cache" in args[: args.index("--") if "--" in args else None]:
        # before the engine's modules import: they look for their compiled patterns there
        from followthrough.core.regex import keep_nothing

        keep_nothing()
    module = command_module(args)
    if module is not None:
        importlib.import_module(module)
    gc.freeze()
    gc.enable()
    command_line()


if __name__ == "__main__":
    main()
