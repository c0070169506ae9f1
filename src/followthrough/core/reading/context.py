"""What every section reader works on: the document being filled, the one block scan, and
the regions (the lines from one heading to the next, with the meaning they carry)."""

from __future__ import annotations

from dataclasses import dataclass, field

from followthrough.core.document import ActionItem, Document, Section, SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.regex import lazy

_DEFINITION = lazy(r"^ {0,3}\[([^\]]{1,100})\]:\s*<?(https?://[^\s>]+)>?\s*$")


@dataclass
class Region:
    """The lines from one heading (or untitled start) to the next, with their meaning."""

    kind: SectionKind | None  # None: before the first heading, not (yet) recognised
    heading: str
    start: int  # 0-based index of the first body line
    stop: int  # 0-based index after the last body line
    inline: str = ""  # text after a bold label
    inline_index: int = -1
    section: Section | None = None  # the section whose heading opens this region


@dataclass
class Reading:
    doc: Document
    scan: bl.Scan
    regions: list[Region] = field(default_factory=list)
    default_year: int | None = None
    #: action items read from sentences of prose, not from a list, table or item line
    prose_actions: list[ActionItem] = field(default_factory=list)
    _blocks: dict[tuple[int, int, int], list[bl.Block]] = field(default_factory=dict)
    _definitions: dict[str, str] | None = None

    def lines(self, region: Region) -> list[tuple[int, str]]:
        """(1-based line, content) for a region; code and comments read as blank lines."""
        content, flags = self.scan.content, self.scan.flags
        out: list[tuple[int, str]] = []
        if region.inline:
            out.append((region.inline_index + 1, region.inline))
        for j in range(region.start, region.stop):
            out.append((j + 1, content[j] if flags[j] == bl.NORMAL else ""))
        return out

    def definitions(self) -> dict[str, str]:
        """Reference-link definitions ("[#2226]: https://github.com/.../issues/2226"), by
        label in lower case."""
        if self._definitions is None:
            found: dict[str, str] = {}
            content, flags = self.scan.content, self.scan.flags
            for i, first in enumerate(self.scan.firsts):
                if first == "[" and flags[i] == bl.NORMAL and "]:" in content[i]:
                    m = _DEFINITION.match(content[i])
                    if m is not None:
                        found.setdefault(m.group(1).strip().lower(), m.group(2))
            self._definitions = found
        return self._definitions

    def blocks(self, region: Region) -> list[bl.Block]:
        """The region's blocks, split once and shared by every reader (none changes them)."""
        key = (region.start, region.stop, region.inline_index)
        found = self._blocks.get(key)
        if found is None:
            found = self._blocks[key] = bl.blocks(self.lines(region))
        return found
