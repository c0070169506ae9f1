"""Browser tests: a headless Debian Chromium page, and fast password hashing for the cast
(the browser logs in with a password)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in this thread; Django must still allow the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


# On SQLite the live server's threads share the test's one in-memory connection, so two
# requests served at once (htmx fires the lint and copied-passages refreshes together)
# interleave their transactions and read each other's half-state. Serve one request at a
# time, as a real deployment's separate connections effectively do.
class _OneRequestAtATime(ThreadedWSGIServer):
    _lock = threading.Lock()

    def set_app(self, application: Any) -> None:
        def serial(environ: Any, start_response: Any) -> list[bytes]:
            with self._lock:
                return list(application(environ, start_response))

        super().set_app(serial)


LiveServerThread.server_class = _OneRequestAtATime

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium) so the browser test cannot run."
        if os.environ.get("FOLLOWTHROUGH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
