"""Sections recognised by what they hold, where the heading says nothing or there is none.

A reader does not need the word "Timeline" to see a timeline. Each section reader says
what its section looks like (``recognise``); this module asks them about every part of the
document that no heading has named: the untitled lead (read as the summary when it is
prose), the body of an unrecognised heading, and the runs of entries inside other sections
(a chain of "Why ...?" questions is five whys wherever it stands). A heading that is only a
date, over events, is a day of the timeline. A heading that names no part ("Details",
"Background", "Analysis") after the summary is read by what its paragraphs say
(:mod:`.topic`), and so is an unknown heading over counts of what was exposed (the impact).
"""

from __future__ import annotations

from dataclasses import dataclass

from followthrough.core.document import UNTITLED_LEVEL, Document, SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.vocabulary import GENERIC_HEADINGS, normalize_label
from followthrough.core.reading import actions, factors, summary, timeline, topic, whys
from followthrough.core.reading.context import Reading, Region
from followthrough.core.reading.outline import section_over
from followthrough.core.regex import lazy

K = SectionKind

#: regions no heading has named
_UNNAMED = frozenset({None, K.TITLE, K.OTHER})
#: untitled parts of the lead, found by their place rather than their content
_LEAD_KINDS = frozenset({K.SUMMARY, K.OTHER, K.METADATA})
#: sections whose own reader reads the runs in them
_STRUCTURED = frozenset({K.TIMELINE, K.WHYS, K.ROOT_CAUSE, K.CONTRIBUTING_FACTORS, K.ACTION_ITEMS})


@dataclass
class _Run:
    kind: SectionKind
    first: int  # 0-based index of its first line
    last: int  # 0-based index of its last line
    reason: str


def recognise(reading: Reading) -> None:
    """Give unnamed regions a kind, and add untitled sections for the runs found."""
    doc = reading.doc
    has = {s.kind for s in doc.sections}
    found: list[Region] = []
    for region in reading.regions:
        if _generic(region) and _after_summary(doc, region):
            counts = topic.signals(reading.blocks(region), reading.scan.quoted)
            if counts is not None:
                # "## Background" or "## Details" after the summary is not a second summary
                # (nor a table of fields): its paragraphs say what it is
                kind, reason = topic.about(counts)
                _name(region, kind, reason)
                has.add(kind)
        if region.kind in _STRUCTURED:
            continue
        if (
            region.heading
            and region.section is not None
            and region.heading[:1].isalnum()
            and timeline.is_date_heading(region.heading)
        ):
            if reading.blocks(region):
                _name(region, K.TIMELINE, "a date heading over the day's events")
            continue
        if (
            region.heading
            and region.kind in (K.SUMMARY, K.OTHER)
            and region.section is not None
            and _opens_with(reading, region) == "|"
            and _fields_table(_groups(reading.blocks(region)))
        ):
            # "### Summary" over a table of incident fields (Number, Severity, Lead ...)
            _name(region, K.METADATA, "a table of incident fields")
            continue
        if region.kind not in _UNNAMED and not _may_hold_runs(reading, region, has):
            continue
        groups = _groups(reading.blocks(region))
        runs = _runs(reading, groups, region, has)
        runs += _notes_after_rules(groups, runs)
        lead = region.kind in (None, K.TITLE)
        if not lead and region.kind is K.OTHER and runs and _covers(reading, region, runs):
            _name(region, runs[0].kind, runs[0].reason)
            continue
        if not lead and region.kind is K.OTHER and region.section is not None:
            prose = [b for g in groups for b in g if not _inside(b, runs)]
            counts = (
                topic.signals(prose, reading.scan.quoted) if prose and K.IMPACT not in has else None
            )
            if counts is not None and topic.impact(counts, against_heading=True):
                # download counts and exposure times under "What is X doing about it?"
                _name(region, K.IMPACT, topic.about(counts)[1])
                has.add(K.IMPACT)
            why = factors.recognise(prose) if prose and region.kind is K.OTHER else None
            if why is not None:
                # the analysis beside a stated root cause contributes; alone, it is the cause
                kind = K.CONTRIBUTING_FACTORS if K.ROOT_CAUSE in has else K.ROOT_CAUSE
                _name(region, kind, why)
                has.add(kind)
        if lead:
            runs = _with_summary(reading, region, groups, runs, has)
        for run in runs:
            found.append(_untitled(reading, run))
            has.add(run.kind)
    if found:
        reading.regions.extend(found)
        reading.regions.sort(key=lambda r: (r.start, r.section is None))
        doc.sections.sort(key=lambda s: (s.line, s.level))


def _generic(region: Region) -> bool:
    """Is the region under a heading that names no part ("Details", "Overview")?"""
    return (
        region.section is not None
        and bool(region.heading)
        and normalize_label(region.heading) in GENERIC_HEADINGS
    )


def _after_summary(doc: Document, region: Region) -> bool:
    """Has the document told its summary (a section or the lead) before this region? Field
    lines under the title ("**Incident:** PD-1 · **Severity:** SEV-2") are not a summary."""
    return any(
        s.kind is K.SUMMARY
        and s.line < region.start
        and (s.heading or s.body.count(":**") + s.body.count("**:") < 2)
        for s in doc.sections
    )


def _may_hold_runs(reading: Reading, region: Region, has: set[SectionKind]) -> bool:
    """Could a named section hold a run of another kind? Asked of what each run needs (a
    "why" with a "?" for whys, a lead-in ending with ":" over a list, three lines opening
    with a digit for a timeline, a rule before a note) before its blocks are read."""
    content, flags = reading.scan.content, reading.scan.flags
    lines = [content[i] for i in range(region.start, region.stop) if flags[i] == bl.NORMAL]
    text = "\n".join(lines)
    low = text.lower()
    if "?" in text and "why" in low:
        return True
    if ":\n" in text and _LEAD_IN_LIST.search(text) is not None:
        return True
    if K.TIMELINE not in has and sum(1 for line in lines if line.lstrip()[:1].isdigit()) >= 3:
        return True
    return "---" in text or "***" in text or "___" in text


_LEAD_IN_LIST = lazy(r":[ \t]*\n(?:[ \t]*\n)*[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]")


def _notes_after_rules(groups: list[list[bl.Block]], runs: list[_Run]) -> list[_Run]:
    """An italic paragraph after a horizontal rule (an author's bio, a sign-off) is a note."""
    out: list[_Run] = []
    for before, group in zip(groups, groups[1:], strict=False):
        block = group[0]
        if not isinstance(block, bl.Para) or not isinstance(before[-1], bl.Para):
            continue
        rule = before[-1].lines[-1][1].strip()
        if len(rule) < 3 or rule.strip("-*_ "):
            continue  # asked first: most paragraphs follow a paragraph, not a rule
        text = " ".join(t.strip() for _, t in block.lines)
        if len(text) > 2 and text[0] in "*_" and text[-1] == text[0] and not _inside(block, runs):
            first, last = _block_span(block)
            out.append(_Run(K.OTHER, first, last, "a note after a horizontal rule"))
    return out


def _name(region: Region, kind: SectionKind, reason: str) -> None:
    region.kind = kind
    if region.section is not None:
        region.section.kind = kind
        region.section.found_by = f"content: {reason}"


def _untitled(reading: Reading, run: _Run) -> Region:
    section = section_over(
        reading, run.kind, "", run.first, run.first, run.last + 1, UNTITLED_LEVEL
    )
    section.found_by = run.reason if run.kind in _LEAD_KINDS else f"content: {run.reason}"
    reading.doc.sections.append(section)
    return Region(run.kind, "", run.first, run.last + 1, section=section)


def _opens_with(reading: Reading, region: Region) -> str:
    """The first visible character of the region's body."""
    firsts = reading.scan.firsts
    return next((firsts[i] for i in range(region.start, region.stop) if firsts[i]), "")


def _fields_table(groups: list[list[bl.Block]]) -> bool:
    """Is the whole body one table of field names with their values (often still empty)?"""
    blocks = [b for g in groups for b in g]
    if len(blocks) != 1 or not isinstance(blocks[0], bl.Table):
        return False
    cells = [c for _, row in blocks[0].rows for c in row]
    cells += list(blocks[0].header or [])
    if not cells:
        return False
    filled = [c for c in cells if c.strip()]
    short = all(len(c.split()) <= 5 for c in filled)
    return short and len(filled) * 2 <= len(cells) + len(blocks[0].header or [])


def _inside(block: bl.Block, runs: list[_Run]) -> bool:
    first, last = _block_span(block)
    return any(run.first <= first and last <= run.last for run in runs)


def _groups(blocks: list[bl.Block]) -> list[list[bl.Block]]:
    """Top-level blocks, consecutive list items together (one list)."""
    out: list[list[bl.Block]] = []
    for block in blocks:
        if isinstance(block, bl.Item) and out and isinstance(out[-1][-1], bl.Item):
            out[-1].append(block)
        else:
            out.append([block])
    return out


def _span(group: list[bl.Block]) -> tuple[int, int]:
    """(first, last) 0-based line indexes of a group of blocks."""
    first, last = _block_span(group[0])
    for block in group[1:]:
        last = max(last, _block_span(block)[1])
    return first, last


def _block_span(block: bl.Block) -> tuple[int, int]:
    if isinstance(block, bl.Para):
        return block.lines[0][0] - 1, block.lines[-1][0] - 1
    if isinstance(block, bl.Table):
        last = block.rows[-1][0] if block.rows else block.line
        return block.line - 1, last - 1
    last = block.line
    for item in bl.walk([block]):
        last = max(last, item.line, *(n for n, _ in item.cont))
    return block.line - 1, last - 1


def _runs(
    reading: Reading, groups: list[list[bl.Block]], region: Region, has: set[SectionKind]
) -> list[_Run]:
    unnamed = region.kind in _UNNAMED
    runs: list[_Run] = []
    for k, group in enumerate(groups):
        if (
            k + 1 < len(groups)
            and isinstance(group[-1], bl.Para)
            and isinstance(groups[k + 1][0], bl.Item)
            and actions.lead_in(group[-1], reading.scan.quoted)
        ):
            # "The lessons we are taking away are as follows:" over a list of commitments
            first, _ = _span(group)
            _, last = _span(groups[k + 1])
            runs.append(_Run(K.ACTION_ITEMS, first, last, "a list introduced as the measures"))
            continue
        if (
            runs
            and runs[-1].kind is K.ACTION_ITEMS
            and runs[-1].first <= _span(group)[0] <= runs[-1].last
        ):
            continue
        kind: SectionKind | None = None
        reason = timeline.recognise(group)
        if reason is not None and (unnamed or K.TIMELINE not in has):
            kind = K.TIMELINE
        if kind is None:
            reason = whys.recognise(group)
            kind = K.WHYS if reason is not None else None
        if kind is None and unnamed:
            reason = actions.recognise(group, reading.default_year)
            kind = K.ACTION_ITEMS if reason is not None else None
        if kind is None or reason is None:
            continue
        first, last = _span(group)
        if runs and runs[-1].kind is kind and runs[-1].last + 2 >= first:
            runs[-1].last = last
        else:
            runs.append(_Run(kind, first, last, reason))
    return runs


def _covers(reading: Reading, region: Region, runs: list[_Run]) -> bool:
    """Do runs of one kind hold most of the region's lines (its body is that section)?"""
    if len({run.kind for run in runs}) != 1:
        return False
    content = reading.scan.content
    filled = sum(1 for i in range(region.start, region.stop) if content[i].strip())
    inside = sum(1 for run in runs for i in range(run.first, run.last + 1) if content[i].strip())
    return inside * 2 >= filled


def _with_summary(
    reading: Reading,
    region: Region,
    groups: list[list[bl.Block]],
    runs: list[_Run],
    has: set[SectionKind],
) -> list[_Run]:
    """The lead, read in order: a note or a quotation before the report ("(based on ...
    templates)", "> Template from ..."), the field lines under the title ("By: (Names)",
    "Date: ..."), then the first paragraph of prose, which opens the summary; the summary
    runs to the next run or the end of the lead."""
    taken = {i for run in runs for i in range(run.first, run.last + 1)}
    found: list[_Run] = []
    fields: _Run | None = None
    for group in groups:
        block = group[0]
        if not isinstance(block, bl.Para):
            continue
        first, last = block.lines[0][0] - 1, block.lines[-1][0] - 1
        if first in taken:
            continue
        if summary.metadata_lines(block):
            if fields is None:
                fields = _Run(K.METADATA, first, last, "field lines under the title")
                found.append(fields)
            else:
                fields.last = last
            continue
        if summary.quoted(block, reading.scan.quoted) or summary.note(block):
            found.append(_Run(K.OTHER, first, last, "a note before the report"))
            continue
        if not summary.prose(block, reading.scan.quoted):
            continue
        stop = min((run.first for run in runs if run.first > first), default=region.stop)
        last = stop - 1
        content = reading.scan.content
        while last > first and not content[last].strip():
            last -= 1
        found.append(_Run(K.SUMMARY, first, last, "lead paragraph before the first section"))
        break
    return sorted([*runs, *found], key=lambda r: r.first)
