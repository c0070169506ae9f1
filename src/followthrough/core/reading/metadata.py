"""Title and metadata (``Date:``, ``Severity:``, ``Failure mode:`` ...).

Metadata is read from front matter, from lines before the first content section, and from
metadata and summary sections. The title is the first H1 that is not itself a known
section, else ``title`` in front matter, else a ``Title:`` metadata line, else a first
unrecognised heading that comes before every recognised one. A leading "Postmortem:" /
"Incident report:" / "PIR:" is dropped from it.
"""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.document import SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.dates import find_date
from followthrough.core.parsing.text import strip_emphasis, without_emphasis
from followthrough.core.parsing.vocabulary import METADATA_KEYS, normalize_label
from followthrough.core.reading.context import Reading
from followthrough.core.reading.outline import Head
from followthrough.core.regex import lazy

K = SectionKind

_TITLE_PREFIX = lazy(
    r"^(?:post[- ]?mortem|incident (?:report|review|postmortem)|pir|retrospective|rca)\s*[:\-–—]\s*",
    re.IGNORECASE,
)
META_LINE = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?P<key>[A-Za-z][A-Za-z0-9 /()#&_.-]{0,40}?)[ \t]*:[ \t]*(?P<value>.*)$"
)
_PLACEHOLDER = lazy(r"\[fill in:[^\]]*\]", re.IGNORECASE)
_OPEN_KINDS: Final = (None, K.TITLE, K.OTHER)


def read(reading: Reading, heads: list[Head]) -> None:
    """Fill the incident date, severity and failure mode, then choose the title."""
    doc = reading.doc
    found: dict[str, tuple[int, str]] = {}
    for key, value in reading.scan.front_matter.items():
        field_name = METADATA_KEYS.get(normalize_label(key))
        if field_name and value:
            found.setdefault(field_name, (0, value))
    content_started = False
    for region in reading.regions:
        if region.kind not in (*_OPEN_KINDS, K.METADATA, K.SUMMARY):
            content_started = True
        if region.kind not in (K.METADATA, K.SUMMARY) and (
            content_started or region.kind not in _OPEN_KINDS
        ):
            continue
        for number, line in reading.lines(region):
            if ":" in line or "|" in line:
                _metadata_line(line, number, found)
    if "date" in found:
        doc.incident_date = find_date(found["date"][1], None)
    if "severity" in found:
        doc.severity = found["severity"][1]
    if "failure_mode" in found:
        doc.failure_mode = found["failure_mode"][1]
    _choose_title(reading, heads, found.get("title"))


def _metadata_line(line: str, number: int, found: dict[str, tuple[int, str]]) -> None:
    stripped = line.strip()
    pairs: list[tuple[str, str]] = []
    if stripped.startswith("|"):
        cells = bl.split_cells(stripped)
        if len(cells) >= 2:
            pairs.append((cells[0], cells[1]))
    else:
        m = META_LINE.match(without_emphasis(line))
        if m is not None:
            pairs.append((m.group("key"), m.group("value")))
    for key, raw in pairs:
        field_name = METADATA_KEYS.get(normalize_label(key))
        if field_name is None:
            continue
        value = without_emphasis(raw)
        if "[" in value:
            value = _PLACEHOLDER.sub("", value)
        value = value.strip().strip("`")
        if value and value not in ("-", "—"):
            found.setdefault(field_name, (number, value))


def clean_title(text: str) -> str:
    t = strip_emphasis(text).strip()
    t = _TITLE_PREFIX.sub("", t, count=1)
    return t.strip() or text.strip()


def _choose_title(reading: Reading, heads: list[Head], meta_title: tuple[int, str] | None) -> None:
    doc = reading.doc
    title_head = next((h for h in heads if h.kind is K.TITLE), None)
    if title_head is not None:
        doc.title = clean_title(title_head.heading.text)
        doc.title_line = title_head.heading.index + 1
        return
    front_title = reading.scan.front_matter.get("title")
    if front_title:
        doc.title = clean_title(front_title)
        doc.title_line = 1
        return
    if meta_title is not None:
        doc.title, doc.title_line = clean_title(meta_title[1]), meta_title[0] or 1
        return
    if heads and heads[0].kind is K.OTHER:
        first = heads[0]
        first.kind = first.effective = K.TITLE
        for region in reading.regions:
            if region.section is not None and region.section.line == first.heading.index + 1:
                region.kind = K.TITLE
                region.section.kind = K.TITLE
                break
        doc.title = clean_title(first.heading.text)
        doc.title_line = first.heading.index + 1
