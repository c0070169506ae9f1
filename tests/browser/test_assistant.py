"""The writing assistant in a real Chromium: an admin points it at an OpenAI-compatible
server on loopback, an editor asks for proposals, sees only those the linter passes (and how
many were dropped), and accepts one into the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from followthrough.web.postmortems.models import Postmortem
from web.assistant.fake_openai import FakeChatCompletions
from web.assistant.postmortem import (
    BLAMING_WHY,
    SOUND_ACTION,
    SOUND_SUMMARY,
    SOUND_WHY,
    draft_postmortem,
    mixed,
)
from web.integrations.fakes.base import Answer

from .conftest import Console, log_in, stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chat(settings: Any) -> Iterator[FakeChatCompletions]:
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    server = FakeChatCompletions().start()
    try:
        yield server
    finally:
        server.stop()


def test_an_editor_sees_only_linter_clean_proposals_and_accepts_one(
    live_server: Any, cast: Any, page: Any, console: Console, chat: FakeChatCompletions
) -> None:
    from playwright.sync_api import expect

    postmortem = draft_postmortem(cast)
    chat.reply = mixed()

    # The admin turns the assistant on, pointing at the loopback server.
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/settings/assistant/")
    expect(page.locator("#what-is-sent")).to_contain_text("users affected, duration in minutes")
    page.get_by_label("Turn the writing assistant on").check()
    page.get_by_label("Endpoint").fill(chat.url)
    page.get_by_label("Model").fill(chat.model)
    page.get_by_label("API key").fill(chat.key)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved: the writing assistant is on.")).to_be_visible()
    expect(page.locator("#key-state")).to_have_text("A key is stored (it is never shown).")

    # An editor asks for proposals.
    page.context.clear_cookies()
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/incidents/{postmortem.incident_id}/postmortem/")
    panel = page.locator("#assistant-panel")
    panel.get_by_role("button", name="Ask the assistant").click()
    proposals = page.locator("#assistant-proposals")
    expect(proposals).to_contain_text("3 proposals dropped: the linter did not pass them")
    expect(proposals.locator(".assistant-proposal")).to_have_count(4)
    for sound in (SOUND_SUMMARY, SOUND_WHY, SOUND_ACTION):
        expect(proposals).to_contain_text(sound)
    expect(proposals).not_to_contain_text(BLAMING_WHY)
    expect(proposals).not_to_contain_text("Look into the pool")

    # Discarding one removes its card; accepting the summary writes it into the document.
    proposals.locator(".assistant-proposal[data-kind='impact']").get_by_role(
        "button", name="Discard"
    ).click()
    expect(proposals.locator(".assistant-proposal")).to_have_count(3)
    proposals.locator(".assistant-proposal[data-kind='summary']").get_by_role(
        "button", name="Accept"
    ).click()
    expect(page.get_by_text("Summary accepted from the writing assistant.")).to_be_visible()
    expect(page.locator("#id_summary")).to_have_value(SOUND_SUMMARY)
    saved = stored(Postmortem, pk=postmortem.pk)
    assert (saved.summary, saved.version) == (SOUND_SUMMARY, postmortem.version + 1)
    assert len(chat.sent()) == 1

    # An endpoint in trouble is one sentence in the panel; the editor keeps working.
    chat.answer_override = Answer(503, {"error": {"message": "overloaded", "type": "server_error"}})
    page.locator("#assistant-panel").get_by_role("button", name="Ask the assistant").click()
    expect(page.locator("#assistant-proposals")).to_contain_text(
        "The assistant could not be reached"
    )
    expect(page.locator("#assistant-proposals")).not_to_contain_text("overloaded")
    expect(page.locator("#id_summary")).to_be_editable()
