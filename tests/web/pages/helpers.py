"""What a person reads on a page: text with entities decoded, one editor panel, the messages."""

from __future__ import annotations

import html
import re
from typing import Any

from django.http import HttpResponse


def text(response: HttpResponse) -> str:
    """The response body with HTML entities decoded (quotes, apostrophes)."""
    return html.unescape(response.content.decode())


def panel(response: HttpResponse, panel_id: str) -> str:
    """The HTML of one editor panel (``<section id="...">`` up to its closing tag)."""
    match = re.search(rf'<section id="{panel_id}".*?</section>', text(response), re.S)
    assert match, f"no #{panel_id} panel in the page"
    return match.group(0)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def tables_read(captured: list[dict[str, Any]]) -> dict[str, int]:
    """How many of the captured queries read each table (by the table after ``FROM``)."""
    counts: dict[str, int] = {}
    for query in captured:
        match = re.search(r'\bFROM "?(\w+)"?', query["sql"])
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts
