"""Browser tests: a headless Debian Chromium page, and fast password hashing for the cast
(the browser logs in with a password)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

# Playwright's sync API runs an event loop in this thread; Django must still allow the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


# On SQLite the live server's threads share the test's one in-memory connection, so two
# requests served at once (htmx fires the lint and copied-passages refreshes together)
# interleave their transactions and read each other's half-state. Serve one request at a
# time, as a real deployment's separate connections effectively do.
class _OneRequestAtATime(ThreadedWSGIServer):
    _lock = threading.Lock()
    #: requests being served or waiting for their turn
    _open = 0
    _idle = threading.Condition()

    def set_app(self, application: Any) -> None:
        def serial(environ: Any, start_response: Any) -> list[bytes]:
            with self._idle:
                _OneRequestAtATime._open += 1
            try:
                with self._lock:
                    return list(application(environ, start_response))
            finally:
                with self._idle:
                    _OneRequestAtATime._open -= 1
                    self._idle.notify_all()

        super().set_app(serial)

    @classmethod
    def wait_idle(cls, timeout: float = 30) -> None:
        """Until no request is served or waiting: a closed browser does not stop what it
        sent, and the test's database is flushed after the test (a write served then fails
        the flush: "FOREIGN KEY constraint failed", seen once under load)."""
        with cls._idle:
            cls._idle.wait_for(lambda: cls._open == 0, timeout)


LiveServerThread.server_class = _OneRequestAtATime

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def launch(playwright: Any) -> Any:
    """Debian's headless Chromium, quiet (no update checks, no sync)."""
    return playwright.chromium.launch(
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


@pytest.fixture
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium) so the browser test cannot run."
        if os.environ.get("FOLLOWTHROUGH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            _OneRequestAtATime.wait_idle()


@dataclass
class Console:
    """Every console error and uncaught exception of the page. A refusal the test provokes
    on purpose (a 409 or 422 answer, which Chromium logs as a failed load) is allowed only
    while ``expecting`` says so."""

    errors: list[str] = field(default_factory=list)
    allowed: set[int] = field(default_factory=set)

    @contextmanager
    def expecting(self, *statuses: int) -> Iterator[None]:
        self.allowed.update(statuses)
        try:
            yield
        finally:
            self.allowed.difference_update(statuses)

    def on_message(self, message: Any) -> None:
        if message.type != "error":
            return
        if any(f"status of {status}" in message.text for status in self.allowed):
            return
        self.errors.append(message.text)


@pytest.fixture
def console(page: Any) -> Iterator[Console]:
    """Fails the test on any console error (checked again when the test ends)."""
    found = Console()
    page.on("console", found.on_message)
    page.on("pageerror", lambda error: found.errors.append(f"uncaught: {error}"))
    yield found
    assert without_aborts(found.errors) == [], found.errors


def without_aborts(errors: list[str]) -> list[str]:
    """The errors less htmx's report of a request it cancelled on purpose (``hx-sync`` replacing
    an older lint refresh, or an element swapped away while its request was in flight): htmx
    logs ``htmx:sendAbort`` and then ``htmx:afterRequest`` for it, and the person sees nothing."""
    aborted = [e.removeprefix("htmx:sendAbort") for e in errors if e.startswith("htmx:sendAbort")]
    left = [e for e in errors if not e.startswith("htmx:sendAbort")]
    for target in aborted:
        after = "htmx:afterRequest" + target
        if after in left:
            left.remove(after)
    return left


def stored(model: Any, **lookup: Any) -> Any:
    """A row as the database has it now. Playwright's sync API runs the test in a greenlet
    with its own connection: close it, or PostgreSQL cannot drop the test database."""
    try:
        return model._default_manager.get(**lookup)
    finally:
        connection.close()


def log_in(page: Any, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def open_tab(page: Any, name: str) -> None:
    """Open one section of the postmortem editor by its tab (an htmx swap of the section)."""
    from playwright.sync_api import expect

    tabs = page.get_by_role("navigation", name="Sections of the postmortem")
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page", timeout=15_000
    )
