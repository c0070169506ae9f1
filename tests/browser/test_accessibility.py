"""Every page of the site, as a person with a screen reader, a keyboard or a phone meets it.

axe-core (bundled by ``axe-playwright-python``) runs on every page at 1280 px and again at
320 px, for the WCAG 2.0, 2.1 and 2.2 A and AA rules; at 320 px nothing may scroll
sideways (WCAG 1.4.10 reflow: tables scroll in their own container); no page may log a
console error, a refused inline style (CSP) included.

The list of pages is derived from the URLconf: a route that answers GET and is neither in
``PAGES`` nor in ``NOT_PAGES`` (with the reason it is no page) fails the first test, so a
new page cannot be forgotten.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from .conftest import CHROMIUM, launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 320)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# Routes of other kinds, checked by their own tests.
NOT_OURS = ("admin/", "api/v1/", "scim/v2/")


@dataclass
class Demo:
    """The demo organisation's rows each page is shown with."""

    ids: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


# Each page route: the paths that show it (several when its states look different).
PAGES: dict[str, Callable[[Demo], list[str]]] = {
    "login": lambda d: ["/login/"],
    "incident-list": lambda d: ["/", "/?overdue=yes"],
    "incident-create": lambda d: ["/incidents/new/"],
    "incident-detail": lambda d: [f"/incidents/{d.closed}/", f"/incidents/{d.draft}/"],
    "incident-edit": lambda d: [f"/incidents/{d.draft}/edit/"],
    "incident-delete": lambda d: [f"/incidents/{d.draft}/delete/"],
    "incident-similar": lambda d: [f"/incidents/{d.closed}/similar/"],
    "postmortem": lambda d: [
        f"/incidents/{d.draft}/postmortem/",
        *(
            f"/incidents/{d.draft}/postmortem/?section={tab}"
            for tab in ("impact", "timeline", "whys", "factors", "actions", "meeting")
        ),
        f"/incidents/{d.empty_draft}/postmortem/",
        f"/incidents/{d.closed}/postmortem/",
    ],
    "postmortem-copied": lambda d: [f"/incidents/{d.draft}/postmortem/copied/"],
    "event-edit": lambda d: [f"/incidents/{d.draft}/postmortem/timeline/{d.event}/edit/"],
    "factor-edit": lambda d: [f"/incidents/{d.draft}/postmortem/factors/{d.factor}/edit/"],
    "action-edit": lambda d: [f"/incidents/{d.draft}/postmortem/actions/{d.draft_item}/edit/"],
    "action-item-delete": lambda d: [
        f"/incidents/{d.draft}/postmortem/actions/{d.draft_item}/delete/"
    ],
    "action-item": lambda d: [f"/action-items/{d.item}/"],
    "weekly-review": lambda d: ["/review/payments/"],
    "team-followup-settings": lambda d: ["/teams/payments/follow-up/"],
    "followup-preferences": lambda d: ["/me/notifications/"],
    "my-work": lambda d: ["/me/work/"],
    "team-list": lambda d: ["/teams/"],
    "team-create": lambda d: ["/teams/new/"],
    "team-detail": lambda d: ["/teams/payments/"],
    "team-delete": lambda d: ["/teams/platform/delete/"],
    "tracker-settings": lambda d: ["/teams/payments/tracker/"],
    "people": lambda d: ["/people/"],
    "person-edit": lambda d: [f"/people/{d.person}/edit/"],
    "token-list": lambda d: ["/account/tokens/"],
    "trash": lambda d: ["/trash/"],
    "insights": lambda d: ["/insights/"],
    "insights-drill": lambda d: [
        "/insights/drill/?metric=repeat_rate",
        "/insights/drill/?metric=actions_on_time",
    ],
    "history": lambda d: ["/history/"],
    "incident-history": lambda d: [f"/history/incidents/{d.closed}/"],
    "postmortem-history": lambda d: [f"/history/incidents/{d.closed}/postmortem/"],
    "action-item-history": lambda d: [f"/history/action-items/{d.item}/"],
    "team-history": lambda d: ["/history/teams/payments/"],
    "ingest-source-list": lambda d: ["/sources/"],
    "ingest-source-create": lambda d: ["/sources/new/"],
    "ingest-source-edit": lambda d: [f"/sources/{d.source}/"],
    "slack-workspace": lambda d: [f"/sources/{d.slack_source}/slack/"],
    "slack-link": lambda d: [f"/slack/link/{d.slack_token}/"],
    "invitation-accept": lambda d: [f"/invite/{d.invitation}/"],
    "timeline-draft": lambda d: [f"/incidents/{d.draft}/postmortem/draft/"],
    "timeline-sources": lambda d: ["/teams/payments/timeline-sources/"],
    "assistant-settings": lambda d: ["/settings/assistant/"],
    # The first-run page shows only while no team exists: walked before the demo is loaded.
    "welcome": lambda d: [],
}

NOT_PAGES: dict[str, str] = {
    "logout": "POST only (a GET would let any page sign a person out)",
    "oidc_authentication_init": "redirects to the identity provider (404 unless configured)",
    "oidc_authentication_callback": "the identity provider's redirect back, no page",
    "postmortem-markdown": "a Markdown download",
    "meeting-ics": "a calendar download",
    "insights-csv": "a CSV download",
    "insights-json": "a JSON download",
    "postmortem-lint": "an htmx fragment of the editor, checked inside the editor page",
    "ingest-slack-commands": "Slack's slash-command endpoint (signed form post)",
    "assistant-panel": "an htmx fragment of the editor, checked inside the editor page",
}


def _view_methods(callback: Any) -> set[str] | None:
    """The methods Django's require_http_methods lets through, or None (any method)."""
    func = callback
    while func is not None:
        if func.__closure__:
            methods = inspect.getclosurevars(func).nonlocals.get("request_method_list")
            if methods is not None:
                return set(methods)
        func = getattr(func, "__wrapped__", None)
    return None


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def get_routes() -> dict[str, str]:
    """Every named route of our pages that answers GET: name -> pattern."""
    found = {}
    for route, pattern in _routes(get_resolver().url_patterns):
        if route.startswith(NOT_OURS) or pattern.name is None:
            continue
        methods = _view_methods(pattern.callback)
        if methods is None or "GET" in methods:
            found[pattern.name] = route
    return found


def test_every_route_that_answers_get_is_a_walked_page_or_says_why_not() -> None:
    routes = get_routes()
    missing = sorted(set(routes) - set(PAGES) - set(NOT_PAGES))
    assert not missing, (
        "GET routes with no entry in PAGES (walked by the accessibility test) or NOT_PAGES "
        f"(with the reason): {[(name, routes[name]) for name in missing]}"
    )
    gone = sorted((set(PAGES) | set(NOT_PAGES)) - set(routes))
    assert not gone, f"entries for routes that no longer answer GET: {gone}"


# --- the walk --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the whole module; each test opens its own contexts."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch(p)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Walk:
    """What the walk found wrong, page by page, reported all at once."""

    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def check(self, page: Any, path: str) -> None:
        self.console.clear()
        response = page.goto(path)
        if response is None or response.status != 200:
            status = response.status if response else "no response"
            self.problems.append(f"{path}: answered {status}")
            return
        if page.locator("[hx-trigger*=load]").count():
            page.wait_for_load_state("networkidle")  # panels that fill themselves in on load
        self.audit(page, path)

    def audit(self, page: Any, path: str, opened: str = "") -> None:
        """axe at each width, and no sideways scroll at 320 px, of the page as it is now
        (``opened``: what the test opened on it, for the report)."""
        from axe_playwright_python.sync_playwright import Axe

        path = f"{path} ({opened} open)" if opened else path
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
            results = Axe().run(page, options={**options, "resultTypes": ["violations"]})
            for violation in results.response["violations"]:
                targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
                self.problems.append(
                    f"{path} at {width} px: {violation['id']} ({violation['help']}) on "
                    f"{len(targets)} element(s): {targets[:6]}"
                )
            if width == 320:
                scroll, inner = page.evaluate(
                    "[document.scrollingElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    wide = page.evaluate(WIDEST_ELEMENTS)
                    self.problems.append(
                        f"{path} at 320 px scrolls sideways ({scroll} px > {inner}); widest: {wide}"
                    )
        self.problems.extend(f"{path}: console: {line}" for line in self.console)


# Where the page gets too wide: each element that passes the right edge while its parent does
# not (the parent is a grid or flex box that grew, or the element is too wide for a block).
WIDEST_ELEMENTS = """() => {
  const edge = window.innerWidth + 1, out = [];
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const parent = el.parentElement;
    if (el.getBoundingClientRect().right > edge && parent.getBoundingClientRect().right <= edge)
      out.push(name(parent) + ' > ' + name(el) + ' right=' + Math.round(el.getBoundingClientRect().right));
  }
  return out.slice(0, 6);
}"""


def _open(browser: Any, live_server: Any, walk: Walk) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: walk.console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: walk.console.append(f"uncaught: {e}"))
    return page


def _sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def _demo() -> tuple[Demo, str]:
    """The demo organisation plus the rows it lacks (sources, a Slack link, an invitation)."""
    from django.db import connection

    from followthrough.web.accounts.models import Person, Team
    from followthrough.web.accounts.operations import invite
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.demo import load_demo
    from followthrough.web.ingest.models import IngestSource, SlackLinkRequest, SlackWorkspace
    from followthrough.web.postmortems.models import ContributingFactor, Postmortem, Status, Why
    from followthrough.web.postmortems.operations import add_timeline_event

    try:
        login = load_demo()
        payments = Team.objects.get(slug="payments")
        admin = Person.objects.get(handle="grace").user
        pms = Postmortem.objects.filter(incident__team=payments)
        # An open document with a row in every list panel.
        draft = pms.filter(status=Status.IN_REVIEW).exclude(action_items=None).first()
        assert draft is not None
        if not draft.timeline_events.exists():
            add_timeline_event(draft, draft.incident.detected_at, "Pager fired for checkout")
        if not draft.factors.exists():
            ContributingFactor.objects.create(postmortem=draft, description="No pool alert")
        for position in range(2 - draft.whys.count()):
            Why.objects.create(postmortem=draft, position=position + 5, question="Why?")
        item = ActionItem.objects.filter(postmortem__incident__team=payments).first()
        draft_item = draft.action_items.first()
        assert item is not None and draft_item is not None
        slack = IngestSource.objects.create(name="Slack", kind="slack", team=payments)
        workspace = SlackWorkspace.objects.create(team_id="T0ACME", source=slack, bound_by=admin)
        demo = Demo(
            {
                "draft": draft.incident_id,
                "empty_draft": pms.filter(status=Status.DRAFT).first().incident_id,  # type: ignore[union-attr]
                "closed": pms.filter(status=Status.CLOSED).first().incident_id,  # type: ignore[union-attr]
                "event": draft.timeline_events.first().pk,  # type: ignore[union-attr]
                "factor": draft.factors.first().pk,  # type: ignore[union-attr]
                "draft_item": draft_item.pk,
                "item": item.pk,
                "person": Person.objects.get(handle="ben").pk,
                "source": IngestSource.objects.create(
                    name="PagerDuty", kind="pagerduty", team=payments, secret="whsec"
                ).pk,
                "slack_source": slack.pk,
                "slack_token": SlackLinkRequest.issue(workspace, "U0GRACE"),
                "invitation": invite(
                    "nia@acme.example", "Nia Okoye", payments, "editor", admin
                ).secret,
            }
        )
        return demo, login.password
    finally:
        connection.close()


def test_every_page_has_no_axe_violation_no_sideways_scroll_and_no_console_error(
    browser: Any, live_server: Any
) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    walk = Walk()
    page = _open(browser, live_server, walk)
    # The first-run page exists only while no team does.
    User.objects.create_superuser("root", "root@acme.example", "first run password")
    connection.close()
    _sign_in(page, "root", "first run password")
    walk.check(page, "/welcome/")
    page.context.close()

    demo, password = _demo()
    anonymous = _open(browser, live_server, walk)
    for path in PAGES["login"](demo) + PAGES["invitation-accept"](demo):
        walk.check(anonymous, path)
    anonymous.context.close()

    page = _open(browser, live_server, walk)
    _sign_in(page, "admin", password)
    for name, paths in PAGES.items():
        if name in ("login", "invitation-accept"):
            continue
        for path in paths(demo):
            walk.check(page, path)
    page.context.close()
    assert not walk.problems, "\n".join(["", *walk.problems])


def test_the_navigation_fits_one_row_at_1024_px_and_chart_legends_are_small_swatches(
    browser: Any, live_server: Any
) -> None:
    demo, password = _demo()
    walk = Walk()
    page = _open(browser, live_server, walk)
    _sign_in(page, "admin", password)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto("/insights/")
    # One row: the brand, the main navigation and the account menu share a horizontal line.
    spans = page.locator(".site-header > *").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom])"
    )
    links = (
        page.get_by_role("navigation", name="Main")
        .get_by_role("link")
        .evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    )
    one_row = max(top for top, _ in spans) < min(bottom for _, bottom in spans)
    assert one_row and len(set(links)) == 1, (
        f"the header wraps at 1024 px: its parts span {spans}, the links start at {links}"
    )
    swatches = page.locator(".legend .swatch").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    assert swatches, "the insights charts show no legend"
    too_big = [size for size in swatches if size[0] > 32 or size[1] > 16]
    assert not too_big, f"legend swatches drawn as blocks (width, height in px): {too_big}"
    # Each legend entry sits beside its swatch, on one line.
    heights = page.locator(".legend li").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert max(heights) < 40, f"legend entries {heights} px high"
    page.context.close()
    assert not walk.console, walk.console


def test_the_account_menu_opened_has_no_axe_violation_and_stays_on_screen(
    browser: Any, live_server: Any
) -> None:
    """The menu is a details element: closed, axe skips its links; opened, they must pass
    (contrast, names, targets) at both widths and stay inside the page at 320 px."""
    demo, password = _demo()
    walk = Walk()
    page = _open(browser, live_server, walk)
    _sign_in(page, "admin", password)
    page.goto("/")
    menu = page.get_by_role("navigation", name="Account")
    menu.locator("summary").click()
    links = menu.get_by_role("link")
    assert links.count() >= 4, "the admin's menu lists notifications, tokens, sources, trash"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for n in range(links.count()):
            box = links.nth(n).bounding_box()
            assert box is not None and links.nth(n).is_visible(), f"link {n} hidden at {width} px"
            if box["x"] < 0 or box["x"] + box["width"] > width:
                walk.problems.append(f"at {width} px the menu's link {n} leaves the page: {box}")
    walk.audit(page, "/", opened="the account menu")
    # The same summary closes it again from the keyboard.
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    assert not menu.locator("details").evaluate("d => d.open")
    page.context.close()
    assert not walk.problems and not walk.console, "\n".join(["", *walk.problems, *walk.console])


# --- focus and announcements after each htmx action ------------------------------------------


def _focused(page: Any) -> str:
    return page.evaluate(
        "() => { const a = document.activeElement;"
        " return !a || a === document.body ? 'body' : a.tagName.toLowerCase() + '#' + a.id; }"
    )


def _act(page: Any, click: Any, url_part: str) -> None:
    """Click, wait for the htmx answer and for the swap to settle."""
    with page.expect_response(lambda r: url_part in r.url and r.request.method in ("GET", "POST")):
        click()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')"
    )
    page.wait_for_timeout(60)  # the live region is refilled 50 ms after the swap


def _expect_focus(page: Any, expected: str, action: str, problems: list[str]) -> None:
    try:
        page.wait_for_function(
            "e => { const a = document.activeElement; return a && a.matches(e); }",
            arg=expected,
            timeout=3_000,
        )
    except Exception:
        problems.append(f"after {action}: focus on {_focused(page)}, expected {expected}")


def _expect_announced(page: Any, words: str, action: str, problems: list[str]) -> None:
    said = page.locator("#announce").text_content() or ""
    if words not in said:
        problems.append(f"after {action}: the live region says {said!r}, expected {words!r}")


def test_after_each_htmx_action_of_the_editor_focus_lands_on_the_change_and_it_is_announced(
    browser: Any, live_server: Any
) -> None:
    demo, password = _demo()
    walk = Walk()
    page = _open(browser, live_server, walk)
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove this why?"
    _sign_in(page, "admin", password)
    page.goto(f"/incidents/{demo.draft}/postmortem/")
    page.wait_for_load_state("networkidle")
    problems: list[str] = []
    pm = f"/incidents/{demo.draft}/postmortem/"

    # Whys: add, save, move, delete (each list is a tab of the editor).
    page.goto(pm + "?section=whys")
    page.wait_for_load_state("networkidle")
    whys = page.locator("#whys")
    before = set(whys.locator("li[id]").evaluate_all("els => els.map(e => e.id)"))
    whys.get_by_label("Question", exact=True).fill("Why was nobody paged?")
    whys.get_by_label("Answer", exact=True).fill("The alert went to a muted channel.")
    _act(page, whys.get_by_role("button", name="Add why").click, pm + "whys/")
    added = set(whys.locator("li[id]").evaluate_all("els => els.map(e => e.id)")) - before
    if len(added) != 1:
        problems.append(f"adding a why added rows {added}")
    else:
        _expect_focus(page, f"#{next(iter(added))}", "adding a why", problems)
    _expect_announced(page, "added", "adding a why", problems)
    first = whys.locator("li[id]").first.get_attribute("id")
    _act(page, whys.get_by_role("button", name="Save why 1").click, pm + "whys/")
    _expect_focus(page, f"#{first}", "saving why 1", problems)
    _act(page, whys.get_by_role("button", name="Move down why 1").click, pm + "whys/")
    _expect_focus(page, f"#{first}", "moving why 1 down", problems)
    if whys.locator("li[id]").nth(1).get_attribute("id") != first:
        problems.append("moving why 1 down did not move it")
    _act(page, whys.get_by_role("button", name="Delete why 2").click, pm + "whys/")
    _expect_focus(page, "#whys-h", "deleting why 2", problems)
    # An invalid add keeps the input and puts focus on the field to mend.
    _act(page, whys.get_by_role("button", name="Add why").click, pm + "whys/")
    _expect_focus(page, "#whys form.add [aria-invalid=true]", "adding an empty why", problems)
    _expect_announced(page, "required", "adding an empty why", problems)
    # Chromium logs the refusal (422) it was asked for; nothing else may be logged.
    walk.console[:] = [line for line in walk.console if "status of 422" not in line]

    # Timeline: edit in place (focus in the form), save (the row), delete (the heading).
    page.goto(pm + "?section=timeline")
    page.wait_for_load_state("networkidle")
    timeline = page.locator("#timeline")
    event = timeline.locator("li[id]").first.get_attribute("id")
    _act(page, timeline.locator(f"#{event}").get_by_role("link", name="Edit").click, "/edit/")
    _expect_focus(page, f"#{event} input, #{event} textarea", "opening an event to edit", problems)
    _act(page, timeline.get_by_role("button", name="Save event").click, "/edit/")
    _expect_focus(page, f"#{event}", "saving an event", problems)
    _expect_announced(page, "saved", "saving an event", problems)
    _act(page, timeline.locator(f"#{event}").get_by_role("button", name="Delete").click, "/delete/")
    _expect_focus(page, "#timeline-h, #timeline h2", "deleting an event", problems)

    # Contributing factors: add, then move the new one up.
    page.goto(pm + "?section=factors")
    page.wait_for_load_state("networkidle")
    factors = page.locator("#factors")
    before = set(factors.locator("li[id]").evaluate_all("els => els.map(e => e.id)"))
    factors.locator("form.add").get_by_label("Description").fill("No alert on the pool")
    _act(page, factors.locator("form.add").get_by_role("button").last.click, pm + "factors/")
    added = set(factors.locator("li[id]").evaluate_all("els => els.map(e => e.id)")) - before
    if len(added) != 1:
        problems.append(f"adding a factor added rows {added}")
    else:
        new = next(iter(added))
        _expect_focus(page, f"#{new}", "adding a factor", problems)
        _act(page, factors.locator(f"#{new}").get_by_role("button", name="Move up").click, "/move/")
        _expect_focus(page, f"#{new}", "moving a factor up", problems)

    # Action items: change the status of one.
    page.goto(pm + "?section=actions")
    page.wait_for_load_state("networkidle")
    actions = page.locator("#actions")
    item = actions.locator("li[id^=action-item]").first.get_attribute("id")
    # The status answer triggers "postmortem-changed": the lint summary and the copy panel
    # refresh. A long settle makes their answers arrive while the status swap settles, as
    # they sometimes do on a busy machine; focus must still land on the item.
    page.evaluate("() => { htmx.config.defaultSettleDelay = 1500; }")
    _act(page, actions.get_by_role("button", name="Change status").first.click, "/status/")
    _expect_focus(page, f"#{item}", "changing an item's status", problems)

    page.context.close()
    assert not problems and not walk.console, "\n".join(["", *problems, *walk.console])


def test_the_weekly_review_and_the_incident_list_keep_focus_and_announce_their_changes(
    browser: Any, live_server: Any
) -> None:
    demo, password = _demo()
    walk = Walk()
    page = _open(browser, live_server, walk)
    _sign_in(page, "admin", password)
    problems: list[str] = []

    page.goto("/review/payments/")
    row = page.locator("li.action-item").filter(
        has=page.get_by_role("button", name="Mark in progress")
    )
    item = row.first.get_attribute("id")
    _act(page, row.first.get_by_role("button", name="Mark in progress").click, "/progress/")
    _expect_focus(page, f"#{item}", "marking an item in progress", problems)
    _expect_announced(page, "", "marking an item in progress", problems)
    if not (page.locator("#announce").text_content() or "").strip():
        problems.append("marking an item in progress announced nothing")

    # The list's count changes inside the page's live region, and focus stays on the filter.
    page.goto("/")
    severity = page.get_by_label("Severity")
    severity.focus()
    _act(page, lambda: severity.select_option("P0"), "/?")
    _expect_focus(page, "select", "filtering the incident list", problems)
    _expect_announced(page, "incident", "filtering the incident list", problems)

    page.context.close()
    assert not problems and not walk.console, "\n".join(["", *problems, *walk.console])
