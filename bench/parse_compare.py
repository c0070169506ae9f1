"""Is the parse the same? Writes every parsed Document of some folders as text, one line per
field path, so two checkouts' parses can be compared with ``cmp`` or ``diff``.

    /work/main/.venv/bin/python bench/parse_compare.py tests/corpus DOCS... > /tmp/before.txt
    .venv/bin/python bench/parse_compare.py tests/corpus DOCS... > /tmp/after.txt
    cmp /tmp/before.txt /tmp/after.txt

Every field of the Document is written, the masked text (``Document.masked``, which equality
leaves out) included; sets are sorted, so the output does not depend on ``PYTHONHASHSEED``.
The script imports only ``followthrough.core.markdown.parse``: the interpreter chooses which
checkout is read.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import sys
from collections.abc import Iterator
from pathlib import Path


def _plain(value: object) -> object:
    """``value`` as plain lists, dicts and scalars, in a stable order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, dict):
        return {repr(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _lines(prefix: str, value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _lines(f"{prefix}.{key}", item)
    elif isinstance(value, list):
        yield f"{prefix} len={len(value)}"
        for i, item in enumerate(value):
            yield from _lines(f"{prefix}[{i}]", item)
    else:
        yield f"{prefix} = {value!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of Markdown files")
    args = parser.parse_args(argv)
    from followthrough.core.markdown import parse

    out = sys.stdout
    for folder in args.folders:
        for path in sorted(folder.rglob("*.md")):
            name = str(path.relative_to(folder))
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            doc = parse(text, name)
            out.write(f"## {name}\n")
            for line in _lines("doc", _plain(doc)):
                if not line.startswith(("doc.text ", "doc.masked[0] ")):
                    out.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
