"""Every page of an organisation, found the way a person finds them: by following links.

Used by the tests that look at every page (read transactions, pages unchanged) and by
``bench/web/pages.py`` (latency and SQL time per page). Starts at ``/`` and follows each
same-site ``href`` once, GET only; skips the admin, static files, the API, sign-out and
links that act (``?next=`` forms are pages too; the fragment is dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

from django.test import Client

_HREF = re.compile(r"""href=["']([^"']+)["']""")
_SKIP = re.compile(r"^/(admin|static|api|scim|accounts/logout|logout|media)(/|$)")


def _links(html: str) -> Iterator[str]:
    for raw in _HREF.findall(html):
        link = urldefrag(raw.replace("&amp;", "&"))[0]
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or not link.startswith("/"):
            continue
        if _SKIP.match(parts.path):
            continue
        yield link


def crawl(client: Client, *, start: str = "/", limit: int = 600) -> dict[str, Any]:
    """URL -> response, for every page reachable from ``start`` (at most ``limit``)."""
    seen: dict[str, Any] = {}
    queue = [start]
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        kind = response.get("Content-Type", "")
        if response.status_code == 200 and kind.startswith("text/html"):
            queue.extend(link for link in _links(response.content.decode()) if link not in seen)
    return seen
