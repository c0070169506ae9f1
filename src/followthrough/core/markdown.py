"""Any common postmortem Markdown -> :class:`Document`, and a Document -> our template's Markdown.

The parser is line-oriented and needs no configuration:

* **Sections** come from ATX headings (``#`` .. ``######``), setext headings and bold labels
  on their own line (``**Impact**``, ``**Root cause:** text``), mapped to a
  :class:`SectionKind` by the synonym tables in :mod:`followthrough.core.parsing.vocabulary`.
  A heading that maps to nothing is OTHER; an OTHER heading nested under a recognised one
  (``### Process gap`` under ``## Root cause``) keeps the parent's meaning for extraction
  and the parent section's range covers it. A section ends before the next heading of the
  same or a higher level, or before the next recognised heading of any level.
* **Title**: the first H1 that is not itself a known section, else ``title:`` in front
  matter, else a ``Title:`` metadata line, else a first unrecognised heading that comes
  before every recognised one. A leading "Postmortem:" / "Post-mortem:" / "Incident
  report:" / "PIR:" is dropped from it.
* **Metadata** (``Date:``, ``Severity:``, ``Failure mode:``...) is read from front matter,
  from lines before the first content section, and from metadata and summary sections.
* **Timeline** entries are list items, lines or table rows that start with a time stamp
  (see :mod:`followthrough.core.parsing.dates`). A date on a line of its own or in a
  sub-heading applies to the times after it; a time with no date takes the incident date
  (else the first full date of the timeline). When such an undated time falls before 06:00
  right after one at 18:00 or later, the day is taken to have rolled over.
* **Suppressions**: ``<!-- followthrough: disable=PM201,action-items.unowned -->``.

``parse`` never raises; ``read_file`` raises :class:`DocumentReadError` with a one-line
reason for input that is not a readable UTF-8 text file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from importlib import resources
from pathlib import Path
from typing import Final

from followthrough.core.document import (
    ActionItem,
    ContributingFactor,
    Document,
    RootCause,
    RootCauseCategory,
    Section,
    SectionKind,
    TimelineEvent,
    Why,
)
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.actions import (
    Fields,
    due_date,
    is_done_status,
    keyed_fields,
    owner_value,
    parse_annotations,
)
from followthrough.core.parsing.dates import (
    Stamp,
    combine,
    find_date,
    find_day,
    find_zone,
    match_stamp,
    to_date,
)
from followthrough.core.parsing.vocabulary import (
    CATEGORY_WORDS,
    METADATA_KEYS,
    NO_OWNER,
    normalize_label,
    section_kind,
)

__all__ = [
    "MAX_BYTES",
    "DocumentReadError",
    "parse",
    "read_file",
    "template",
    "to_markdown",
    "to_record",
    "TEMPLATE_TITLE_PLACEHOLDER",
]

MAX_BYTES: Final = (
    20 * 1024 * 1024
)  # a 10 MiB postmortem is odd but allowed; beyond 20 MiB, refused
TEMPLATE_TITLE_PLACEHOLDER: Final = (
    "[fill in: what failed, for whom, e.g. Checkout errors for EU customers]"
)

K = SectionKind


# Timeline roll-over: a time before 06:00 after one from 18:00 on is the next day.
_NO_DAYS = timedelta(0)
_ONE_DAY = timedelta(days=1)
_EVENING = time(18)
_EARLY_MORNING = time(6)


class DocumentReadError(Exception):
    """A file that cannot be read as a postmortem; ``str(error)`` is a one-line reason."""


# --------------------------------------------------------------------------- reading files


def read_file(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Document:
    """Read and parse one Markdown file."""
    p = Path(path)
    try:
        if p.is_dir():
            raise DocumentReadError("is a directory")
        size = p.stat().st_size
        if size > max_bytes:
            raise DocumentReadError(f"file too large ({size} bytes; the limit is {max_bytes})")
        with p.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise DocumentReadError("no such file") from None
    except PermissionError:
        raise DocumentReadError("permission denied") from None
    except OSError as error:
        raise DocumentReadError(error.strerror or "cannot be read") from None
    if len(data) > max_bytes:
        raise DocumentReadError(f"file too large (more than {max_bytes} bytes)")
    if not data.strip():
        raise DocumentReadError("empty file")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DocumentReadError(f"binary file (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = data[error.start : error.start + 1].hex()
        raise DocumentReadError(
            f"not UTF-8 (invalid byte 0x{bad} at offset {error.start})"
        ) from None
    return parse(text, os.fspath(path))


# --------------------------------------------------------------------------- parsing

_TITLE_PREFIX = re.compile(
    r"^(?:post[- ]?mortem|incident (?:report|review|postmortem)|pir|retrospective|rca)\s*[:\-–—]\s*",
    re.IGNORECASE,
)
_SUPPRESSION = re.compile(
    r"^\s*followthrough\s*:\s*(disable(?:-file|-next-line|-line)?)\s*=\s*(.*?)\s*$", re.DOTALL
)
_CODE_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_RULE_CODE = re.compile(r"^[A-Za-z]{1,6}\d{1,5}$")
_META_LINE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?P<key>[A-Za-z][A-Za-z0-9 /()#&_.-]{0,40}?)[ \t]*:[ \t]*(?P<value>.*)$"
)
_EMPHASIS = re.compile(r"\*\*|__")
_PLACEHOLDER = re.compile(r"\[fill in:[^\]]*\]", re.IGNORECASE)
_WHY_QA = re.compile(r"^Q\d*\s*[:.)]\s*(?P<q>.*?)\s+A\d*\s*[:.)]\s*(?P<a>.*)$", re.IGNORECASE)
_Q_ONLY = re.compile(r"^Q\d*\s*[:.)]\s*", re.IGNORECASE)
_A_ONLY = re.compile(r"^A\d*\s*[:.)]\s*", re.IGNORECASE)
_WHY_START = re.compile(r"^(?:\d+[.)]\s*)?(?:\*\*|__)?\s*(?:why\b|q\d*\s*[:.)])", re.IGNORECASE)
_ANSWER_LEAD = re.compile(r"^(?:\s|[-–—:→>=]|->|=>|a\d*\s*[:.)]|because\b,?)+", re.IGNORECASE)
_CATEGORY_LINE = re.compile(
    r"^[*_]{0,2}(?:root[ \t]+cause[ \t]+)?(?:category|categories|type|classification|gap)[*_]{0,2}[ \t]*:[*_]{0,2}[ \t]*(?P<v>.*)$",
    re.IGNORECASE,
)
_CATEGORY_INLINE = re.compile(
    r"\s*[(\[]\s*(?:(?:root\s+cause\s+)?category\s*:\s*)?(?P<v>[a-z]+)(?:\s+gaps?)?\s*[)\]]\.?\s*$|"
    r"\s*[—–|-]+\s*(?:(?:root\s+cause\s+)?category\s*:\s*)?(?P<w>[a-z]+)\s+gaps?\.?\s*$|"
    r"\s*[(\[—–|,;-]*\s*(?:root\s+cause\s+)?category\s*:\s*(?P<x>[a-z ]+?)(?:\s+gaps?)?\s*[)\]]?\.?\s*$|"
    # "... nobody knew about. Knowledge gap.": a last sentence naming the gap.
    r"(?<=[.!?])\s+(?P<y>[a-z]+)\s+gaps?\s*\.?\s*$",
    re.IGNORECASE,
)
_GAP_LABEL = re.compile(
    r"^(?:\*\*|__)(?P<v>[A-Za-z]+)(?:[ \t]+gaps?)?:?(?:\*\*|__):?[ \t]*(?P<rest>.*)$", re.IGNORECASE
)
_WORDS = re.compile(r"[a-z]+")
_STATUS_SUFFIX = re.compile(r"\s*\b(DONE|TODO|WIP|OPEN|CLOSED|FIXED)\s*$")
_STATUS_WORDS: Final = ("DONE", "TODO", "WIP", "OPEN", "CLOSED", "FIXED")
_GAP_END = re.compile(r"gaps?$", re.IGNORECASE)
_CATEGORY_CHARS_REVERSED = re.compile(r"(?:[^\W\d_]|[\s()\[\]—–|,;:.-])*")
_ZONE_NOTE = re.compile(r"\b(?:times?|timestamps?)\b", re.IGNORECASE)


def categories_in(text: str) -> set[RootCauseCategory]:
    return {CATEGORY_WORDS[w] for w in _WORDS.findall(text.lower()) if w in CATEGORY_WORDS}


def single_category(text: str) -> RootCauseCategory | None:
    found = categories_in(text)
    return next(iter(found)) if len(found) == 1 else None


def heading_category(heading: str) -> RootCauseCategory | None:
    """``### Process gap`` / ``Tooling gaps`` -> the category; anything longer -> None."""
    words = normalize_label(heading).split()
    if words and words[-1] in ("gap", "gaps"):
        words = words[:-1]
    if len(words) == 1 and words[0] in CATEGORY_WORDS:
        return CATEGORY_WORDS[words[0]]
    return None


_HEADING_FIRSTS: Final = frozenset({"#", "*", "_"})
_QUESTION_LABEL = re.compile(r"^ {0,3}(?P<label>[A-Za-z][^?:\n]{0,60}\?)[ \t]+\S")
_WHY_QUESTION = re.compile(r"(?<![\w])(?:why|how come)\b[^?]{0,200}\?", re.IGNORECASE)
_QUALIFIER = re.compile(r"\s*\([^()]*\)|,.*$")


def _label_kind(label: str) -> SectionKind | None:
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
class _Region:
    """The lines from one heading to the next, with the meaning they inherit."""

    kind: SectionKind | None  # None: before the first heading
    heading: str
    start: int  # 0-based index of the first body line
    stop: int  # 0-based index after the last body line
    inline: str = ""  # text after a bold label
    inline_index: int = -1


@dataclass
class _Head:
    heading: bl.Heading
    kind: SectionKind
    effective: SectionKind


def parse(text: str, path: str = "<text>") -> Document:
    """Parse postmortem Markdown. Never raises on any ``str``."""
    return _Parser(text, path).run()


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.doc = Document(path=path, text=text)
        self.lines = text.splitlines()
        self.scan = bl.scan(self.lines)
        self.heads: list[_Head] = []
        self.regions: list[_Region] = []
        self.default_year: int | None = None
        self._meta_title: tuple[int, str] | None = None
        # Timeline state while reading: the current day and zone, and the events whose
        # ``at`` is resolved once every date in the document is known.
        self._tl_date: date | None = None
        self._tl_zone: tzinfo | None = None
        self._tl_pending: list[tuple[TimelineEvent, Stamp | None, date | None]] = []

    # -- structure ---------------------------------------------------------------------

    def run(self) -> Document:
        self._find_headings()
        self._build_sections()
        self._read_metadata()
        self._choose_title()
        self.default_year = self.doc.incident_date.year if self.doc.incident_date else None
        for region in self.regions:
            if region.kind is K.TIMELINE:
                self._timeline_region(region)
            elif region.kind is K.WHYS:
                self._whys_region(region, only_questions=False)
            elif region.kind is K.ROOT_CAUSE:
                self._root_cause_region(region)
            elif region.kind is K.CONTRIBUTING_FACTORS:
                self._factors_region(region)
            elif region.kind is K.ACTION_ITEMS:
                self._actions_region(region)
        self._finish_timeline()
        self._read_suppressions()
        return self.doc

    def _read_suppressions(self) -> None:
        _read_suppressions_into(self)

    def _find_headings(self) -> None:
        content, flags = self.scan.content, self.scan.flags
        n = len(content)
        # The first visible character of every line decides whether it can be a heading:
        # "#" (ATX), "*"/"_" (a bold label), or a next line of "="/"-" (setext).
        firsts = [line.lstrip()[:1] for line in content]
        candidates = [i for i, f in enumerate(firsts) if f in _HEADING_FIRSTS]
        underlines = [i - 1 for i in range(1, n) if firsts[i] in ("=", "-")]
        if underlines:
            candidates = sorted(set(candidates).union(underlines))
        headings: list[bl.Heading] = []
        label_kinds: dict[int, SectionKind] = {}
        skip = -1
        for i in candidates:
            if i == skip or flags[i] != bl.NORMAL:
                continue
            line = content[i]
            first = firsts[i]
            if not first:
                continue
            if first == "#":
                atx = bl.atx_heading(line)
                if atx is not None and atx[1]:
                    headings.append(bl.Heading(i, atx[0], atx[1]))
                    continue
            if first in ("*", "_"):
                label = bl.bold_label(line)
                if label is not None:
                    kind = _label_kind(label[0])
                    if kind is not None:
                        headings.append(bl.Heading(i, 6, label[0], bold=True, inline=label[1]))
                        label_kinds[i] = kind
                        continue
            if (
                i + 1 < n
                and flags[i + 1] == bl.NORMAL
                and firsts[i + 1] in ("=", "-")
                and first not in ("|", ">")
            ):
                level = bl.setext_level(content[i + 1])
                if (
                    level is not None
                    and not bl.is_list_item(line)
                    and (i == 0 or not content[i - 1].strip() or flags[i - 1] != bl.NORMAL)
                ):
                    headings.append(bl.Heading(i, level, line.strip(), underline=True))
                    skip = i + 1
        if not any(not h.bold and section_kind(h.text) not in (K.OTHER, K.TITLE) for h in headings):
            self._plain_labels(firsts, headings, label_kinds)
        stack: list[tuple[int, SectionKind]] = []
        first_h1_seen = False
        for h in headings:
            kind = label_kinds[h.index] if h.bold else section_kind(h.text)
            if h.level == 1 and not first_h1_seen and not h.bold:
                first_h1_seen = True
                if kind in (K.OTHER, K.TITLE):
                    kind = K.TITLE
            elif kind is K.TITLE:
                kind = K.OTHER
            while stack and stack[-1][0] >= h.level:
                stack.pop()
            effective = kind
            if kind is K.OTHER and stack and stack[-1][1] not in (K.OTHER, K.TITLE):
                effective = stack[-1][1]
            stack.append((h.level, effective))
            self.heads.append(_Head(h, kind, effective))

    def _plain_labels(
        self,
        firsts: list[str],
        headings: list[bl.Heading],
        label_kinds: dict[int, SectionKind],
    ) -> None:
        """In a document without section headings, ``Root cause: ...`` / ``actions:`` lines
        (any case, at the start of a line that is not a list item) start sections."""
        content, flags = self.scan.content, self.scan.flags
        taken = {h.index for h in headings} | {h.index + 1 for h in headings if h.underline}
        found: list[bl.Heading] = []
        for i, first in enumerate(firsts):
            if not first.isalpha() or flags[i] != bl.NORMAL or i in taken:
                continue
            line = content[i]
            if ":" in line:
                label = bl.plain_label(line)
                kind = _label_kind(label[0]) if label is not None else None
            else:
                label = kind = None
            if kind is None and "?" in line:
                # "Why did it happen? The printers pin ...": the question opens the analysis
                # and stays in its body, where the whys are read.
                q = _QUESTION_LABEL.match(line)
                if q is not None:
                    kind = _label_kind(q.group("label"))
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

    def _build_sections(self) -> None:
        n = len(self.lines)
        heads = self.heads
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
        content, flags = self.scan.content, self.scan.flags
        has_code = bl.CODE in flags
        first_index = heads[0].heading.index if heads else n
        if first_index > 0:
            self.regions.append(_Region(None, "", 0, first_index))
        for k, head in enumerate(heads):
            h = head.heading
            body_start = h.index + (2 if h.underline else 1)
            next_index = heads[k + 1].heading.index if k + 1 < len(heads) else n
            region = _Region(head.effective, h.text, body_start, max(body_start, next_index))
            if h.inline:
                region.inline, region.inline_index = h.inline, h.index
            self.regions.append(region)
            end = ends[k]
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
            if has_code and bl.CODE in flags[first : last + 1]:
                body_lines = [
                    self.lines[j] if flags[j] == bl.CODE else content[j]
                    for j in range(first, last + 1)
                ]
            else:
                body_lines = content[first : last + 1]
            if h.inline:
                body_lines.insert(0, h.inline)
                first = h.index
            body = "\n".join(body_lines)
            self.doc.sections.append(
                Section(
                    kind=head.kind,
                    heading=h.text,
                    line=h.index + 1,
                    end_line=max(last + 1, h.index + 1),
                    body=body,
                    body_line=first + 1,
                    level=h.level,
                )
            )

    def _region_lines(self, region: _Region) -> list[tuple[int, str]]:
        """(1-based line, content) for a region; code and comments read as blank lines."""
        content, flags = self.scan.content, self.scan.flags
        out: list[tuple[int, str]] = []
        if region.inline:
            out.append((region.inline_index + 1, region.inline))
        for j in range(region.start, region.stop):
            out.append((j + 1, content[j] if flags[j] == bl.NORMAL else ""))
        return out

    # -- metadata and title ------------------------------------------------------------

    def _read_metadata(self) -> None:
        doc = self.doc
        found: dict[str, tuple[int, str]] = {}
        front = self.scan.front_matter
        for key, value in front.items():
            field_name = METADATA_KEYS.get(normalize_label(key))
            if field_name and value:
                found.setdefault(field_name, (0, value))
        content_started = False
        for region in self.regions:
            if region.kind not in (None, K.TITLE, K.METADATA, K.SUMMARY, K.OTHER):
                content_started = True
            if region.kind not in (K.METADATA, K.SUMMARY) and (
                content_started or region.kind not in (None, K.TITLE, K.OTHER)
            ):
                continue
            for number, line in self._region_lines(region):
                if ":" not in line and "|" not in line:
                    continue
                self._metadata_line(line, number, found)
        if "title" in found:
            self._meta_title = found["title"]
        if "date" in found:
            doc.incident_date = find_date(found["date"][1], None)
        if "severity" in found:
            doc.severity = found["severity"][1]
        if "failure_mode" in found:
            doc.failure_mode = found["failure_mode"][1]

    def _metadata_line(self, line: str, number: int, found: dict[str, tuple[int, str]]) -> None:
        stripped = line.strip()
        pairs: list[tuple[str, str]] = []
        if stripped.startswith("|"):
            cells = bl.split_cells(stripped)
            if len(cells) >= 2:
                pairs.append((cells[0], cells[1]))
        else:
            m = _META_LINE.match(_without_emphasis(line))
            if m is not None:
                pairs.append((m.group("key"), m.group("value")))
        for key, raw in pairs:
            field_name = METADATA_KEYS.get(normalize_label(key))
            if field_name is None:
                continue
            value = _without_emphasis(raw)
            if "[" in value:
                value = _PLACEHOLDER.sub("", value)
            value = value.strip().strip("`")
            if value and value not in ("-", "—"):
                found.setdefault(field_name, (number, value))

    def _choose_title(self) -> None:
        doc = self.doc
        title_head = next((h for h in self.heads if h.kind is K.TITLE), None)
        if title_head is not None:
            doc.title, doc.title_line = (
                _clean_title(title_head.heading.text),
                title_head.heading.index + 1,
            )
            return
        front_title = self.scan.front_matter.get("title")
        if front_title:
            doc.title = _clean_title(front_title)
            doc.title_line = 1
            return
        if self._meta_title is not None:
            doc.title, doc.title_line = _clean_title(self._meta_title[1]), self._meta_title[0] or 1
            return
        if self.heads and self.heads[0].kind is K.OTHER:
            first = self.heads[0]
            first.kind = first.effective = K.TITLE
            for s in doc.sections:
                if s.line == first.heading.index + 1:
                    s.kind = K.TITLE
                    break
            for r in self.regions:
                if (
                    r.start == first.heading.index + (2 if first.heading.underline else 1)
                    and r.heading == first.heading.text
                ):
                    r.kind = K.TITLE
                    break
            doc.title, doc.title_line = _clean_title(first.heading.text), first.heading.index + 1

    # -- timeline ----------------------------------------------------------------------

    def _timeline_region(self, region: _Region) -> None:
        zone = find_zone(region.heading)
        if zone is not None:
            self._tl_zone = zone
        day = find_day(region.heading)
        if day is not None:
            self._set_timeline_day(day)
        for block in bl.blocks(self._region_lines(region)):
            if isinstance(block, bl.Item):
                for item in bl.walk([block]):
                    text = _join(item.text, item.cont) if item.parent is None else item.text
                    self._timeline_entry(item.line, text, list_item=item.parent is None)
            elif isinstance(block, bl.Para):
                for number, line in block.lines:
                    self._timeline_entry(number, line, list_item=False)
            else:
                self._timeline_table(block)

    def _set_timeline_day(self, day: tuple[int | None, int, int]) -> None:
        year = day[0] if day[0] is not None else self.default_year
        if year is None and self._tl_date is not None:
            year = self._tl_date.year
        found = to_date((year, day[1], day[2]), None)
        if found is not None:
            self._tl_date = found

    def _timeline_entry(
        self, number: int, text: str, *, list_item: bool, zone: tzinfo | None = None
    ) -> None:
        plain = text.strip()
        stamp = match_stamp(plain)
        if stamp is None:
            if not list_item:
                if _ZONE_NOTE.search(plain):
                    z = find_zone(plain)
                    if z is not None:
                        self._tl_zone = z
                return
            if plain:
                self._tl_pending.append(
                    (TimelineEvent(number, _strip_emphasis(plain), ""), None, None)
                )
            return
        rest = stamp.rest.strip(" *_:()")
        if stamp.clock is None and stamp.day is not None and (not rest or _ZONE_NOTE.search(rest)):
            # "2015-10-21 (all times UTC)": a day (and zone) for the entries below.
            self._set_timeline_day(stamp.day)
            z = find_zone(rest) if rest else None
            if z is not None:
                self._tl_zone = z
            return
        self._push(TimelineEvent(number, _strip_emphasis(stamp.rest), stamp.text), stamp, zone)

    def _push(self, event: TimelineEvent, stamp: Stamp, zone: tzinfo | None) -> None:
        """Queue an event; its ``at`` is resolved once every date in the document is known."""
        if stamp.day is not None:
            self._set_timeline_day(stamp.day)
        zone = stamp.zone or zone or self._tl_zone
        if zone is not None and stamp.zone is None:
            stamp = Stamp(stamp.text, stamp.rest, stamp.day, stamp.clock, zone)
        self._tl_pending.append((event, stamp, self._tl_date if stamp.day is None else None))

    def _timeline_table(self, table: bl.Table) -> None:
        header = [normalize_label(c) for c in table.header] if table.header else None
        rows = list(table.rows)
        if header is None and rows:
            guess = [normalize_label(c) for c in rows[0][1]]
            if (
                any(_time_column(c) or _event_column(c) for c in guess)
                and match_stamp(rows[0][1][0] if rows[0][1] else "") is None
            ):
                header, table.header = guess, rows[0][1]
                rows = rows[1:]
        time_col, date_col, event_cols = 0, None, None
        zone: tzinfo | None = None
        if header:
            times = [k for k, c in enumerate(header) if _time_column(c)]
            dates = [k for k, c in enumerate(header) if c in ("date", "day")]
            events = [k for k, c in enumerate(header) if _event_column(c)]
            if dates and times and dates[0] != times[-1]:
                date_col = dates[0]
                time_col = next((t for t in times if t != date_col), times[0])
            elif times:
                time_col = times[0]
            event_cols = events or None
            if table.header:
                for k, c in enumerate(table.header):
                    if k in (time_col, date_col) and find_zone(c) is not None:
                        zone = find_zone(c)
        skip = {time_col} | ({date_col} if date_col is not None else set())
        chosen_by_width: dict[int, list[int]] = {}
        for number, cells in rows:
            stamp_text = cells[time_col] if time_col < len(cells) else ""
            if date_col is not None and date_col < len(cells) and cells[date_col]:
                stamp_text = f"{cells[date_col]} {stamp_text}".strip()
            chosen = event_cols or chosen_by_width.get(len(cells))
            if chosen is None:
                chosen = [k for k in range(len(cells)) if k not in skip]
                chosen_by_width[len(cells)] = chosen
            words = [cells[k] for k in chosen if k < len(cells) and cells[k]]
            text = " — ".join(words)
            if not stamp_text and not text:
                continue
            stamp = match_stamp(stamp_text) if stamp_text else None
            if stamp is not None and stamp.clock is None and not text:
                if stamp.day is not None:
                    self._set_timeline_day(stamp.day)
                continue
            if stamp is None:
                self._tl_pending.append(
                    (TimelineEvent(number, _strip_emphasis(text), stamp_text), None, None)
                )
                continue
            body = " — ".join(w for w in (stamp.rest, text) if w)
            self._push(TimelineEvent(number, _strip_emphasis(body), stamp_text), stamp, zone)

    def _finish_timeline(self) -> None:
        pending = self._tl_pending
        fallback = self.doc.incident_date
        if fallback is None:
            for _, stamp, _ in pending:
                if stamp is not None and stamp.day is not None and stamp.day[0] is not None:
                    fallback = to_date(stamp.day, None)
                    if fallback is not None:
                        break
        year = fallback.year if fallback else None
        previous: datetime | None = None
        rolled = _NO_DAYS
        last_day: date | None = None
        # A zone, once written, holds for later times; the first one written also holds for
        # the times before it ("23:58 ..." then "00:05 UTC ..."), so that a timeline never
        # mixes naive and zoned times.
        last_zone = next(
            (s.zone for _, s, _ in pending if s is not None and s.clock is not None and s.zone),
            None,
        )
        timeline = self.doc.timeline
        for event, stamp, context_day in pending:
            timeline.append(event)
            if stamp is None or stamp.clock is None:
                continue
            event.clock = stamp.clock
            zone = stamp.zone if stamp.zone is not None else last_zone
            last_zone = zone
            if context_day != last_day:
                rolled, last_day = _NO_DAYS, context_day
            try:
                if stamp.day is not None:
                    when = to_date(stamp.day, year)
                    rolled = _NO_DAYS
                    if when is None:
                        continue
                    at = combine(when, stamp.clock, zone)
                else:
                    base = context_day or fallback
                    if base is None:
                        continue
                    at = combine(base, stamp.clock, zone) + rolled
                    # Naive and zoned times do not compare: only roll over between alike.
                    if (
                        previous is not None
                        and (previous.tzinfo is None) == (at.tzinfo is None)
                        and previous.time() >= _EVENING
                        and stamp.clock < _EARLY_MORNING
                        and at < previous
                    ):
                        rolled += _ONE_DAY
                        at += _ONE_DAY
            except OverflowError:  # a day rolled past 9999-12-31
                continue
            event.at = at
            previous = at

    # -- whys and root causes ----------------------------------------------------------

    def _whys_region(self, region: _Region, *, only_questions: bool) -> list[tuple[int, str]]:
        """Read whys; returns the region's lines with the whys blanked (for root causes).

        ``only_questions``: in a root cause section only lines that ask "Why ...?" (or
        "Q: ...") are whys, with the answer on the same or the next line.
        """
        lines = self._region_lines(region)
        used: set[int] = set()
        pending: Why | None = None

        def take(number: int, text: str, cont: list[tuple[int, str]]) -> None:
            nonlocal pending
            plain = _strip_emphasis(text).strip()
            if not plain:
                return
            looks_like_why = _WHY_START.match(plain) is not None
            extra = " ".join(t for _, t in cont)
            if pending is not None and not looks_like_why:
                pending.answer = _ANSWER_LEAD.sub("", f"{plain} {extra}", count=1).strip()
                pending = None
                used.add(number)
                used.update(n for n, _ in cont)
                return
            pending = None
            if only_questions and not looks_like_why:
                return
            why = _split_why(plain)
            used.add(number)
            used.update(n for n, _ in cont)
            if why is None:
                if plain.endswith(":"):
                    return
                self.doc.whys.append(Why(number, "", _ANSWER_LEAD.sub("", plain, count=1).strip()))
                return
            question, answer = why
            if extra:
                answer = _ANSWER_LEAD.sub("", f"{answer} {extra}", count=1).strip()
            entry = Why(number, question, answer)
            self.doc.whys.append(entry)
            if not answer:
                pending = entry

        for block in bl.blocks(lines):
            if isinstance(block, bl.Item):
                for item in bl.walk([block]):
                    take(item.line, item.text, item.cont)
            elif isinstance(block, bl.Para):
                for number, line in block.lines:
                    asked = [m.start() for m in _WHY_QUESTION.finditer(line)] if "?" in line else []
                    if len(asked) < 2:
                        take(number, line, [])
                        continue
                    # "Why ...? Because ... Why ...? ...": several whys in one line of prose.
                    if asked[0] > 0:
                        take(number, line[: asked[0]], [])
                    for a, b in zip(asked, [*asked[1:], len(line)], strict=True):
                        take(number, line[a:b], [])
            else:
                pending = None
                if only_questions:
                    continue
                for number, cells in block.rows:
                    filled = [c for c in cells if c]
                    if filled and filled[0].rstrip(".").isdigit():
                        filled = filled[1:]
                    if len(filled) >= 2:
                        self.doc.whys.append(Why(number, filled[0], filled[1]))
                    elif filled:
                        self.doc.whys.append(Why(number, "", filled[0]))
        if not only_questions:
            return []
        return [(n, "" if n in used else t) for n, t in lines]

    def _root_cause_region(self, region: _Region) -> None:
        default = heading_category(region.heading)
        lines = self._whys_region(region, only_questions=True)
        causes: list[RootCause] = []
        waiting: RootCauseCategory | None = None
        paragraph: list[tuple[int, str]] = []

        def flush() -> None:
            nonlocal waiting
            if not paragraph:
                return
            number = paragraph[0][0]
            text = " ".join(t for _, t in paragraph)
            paragraph.clear()
            cause = _root_cause(number, text, default)
            if cause is None:
                return
            if cause.category is None and waiting is not None:
                cause.category = waiting
                waiting = None
            causes.append(cause)

        for block in bl.blocks(lines):
            if isinstance(block, bl.Item):
                flush()
                for item in [block, *block.children]:
                    cat_line = _CATEGORY_LINE.match(_strip_emphasis(item.text))
                    if cat_line is not None:
                        category = single_category(cat_line.group("v"))
                        target = causes[-1] if causes and item.parent is not None else None
                        if target is not None and category is not None:
                            target.category = target.category or category
                        elif category is not None:
                            waiting = category
                        continue
                    if item.parent is not None:
                        continue
                    stated: RootCauseCategory | None = None
                    body: list[tuple[int, str]] = []
                    for number, extra in item.cont:
                        m = _CATEGORY_LINE.match(_strip_emphasis(extra))
                        if m is not None:
                            stated = stated or single_category(m.group("v"))
                        else:
                            body.append((number, extra))
                    cause = _root_cause(item.line, _join(item.text, body), default)
                    if cause is None:
                        continue
                    cause.category = stated or cause.category
                    if cause.category is None and waiting is not None:
                        cause.category, waiting = waiting, None
                    causes.append(cause)
            elif isinstance(block, bl.Para):
                for number, line in block.lines:
                    m = _CATEGORY_LINE.match(_strip_emphasis(line).strip())
                    if m is not None:
                        flush()
                        category = single_category(m.group("v"))
                        if category is None:
                            continue
                        if causes and causes[-1].category is None:
                            causes[-1].category = category
                        else:
                            waiting = category
                        continue
                    paragraph.append((number, line))
                flush()
            else:
                for number, cells in block.rows:
                    text = next((c for c in cells if c), "")
                    category = next(
                        (single_category(c) for c in cells[1:] if single_category(c)), None
                    )
                    cause = _root_cause(number, text, default)
                    if cause is not None:
                        cause.category = cause.category or category
                        causes.append(cause)
        self.doc.root_causes.extend(causes)

    # -- contributing factors ----------------------------------------------------------

    def _factors_region(self, region: _Region) -> None:
        for block in bl.blocks(self._region_lines(region)):
            if isinstance(block, bl.Item):
                text = _strip_emphasis(_join(block.text, block.cont))
                if text and not (text.endswith(":") and block.children):
                    self.doc.factors.append(ContributingFactor(block.line, text))
                elif block.children:
                    for child in block.children:
                        self.doc.factors.append(
                            ContributingFactor(
                                child.line, _strip_emphasis(_join(child.text, child.cont))
                            )
                        )
            elif isinstance(block, bl.Para):
                text = _strip_emphasis(" ".join(t for _, t in block.lines))
                if text and not text.endswith(":"):
                    self.doc.factors.append(ContributingFactor(block.lines[0][0], text))
            else:
                for number, cells in block.rows:
                    words = [c for c in cells if c]
                    if words:
                        self.doc.factors.append(ContributingFactor(number, " — ".join(words)))

    # -- action items ------------------------------------------------------------------

    def _actions_region(self, region: _Region) -> None:
        last: ActionItem | None = None
        for block in bl.blocks(self._region_lines(region)):
            if isinstance(block, bl.Item):
                last = self._action_list(block) or last
            elif isinstance(block, bl.Para):
                for number, line in block.lines:
                    plain = line.strip()
                    _, keyed = keyed_fields(_strip_emphasis(plain))
                    if last is not None and not keyed.empty() and _starts_with_key(plain):
                        _apply(last, keyed, self.default_year)
                        continue
                    text, fields = parse_annotations(plain, self.default_year)
                    if fields.owner is None and fields.due_text is None:
                        continue
                    last = self._new_action(number, text, fields, None)
            else:
                self._action_table(block)
                last = None

    def _action_list(self, top: bl.Item) -> ActionItem | None:
        last: ActionItem | None = None
        group = top.text.rstrip("*_ ").endswith(":") and bool(top.children) and top.checked is None
        if not group:
            last = self._action_from_item(top)
        for child in top.children:
            if group or child.checked is not None:
                last = self._action_list(child) or last
            elif last is not None:
                self._annotate(last, child.text)
                for _, extra in child.cont:
                    self._annotate(last, extra)
        return last

    def _action_from_item(self, item: bl.Item) -> ActionItem | None:
        text, fields = parse_annotations(item.text, self.default_year)
        action = self._new_action(item.line, text, fields, item.checked)
        for _, extra in item.cont:
            self._annotate(action, extra)
        return action

    def _annotate(self, action: ActionItem, text: str) -> None:
        plain = _strip_emphasis(text).strip()
        rest, keyed = keyed_fields(plain)
        if keyed.empty():
            rest, keyed = parse_annotations(plain, self.default_year)
            if keyed.empty():
                return
        _apply(action, keyed, self.default_year)

    def _new_action(
        self, number: int, text: str, fields: Fields, checked: bool | None
    ) -> ActionItem:
        action = ActionItem(line=number, text=_strip_emphasis(text))
        _apply(action, fields, self.default_year)
        if checked:
            action.done = True
        self.doc.action_items.append(action)
        return action

    def _action_table(self, table: bl.Table) -> None:
        header = [normalize_label(c) for c in table.header] if table.header else []
        if not header and table.rows:
            # A table whose separator row is missing: a first row of column names is its header.
            guess = [normalize_label(c) for c in table.rows[0][1]]
            if (
                sum(1 for c in guess if c in _ACTION_COLUMNS) * 2
                >= len([c for c in guess if c])
                > 0
            ):
                header = guess
                table.rows = table.rows[1:]
        roles: dict[str, int] = {}
        for k, name in enumerate(header):
            role = _ACTION_COLUMNS.get(name) or _action_column_by_word(name)
            if role is not None and role not in roles:
                roles[role] = k
        if "action" not in roles:
            used = set(roles.values())
            roles["action"] = next((k for k in range(max(len(header), 1)) if k not in used), 0)
        for number, raw_cells in table.rows:
            if not any(raw_cells):
                continue
            # The SRE book writes the status into the bug cell: "Bug 5554823 **TODO**".
            cells: list[str] = []
            marked_done = False
            for raw in raw_cells:
                plain = _strip_emphasis(raw)
                # _STATUS_SUFFIX is tried at every position: first ask the cell's end
                m = _STATUS_SUFFIX.search(plain) if plain.rstrip().endswith(_STATUS_WORDS) else None
                if m is not None and m.start() > 0:
                    marked_done = marked_done or m.group(1) in ("DONE", "CLOSED", "FIXED")
                    plain = plain[: m.start()].strip()
                cells.append(plain)

            def cell(role: str, cells: list[str] = cells) -> str:
                k = roles.get(role)
                return cells[k] if k is not None and k < len(cells) else ""

            raw_text = cell("action")
            text, fields = parse_annotations(raw_text, self.default_year)
            # An explicit column wins over an annotation inside the action text.
            if cell("owner"):
                fields.owner = owner_value(cell("owner"))
            due_cell = _strip_emphasis(cell("due"))
            if due_cell:
                fields.due_text = due_cell if due_cell not in ("-", "—") else None
            for role in ("done_when", "kind", "tracker", "status", "priority"):
                value = _strip_emphasis(cell(role))
                if value and value not in ("-", "—"):
                    setattr(fields, role, value)
            if fields.tracker is not None and fields.tracker.lower() in NO_OWNER:
                fields.tracker = None
            done_cell = cell("done")
            action = self._new_action(number, text, fields, None)
            if marked_done or (done_cell and is_done_status(done_cell)):
                action.done = True


_ACTION_COLUMNS: Final[dict[str, str]] = {
    "action": "action",
    "actions": "action",
    "action item": "action",
    "action items": "action",
    "item": "action",
    "task": "action",
    "description": "action",
    "what": "action",
    "title": "action",
    "summary": "action",
    "follow up": "action",
    "remediation": "action",
    "owner": "owner",
    "owners": "owner",
    "assignee": "owner",
    "assigned to": "owner",
    "who": "owner",
    "dri": "owner",
    "responsible": "owner",
    "bug": "tracker",
    "ticket": "tracker",
    "issue": "tracker",
    "link": "tracker",
    "jira": "tracker",
    "tracker": "tracker",
    "tracking": "tracker",
    "reference": "tracker",
    "ref": "tracker",
    "due": "due",
    "due date": "due",
    "when": "due",
    "deadline": "due",
    "target date": "due",
    "target": "due",
    "eta": "due",
    "by": "due",
    "done when": "done_when",
    "done condition": "done_when",
    "definition of done": "done_when",
    "verification": "done_when",
    "acceptance": "done_when",
    "acceptance criteria": "done_when",
    "success criteria": "done_when",
    "how we know": "done_when",
    "type": "kind",
    "kind": "kind",
    "category": "kind",
    "status": "status",
    "state": "status",
    "done": "done",
    "priority": "priority",
    "pri": "priority",
}


def _action_column_by_word(name: str) -> str | None:
    words = set(name.split())
    if words & {"owner", "assignee", "who"}:
        return "owner"
    if words & {"due", "deadline"}:
        return "due"
    if "done" in words and len(words) > 1:
        return "done_when"
    if words & {"ticket", "bug", "issue", "jira"}:
        return "tracker"
    if words & {"action", "task", "item"}:
        return "action"
    return None


def _apply(action: ActionItem, fields: Fields, default_year: int | None) -> None:
    if fields.owner is not None and action.owner is None:
        action.owner = fields.owner
    if fields.due_text is not None and action.due_text is None:
        action.due_text = fields.due_text
        action.due = due_date(fields.due_text, default_year)
    if fields.done_when is not None and action.done_when is None:
        action.done_when = fields.done_when
    if fields.kind is not None and action.kind is None:
        action.kind = fields.kind.lower()
    if fields.tracker is not None and action.tracker is None:
        action.tracker = fields.tracker
    if fields.status is not None and is_done_status(fields.status):
        action.done = True


def _starts_with_key(text: str) -> bool:
    rest, _ = keyed_fields(_strip_emphasis(text))
    return not rest.strip()


def _time_column(name: str) -> bool:
    words = name.split()
    return bool(
        set(words) & {"time", "timestamp", "when", "date", "datetime", "hour", "utc", "clock"}
    )


def _event_column(name: str) -> bool:
    words = set(name.split())
    return bool(
        words
        & {
            "event",
            "events",
            "description",
            "what",
            "happened",
            "action",
            "details",
            "activity",
            "note",
            "notes",
            "update",
            "summary",
            "message",
            "entry",
        }
    )


def _split_why(text: str) -> tuple[str, str] | None:
    qa = _WHY_QA.match(text)
    if qa is not None:
        return qa.group("q").strip(), qa.group("a").strip()
    if _Q_ONLY.match(text):
        return _Q_ONLY.sub("", text, count=1).strip(), ""
    if _A_ONLY.match(text):
        return "", _A_ONLY.sub("", text, count=1).strip()
    mark = text.find("?")
    if mark < 0:
        return None
    question = text[: mark + 1].strip()
    answer = _ANSWER_LEAD.sub("", text[mark + 1 :], count=1).strip()
    return question, answer


def _root_cause(number: int, text: str, default: RootCauseCategory | None) -> RootCause | None:
    plain = _strip_emphasis(text).strip()
    if not plain or (plain.endswith(":") and len(plain) < 80):
        return None
    category: RootCauseCategory | None = None
    gap = _GAP_LABEL.match(text.strip())
    if gap is not None and gap.group("v").lower() in CATEGORY_WORDS and gap.group("rest"):
        category = CATEGORY_WORDS[gap.group("v").lower()]
        plain = _strip_emphasis(gap.group("rest")).strip()
    m = _category_inline(plain)
    if m is not None:
        value = m.group("v") or m.group("w") or m.group("x") or m.group("y") or ""
        found = single_category(value)
        sentence = m.group("y") is not None or (
            m.group("v") is None and plain.rstrip().endswith(".")
        )
        if found is not None and sentence:
            # "... Category: process gap." / "... Knowledge gap.": a sentence of its own,
            # kept in the text as written.
            category = category or found
        elif found is not None:
            category = category or found
            ended = plain.rstrip().endswith(".")
            plain = plain[: m.start()].rstrip(" ,;—–-")
            if ended and not plain.endswith("."):
                plain += "."
    if not plain:
        return None
    return RootCause(number, plain, category or default)


def _may_state_category(text: str) -> bool:
    """False when ``_CATEGORY_INLINE`` cannot match, known without searching the whole text:
    each of its forms ends with a bracket or "gap(s)" (then an optional "." and blanks),
    or names "category"."""
    tail = text.rstrip()
    if tail.endswith("."):
        tail = tail[:-1].rstrip()
    return (
        tail.endswith((")", "]"))
        or _GAP_END.search(tail[-4:]) is not None
        or "category" in text.lower()
    )


def _category_inline(text: str) -> re.Match[str] | None:
    """``_CATEGORY_INLINE.search(text)``, searched from where a match can start: every
    character it consumes is a letter, a blank or one of ``()[]—–|,;:.-``, and it ends
    the text, so it lies in the longest such run at the end (found on the reversed text)."""
    if not _may_state_category(text):
        return None
    run = _CATEGORY_CHARS_REVERSED.match(text[::-1])
    start = len(text) - run.end() if run is not None else 0
    return _CATEGORY_INLINE.search(text, start)


def _join(text: str, cont: list[tuple[int, str]]) -> str:
    if not cont:
        return text.strip()
    return " ".join([text.strip(), *(t for _, t in cont)]).strip()


def _without_emphasis(text: str) -> str:
    """``_EMPHASIS.sub("", text)``, without a regex call for text that has no ** or __."""
    if "**" not in text and "__" not in text:
        return text
    return _EMPHASIS.sub("", text)


def _strip_emphasis(text: str) -> str:
    if "**" not in text and "__" not in text:
        return text.strip()
    return _EMPHASIS.sub("", text).strip()


def _clean_title(text: str) -> str:
    t = _strip_emphasis(text).strip()
    t = _TITLE_PREFIX.sub("", t, count=1)
    return t.strip() or text.strip()


# --------------------------------------------------------------------------- suppressions


def _suppression_codes(raw: str) -> set[str]:
    codes: set[str] = set()
    for token in _CODE_TOKEN.findall(raw):
        codes.add(token.upper() if _RULE_CODE.match(token) else token.lower())
    return codes


def _read_suppressions_into(parser: _Parser) -> None:
    scan, doc = parser.scan, parser.doc
    n = len(scan.lines)
    for comment in scan.comments:
        m = _SUPPRESSION.match(comment.text)
        if m is None:
            continue
        codes = _suppression_codes(m.group(2))
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


# --------------------------------------------------------------------------- writing

_TEMPLATE_ORDER: Final[tuple[SectionKind, ...]] = (
    K.SUMMARY,
    K.IMPACT,
    K.TIMELINE,
    K.WHYS,
    K.ROOT_CAUSE,
    K.TRIGGER,
    K.CONTRIBUTING_FACTORS,
    K.DETECTION,
    K.RESOLUTION,
    K.ACTION_ITEMS,
    K.LESSONS,
    K.PEOPLE,
    K.APPENDIX,
    K.OTHER,
)
_CANONICAL_HEADINGS: Final[dict[SectionKind, str]] = {
    K.SUMMARY: "Summary",
    K.IMPACT: "Impact",
    K.TIMELINE: "Timeline",
    K.WHYS: "Five whys",
    K.ROOT_CAUSE: "Root cause",
    K.TRIGGER: "Trigger",
    K.CONTRIBUTING_FACTORS: "Contributing factors",
    K.DETECTION: "Detection",
    K.RESOLUTION: "Resolution",
    K.ACTION_ITEMS: "Action items",
    K.LESSONS: "Lessons learned",
    K.PEOPLE: "Attendees",
    K.APPENDIX: "Appendix",
}
# Sections whose content to_markdown rebuilds from the parsed lists.
_STRUCTURED: Final = frozenset(
    {K.TIMELINE, K.WHYS, K.ROOT_CAUSE, K.CONTRIBUTING_FACTORS, K.ACTION_ITEMS}
)


def _cell(value: str | None) -> str:
    return (value or "").replace("\r", " ").replace("\n", " ").replace("|", "\\|").strip()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _format_at(at: datetime) -> str:
    text = at.strftime("%Y-%m-%d %H:%M:%S" if at.second else "%Y-%m-%d %H:%M")
    if at.tzinfo is None:
        return text
    offset = at.utcoffset() or timedelta(0)
    if not offset:
        return text + " UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{text} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_markdown(doc: Document) -> str:
    """The document in our template's layout: parse(to_markdown(d)) keeps what was understood."""
    out: list[str] = [f"# Postmortem: {_one_line(doc.title or 'Untitled')}", ""]
    meta: list[tuple[str, str]] = []
    if doc.incident_date is not None:
        meta.append(("Date", doc.incident_date.isoformat()))
    if doc.severity:
        meta.append(("Severity", _one_line(doc.severity)))
    if doc.failure_mode:
        meta.append(("Failure mode", _one_line(doc.failure_mode)))
    for key, value in meta:
        out.append(f"- **{key}:** {value}")
    if meta:
        out.append("")
    written: list[tuple[int, int]] = []
    for kind in _TEMPLATE_ORDER:
        if kind in _STRUCTURED:
            block = _structured(doc, kind)
            if block:
                out.extend([f"## {_CANONICAL_HEADINGS[kind]}", "", *block, ""])
            continue
        for section in doc.sections_of(kind):
            if any(a <= section.line and section.end_line <= b for a, b in written):
                continue
            if kind is K.OTHER and section.level == 1:
                continue
            written.append((section.line, section.end_line))
            heading = _one_line(section.heading) or _CANONICAL_HEADINGS.get(kind, "Notes")
            body = section.body.strip("\n")
            out.extend([f"## {heading}", ""])
            if body:
                out.extend([body, ""])
    return "\n".join(out).rstrip("\n") + "\n"


def _structured(doc: Document, kind: SectionKind) -> list[str]:
    if kind is K.TIMELINE and doc.timeline:
        rows = ["| Time | Event |", "| --- | --- |"]
        for e in doc.timeline:
            when = _format_at(e.at) if e.at is not None else e.time_text
            rows.append(f"| {_cell(when)} | {_cell(e.text)} |")
        return rows
    if kind is K.WHYS and doc.whys:
        rows = []
        for n, w in enumerate(doc.whys, start=1):
            answer = _one_line(w.answer)
            if answer[:1].islower():
                answer = f"Because {answer}"
            question = _one_line(w.question)
            if question and not question.endswith("?"):
                question += "?"
            rows.append(f"{n}. {question} {answer}".rstrip() if question else f"{n}. {answer}")
        return rows
    if kind is K.ROOT_CAUSE and doc.root_causes:
        rows = []
        for c in doc.root_causes:
            rows.append(f"- {_one_line(c.text)}")
            if c.category is not None:
                rows.append(f"  - Category: {c.category.value}")
        return rows
    if kind is K.CONTRIBUTING_FACTORS and doc.factors:
        return [f"- {_one_line(f.text)}" for f in doc.factors]
    if kind is K.ACTION_ITEMS and doc.action_items:
        items = doc.action_items
        columns = ["Action", "Owner", "Due", "Done when"]
        if any(a.kind for a in items):
            columns.append("Type")
        if any(a.tracker for a in items):
            columns.append("Tracker")
        columns.append("Status")
        rows = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        for a in items:
            due = a.due.isoformat() if a.due is not None else (a.due_text or "")
            values = {
                "Action": a.text,
                "Owner": a.owner or "",
                "Due": due,
                "Done when": a.done_when or "",
                "Type": a.kind or "",
                "Tracker": a.tracker or "",
                "Status": "done" if a.done else "open",
            }
            rows.append("| " + " | ".join(_cell(values[c]) for c in columns) + " |")
        return rows
    return []


def template(title: str = TEMPLATE_TITLE_PLACEHOLDER) -> str:
    """Our postmortem template, with ``title`` on its first line."""
    text = (
        resources.files("followthrough.core")
        .joinpath("templates/postmortem.md")
        .read_text(encoding="utf-8")
    )
    return text.replace("{title}", _one_line(title) or TEMPLATE_TITLE_PLACEHOLDER, 1)


def to_record(doc: Document) -> dict[str, object]:
    """What the parser understood, as JSON-ready data with stable snake_case keys."""
    return {
        "path": doc.path,
        "title": doc.title,
        "title_line": doc.title_line,
        "incident_date": doc.incident_date.isoformat() if doc.incident_date else None,
        "severity": doc.severity,
        "failure_mode": doc.failure_mode,
        "sections": [
            {
                "kind": s.kind.value,
                "heading": s.heading,
                "level": s.level,
                "line": s.line,
                "end_line": s.end_line,
                "body_line": s.body_line,
            }
            for s in doc.sections
        ],
        "timeline": [
            {
                "line": e.line,
                "time_text": e.time_text,
                "at": e.at.isoformat() if e.at is not None else None,
                "text": e.text,
            }
            for e in doc.timeline
        ],
        "whys": [{"line": w.line, "question": w.question, "answer": w.answer} for w in doc.whys],
        "root_causes": [
            {"line": c.line, "text": c.text, "category": c.category.value if c.category else None}
            for c in doc.root_causes
        ],
        "factors": [{"line": f.line, "text": f.text} for f in doc.factors],
        "action_items": [
            {
                "line": a.line,
                "text": a.text,
                "owner": a.owner,
                "due": a.due.isoformat() if a.due is not None else None,
                "due_text": a.due_text,
                "done_when": a.done_when,
                "kind": a.kind,
                "tracker": a.tracker,
                "done": a.done,
            }
            for a in doc.action_items
        ],
        "suppressions": {
            str(line): sorted(codes) for line, codes in sorted(doc.suppressions.items())
        },
    }
