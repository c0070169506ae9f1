"""Headings -> sections: the outline a reader sees before reading any section.

ATX and setext headings come from the block scan; bold labels on their own line
(``**Impact**``, ``**Root cause:** text``) and, in a document without section headings,
plain labels (``Root cause: ...``) are headings too when they name a section. Each heading
is mapped to a :class:`SectionKind` by :mod:`followthrough.core.parsing.vocabulary`; an
unrecognised heading nested under a recognised one (``### Process gap`` under ``## Root
cause``) keeps the parent's meaning for reading, and the parent section's range covers it.
A section ends before the next heading of the same or a higher level, or before the next
recognised heading of any level.
"""

from __future__ import annotations

from dataclasses import dataclass

from followthrough.core.document import Section, SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.vocabulary import METADATA_KEYS, normalize_label, section_kind
from followthrough.core.reading.context import Reading, Region
from followthrough.core.regex import lazy

K = SectionKind

_QUESTION_LABEL = lazy(r"^ {0,3}(?P<label>[A-Za-z][^?:\n]{0,60}\?)[ \t]+\S")
_QUALIFIER = lazy(r"\s*\([^()]*\)|,.*$")
_LIST_ITEM = lazy(r"^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S")
_NAME_MAX = 40  # a section's name, not a sentence


def label_kind(label: str) -> SectionKind | None:
    """The section a label (bold or plain) names from the exact table, else None.

    "Timeline, roughly (all UK time)" is read as "Timeline"; metadata keys ("Date") and
    titles are not sections.
    """
    kind = section_kind(label, exact_only=True)
    if kind is K.OTHER and ("(" in label or "," in label):
        kind = section_kind(_QUALIFIER.sub("", label), exact_only=True)
    if kind in (K.OTHER, K.TITLE) or normalize_label(label) in METADATA_KEYS:
        return None
    return kind


@dataclass
class Head:
    heading: bl.Heading
    kind: SectionKind
    effective: SectionKind


def build(reading: Reading) -> list[Head]:
    """Fill ``reading.doc.sections`` and ``reading.regions`` from the headings; returns the
    headings with their kinds (the title is chosen from them)."""
    heads = _heads(reading)
    _sections(reading, heads)
    return heads


def _heads(reading: Reading) -> list[Head]:
    scan = reading.scan
    content, flags = scan.content, scan.flags
    headings = list(scan.headings)
    label_kinds: dict[int, SectionKind] = {}
    taken = {h.index for h in headings} | {h.index + 1 for h in headings if h.underline}
    for i, first in enumerate(scan.firsts):
        if first not in ("*", "_") or flags[i] != bl.NORMAL or i in taken or i in scan.quoted:
            continue
        line = content[i]
        label = bl.bold_label(line)
        if label is None:
            continue
        kind = label_kind(label[0])
        if kind is None and not label[1] and line[:1] == first and _alone(content, i):
            # "**The underlying issue**:" alone on its line, at the top level, between
            # paragraphs: a heading whatever it says ("**Traefik versions**: 1.7" is a field)
            kind = section_kind(label[0])
            if kind is K.TITLE:
                kind = K.OTHER
        if kind is not None:
            headings.append(bl.Heading(i, 6, label[0], bold=True, inline=label[1]))
            label_kinds[i] = kind
    for i in _names_over_lists(reading, taken | label_kinds.keys()):
        kind = label_kind(content[i].strip().rstrip(":"))
        if kind is not None:
            headings.append(bl.Heading(i, 6, content[i].strip().rstrip(":"), bold=True))
            label_kinds[i] = kind
    headings.sort(key=lambda h: h.index)
    if not _names_a_section([h for h in headings if not h.bold]):
        _plain_labels(reading, headings, label_kinds)
    heads: list[Head] = []
    stack: list[tuple[int, SectionKind]] = []
    first_h1_seen = False
    for h in headings:
        if h.level == 1 and not first_h1_seen and not h.bold:
            first_h1_seen = True
            # The first H1 is the title unless it is exactly a section's name ("# Summary"):
            # "# Traefik rule preventing some inbound traffic" names the incident.
            exact = section_kind(h.text, exact_only=True)
            kind = K.TITLE if exact in (K.OTHER, K.TITLE) else exact
        else:
            kind = label_kinds[h.index] if h.bold else section_kind(h.text)
            if kind is K.OTHER and normalize_label(h.text) in METADATA_KEYS:
                kind = K.METADATA  # "### Date", "### Report Status", "### Duration": a field
            elif kind is K.TITLE:
                kind = K.OTHER
        if kind is not K.OTHER:
            stack.clear()  # a recognised heading ends every open section, whatever its level
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        effective = kind
        if kind is K.OTHER and stack and stack[-1][1] not in (K.OTHER, K.TITLE):
            effective = stack[-1][1]
        stack.append((h.level, effective))
        heads.append(Head(h, kind, effective))
    return heads


def _names_a_section(headings: list[bl.Heading]) -> bool:
    """Does one of these headings name a section? Their exact names are asked first: a
    heading named exactly is named so by the keywords too, and a title matched against
    every keyword pattern costs more than the rest of the outline."""
    if any(section_kind(h.text, exact_only=True) not in (K.OTHER, K.TITLE) for h in headings):
        return True
    return any(section_kind(h.text) not in (K.OTHER, K.TITLE) for h in headings)


def _names_over_lists(reading: Reading, taken: set[int]) -> list[int]:
    """Lines set apart that could be only a section's name ("Action Items") and are
    followed by a list: such a line is that list's heading."""
    scan = reading.scan
    content, flags, firsts = scan.content, scan.flags, scan.firsts
    found: list[int] = []
    for i in range(len(content) - 1):
        if (
            firsts[i].isalpha()
            and flags[i] == bl.NORMAL
            and i not in taken
            and i not in scan.quoted
            and len(content[i]) <= _NAME_MAX
            and _alone(content, i)
        ):
            following = next((j for j in range(i + 1, len(content)) if content[j].strip()), -1)
            if (
                following > 0
                and flags[following] == bl.NORMAL
                and _LIST_ITEM.match(content[following])
            ):
                found.append(i)
    return found


def _alone(content: list[str], i: int) -> bool:
    """Is line ``i`` set apart as a heading is: after a blank line (or the start) and not a
    list item's continuation?"""
    if i == 0:
        return True
    before = content[i - 1]
    return not before.strip() or before.lstrip()[:1] == "#"


def _plain_labels(
    reading: Reading, headings: list[bl.Heading], label_kinds: dict[int, SectionKind]
) -> None:
    """In a document without section headings, ``Root cause: ...`` / ``actions:`` lines
    (any case, at the start of a line that is not a list item) start sections."""
    scan = reading.scan
    content, flags = scan.content, scan.flags
    taken = {h.index for h in headings} | {h.index + 1 for h in headings if h.underline}
    found: list[bl.Heading] = []
    for i, line in enumerate(content):
        first = line.lstrip()[:1]
        if not first.isalpha() or flags[i] != bl.NORMAL or i in taken:
            continue
        if ":" in line:
            label = bl.plain_label(line)
            kind = label_kind(label[0]) if label is not None else None
        else:
            label = kind = None
        if kind is None and "?" in line:
            # "Why did it happen? The printers pin ...": the question opens the analysis
            # and stays in its body, where the whys are read.
            q = _QUESTION_LABEL.match(line)
            if q is not None:
                kind = label_kind(q.group("label"))
                if kind in (K.ROOT_CAUSE, K.WHYS):
                    label = (q.group("label"), line.strip())
                else:
                    kind = None
        if label is None or kind is None or kind is K.METADATA:
            continue
        found.append(bl.Heading(i, 6, label[0], bold=True, inline=label[1]))
        label_kinds[i] = kind
    if found:
        headings.extend(found)
        headings.sort(key=lambda h: h.index)


def _sections(reading: Reading, heads: list[Head]) -> None:
    scan = reading.scan
    n = len(scan.lines)
    ends: list[int] = [n] * len(heads)  # 0-based index after the section's last line
    open_: list[int] = []
    for k, head in enumerate(heads):
        recognised = head.kind is not K.OTHER
        keep: list[int] = []
        for j in open_:
            other = heads[j]
            if recognised or other.kind is K.TITLE or other.heading.level >= head.heading.level:
                ends[j] = head.heading.index
            else:
                keep.append(j)
        open_ = keep
        open_.append(k)
    first_index = heads[0].heading.index if heads else n
    front = _front_matter_end(scan)
    if front:
        front_section = section_over(reading, K.METADATA, "", 0, 1, front, 0)
        front_section.line, front_section.found_by = 1, "front matter"
        front_section.body_line = 2
        reading.doc.sections.append(front_section)
    if first_index > front:
        reading.regions.append(Region(None, "", front, first_index))
    for k, head in enumerate(heads):
        h = head.heading
        body_start = h.index + (2 if h.underline else 1)
        next_index = heads[k + 1].heading.index if k + 1 < len(heads) else n
        region = Region(head.effective, h.text, body_start, max(body_start, next_index))
        if h.inline:
            region.inline, region.inline_index = h.inline, h.index
        # an unrecognised sub-heading is a part of the section above it, of the same kind
        kind = head.effective if head.kind is K.OTHER else head.kind
        section = section_over(reading, kind, h.text, h.index, body_start, ends[k], h.level)
        if h.inline:
            body = section.body
            section.body = h.inline + ("\n" + body if body else "")
            section.body_line = h.index + 1
        region.section = section
        reading.doc.sections.append(section)
        reading.regions.append(region)


def _front_matter_end(scan: bl.Scan) -> int:
    """0-based index after the front matter, 0 when there is none."""
    end = 0
    for flag in scan.flags:
        if flag != bl.FRONT:
            break
        end += 1
    return end


def section_over(
    reading: Reading,
    kind: SectionKind,
    heading: str,
    index: int,
    body_start: int,
    end: int,
    level: int,
) -> Section:
    """A section whose heading is at 0-based ``index`` (or, untitled, starts there) and whose
    body runs from ``body_start`` to before ``end``, blank and comment lines trimmed."""
    scan = reading.scan
    content, flags = scan.content, scan.flags
    last = end - 1
    while last >= body_start and (
        flags[last] in (bl.COMMENT, bl.FRONT)
        or not content[last].strip()
        and flags[last] != bl.CODE
    ):
        last -= 1
    first = body_start
    while first <= last and (
        flags[first] in (bl.COMMENT, bl.FRONT)
        or not content[first].strip()
        and flags[first] != bl.CODE
    ):
        first += 1
    if bl.CODE in flags[first : last + 1]:
        body_lines = [
            scan.lines[j] if flags[j] == bl.CODE else content[j] for j in range(first, last + 1)
        ]
    else:
        body_lines = content[first : last + 1]
    return Section(
        kind=kind,
        heading=heading,
        line=index + 1,
        end_line=max(last + 1, index + 1),
        body="\n".join(body_lines),
        body_line=first + 1,
        level=level,
    )
