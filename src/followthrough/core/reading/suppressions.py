"""``<!-- followthrough: disable=PM201,action-items.unowned -->``: the next content line, the
line it ends, or (before any content, or ``disable-file``) the whole file."""

from __future__ import annotations

import re

from followthrough.core.parsing import blocks as bl
from followthrough.core.reading.context import Reading
from followthrough.core.regex import lazy

_SUPPRESSION = lazy(
    r"^\s*followthrough\s*:\s*(disable(?:-file|-next-line|-line)?)\s*=\s*(.*?)\s*$", re.DOTALL
)
_CODE_TOKEN = lazy(r"[A-Za-z][A-Za-z0-9_.-]*")
_RULE_CODE = lazy(r"^[A-Za-z]{1,6}\d{1,5}$")


def _codes(raw: str) -> set[str]:
    codes: set[str] = set()
    for token in _CODE_TOKEN.findall(raw):
        codes.add(token.upper() if _RULE_CODE.match(token) else token.lower())
    return codes


def read(reading: Reading) -> None:
    scan, doc = reading.scan, reading.doc
    n = len(scan.lines)
    for comment in scan.comments:
        m = _SUPPRESSION.match(comment.text)
        if m is None:
            continue
        codes = _codes(m.group(2))
        if not codes:
            continue
        index = comment.line - 1
        if m.group(1) == "disable-file" or (comment.own_line and index < scan.first_content):
            target = 0
        elif not comment.own_line:
            target = comment.line
        else:
            j = index + 1
            while j < n and (
                scan.flags[j] == bl.COMMENT
                or (scan.flags[j] == bl.NORMAL and not scan.content[j].strip())
            ):
                j += 1
            target = j + 1 if j < n else comment.line
        doc.suppressions.setdefault(target, set()).update(codes)
