"""Final means final, on the editor: a final postmortem's document is locked; changing it
anyway is refused with the reason, or, when the editor says so, sends it back to review,
where the linter's gate applies again. A closed one is read-only except reopening."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from followthrough.web.actions.models import ActionItem
from followthrough.web.history.recording import history_of
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import transition_problems

from .final import BLAME, SOUND_SUMMARY, closed_postmortem, final_postmortem
from .helpers import panel, text
from .test_postmortem_editor import HTMX, sections, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def final(cast: Any) -> Postmortem:
    return final_postmortem(cast)


def test_john_forgot_to_run_the_migration_saved_into_a_final_document_is_refused(
    cast: Any, final: Postmortem
) -> None:
    before = final.version
    response = cast.browser(cast.alice).post(
        url("postmortem-sections", final), sections(final, before, summary=BLAME)
    )
    assert response.status_code == 422
    page = text(response)
    assert "Not saved." in page and "This postmortem is final" in page
    assert BLAME in page  # the typed text is still in the form
    assert 'name="send_back_to_review"' in page
    final.refresh_from_db()
    assert final.summary == SOUND_SUMMARY
    assert (final.status, final.version) == (Status.FINAL, before)


def test_an_editor_who_sends_it_back_saves_the_change_and_faces_the_lint_gate_again(
    cast: Any, final: Postmortem
) -> None:
    data = sections(final, final.version, summary=BLAME, send_back_to_review="1")
    response = cast.browser(cast.alice).post(url("postmortem-sections", final), data, follow=True)
    assert "went back to review with your change" in text(response)
    final.refresh_from_db()
    assert final.summary == BLAME
    assert final.status == Status.IN_REVIEW
    assert final.finalized_at is not None  # the milestone happened, and stays done
    problems = " ".join(transition_problems(final, Status.FINAL))
    assert "The linter found 1 error(s): PM101 John is made the cause" in problems
    # The history says both changes, the second with why it happened.
    changes = list(history_of(final).order_by("at", "pk"))
    back = next(c for c in changes if c.after.get("status") == Status.IN_REVIEW)
    assert back.note == "Sent back to review to change its sections."
    assert any(c.after.get("summary") == BLAME for c in changes)


def test_sending_it_back_from_a_stale_tab_is_a_conflict_and_changes_nothing(
    cast: Any, final: Postmortem
) -> None:
    data = sections(final, final.version - 1, summary=BLAME, send_back_to_review="1")
    response = cast.browser(cast.alice).post(url("postmortem-sections", final), data)
    assert response.status_code == 409
    final.refresh_from_db()
    assert (final.status, final.summary) == (Status.FINAL, SOUND_SUMMARY)


def test_with_htmx_sending_it_back_reloads_the_editor_so_every_panel_is_editable(
    cast: Any, final: Postmortem
) -> None:
    data = {
        "new-why-question": "Why was there no checklist?",
        "new-why-answer": "Nobody owned the migration process.",
        "send_back_to_review": "1",
    }
    response = cast.browser(cast.bob).post(url("why-add", final), data, headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert Postmortem.objects.get(pk=final.pk).status == Status.IN_REVIEW


def test_the_final_editor_shows_the_document_read_only_and_says_how_to_change_it(
    cast: Any, final: Postmortem
) -> None:
    bob = cast.browser(cast.bob)
    body = text(bob.get(url("postmortem", final)))
    assert "Final: the document is locked" in body
    assert 'name="summary"' not in body
    for tab in ("impact", "whys", "timeline", "actions", "factors"):
        shown = text(bob.get(url("postmortem", final) + f"?section={tab}"))
        assert tab == "actions" or "<textarea" not in shown, tab
        assert "Add why" not in shown and "Add event" not in shown, tab
        assert "Add action item" not in shown, tab
    assert "Send back to review" in body
    # The items' follow-through stays open.
    assert "Change status" in panel(
        cast.browser(cast.bob).get(url("postmortem", final) + "?section=actions"), "actions"
    )


def _document_posts(final: Postmortem) -> dict[str, dict[str, Any]]:
    why = final.whys.first()
    event = final.timeline_events.first()
    factor = final.factors.first()
    item = final.action_items.get()
    assert why and event and factor
    return {
        url("why-add", final): {"new-why-question": "Why?", "new-why-answer": "Because."},
        url("why-edit", final, why.pk): {
            f"why-{why.pk}-version": why.version,
            f"why-{why.pk}-question": why.question,
            f"why-{why.pk}-answer": BLAME,
        },
        url("why-delete", final, why.pk): {},
        url("why-move", final, why.pk, "down"): {},
        url("event-add", final): {
            "new-event-occurred_at": "2026-03-02T15:00",
            "new-event-description": BLAME,
        },
        url("event-edit", final, event.pk): {
            f"event-{event.pk}-version": event.version,
            f"event-{event.pk}-occurred_at": "2026-03-02T14:05",
            f"event-{event.pk}-description": BLAME,
        },
        url("event-delete", final, event.pk): {},
        url("factor-add", final): {"new-factor-kind": "other", "new-factor-description": BLAME},
        url("factor-edit", final, factor.pk): {
            f"factor-{factor.pk}-version": factor.version,
            f"factor-{factor.pk}-kind": "other",
            f"factor-{factor.pk}-description": BLAME,
        },
        url("factor-delete", final, factor.pk): {},
        url("meeting-save", final): {
            "meeting-version": final.meeting.version,
            "meeting-duration_minutes": 60,
            "meeting-notes": BLAME,
        },
        url("action-add", final): {
            "new-action-title": "Tell John to be careful",
            "new-action-likelihood": 3,
            "new-action-severity": 3,
            "new-action-effort": 3,
        },
        url("action-edit", final, item.pk): {
            f"edit-action-{item.pk}-version": item.version,
            f"edit-action-{item.pk}-title": "Tell John to be careful",
            f"edit-action-{item.pk}-owner": item.owner_id,
            f"edit-action-{item.pk}-due_date": item.due_date.isoformat() if item.due_date else "",
            f"edit-action-{item.pk}-done_condition": item.done_condition,
            f"edit-action-{item.pk}-likelihood": 3,
            f"edit-action-{item.pk}-severity": 3,
            f"edit-action-{item.pk}-effort": 3,
        },
    }


def test_every_part_of_a_final_document_refuses_a_change_with_the_reason(
    cast: Any, final: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    counts = (final.whys.count(), final.timeline_events.count(), final.factors.count())
    for address, data in _document_posts(final).items():
        response = client.post(address, data, headers=HTMX)
        assert response.status_code == 422, address
        assert "This postmortem is final" in text(response), address
    final.refresh_from_db()
    assert final.status == Status.FINAL
    assert (final.whys.count(), final.timeline_events.count(), final.factors.count()) == counts
    assert BLAME not in str(list(final.whys.values_list("answer", flat=True)))
    assert final.meeting.notes == ""
    assert final.action_items.get().title == "Add a schema-change checklist to the PR template"


def test_a_final_postmortems_items_keep_their_follow_through(cast: Any, final: Postmortem) -> None:
    item = final.action_items.get()
    client = cast.browser(cast.bob)
    edit = _document_posts(final)[url("action-edit", final, item.pk)]
    edit[f"edit-action-{item.pk}-title"] = item.title
    edit[f"edit-action-{item.pk}-owner"] = cast.person(cast.bob).pk
    edit[f"edit-action-{item.pk}-effort"] = 1
    response = client.post(url("action-edit", final, item.pk), edit, headers=HTMX)
    assert response.status_code == 200, text(response)[:500]
    item.refresh_from_db()
    assert (item.owner, item.effort) == (cast.person(cast.bob), 1)
    status = {f"action-{item.pk}-version": item.version, f"action-{item.pk}-status": "in_progress"}
    assert (
        client.post(url("action-status", final, item.pk), status, headers=HTMX).status_code == 200
    )
    final.refresh_from_db()
    assert final.status == Status.FINAL


def test_an_owner_or_date_of_a_final_postmortems_item_can_change_but_not_vanish(
    cast: Any, final: Postmortem
) -> None:
    item = final.action_items.get()
    edit = _document_posts(final)[url("action-edit", final, item.pk)]
    edit[f"edit-action-{item.pk}-title"] = item.title
    edit[f"edit-action-{item.pk}-owner"] = ""
    response = cast.browser(cast.bob).post(url("action-edit", final, item.pk), edit, headers=HTMX)
    assert response.status_code == 422
    assert ActionItem.objects.get(pk=item.pk).owner == cast.frank


def test_deleting_an_item_of_a_final_postmortem_needs_sending_it_back(
    cast: Any, final: Postmortem
) -> None:
    item = final.action_items.get()
    address = reverse("action-item-delete", args=[final.incident_id, item.pk])
    client = cast.browser(cast.alice)
    page = text(client.get(address))
    assert "This postmortem is final" in page and 'name="send_back_to_review"' in page
    refused = client.post(address, {"version": item.version})
    assert refused.status_code == 422
    assert ActionItem.objects.filter(pk=item.pk).exists()
    client.post(address, {"version": item.version, "send_back_to_review": "1"})
    assert not ActionItem.objects.filter(pk=item.pk).exists()
    assert Postmortem.objects.get(pk=final.pk).status == Status.IN_REVIEW


def test_a_closed_postmortem_is_read_only_and_sending_it_back_is_not_offered(cast: Any) -> None:
    closed = closed_postmortem(cast)
    client = cast.browser(cast.alice)
    body = text(client.get(url("postmortem", closed)))
    assert "Closed: read-only" in body and "Reopen for changes (back to review)" in body
    assert "Change status" not in body
    data = sections(closed, closed.version, summary=BLAME, send_back_to_review="1")
    response = client.post(url("postmortem-sections", closed), data)
    assert response.status_code == 422
    assert "This postmortem is closed" in text(response)
    assert 'name="send_back_to_review"' not in text(response)
    closed.refresh_from_db()
    assert (closed.status, closed.summary) == (Status.CLOSED, SOUND_SUMMARY)


def test_reopening_an_item_of_a_closed_postmortem_reopens_the_postmortem(cast: Any) -> None:
    closed = closed_postmortem(cast)
    item = closed.action_items.get()
    data = {f"action-{item.pk}-version": item.version, f"action-{item.pk}-status": "open"}
    response = cast.browser(cast.alice).post(url("action-status", closed, item.pk), data)
    assert response.status_code == 302
    assert ActionItem.objects.get(pk=item.pk).status == "open"
    assert Postmortem.objects.get(pk=closed.pk).status == Status.FINAL


def test_a_closed_postmortems_item_cannot_be_reworded(cast: Any) -> None:
    closed = closed_postmortem(cast)
    item = closed.action_items.get()
    edit = _document_posts(closed)[url("action-edit", closed, item.pk)]
    edit["send_back_to_review"] = "1"
    response = cast.browser(cast.alice).post(url("action-edit", closed, item.pk), edit)
    assert response.status_code == 422
    assert "can only be reopened" in text(response)
    assert ActionItem.objects.get(pk=item.pk).title == item.title


def test_reopening_a_closed_postmortem_for_changes_takes_it_back_to_review(cast: Any) -> None:
    closed = closed_postmortem(cast)
    client = cast.browser(cast.alice)
    client.post(
        url("postmortem-status", closed), {"to": Status.IN_REVIEW, "version": closed.version}
    )
    closed.refresh_from_db()
    assert (closed.status, closed.closed_at) == (Status.IN_REVIEW, None)
    assert 'name="summary"' in text(client.get(url("postmortem", closed)))
