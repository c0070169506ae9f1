"""The linter on the editor: findings beside each section, live as you type, and the gate
on going final (refused while errors remain, unless a reason is recorded)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse

from followthrough.core.markdown import parse
from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.linting import PANELS, review, review_draft
from followthrough.web.postmortems.models import Postmortem, Status, Why
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

from .helpers import messages_of, panel, text

HTMX = {"HX-Request": "true"}
BLAME = "The root cause was human error by Bob."


def url(name: str, postmortem: Postmortem) -> str:
    return reverse(name, args=[postmortem.incident_id])


def findings_of(body: str, key: str) -> str:
    """The HTML of one panel's findings list (``<div id="findings-KEY">``)."""
    match = re.search(rf'<div id="findings-{key}"[^>]*>.*?</div>', body, re.S)
    return match.group(0) if match else ""


def in_review_with_a_vague_item(cast: Any, postmortem: Postmortem) -> Postmortem:
    """Everything going final needs, except that the only action item is vague (PM203)."""
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status=Status.IN_REVIEW,
        summary="Checkout returned 502 for EU customers for 47 minutes.",
        impact="12,400 checkout attempts failed over 47 minutes.",
        root_cause="There is no review checklist for schema changes on hot tables.",
        root_cause_category="process",
    )
    add_timeline_event(
        postmortem, datetime(2026, 3, 2, 13, 0, tzinfo=UTC), "Error-rate alert fired."
    )
    for n, (q, a) in enumerate(
        [
            ("Why did checkout fail?", "The database ran out of connections."),
            ("Why did it run out?", "A query did a full table scan."),
            ("Why a full scan?", "The migration had no index and review has no checklist."),
        ]
    ):
        Why.objects.create(postmortem=postmortem, position=n, question=q, answer=a)
    type(postmortem.meeting).objects.filter(pk=postmortem.meeting.pk).update(
        held_at=datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
    )
    ActionItem.objects.create(
        postmortem=postmortem,
        title="Improve monitoring",
        owner=cast.frank,
        due_date=date(2026, 4, 1),
        done_condition="An alert pages on-call when the pool is 90% used.",
    )
    postmortem.refresh_from_db()
    return postmortem


# --- findings beside each section ------------------------------------------------------------


def test_a_vague_action_item_is_flagged_in_the_action_items_panel(
    cast: Any, postmortem: Postmortem
) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    body = text(cast.browser(cast.bob).get(url("postmortem", pm) + "?section=actions"))
    actions = findings_of(panel_html(body, "actions"), "action_items")
    assert "PM203" in actions
    assert "Vague action item: 'Improve monitoring' does not say what will change" in actions
    assert "<q>| Improve monitoring |" in actions  # the excerpt: the table row as written
    assert "<strong>Fix:</strong> Name the concrete change" in actions
    assert 'class="lint-badge lint-error">Error</span>' in actions  # a word, not colour alone
    lint = panel_html(body, "lint")
    assert "1 error, " in lint
    # The count links to the tab that shows those findings.
    to_actions = url("postmortem", pm) + "?section=actions#findings-action_items"
    assert f'<a href="{to_actions}">Action items</a>' in lint
    body = text(cast.browser(cast.bob).get(url("postmortem", pm) + "?section=summary"))
    assert findings_of(panel_html(body, "sections"), "summary") == (
        '<div id="findings-summary" class="findings"></div>'
    )


def panel_html(body: str, panel_id: str) -> str:
    match = re.search(rf'<section id="{panel_id}".*?</section>', body, re.S)
    assert match, f"no #{panel_id} panel"
    return match.group(0)


def test_the_summary_at_the_top_counts_errors_and_warnings_and_lists_document_findings(
    cast: Any, postmortem: Postmortem
) -> None:
    type(postmortem.incident).objects.filter(pk=postmortem.incident_id).update(
        title="Checkout outage [Insert title here]"  # template text in the title: no section
    )
    postmortem.refresh_from_db()
    lint = review(postmortem)  # a fresh draft: sections empty, nothing filled in
    body = text(cast.browser(cast.bob).get(url("postmortem", postmortem)))
    head = panel_html(body, "lint")
    e, w = len(lint.errors), len(lint.warnings)
    assert e >= 1 and w >= 2
    assert '<p id="lint-counts" class="lint-counts" aria-live="polite" aria-atomic="true">' in head
    assert f"<strong>{e} error{'s' if e > 1 else ''}, {w} warnings</strong>" in head
    # Beside the text: in the editor's side column, after the open section.
    assert body.index('id="sections"') < body.index('<aside class="editor-side"')
    assert body.index('<aside class="editor-side"') < body.index('id="lint"')
    assert f'href="{url("postmortem-markdown", postmortem)}"' in head
    document = findings_of(head, "document")
    assert [f.rule for f in lint.panel("document")] == ["PM502"]
    assert "PM502" in document and "in whole document" in document


def test_each_tab_shows_its_own_findings_list_and_the_documents_for_editors_and_viewers(
    cast: Any, postmortem: Postmortem
) -> None:
    tab_of = {key: key for key, _ in PANELS} | {"action_items": "actions"}
    for user in (cast.bob, cast.vera):
        for key, _ in PANELS:
            if key == "document":
                continue
            page = url("postmortem", postmortem) + f"?section={tab_of[key]}"
            body = text(cast.browser(user).get(page))
            shown = re.findall(r'<div id="findings-(\w+)"', body)
            assert sorted(shown) == sorted([key, "document"]), (user, key, shown)


# --- live: after saves and as you type -------------------------------------------------------


def test_a_blame_phrase_typed_into_the_summary_is_flagged_and_nothing_is_saved(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-lint-draft", postmortem),
        {"summary": BLAME, "version": 1, "open": "summary", "csrfmiddlewaretoken": "ignored"},
        headers=HTMX,
    )
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="lint-summary"')
    summary = findings_of(body, "summary")
    assert 'hx-swap-oob="true"' in summary
    assert "PM102" in summary and "Blame or hindsight phrasing: 'human error'" in summary
    assert f"<q>{BLAME}</q>" in summary
    assert "As typed, not saved yet." in body
    postmortem.refresh_from_db()
    assert postmortem.version == 1
    assert postmortem.summary == ""
    assert "human error" not in postmortem_markdown_of(cast, postmortem)


def postmortem_markdown_of(cast: Any, postmortem: Postmortem) -> str:
    return cast.browser(cast.bob).get(url("postmortem-markdown", postmortem)).content.decode()


def test_a_refresh_replaces_the_open_tabs_list_out_of_band_and_no_field(
    cast: Any, postmortem: Postmortem
) -> None:
    vera = cast.browser(cast.vera)
    for key, _ in PANELS:
        body = text(vera.get(url("postmortem-lint", postmortem), {"open": key}, headers=HTMX))
        shown = re.findall(r'<div id="findings-(\w+)"[^>]*>', body)
        assert sorted(set(shown)) == sorted({key, "document"}), key
        tag = re.search(rf'<div id="findings-{key}"[^>]*>', body)
        assert tag, key
        assert ('hx-swap-oob="true"' in tag.group(0)) == (key != "document"), key
    # No tab named (the meeting's has no findings) or a name that is no tab: the document's.
    for open_tab in ("", "meeting", "<script>"):
        body = text(vera.get(url("postmortem-lint", postmortem), {"open": open_tab}, headers=HTMX))
        assert re.findall(r'<div id="findings-(\w+)"', body) == ["document"], open_tab
    assert '<p id="lint-counts" hx-swap-oob="innerHTML">' in body
    assert "<textarea" not in body and "<input" not in body
    assert "not saved yet" not in body


def test_the_findings_url_without_htmx_goes_to_the_editor(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.vera).get(url("postmortem-lint", postmortem))
    assert response.status_code == 302
    assert response["Location"] == url("postmortem", postmortem) + "#lint"


def test_after_an_htmx_save_the_page_is_told_to_fetch_the_findings_afresh(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    saved = client.post(
        reverse("why-add", args=[postmortem.incident_id]),
        {"new-why-question": "Why did checkout fail?", "new-why-answer": "Pool exhausted."},
        headers=HTMX,
    )
    assert saved.status_code == 200
    assert saved["HX-Trigger"] == "postmortem-changed"
    refused = client.post(
        reverse("why-add", args=[postmortem.incident_id]), {"new-why-question": ""}, headers=HTMX
    )
    assert refused.status_code == 422 and "HX-Trigger" not in refused
    # A refused sections save keeps the typed text: the findings are fetched for it again.
    bad_number = client.post(
        url("postmortem-sections", postmortem),
        {"version": postmortem.version, "summary": BLAME, "users_affected": "lots"},
        headers=HTMX,
    )
    assert bad_number.status_code == 422
    assert bad_number["HX-Trigger"] == "postmortem-changed"
    page = text(client.get(url("postmortem", postmortem)))
    lint = panel_html(page, "lint")
    assert 'hx-trigger="postmortem-changed from:body"' in lint
    assert f'hx-post="{url("postmortem-lint-draft", postmortem)}"' in lint
    assert 'hx-include="#sections-form, #editor-open"' in lint
    assert 'hx-trigger="input changed delay:800ms"' in panel_html(page, "sections")


def test_a_viewer_sees_findings_but_may_not_lint_a_draft(cast: Any, postmortem: Postmortem) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    viewer = cast.browser(cast.vera)
    page = text(viewer.get(url("postmortem", pm) + "?section=actions"))
    assert "PM203" in findings_of(page, "action_items")
    assert f'hx-get="{url("postmortem-lint", pm)}"' in panel_html(page, "lint")
    assert "lint/draft" not in page
    assert viewer.get(url("postmortem-lint", pm), headers=HTMX).status_code == 200
    refused = viewer.post(url("postmortem-lint-draft", pm), {"summary": BLAME}, headers=HTMX)
    assert refused.status_code == 403
    outsider = cast.browser(cast.charlie)  # Payments is public: read, never write
    assert outsider.post(url("postmortem-lint-draft", pm), {"summary": BLAME}).status_code == 403
    secret = start_postmortem(cast.incident(cast.security), cast.dana)
    for name in ("postmortem-lint", "postmortem-markdown"):
        assert viewer.get(url(name, secret), headers=HTMX).status_code == 404
    assert (
        cast.browser(cast.dana).get(url("postmortem-lint", secret), headers=HTMX).status_code == 200
    )


def test_invalid_and_unknown_draft_fields_are_ignored_with_words(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-lint-draft", postmortem),
        {
            "users_affected": "lots",
            "root_cause_category": "bad luck",
            "status": "final",
            "final_override_reason": "sneaky",
            "lessons": "Checklists help.",
        },
        headers=HTMX,
    )
    body = text(response)
    assert response.status_code == 200
    assert "Users affected was not checked as typed (“lots” value must be an integer.)" in body
    assert "Category was not checked as typed (Value 'bad luck' is not a valid choice.)" in body
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT
    assert postmortem.final_override_reason == "" and postmortem.lessons == ""


def test_a_draft_is_checked_as_the_saved_document_would_be(
    cast: Any, postmortem: Postmortem
) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    assert review_draft(pm, {}).findings == review(pm).findings
    draft = review_draft(
        pm,
        {
            "summary": BLAME,
            "users_affected": " 1200 ",
            "revenue_impact": "99.50",
            "root_cause_category": "",
            "version": "7",
        },
    )
    assert any(f.category == "blame" and f.section == "summary" for f in draft.findings)
    assert draft.unsaved == ["summary", "users_affected", "revenue_impact", "root_cause_category"]
    assert draft.ignored == {}
    pm.refresh_from_db()
    assert pm.summary.startswith("Checkout returned 502") and pm.users_affected is None
    assert pm.root_cause_category == "process" and pm.revenue_impact is None
    huge = review_draft(pm, {"lessons": "x" * 100_001, "revenue_impact": Decimal("-1.005")})
    assert set(huge.ignored) == {"lessons", "revenue_impact"}


# --- going final -----------------------------------------------------------------------------


def test_going_final_is_refused_listing_the_lint_errors_until_a_reason_is_recorded(
    cast: Any, postmortem: Postmortem
) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    client = cast.browser(cast.bob)
    status = panel(client.get(url("postmortem", pm)), "status")
    assert "Going final is refused while the linter finds 1 error" in status
    to_actions = url("postmortem", pm) + "?section=actions#findings-action_items"
    assert f'<a href="{to_actions}"><code>PM203</code></a> Vague action item' in status
    assert '<textarea name="override_reason" id="override-reason" rows="2" hx-preserve="true">' in (
        status
    )
    refused = client.post(
        url("postmortem-status", pm), {"to": Status.FINAL, "version": pm.version}, follow=True
    )
    said = messages_of(refused)
    assert "The postmortem cannot go to final yet:" in said
    assert any(m.startswith("The linter found 1 error(s): PM203 Vague action item") for m in said)
    assert "Going final is refused while the linter finds 1 error" in panel(refused, "status")
    pm.refresh_from_db()
    assert pm.status == Status.IN_REVIEW
    reason = "Agreed in the meeting: the monitoring item is rewritten next week."
    went = client.post(
        url("postmortem-status", pm),
        {"to": Status.FINAL, "version": pm.version, "override_reason": reason},
        follow=True,
    )
    assert "The postmortem is now final." in messages_of(went)
    pm.refresh_from_db()
    assert pm.status == Status.FINAL and pm.final_override_reason == reason
    assert f"The reason recorded: {reason}" in panel(went, "status")


def test_a_sound_postmortem_offers_no_override_field(cast: Any, postmortem: Postmortem) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    ActionItem.objects.filter(postmortem=pm).update(
        title="Add a schema-change checklist to the PR template"
    )
    status = panel(cast.browser(cast.bob).get(url("postmortem", pm)), "status")
    assert "Move to final" in status
    assert "override_reason" not in status


def test_a_section_save_redraws_the_status_panel_keeping_the_typed_reason(
    cast: Any, postmortem: Postmortem
) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    data = {
        name: getattr(pm, name) or ""
        for name in ("summary", "impact", "root_cause", "root_cause_category", "lessons")
    }
    response = cast.browser(cast.bob).post(
        url("postmortem-sections", pm),
        {**data, "version": pm.version, "trigger": "A migration."},
        headers=HTMX,
    )
    body = text(response)
    status = re.search(r'<section id="status".*?</section>', body, re.S)
    assert status and 'hx-swap-oob="true"' in status.group(0)
    # htmx keeps the textarea already on the page in place of this empty one (hx-preserve).
    assert 'id="override-reason" rows="2" hx-preserve="true"' in status.group(0)


# --- the Markdown the CLI would check --------------------------------------------------------


def test_the_markdown_download_is_the_document_the_linter_checks(
    cast: Any, postmortem: Postmortem
) -> None:
    pm = in_review_with_a_vague_item(cast, postmortem)
    response = cast.browser(cast.vera).get(url("postmortem-markdown", pm))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    key = pm.incident.key
    assert response["Content-Disposition"] == f'attachment; filename="{key}.md"'
    doc = parse(response.content.decode("utf-8"), path=f"{key}.md")
    assert doc.title == pm.incident.title
    assert [w.answer for w in doc.whys][0] == "The database ran out of connections."
    assert doc.action_items[0].owner == "Frank Osei"
    assert doc.root_causes and doc.root_causes[0].category == "process"
