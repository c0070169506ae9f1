"""The postmortem editor: sections with versions, five whys, timeline, factors, status."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.urls import reverse

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem, Status, Why
from followthrough.web.postmortems.operations import add_timeline_event

from .helpers import messages_of, panel, tables_read, text

HTMX = {"HX-Request": "true"}


def sections(postmortem: Postmortem, version: int, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"version": version}
    for name in (
        "summary",
        "impact",
        "root_cause",
        "trigger",
        "detection",
        "resolution",
        "lessons",
    ):
        data[name] = getattr(postmortem, name)
    data["root_cause_category"] = postmortem.root_cause_category
    data.update(fields)
    return data


def url(name: str, postmortem: Postmortem, *args: Any) -> str:
    return reverse(name, args=[postmortem.incident_id, *args])


def test_every_section_is_editable_and_carries_the_version(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    for tab, names in (
        ("summary", ("summary",)),
        ("impact", ("impact", "users_affected", "impact_minutes", "failed_requests")),
        ("impact", ("revenue_impact",)),
        ("root_cause", ("root_cause", "root_cause_category")),
        ("trigger", ("trigger",)),
        ("detection", ("detection",)),
        ("resolution", ("resolution",)),
        ("lessons", ("lessons",)),
    ):
        body = text(client.get(url("postmortem", postmortem) + f"?section={tab}"))
        for name in names:
            assert f'name="{name}"' in body, name
            assert f'<label for="id_{name}"' in body, name
        # One form, one Save, for the open section only.
        assert body.count("<textarea") == 1, tab
        assert body.count('<button type="submit">Save ') == 1, tab
        assert f'<input type="hidden" name="section" value="{tab}">' in body
        assert '<input type="hidden" name="version" value="1"' in body


def test_saving_a_section_stores_it_and_bumps_the_version(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    response = client.post(
        url("postmortem-sections", postmortem),
        sections(
            postmortem,
            1,
            summary="Checkout failed for EU cards.",
            users_affected="1200",
            root_cause="No review checklist for schema changes.",
            root_cause_category="process",
        ),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#sections")
    postmortem.refresh_from_db()
    assert postmortem.summary == "Checkout failed for EU cards."
    assert postmortem.users_affected == 1200
    assert postmortem.root_cause_category == "process"
    assert postmortem.version == 2


def test_saving_with_htmx_returns_the_panel_and_fresh_status_version(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-sections", postmortem),
        sections(postmortem, 1, lessons="Checklists help."),
        headers=HTMX,
    )
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="sections"')
    assert "Saved (version 2)." in body
    assert (
        '<section id="status" class="card" aria-labelledby="status-h" hx-swap-oob="true">' in body
    )
    assert 'name="version" value="2" id="status-version"' in body
    assert 'id="milestones"' in body and "<html" not in body


def test_a_bad_number_is_shown_inline_and_nothing_is_saved(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-sections", postmortem), sections(postmortem, 1, users_affected="lots")
    )
    assert response.status_code == 422
    assert "Enter a whole number." in text(response)
    postmortem.refresh_from_db()
    assert postmortem.version == 1


def test_a_stale_save_shows_the_conflict_and_keeps_both_texts(
    cast: Any, postmortem: Postmortem
) -> None:
    alice, bob = cast.browser(cast.alice), cast.browser(cast.bob)
    alice.post(
        url("postmortem-sections", postmortem),
        sections(postmortem, 1, summary="Alice: the pool ran dry at 14:02."),
    )
    response = bob.post(
        url("postmortem-sections", postmortem),
        sections(postmortem, 1, summary="Bob: connections leaked."),
    )
    assert response.status_code == 409
    conflict = panel(response, "sections")
    assert "Someone else saved this postmortem while you were editing" in conflict
    # Their newer text is shown, and Bob's own text is still in the form.
    assert "Summary (theirs)" in conflict
    assert "Alice: the pool ran dry at 14:02." in conflict
    assert "\nBob: connections leaked.</textarea>" in conflict
    assert '<input type="hidden" name="version" value="2"' in conflict
    postmortem.refresh_from_db()
    assert postmortem.summary == "Alice: the pool ran dry at 14:02."
    # Saving again, knowingly, against the version now in the form goes through.
    again = bob.post(
        url("postmortem-sections", postmortem),
        sections(postmortem, 2, summary="Both: the pool ran dry; connections leaked."),
    )
    assert again.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.summary == "Both: the pool ran dry; connections leaked."


def test_a_stale_save_through_htmx_swaps_the_conflict_into_the_panel(
    cast: Any, postmortem: Postmortem
) -> None:
    cast.browser(cast.alice).post(
        url("postmortem-sections", postmortem), sections(postmortem, 1, lessons="A")
    )
    response = cast.browser(cast.bob).post(
        url("postmortem-sections", postmortem), sections(postmortem, 1, lessons="B"), headers=HTMX
    )
    assert response.status_code == 409
    body = text(response)
    assert body.lstrip().startswith('<section id="sections"')
    assert "Lessons (theirs)" in body


def test_whys_are_added_edited_reordered_and_deleted(cast: Any, postmortem: Postmortem) -> None:
    client = cast.browser(cast.bob)
    for question, answer in (
        ("Why did the outage happen?", "The database ran out of connections."),
        ("Why did the index go missing?", "The migration did not include it."),
        ("Why did it run out of connections?", "A query held them too long."),
    ):
        response = client.post(
            url("why-add", postmortem), {"new-why-question": question, "new-why-answer": answer}
        )
        assert response.status_code == 302
    chain = list(postmortem.whys.values_list("question", flat=True))
    assert chain[0] == "Why did the outage happen?"
    third = Why.objects.get(question="Why did it run out of connections?")
    client.post(url("why-move", postmortem, third.pk, "up"))
    assert list(postmortem.whys.values_list("question", flat=True)) == [
        "Why did the outage happen?",
        "Why did it run out of connections?",
        "Why did the index go missing?",
    ]
    first = Why.objects.get(question="Why did the outage happen?")
    client.post(url("why-move", postmortem, first.pk, "down"))
    assert postmortem.whys.first() == third
    response = client.post(
        url("why-edit", postmortem, third.pk),
        {
            f"why-{third.pk}-question": third.question,
            f"why-{third.pk}-answer": "A full table scan.",
            f"why-{third.pk}-version": third.version,
        },
    )
    assert response.status_code == 302
    third.refresh_from_db()
    assert third.answer == "A full table scan." and third.version == 2
    client.post(url("why-delete", postmortem, first.pk))
    assert postmortem.whys.count() == 2
    page = text(client.get(url("postmortem", postmortem) + "?section=whys"))
    assert page.index("Why did it run out of connections?") < page.index(
        "Why did the index go missing?"
    )


def test_an_empty_why_is_refused_inline_with_htmx(cast: Any, postmortem: Postmortem) -> None:
    response = cast.browser(cast.bob).post(
        url("why-add", postmortem), {"new-why-question": "", "new-why-answer": ""}, headers=HTMX
    )
    assert response.status_code == 422
    body = text(response)
    assert body.lstrip().startswith('<section id="whys"')
    assert "This field is required." in body
    assert not postmortem.whys.exists()


def test_a_stale_why_edit_keeps_the_newer_answer(cast: Any, postmortem: Postmortem) -> None:
    why = Why.objects.create(postmortem=postmortem, question="Why?", answer="Theirs")
    Why.objects.filter(pk=why.pk).update(version=2)
    response = cast.browser(cast.bob).post(
        url("why-edit", postmortem, why.pk),
        {
            f"why-{why.pk}-question": "Why?",
            f"why-{why.pk}-answer": "Mine",
            f"why-{why.pk}-version": 1,
        },
    )
    assert response.status_code == 409
    body = panel(response, "whys")
    assert "Someone else changed this why meanwhile" in body and "Theirs" in body
    assert "\nMine</textarea>" in body
    why.refresh_from_db()
    assert why.answer == "Theirs"


def test_moving_in_a_direction_that_does_not_exist_is_not_found(
    cast: Any, postmortem: Postmortem
) -> None:
    why = Why.objects.create(postmortem=postmortem, question="Why?", answer="Because.")
    assert (
        cast.browser(cast.bob).post(url("why-move", postmortem, why.pk, "sideways")).status_code
        == 404
    )


def test_a_timeline_event_is_added_in_team_time_and_shown_sorted(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    client.post(
        url("event-add", postmortem),
        {
            "new-event-occurred_at": "2026-03-02T15:30",
            "new-event-description": "Rollback finished.",
        },
    )
    response = client.post(
        url("event-add", postmortem),
        {
            "new-event-occurred_at": "2026-03-02T14:02",
            "new-event-description": "Error rate alert fired.",
        },
        headers=HTMX,
    )
    body = text(response)
    assert body.lstrip().startswith('<section id="timeline"')
    assert body.index("Error rate alert fired.") < body.index("Rollback finished.")
    assert "Mon 2 Mar, 14:02 CET" in body
    first = postmortem.timeline_events.first()
    assert first is not None
    assert first.occurred_at == datetime(2026, 3, 2, 13, 2, tzinfo=UTC)
    postmortem.refresh_from_db()
    assert postmortem.timeline_documented_at is not None
    client.post(url("event-delete", postmortem, first.pk))
    assert postmortem.timeline_events.count() == 1


def test_a_timeline_event_without_a_time_is_refused(cast: Any, postmortem: Postmortem) -> None:
    response = cast.browser(cast.bob).post(
        url("event-add", postmortem),
        {"new-event-occurred_at": "", "new-event-description": "Something"},
    )
    assert response.status_code == 422
    assert "This field is required." in panel(response, "timeline")


def test_contributing_factors_are_added_reordered_and_deleted(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    for kind, description in (
        ("detection", "Alert fired 20 minutes late."),
        ("communication", "Status page not updated."),
    ):
        client.post(
            url("factor-add", postmortem),
            {"new-factor-kind": kind, "new-factor-description": description},
        )
    second = postmortem.factors.get(kind="communication")
    client.post(url("factor-move", postmortem, second.pk, "up"))
    assert postmortem.factors.first() == second
    client.post(url("factor-delete", postmortem, second.pk))
    assert list(postmortem.factors.values_list("kind", flat=True)) == ["detection"]


def test_a_refused_transition_shows_every_reason_and_changes_nothing(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    response = client.post(
        url("postmortem-status", postmortem), {"to": Status.IN_REVIEW, "version": 1}, follow=True
    )
    said = messages_of(response)
    assert "The postmortem cannot go to in review yet:" in said
    assert "Write a summary before asking for review." in said
    assert "Document the timeline (at least one event) before asking for review." in said
    body = text(response)
    assert "Write a summary before asking for review." in body
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT and postmortem.version == 1


def test_a_transition_that_is_not_allowed_from_here_is_refused(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-status", postmortem), {"to": Status.FINAL, "version": 1}, follow=True
    )
    assert any("cannot go from draft to final" in m for m in messages_of(response))
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_the_status_buttons_offer_the_allowed_transitions_and_move_the_postmortem(
    cast: Any, postmortem: Postmortem
) -> None:
    client = cast.browser(cast.bob)
    status = panel(client.get(url("postmortem", postmortem)), "status")
    assert 'value="in_review">Move to in review' in status
    assert "Move to final" not in status
    Postmortem.objects.filter(pk=postmortem.pk).update(summary="Checkout failed.")
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 0, tzinfo=UTC), "Alert fired.")
    response = client.post(
        url("postmortem-status", postmortem), {"to": Status.IN_REVIEW, "version": 1}, follow=True
    )
    assert "The postmortem is now in review." in messages_of(response)
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW


def test_a_transition_from_a_stale_page_is_refused(cast: Any, postmortem: Postmortem) -> None:
    add_timeline_event(postmortem, datetime(2026, 3, 2, 13, 0, tzinfo=UTC), "Alert fired.")
    Postmortem.objects.filter(pk=postmortem.pk).update(summary="Checkout failed.", version=5)
    response = cast.browser(cast.bob).post(
        url("postmortem-status", postmortem), {"to": Status.IN_REVIEW, "version": "1"}, follow=True
    )
    assert any("changed by someone else" in m for m in messages_of(response))
    postmortem.refresh_from_db()
    assert postmortem.status == Status.DRAFT


def test_an_unknown_status_is_refused_with_words(cast: Any, postmortem: Postmortem) -> None:
    response = cast.browser(cast.bob).post(
        url("postmortem-status", postmortem), {"to": "published", "version": "x"}, follow=True
    )
    assert response.status_code == 200
    assert any("Unknown status" in m for m in messages_of(response))


def test_going_final_with_lint_errors_needs_a_recorded_reason(
    cast: Any, postmortem: Postmortem
) -> None:
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status=Status.IN_REVIEW, root_cause="Human error.", root_cause_category="knowledge"
    )
    type(postmortem.meeting).objects.filter(pk=postmortem.meeting.pk).update(
        held_at=datetime(2026, 3, 5, 13, 0, tzinfo=UTC)
    )
    ActionItem.objects.create(
        postmortem=postmortem,
        title="Improve monitoring",
        owner=cast.frank,
        due_date=date(2026, 4, 1),
    )
    client = cast.browser(cast.bob)
    status = panel(client.get(url("postmortem", postmortem)), "status")
    assert '<label for="override-reason">' in status
    refused = client.post(
        url("postmortem-status", postmortem), {"to": Status.FINAL, "version": 1}, follow=True
    )
    assert any(m.startswith("The linter found") for m in messages_of(refused))
    postmortem.refresh_from_db()
    assert postmortem.status == Status.IN_REVIEW
    client.post(
        url("postmortem-status", postmortem),
        {
            "to": Status.FINAL,
            "version": 1,
            "override_reason": "Customer report due today; lint fixes follow.",
        },
    )
    postmortem.refresh_from_db()
    assert postmortem.status == Status.FINAL
    assert postmortem.final_override_reason == "Customer report due today; lint fixes follow."


# --- one section at a time -------------------------------------------------------------------


def test_each_tab_is_a_link_and_the_open_one_is_marked(cast: Any, postmortem: Postmortem) -> None:
    body = text(cast.browser(cast.bob).get(url("postmortem", postmortem) + "?section=whys"))
    for tab in ("summary", "impact", "lessons", "timeline", "whys", "factors", "actions"):
        assert f'href="{url("postmortem", postmortem)}?section={tab}"' in body, tab
    assert body.count('aria-current="page">') == 1
    assert '?section=whys" hx-get=' in body and 'aria-current="page">Five whys</a>' in body
    # Only the open section is rendered.
    assert '<section id="whys"' in body
    for other in ("sections", "timeline", "factors", "actions", "meeting"):
        assert f'<section id="{other}"' not in body, other


def test_an_htmx_tab_switch_answers_with_the_tabs_and_that_section_only(
    cast: Any, postmortem: Postmortem
) -> None:
    response = cast.browser(cast.bob).get(
        url("postmortem", postmortem) + "?section=timeline",
        headers={**HTMX, "HX-Target": "editor-pane"},
    )
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="editor-pane"')
    assert '<section id="timeline"' in body and "<html" not in body
    assert 'id="lint"' not in body and 'id="status"' not in body


def test_a_section_that_does_not_exist_is_not_found(cast: Any, postmortem: Postmortem) -> None:
    client = cast.browser(cast.bob)
    for name in ("secrets", "<script>alert(1)</script>", "sections"):
        response = client.get(url("postmortem", postmortem), {"section": name})
        assert response.status_code == 404, name
        assert "<script>alert(1)</script>" not in response.content.decode()
    refused = client.post(
        url("postmortem-sections", postmortem),
        {"version": 1, "section": "secrets", "summary": "x"},
    )
    assert refused.status_code == 404
    postmortem.refresh_from_db()
    assert postmortem.version == 1 and postmortem.summary == ""


def test_saving_one_section_leaves_the_others_as_they_were(
    cast: Any, postmortem: Postmortem
) -> None:
    Postmortem.objects.filter(pk=postmortem.pk).update(lessons="Stored lessons.")
    client = cast.browser(cast.bob)
    # A stray field of another section in the post is not the section's to change.
    response = client.post(
        url("postmortem-sections", postmortem),
        {"version": 1, "section": "summary", "summary": "Checkout failed.", "lessons": ""},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?section=summary#sections")
    postmortem.refresh_from_db()
    assert postmortem.summary == "Checkout failed."
    assert postmortem.lessons == "Stored lessons."
    assert postmortem.version == 2


def test_a_stale_save_of_one_section_names_only_what_differs_in_it(
    cast: Any, postmortem: Postmortem
) -> None:
    cast.browser(cast.alice).post(
        url("postmortem-sections", postmortem),
        {"version": 1, "section": "impact", "impact": "Alice: EU checkout down 40 minutes."},
    )
    response = cast.browser(cast.bob).post(
        url("postmortem-sections", postmortem),
        {"version": 1, "section": "impact", "impact": "Bob: some users.", "users_affected": "9"},
        headers=HTMX,
    )
    assert response.status_code == 409
    body = text(response)
    assert "Someone else saved this postmortem while you were editing" in body
    assert "Impact narrative (theirs)" in body and "Alice: EU checkout down 40 minutes." in body
    assert "Summary (theirs)" not in body
    assert '<input type="hidden" name="section" value="impact">' in body
    assert "Bob: some users.</textarea>" in body
    postmortem.refresh_from_db()
    assert postmortem.impact == "Alice: EU checkout down 40 minutes."
    assert postmortem.users_affected is None


def _a_full_document(cast: Any, postmortem: Postmortem) -> None:
    """Two of each list, items owned by three people, a facilitator: what the page reads."""
    from followthrough.web.postmortems.operations import append

    for n in (1, 2):
        append(postmortem, "whys", question=f"Why {n}?", answer=f"Because {n}.")
        append(postmortem, "factors", kind="process", description=f"Factor {n}")
        add_timeline_event(postmortem, datetime(2026, 3, 2, 13, n, tzinfo=UTC), f"Event {n}")
    for owner in (cast.ivan, cast.rita, cast.frank):
        ActionItem.objects.create(postmortem=postmortem, title=f"Fix for {owner.name}", owner=owner)
    meeting = postmortem.meeting
    meeting.facilitator = cast.frank
    meeting.save()


LISTS = (
    "postmortems_timelineevent",
    "postmortems_why",
    "postmortems_contributingfactor",
    "actions_actionitem",
)
# The editor's queries for an editor (not an admin) on SQLite, one SAVEPOINT and its RELEASE
# included: session, user, the viewer's zone, the postmortem with its incident, the four
# lists, the edit and lead checks, delivery problems; the action items tab adds the owner
# picker, the meeting tab its attendees and the people its two pickers share.
EDITOR_QUERIES = {"actions": 14, "meeting": 15}


@pytest.mark.parametrize("tab", ["summary", "timeline", "whys", "factors", "actions", "meeting"])
def test_each_tab_of_the_editor_reads_each_list_once_and_no_person_by_id(
    cast: Any, postmortem: Postmortem, tab: str, django_assert_max_num_queries: Any
) -> None:
    """The linter's Markdown and the open tab share one read of each list; the incident's
    commander and the meeting's facilitator come with the incident and the postmortem."""
    _a_full_document(cast, postmortem)
    browser = cast.browser(cast.bob)
    address = url("postmortem", postmortem) + f"?section={tab}"
    browser.get(address)  # warm up: content types, the organisation row
    with django_assert_max_num_queries(EDITOR_QUERIES.get(tab, 13)) as page:
        response = browser.get(address)
    assert response.status_code == 200
    assert "Fix for Frank Osei" in text(response) or tab != "actions"
    reads = tables_read(page.captured_queries)
    assert all(reads.get(table) == 1 for table in LISTS), reads
    by_id = [
        q["sql"] for q in page.captured_queries if 'WHERE "accounts_person"."id" =' in q["sql"]
    ]
    assert by_id == []


def test_an_htmx_answer_asks_whether_the_viewer_leads_a_team_only_for_a_whole_page(
    cast: Any, postmortem: Postmortem, django_assert_max_num_queries: Any
) -> None:
    """The header's lead-only link is on whole pages; an htmx answer (the panel, then the
    milestones and status out of band) has no header and does not ask, once per partial."""
    client = cast.browser(cast.alice)  # a lead: the whole page offers her the link
    assert "Incident sources" in text(client.get(url("postmortem", postmortem)))
    with django_assert_max_num_queries(40) as answer:
        response = client.post(
            url("why-add", postmortem),
            {"new-why-question": "Why did the pool run dry?", "new-why-answer": "No limit."},
            headers=HTMX,
        )
    assert response.status_code == 200 and 'hx-swap-oob="true"' in text(response)
    asked = [q for q in answer.captured_queries if 'ON ("accounts_team"."lead_id" =' in q["sql"]]
    assert asked == []


def test_the_editor_reads_the_postmortem_with_its_incident_and_is_not_found_as_before(
    cast: Any, postmortem: Postmortem, django_assert_max_num_queries: Any
) -> None:
    """One query reads the postmortem, its incident (team, commander), meeting and
    facilitator, under the visibility rule; without a visible, live incident with a
    postmortem the page is not found, and a read-only viewer cannot post."""
    from followthrough.web.incidents.models import Incident

    bob = cast.browser(cast.bob)
    address = url("postmortem", postmortem)
    bob.get(address)
    with django_assert_max_num_queries(20) as page:
        assert bob.get(address).status_code == 200
    reads = tables_read(page.captured_queries)
    assert "incidents_incident" not in reads and reads["postmortems_postmortem"] == 1
    secret = cast.incident(team=cast.security, title="Secret", security=True, commander=None)
    from followthrough.web.postmortems.operations import start_postmortem

    start_postmortem(secret, cast.admin)
    assert (
        cast.browser(cast.charlie).get(reverse("postmortem", args=[secret.pk])).status_code == 404
    )
    assert cast.browser(cast.admin).get(reverse("postmortem", args=[secret.pk])).status_code == 200
    bare = cast.incident(title="No postmortem yet")
    assert bob.get(reverse("postmortem", args=[bare.pk])).status_code == 404
    assert cast.browser(cast.vera).post(url("why-add", postmortem), {}).status_code == 403
    Incident.objects.filter(pk=postmortem.incident_id).update(deleted_at=datetime.now(UTC))
    assert bob.get(address).status_code == 404
