"""Postmortems written elsewhere, read as Markdown: Word and Google Docs exports (.docx),
Confluence and Notion exports (HTML).

Each reader returns the Markdown the parser reads and, where the source format has lines
(HTML), the source line of every Markdown line, so findings point into the file the person
wrote. A .docx has no lines: its findings keep the lines of the converted text.

Well-kept converters do the work (mammoth for .docx, markdownify over BeautifulSoup for
HTML); this module only adds what they cannot know: which part of a Confluence or Notion
page is the postmortem, their checklists and dates, and the line map.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import mammoth  # type: ignore[import-untyped]
from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from followthrough.core.markdown import MAX_BYTES, DocumentReadError
from followthrough.core.regex import lazy

__all__ = ["CONVERTED_SUFFIXES", "Source", "html_to_markdown", "read_source"]

HTML_SUFFIXES: Final = (".html", ".htm")
DOCX_SUFFIXES: Final = (".docx",)
CONVERTED_SUFFIXES: Final = HTML_SUFFIXES + DOCX_SUFFIXES

# Private-use characters around a source line number, put before each block by the converter
# and taken out again once the Markdown is written.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARK = lazy(f"{_OPEN}(\\d+){_CLOSE}")
_BOX = lazy(r"^\s*([☐☑☒✅✔✓□■])\s*")
_CHECKED_BOXES = frozenset("☑☒✅✔✓■")
# markdownify's stubs name only its public surface; the per-tag converters are called here.
_BASE: Any = MarkdownConverter
# Google Docs' .docx "Title" style is the document's title.
_DOCX_STYLES = "p[style-name='Title'] => h1:fresh\np[style-name='Subtitle'] => p:fresh"


@dataclass(frozen=True)
class Source:
    """A document's Markdown and, per Markdown line (index 0 = line 1), its source line."""

    markdown: str
    lines: list[int] | None = None

    def source_line(self, line: int) -> int:
        if self.lines is None or line < 1:
            return line
        return self.lines[min(line, len(self.lines)) - 1]


def _classes(el: Tag) -> list[str]:
    value = el.get("class")
    return list(value) if isinstance(value, list) else str(value or "").split()


class _Converter(MarkdownConverter):  # type: ignore[misc]
    """markdownify, marking where each block came from and reading Confluence's and
    Notion's checklists, status lozenges and dates as a reader sees them."""

    def _marked(self, el: Tag, result: str) -> str:
        line = getattr(el, "sourceline", None)
        body = result.lstrip()
        if not line or not body.strip():
            return result
        lead = result[: len(result) - len(body)]
        return f"{lead}{_OPEN}{line}{_CLOSE}{body}"

    def convert_p(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        result = str(_BASE.convert_p(self, el, text, parent_tags))
        return result if "_inline" in parent_tags else self._marked(el, result)

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: set[str]) -> str:  # noqa: N802
        return self._marked(el, _BASE.convert_hN(self, n, el, text, parent_tags))

    def convert_tr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._marked(el, _BASE.convert_tr(self, el, text, parent_tags))

    def convert_td(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return str(_BASE.convert_td(self, el, " ".join(text.split()), parent_tags))

    def convert_th(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return str(_BASE.convert_th(self, el, " ".join(text.split()), parent_tags))

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._marked(el, _BASE.convert_pre(self, el, text, parent_tags))

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        box = self._checkbox(el)
        stripped = (text or "").strip()
        glyph = _BOX.match(stripped)
        if glyph:  # a Word or Google Docs checklist exported as glyphs
            box = "[x] " if glyph.group(1) in _CHECKED_BOXES else "[ ] "
            stripped = stripped[glyph.end() :]
        if box:
            text = box + stripped
        return self._marked(el, _BASE.convert_li(self, el, text, parent_tags))

    @staticmethod
    def _checkbox(el: Tag) -> str:
        parent = el.parent
        if parent is not None and "inline-task-list" in _classes(parent):  # Confluence
            return "[x] " if "checked" in _classes(el) else "[ ] "
        box = el.find(class_="checkbox")  # Notion
        if isinstance(box, Tag):
            return "[x] " if "checkbox-on" in _classes(box) else "[ ] "
        return ""

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if {"user-mention", "confluence-userlink"} & set(_classes(el)):
            return text  # a person mentioned: their name, as the reader sees it
        return str(_BASE.convert_a(self, el, text, parent_tags))

    def convert_time(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        # Confluence writes the date a reader sees ("20 Mar 2026") with its ISO form beside it.
        when = el.get("datetime")
        return str(when) if when else text.lstrip("@")


def _postmortem_part(soup: BeautifulSoup) -> Tag | BeautifulSoup:
    """The page body of a Confluence or Notion export, with its title as the first heading;
    the whole document for any other HTML."""
    for junk in soup.find_all(["script", "style", "noscript", "template"]):
        junk.decompose()
    confluence = soup.find(id="main-content")
    if isinstance(confluence, Tag):
        title = soup.find(id="title-text")
        if isinstance(title, Tag):
            # "Space name : Page title"
            name = title.get_text(" ", strip=True).split(" : ", 1)[-1]
            heading = soup.new_tag("h1")
            heading.string = name
            heading.sourceline = title.sourceline
            confluence.insert(0, heading)
        return confluence
    notion = soup.find("article", class_="page")
    if isinstance(notion, Tag):
        for box in notion.find_all(class_="checkbox"):
            box.string = ""
        return notion
    body = soup.find("body")
    return body if isinstance(body, Tag) else soup


def html_to_markdown(html: str) -> Source:
    """HTML (a Confluence or Notion export, or any page) as Markdown with its line map."""
    soup = BeautifulSoup(html, "html.parser")
    part = _postmortem_part(soup)
    marked = _Converter(
        heading_style="ATX", bullets="-", strip=["img"], table_infer_header=True
    ).convert_soup(part)
    markdown_lines: list[str] = []
    source: list[int] = []
    current = 1
    for raw in marked.strip("\n").split("\n"):
        found = _MARK.search(raw)
        if found:
            current = int(found.group(1))
        markdown_lines.append(_MARK.sub("", raw).rstrip())
        source.append(current)
    return Source("\n".join(markdown_lines) + "\n", source)


def docx_to_markdown(data: bytes) -> Source:
    """A Word or Google Docs .docx as Markdown (no lines in the source to map to)."""
    try:
        html = mammoth.convert_to_html(io.BytesIO(data), style_map=_DOCX_STYLES).value
    except Exception as error:  # a corrupt or foreign zip: one line, never a traceback
        raise DocumentReadError(f"not a readable .docx ({type(error).__name__})") from None
    # mammoth writes one line; give each block its own so the Markdown reads as written.
    html = re.sub(r"(</(?:p|h[1-6]|li|tr|table|ul|ol)>)", r"\1\n", str(html))
    return Source(html_to_markdown(html).markdown, None)


def read_source(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Source:
    """Read a .docx or HTML file as Markdown; DocumentReadError with a one-line reason."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise DocumentReadError(f"file too large ({size} bytes; the limit is {max_bytes})")
        data = p.read_bytes()
    except FileNotFoundError:
        raise DocumentReadError("no such file") from None
    except IsADirectoryError:
        raise DocumentReadError("is a directory") from None
    except OSError as error:
        raise DocumentReadError(error.strerror or "cannot be read") from None
    if not data.strip():
        raise DocumentReadError("empty file")
    suffix = p.suffix.lower()
    if suffix in DOCX_SUFFIXES:
        return docx_to_markdown(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # old exports; HTML says its charset
    return html_to_markdown(text)
