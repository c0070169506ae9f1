"""Small text helpers every section reader shares: emphasis off, continuation lines joined."""

from __future__ import annotations

from followthrough.core.regex import lazy

_EMPHASIS = lazy(r"\*\*|__")


def without_emphasis(text: str) -> str:
    """``text`` without ``**`` and ``__`` (no regex call for text that has none)."""
    if "**" not in text and "__" not in text:
        return text
    return _EMPHASIS.sub("", text)


def strip_emphasis(text: str) -> str:
    """:func:`without_emphasis`, stripped."""
    if "**" not in text and "__" not in text:
        return text.strip()
    return _EMPHASIS.sub("", text).strip()


def join(text: str, cont: list[tuple[int, str]]) -> str:
    """A list item's text with its continuation lines, one line."""
    if not cont:
        return text.strip()
    return " ".join([text.strip(), *(t for _, t in cont)]).strip()


_LINK = lazy(r"!?\[([^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])?")


def unlink(text: str) -> str:
    """Markdown links and images replaced by their text: "[merged a change](https://...)"
    -> "merged a change"."""
    if "[" not in text:
        return text
    return _LINK.sub(r"\1", text)
