"""Line-level structure of a Markdown document: what each line is, and the blocks of a region.

One pass over the lines with precompiled, anchored regexes; no regex here can backtrack
over more than a bounded prefix of a line, so a 10 MB file costs seconds, not minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

# Line flags.
NORMAL: Final = 0
CODE: Final = 1  # inside a ``` / ~~~ fence, or the fence itself
COMMENT: Final = 2  # only an HTML comment (or part of one) on this line
FRONT: Final = 3  # YAML-ish front matter between --- lines at the top

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST = re.compile(r"^([ \t]*)([-*+•]|\d{1,3}[.)])[ \t]+")
_CHECKBOX = re.compile(r"^\[([ xX✓✔])\][ \t]*")
_THEMATIC = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_BOLD_LABEL = re.compile(
    r"^[ \t]*(\*\*|__)(?P<label>[^*_\n]{1,80}?)(?P<colon>:?)[ \t]*\1[ \t]*(?P<colon2>:?)[ \t]*"
)
_BULLETS: Final = frozenset("-*+•")
_THEMATIC_CHARS: Final = " \t*-_\n"
_FENCE_CHARS: Final = frozenset("`~")
_FRONT_KEY = re.compile(r"^[ \t]*([A-Za-z][\w -]{0,40})[ \t]*:[ \t]*(.*)$")

COMMENT_OPEN: Final = "<!--"
COMMENT_CLOSE: Final = "-->"


@dataclass
class Comment:
    line: int  # 1-based
    text: str  # the inside of <!-- ... -->
    own_line: bool  # nothing but comments (and blanks) on this line


@dataclass
class Scan:
    """Every line with its flag and its content (comments blanked)."""

    lines: list[str]
    content: list[str]
    flags: list[int]
    comments: list[Comment]
    front_matter: dict[str, str]
    first_content: int  # 0-based index of the first line with content, len(lines) if none


def scan(lines: list[str]) -> Scan:
    n = len(lines)
    content: list[str] = [""] * n
    flags: list[int] = [NORMAL] * n
    comments: list[Comment] = []
    front: dict[str, str] = {}
    start = 0
    if n and lines[0].strip() == "---":
        for j in range(1, min(n, 200)):
            if lines[j].strip() in ("---", "..."):
                for k in range(0, j + 1):
                    flags[k] = FRONT
                for raw in lines[1:j]:
                    m = _FRONT_KEY.match(raw)
                    if m:
                        front.setdefault(
                            m.group(1).strip().lower(), m.group(2).strip().strip("\"'")
                        )
                start = j + 1
                break
    fence: str | None = None
    in_comment = False
    inside: list[str] = []  # the pieces of the open comment, joined once it closes
    first_content = n
    for i in range(start, n):
        line = lines[i]
        if fence is not None:
            flags[i] = CODE
            stripped = line.strip()
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                fence = None
            continue
        if not in_comment and COMMENT_OPEN not in line:
            m = _FENCE.match(line) if line[:4].lstrip(" ")[:1] in _FENCE_CHARS else None
            if m:
                fence = m.group(1)
                flags[i] = CODE
                if first_content == n:
                    first_content = i
                continue
            content[i] = line
            if first_content == n and line.strip():
                first_content = i
            continue
        # The slow path: a line that opens, closes or sits inside an HTML comment.
        kept: list[str] = []
        pos = 0
        while pos <= len(line):
            if in_comment:
                end = line.find(COMMENT_CLOSE, pos)
                if end < 0:
                    inside.append("\n" + line[pos:])
                    break
                inside.append(("\n" if pos == 0 else "") + line[pos:end])
                comments[-1].text = "".join(inside)
                inside = []
                in_comment = False
                pos = end + len(COMMENT_CLOSE)
            else:
                begin = line.find(COMMENT_OPEN, pos)
                if begin < 0:
                    kept.append(line[pos:])
                    break
                kept.append(line[pos:begin])
                comments.append(Comment(i + 1, "", True))
                in_comment = True
                pos = begin + len(COMMENT_OPEN)
        rest = "".join(kept)
        has_content = bool(rest.strip())
        for c in reversed(comments):
            if c.line != i + 1:
                break
            c.own_line = not has_content
        if has_content:
            content[i] = rest
            if first_content == n:
                first_content = i
        else:
            flags[i] = COMMENT
    if in_comment:
        comments[-1].text = "".join(inside)
    return Scan(lines, content, flags, comments, front, first_content)


@dataclass
class Heading:
    index: int  # 0-based line index
    level: int
    text: str
    bold: bool = False
    inline: str = ""  # text after a bold label on the same line
    underline: bool = False  # a setext heading (the next line is its underline)


def atx_heading(line: str) -> tuple[int, str] | None:
    m = _ATX.match(line)
    if m is None:
        return None
    text = line[m.end() :].strip()
    if text.endswith("#"):
        bare = text.rstrip("#")
        if not bare or bare[-1] in " \t":
            text = bare.strip()
    return len(m.group(1)), text


def setext_level(line: str) -> int | None:
    m = _SETEXT.match(line)
    if m is None:
        return None
    return 1 if m.group(1)[0] == "=" else 2


def bold_label(line: str) -> tuple[str, str] | None:
    """``**Impact:** rest``, ``**Impact.** rest`` or ``**Impact**`` alone -> (label, rest)."""
    m = _BOLD_LABEL.match(line)
    if m is None:
        return None
    label = m.group("label").strip()
    rest = line[m.end() :].strip()
    stop = label.endswith(".") and not label.endswith("..")
    tldr = label.lower().replace(";", "").replace(" ", "") == "tldr"  # "**TL;DR** text"
    if rest and not (m.group("colon") or m.group("colon2") or stop or tldr):
        return None
    # "**Impact.** 12 partners ...": a label that ends its own sentence.
    return (label[:-1].rstrip() if stop else label), rest


_PLAIN_LABEL = re.compile(
    r"^ {0,3}(?P<label>[A-Za-z][A-Za-z0-9 ,;/&'’()-]{0,60}?)[ \t]*:(?:[ \t]+(?P<rest>.*?)|[ \t]*)$"
)


def plain_label(line: str) -> tuple[str, str] | None:
    """``Root cause: rest``, ``Timeline, roughly (UTC):`` -> (label, rest); else None.

    Only the shape: whether the label names a section is for the caller to decide.
    """
    colon = line.find(":")
    if colon < 1 or colon > 70:
        return None
    m = _PLAIN_LABEL.match(line)
    if m is None:
        return None
    return m.group("label").strip(), (m.group("rest") or "").strip()


def is_list_item(line: str) -> bool:
    m = _LIST.match(line)
    return m is not None and (m.group(2) not in "*-" or _THEMATIC.match(line) is None)


def is_table_row(stripped: str) -> bool:
    return stripped.startswith("|")


def is_table_separator(line: str) -> bool:
    return "-" in line and _TABLE_SEPARATOR.match(line) is not None


def split_cells(row: str) -> list[str]:
    s = row.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    if "\\|" not in s:
        return [c.strip() for c in s.split("|")]
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(s)]


def indent_of(line: str) -> int:
    if "\t" in line:
        line = line.expandtabs(4)
    return len(line) - len(line.lstrip(" "))


@dataclass
class Item:
    """A list item with its continuation lines and nested items."""

    line: int  # 1-based
    indent: int
    text: str
    checked: bool | None  # None: not a checkbox
    ordered: bool
    cont: list[tuple[int, str]] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None


@dataclass
class Table:
    header: list[str] | None
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    line: int = 0


@dataclass
class Para:
    lines: list[tuple[int, str]] = field(default_factory=list)


Block = Item | Table | Para


def blocks(lines: list[tuple[int, str]]) -> list[Block]:
    """Split a region's lines (1-based number, content) into top-level blocks.

    Nested list items hang off their parent (``Item.children``); a blank line in the
    input is an empty string.
    """
    out: list[Block] = []
    stack: list[Item] = []
    para: Para | None = None
    table: Table | None = None
    after_blank = False
    count = len(lines)
    for pos in range(count):
        number, raw = lines[pos]
        stripped = raw.strip()
        if stripped and stripped[0] == ">":
            raw = _QUOTE.sub("", raw, count=1)
            stripped = raw.strip()
        if not stripped:
            para = None
            table = None
            after_blank = True
            continue
        if (
            table is not None
            or stripped[0] == "|"
            or ("|" in stripped and pos + 1 < count and is_table_separator(lines[pos + 1][1]))
        ):
            if table is None:
                table = Table(header=None, line=number)
                out.append(table)
                stack.clear()
                para = None
            if is_table_separator(stripped):
                if table.header is None and len(table.rows) == 1:
                    table.header = table.rows.pop()[1]
                continue
            if "|" not in stripped:
                table = None
            else:
                table.rows.append((number, split_cells(stripped)))
                continue
        first = stripped[0]
        m = _LIST.match(raw) if first in _BULLETS or first.isdigit() else None
        # a thematic break ("- - -") holds nothing but its marker and blanks
        if m is not None and (
            m.group(2) not in "*-" or raw.strip(_THEMATIC_CHARS) or _THEMATIC.match(raw) is None
        ):
            indent = indent_of(m.group(1))
            text = raw[m.end() :].strip()
            checked: bool | None = None
            if text[:1] == "[":
                cb = _CHECKBOX.match(text)
                if cb is not None:
                    checked = cb.group(1) != " "
                    text = text[cb.end() :].strip()
            item = Item(number, indent, text, checked, m.group(2)[0].isdigit())
            while stack and stack[-1].indent >= indent:
                stack.pop()
            if stack:
                item.parent = stack[-1]
                stack[-1].children.append(item)
            else:
                out.append(item)
            stack.append(item)
            para = None
            after_blank = False
            continue
        if stack and (not after_blank or indent_of(raw) > stack[0].indent):
            # A continuation line: attach it to the deepest item it can belong to.
            indent = indent_of(raw)
            target = stack[-1]
            if after_blank:
                for candidate in reversed(stack):
                    if indent > candidate.indent:
                        target = candidate
                        break
            target.cont.append((number, stripped))
            after_blank = False
            continue
        stack.clear()
        if para is None or after_blank:
            para = Para()
            out.append(para)
        para.lines.append((number, stripped))
        after_blank = False
    return out


def walk(items: list[Item]) -> list[Item]:
    """Items and their nested items, depth first, in document order."""
    out: list[Item] = []
    todo = list(reversed(items))
    while todo:
        item = todo.pop()
        out.append(item)
        todo.extend(reversed(item.children))
    return out
