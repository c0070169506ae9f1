"""The strict Content-Security-Policy breaks nothing: Chromium reports no violation.

The pages (incident list, incident, the htmx editor), Django's admin and the API's docs
are loaded in a real Chromium under the policy every response carries; any refused inline
script, style, eval or foreign source shows up as a console error and fails the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

# Playwright's sync API runs an event loop in this thread; Django must still allow the ORM.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery staple"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Each page is left only when its requests are done: on SQLite the live server's threads
# share one in-memory connection, and overlapping requests would trip over each other.


@pytest.fixture
def page() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)."
        if os.environ.get("FOLLOWTHROUGH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1200})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_no_page_admin_screen_or_api_doc_reports_a_content_security_policy_violation(
    live_server: Any, cast: Cast, page: Any
) -> None:
    from playwright.sync_api import expect

    incident = cast.incident()
    start_postmortem(incident, cast.alice)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: violations.append(f"{page.url}: {e}"))
    # The browser also fires an event per violation; record those that never reach the console.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective"
        " + ' ' + e.blockedURI))"
    )

    page.goto(live_server.url + "/login/", wait_until="networkidle")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()

    page.goto(f"{live_server.url}/incidents/{incident.pk}/", wait_until="networkidle")
    expect(page.get_by_role("heading", name=incident.title)).to_be_visible()

    page.goto(f"{live_server.url}/incidents/{incident.pk}/postmortem/", wait_until="networkidle")
    assert page.evaluate("typeof window.htmx") == "object"
    # An htmx swap under the policy: open the whys' tab, add a why without reloading the page.
    page.locator("nav.editor-tabs").get_by_role("link", name="Five whys").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Question").fill("Why did checkout return 502?")
    page.get_by_label("Answer").fill("The connection pool was exhausted.")
    page.get_by_role("button", name="Add why").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#whys textarea[name$='-answer']")).to_have_value(
        "The connection pool was exhausted."
    )

    page.goto(live_server.url + "/admin/", wait_until="networkidle")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(
        f"{live_server.url}/admin/incidents/incident/{incident.pk}/change/",
        wait_until="networkidle",
    )
    expect(page.locator("#content h1")).to_be_visible()
    page.goto(f"{live_server.url}/admin/incidents/incident/", wait_until="networkidle")
    expect(page.locator("#result_list")).to_be_visible()

    assert not violations, "\n".join(violations)

    page.goto(live_server.url + "/api/v1/docs", wait_until="networkidle")
    # Swagger UI is a large script: on a busy machine it takes a while to draw.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "followthrough", timeout=30_000
    )

    assert not violations, "\n".join(violations)
