"""The one block scan of a Markdown document: what each line is, its headings, and the
blocks of any range of lines.

One pass over the lines (:func:`scan`) finds front matter (YAML ``---`` or TOML ``+++``),
fenced code, HTML comments, block quotes and ATX/setext headings, each by line; the rules'
masked view (:meth:`Scan.masked`) is derived from that same pass, and :func:`blocks` splits
any range of the scanned lines into paragraphs, (nested) list items and tables with their
line numbers. Precompiled, anchored regexes only; none can backtrack over more than a
bounded prefix of a line, so a 10 MB file costs seconds, not minutes.

Lines are split at "\n" (a "\r" before it dropped), as editors and the rules count them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from followthrough.core.regex import lazy

# Line flags.
NORMAL: Final = 0
CODE: Final = 1  # inside a ``` / ~~~ fence, or the fence itself
COMMENT: Final = 2  # only an HTML comment (or part of one) on this line
FRONT: Final = 3  # front matter between --- (YAML) or +++ (TOML) lines at the top

_FENCE = lazy(r"^[ \t]*(`{3,}|~{3,})")
_ATX = lazy(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT = lazy(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST = lazy(r"^([ \t]*)([-*+•]|\d{1,3}[.)])[ \t]+")
_CHECKBOX = lazy(r"^\[([ xX✓✔])\][ \t]*")
_THEMATIC = lazy(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_TABLE_SEPARATOR = lazy(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_SEPARATOR_CHARS: Final = " \t|:-\n"  # all that a _TABLE_SEPARATOR line can hold
_CELL_SPLIT = lazy(r"(?<!\\)\|")
_QUOTE = lazy(r"^[ \t]*(?:>[ \t]?)+")
_BOLD_LABEL = lazy(
    r"^[ \t]*(\*\*|__)(?P<label>[^*_\n]{1,80}?)(?P<colon>:?)[ \t]*\1[ \t]*(?P<colon2>:?)[ \t]*"
)
_BULLETS: Final = frozenset("-*+•")
_THEMATIC_CHARS: Final = " \t*-_\n"
_FENCE_CHARS: Final = frozenset("`~")
_FRONT_KEY = lazy(r"^[ \t]*([A-Za-z][\w -]{0,40})[ \t]*[:=][ \t]*(.*)$")
_FRONT_FENCES: Final = {"---": ("---", "..."), "+++": ("+++",)}

COMMENT_OPEN: Final = "<!--"
COMMENT_CLOSE: Final = "-->"


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, split at "\n" with a "\r" before it dropped; a final newline
    ends the last line rather than starting an empty one."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines


@dataclass
class Comment:
    line: int  # 1-based
    text: str  # the inside of <!-- ... -->
    own_line: bool  # nothing but comments (and blanks) on this line


@dataclass
class Heading:
    index: int  # 0-based line index
    level: int
    text: str
    bold: bool = False
    inline: str = ""  # text after a bold label on the same line
    underline: bool = False  # a setext heading (the next line is its underline)


@dataclass
class Scan:
    """Every line with its flag and its content (comments blanked), and what the one pass
    found: comments, front matter, block-quote lines and ATX/setext headings."""

    text: str
    lines: list[str]
    content: list[str]
    flags: list[int]
    comments: list[Comment]
    front_matter: dict[str, str]
    first_content: int  # 0-based index of the first line with content, len(lines) if none
    headings: list[Heading] = field(default_factory=list)
    quoted: frozenset[int] = frozenset()  # 0-based indexes of block-quote lines
    # 0-based index -> (start, end) columns of comments on a line that also holds text
    comment_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    #: the first visible character of each line's content ("" for blank, code, comments)
    firsts: list[str] = field(default_factory=list)
    _masked: str | None = None

    def masked(self) -> str:
        """``text`` with front matter, fenced code, comments and block quotes blanked (every
        character but the line breaks turned into a space, so offsets and lines still match)."""
        if self._masked is not None:
            return self._masked
        flags, quoted, spans = self.flags, self.quoted, self.comment_spans
        if not quoted and not spans and max(flags, default=NORMAL) == NORMAL:
            self._masked = self.text
            return self.text
        raw = self.text.split("\n")
        out: list[str] = []
        count = len(flags)
        for i, segment in enumerate(raw):
            if i < count and (flags[i] != NORMAL or i in quoted):
                out.append(" " * len(segment))
            elif i in spans:
                chars = list(segment)
                for a, b in spans[i]:
                    chars[a:b] = " " * (min(b, len(segment)) - a)
                out.append("".join(chars))
            else:
                out.append(segment)
        self._masked = "\n".join(out)
        return self._masked


def _front_matter(lines: list[str]) -> tuple[int, dict[str, str]]:
    """(index after the front matter, its top-level keys) for a document that opens with a
    YAML (``---``) or TOML (``+++``) block; (0, {}) for one that does not."""
    closers = _FRONT_FENCES.get(lines[0].strip()) if lines else None
    if closers is None:
        return 0, {}
    for j in range(1, min(len(lines), 200)):
        if lines[j].strip() in closers:
            front: dict[str, str] = {}
            for raw in lines[1:j]:
                if raw[:1] in (" ", "\t", "-", "["):
                    continue  # nested values, list entries, TOML tables: not top-level keys
                m = _FRONT_KEY.match(raw)
                if m:
                    front.setdefault(m.group(1).strip().lower(), m.group(2).strip().strip("\"'"))
            return j + 1, front
    return 0, {}


def scan(text: str) -> Scan:
    lines = split_lines(text)
    start, front = _front_matter(lines)
    firsts = [""] * start + [line.lstrip()[:1] for line in lines[start:]]
    if COMMENT_OPEN in text or any(
        _FENCE.match(lines[i]) for i, first in enumerate(firsts) if first in _FENCE_CHARS
    ):
        result = _scan_lines(text, lines, start, front)
    else:
        result = _plain_scan(text, lines, start, front, firsts)
    result.headings = _headings(result)
    return result


def _plain_scan(
    text: str, lines: list[str], start: int, front: dict[str, str], firsts: list[str]
) -> Scan:
    """The scan of a document without comments or fenced code: every line after the front
    matter is content, in a few passes over the lines instead of one statement per line."""
    n = len(lines)
    content = [""] * start + lines[start:]
    flags = [FRONT] * start + [NORMAL] * (n - start)
    quoted = frozenset(i for i, first in enumerate(firsts) if first == ">")
    first_content = next((i for i, first in enumerate(firsts) if first), n)
    return Scan(text, lines, content, flags, [], front, first_content, quoted=quoted, firsts=firsts)


def _scan_lines(text: str, lines: list[str], start: int, front: dict[str, str]) -> Scan:
    """The scan line by line, for a document with comments or fenced code."""
    n = len(lines)
    content: list[str] = [""] * n
    flags: list[int] = [NORMAL] * n
    comments: list[Comment] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    for k in range(start):
        flags[k] = FRONT
    fence: str | None = None
    in_comment = False
    inside: list[str] = []  # the pieces of the open comment, joined once it closes
    first_content = n
    quoted: set[int] = set()
    firsts: list[str] = [""] * n  # the first visible character of each content line
    for i in range(start, n):
        line = lines[i]
        if fence is not None:
            flags[i] = CODE
            stripped = line.strip()
            if stripped.startswith(fence) and stripped.strip(fence[0]) == "":
                fence = None
            continue
        if not in_comment and COMMENT_OPEN not in line:
            first = line.lstrip()[:1]
            # a fence starts with "`" or "~" after blanks (any other blank makes no fence)
            if first in _FENCE_CHARS:
                m = _FENCE.match(line)
                if m:
                    fence = m.group(1)
                    flags[i] = CODE
                    if first_content == n:
                        first_content = i
                    continue
            content[i] = line
            if first:
                firsts[i] = first
                if first_content == n:
                    first_content = i
                if first == ">":
                    quoted.add(i)
            continue
        # The slow path: a line that opens, closes or sits inside an HTML comment.
        kept: list[str] = []
        line_spans: list[tuple[int, int]] = []  # the comment's columns on this line
        pos = 0
        opened = 0  # where the comment being read started on this line
        while pos <= len(line):
            if in_comment:
                end = line.find(COMMENT_CLOSE, pos)
                if end < 0:
                    inside.append("\n" + line[pos:])
                    line_spans.append((opened, len(line)))
                    break
                inside.append(("\n" if pos == 0 else "") + line[pos:end])
                comments[-1].text = "".join(inside)
                inside = []
                in_comment = False
                pos = end + len(COMMENT_CLOSE)
                line_spans.append((opened, pos))
            else:
                begin = line.find(COMMENT_OPEN, pos)
                if begin < 0:
                    kept.append(line[pos:])
                    break
                kept.append(line[pos:begin])
                comments.append(Comment(i + 1, "", True))
                in_comment = True
                opened = begin
                pos = begin + len(COMMENT_OPEN)
        rest = "".join(kept)
        has_content = bool(rest.strip())
        for c in reversed(comments):
            if c.line != i + 1:
                break
            c.own_line = not has_content
        if has_content:
            content[i] = rest
            firsts[i] = rest.lstrip()[:1]
            spans[i] = line_spans
            if first_content == n:
                first_content = i
            if rest.lstrip()[:1] == ">":
                quoted.add(i)
        else:
            flags[i] = COMMENT
    if in_comment:
        comments[-1].text = "".join(inside)
    return Scan(
        text,
        lines,
        content,
        flags,
        comments,
        front,
        first_content,
        quoted=frozenset(quoted),
        comment_spans=spans,
        firsts=firsts,
    )


def _headings(found: Scan) -> list[Heading]:
    """ATX headings, and setext headings (a paragraph's only line over "===" or "---"), on
    lines that are not code, comments, front matter or quotes."""
    content, flags, quoted, firsts = found.content, found.flags, found.quoted, found.firsts
    n = len(content)
    out: list[Heading] = []
    skip = -1
    # only a line starting with "#", or one over a line of "=" or "-", can be a heading
    candidates = [i for i, f in enumerate(firsts) if f == "#"]
    # an underline ends with its "=" or "-" (a list item "- text" does not)
    candidates += [
        i - 1
        for i in range(1, n)
        if firsts[i] in ("=", "-") and content[i].rstrip(" \t")[-1:] in ("=", "-")
    ]
    for i in sorted(set(candidates)):
        if i == skip or flags[i] != NORMAL or i in quoted:
            continue
        line = content[i]
        first = firsts[i]
        if not first:
            continue
        if first == "#":
            atx = atx_heading(line)
            if atx is not None and atx[1]:
                out.append(Heading(i, atx[0], atx[1]))
                continue
        if (
            i + 1 < n
            and flags[i + 1] == NORMAL
            and content[i + 1].lstrip()[:1] in ("=", "-")
            and first not in ("|", ">")
        ):
            level = setext_level(content[i + 1])
            if (
                level is not None
                and not is_list_item(line)
                and (i == 0 or not content[i - 1].strip() or flags[i - 1] != NORMAL)
            ):
                out.append(Heading(i, level, line.strip(), underline=True))
                skip = i + 1
    return out


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


_PLAIN_LABEL = lazy(
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
    # only "|", ":", "-" and blanks (a row of cells holds other characters)
    return (
        "-" in line
        and not line.strip(_SEPARATOR_CHARS)
        and _TABLE_SEPARATOR.match(line) is not None
    )


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
    for pos, (number, raw) in enumerate(lines):
        stripped = raw.strip()
        if stripped[:1] == ">":
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
            lead = m.group(1)  # blanks only: the indent is their width
            indent = len(lead.expandtabs(4)) if "\t" in lead else len(lead)
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
    if len(items) == 1 and not items[0].children:
        return [items[0]]  # the common case: one item of a list, nothing nested
    out: list[Item] = []
    todo = list(reversed(items))
    while todo:
        item = todo.pop()
        out.append(item)
        if item.children:
            todo.extend(reversed(item.children))
    return out
