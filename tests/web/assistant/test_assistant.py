"""The optional writing assistant, against an OpenAI-compatible server on loopback: it
proposes, the linter screens (a proposal it rejects never reaches the page), a person
accepts into the document (version check, history) or discards."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from followthrough.web.actions.models import ActionStatus
from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.history.models import Change
from followthrough.web.postmortems.models import Postmortem, Status

from .fake_openai import FakeChatCompletions
from .postmortem import (
    BLAMING_SUMMARY,
    BLAMING_WHY,
    SOUND_ACTION,
    SOUND_IMPACT,
    SOUND_SUMMARY,
    SOUND_WHY,
    VAGUE_ACTION,
    VAGUE_IMPACT,
    action,
    draft_postmortem,
    due,
    mixed,
    reply,
)

pytestmark = pytest.mark.django_db


def ask(cast: Cast, pm: Postmortem, user: Any = None) -> Any:
    client = cast.browser(user or cast.bob)
    return client.post(
        reverse("assistant-proposals", args=[pm.incident_id]), HTTP_HX_REQUEST="true"
    )


def accept(cast: Cast, pm: Postmortem, **fields: Any) -> Any:
    data = {"question": "", "item": "", "owner": "", "due": "", "done_when": "", **fields}
    data.setdefault("version", pm.version)
    return cast.browser(cast.bob).post(reverse("assistant-accept", args=[pm.incident_id]), data)


def test_proposals_the_linter_rejects_never_reach_the_page(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    chat.reply = mixed()

    page = ask(cast, pm).content.decode()

    for sound in (SOUND_SUMMARY, SOUND_IMPACT, SOUND_WHY, SOUND_ACTION):
        assert sound.replace("'", "&#x27;") in page, sound
    assert BLAMING_WHY not in page and "Look into the pool" not in page
    assert f"<p>{VAGUE_ACTION}</p>" not in page  # the weak item's rewrite to itself
    assert "3 proposals dropped: the linter did not pass them" in page
    assert "PM101" in page and "owner not on the team" in page

    chat.reply = reply(summary=BLAMING_SUMMARY, impact=VAGUE_IMPACT, whys=(BLAMING_WHY,))
    page = ask(cast, pm).content.decode()
    assert BLAMING_SUMMARY not in page and VAGUE_IMPACT not in page
    assert "3 proposals dropped" in page and "No proposal passed the linter this time." in page


def test_the_request_follows_the_chat_completions_contract_and_sends_only_the_listed_fields(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    chat.reply = reply()

    assert ask(cast, pm).status_code == 200

    (request,) = chat.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-test-key"
    body = request.json()
    assert body["model"] == "llama3.1:8b"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    sent = json.loads(body["messages"][1]["content"])
    assert set(sent) == {
        "incident", "impact_numbers", "summary", "impact", "root_cause", "timeline", "whys",
        "action_items", "team_members", "today",
    }  # fmt: skip
    assert sent["impact_numbers"]["users_affected"] == 3100
    assert sent["action_items"][0]["title"] == VAGUE_ACTION
    assert "Vague action item" in " ".join(sent["action_items"][0]["remarks"])
    assert "Frank Osei" in sent["team_members"]
    raw = request.body.decode()
    assert "@example.com" not in raw, "no e-mail address leaves followthrough"
    assert "commander" not in raw and "responder" not in raw, "nobody's role is sent"


def test_a_security_incident_is_never_sent_unless_an_admin_allows_it(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast, team=cast.security, security=True, commander=None)
    chat.reply = reply()

    refused = ask(cast, pm, user=cast.dana)
    assert refused.status_code == 409
    assert "security incident: nothing about it is sent" in refused.content.decode()
    assert chat.requests == []

    assistant_on.allow_security = True
    assistant_on.save()
    assert ask(cast, pm, user=cast.dana).status_code == 200
    assert len(chat.requests) == 1


def test_the_assistant_is_off_by_default_and_nothing_is_sent(
    cast: Cast, chat: FakeChatCompletions
) -> None:
    pm = draft_postmortem(cast)
    panel = cast.browser(cast.bob).get(reverse("assistant-panel", args=[pm.incident_id]))
    assert panel.status_code == 200 and panel.content.decode().strip() == ""
    admin_panel = cast.browser(cast.admin).get(reverse("assistant-panel", args=[pm.incident_id]))
    assert "writing assistant settings" in admin_panel.content.decode()
    assert ask(cast, pm).status_code == 409
    assert chat.requests == []


def test_the_assistant_panel_reads_the_postmortem_with_its_incident(
    cast: Cast, assistant_on: AssistantSettings, django_assert_max_num_queries: Any
) -> None:
    """One query for the postmortem and its incident, not one for each (8
    statements here, savepoints included; 9 before)."""
    pm = draft_postmortem(cast)
    browser = cast.browser(cast.bob)
    url = reverse("assistant-panel", args=[pm.incident_id])
    browser.get(url)  # warm up: content types
    with django_assert_max_num_queries(8) as page:
        assert browser.get(url).status_code == 200
    tables = [re.match(r'SELECT .*? FROM "(\w+)"', q["sql"]) for q in page.captured_queries]
    assert "incidents_incident" not in [m.group(1) for m in tables if m]


def test_a_viewer_or_an_outsider_cannot_ask(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    public = draft_postmortem(cast)
    private = draft_postmortem(cast, team=cast.security, commander=None)
    assert ask(cast, public, user=cast.vera).status_code == 403
    assert ask(cast, public, user=cast.charlie).status_code == 403
    assert ask(cast, private, user=cast.charlie).status_code == 404
    assert chat.requests == []


@pytest.mark.parametrize(
    ("trouble", "message"),
    [
        ("slow", "The assistant did not answer in time"),
        ("wrong key", "refused the key; the admin should check it"),
        ("not json", "not with the JSON it was asked for"),
        ("not a completion", "not with a chat completion"),
        ("server error", "The assistant could not be reached"),
        ("redirect to metadata", "The assistant could not be reached"),
    ],
)
def test_a_failing_endpoint_is_one_clear_message_and_the_editor_keeps_working(
    cast: Cast,
    chat: FakeChatCompletions,
    assistant_on: AssistantSettings,
    trouble: str,
    message: str,
) -> None:
    from web.integrations.fakes.base import Answer

    pm = draft_postmortem(cast)
    chat.reply = reply()
    if trouble == "slow":
        assistant_on.timeout_seconds = 1
        assistant_on.save()
        chat.delay = 2.5
    elif trouble == "wrong key":
        chat.key = "sk-another-key"
    elif trouble == "not json":
        chat.reply = "Here are some ideas: make the summary shorter."
    elif trouble == "not a completion":
        chat.answer_override = Answer(200, {"object": "list", "data": []})
    else:
        chat.answer_override = Answer(
            500, {"error": {"message": "model crashed", "type": "server_error"}}
        )

    answer = ask(cast, pm)

    assert answer.status_code == 200
    text = answer.content.decode()
    assert message in text and "The editor keeps working; nothing was changed." in text
    assert "model crashed" not in text and "sk-" not in text
    assert (
        cast.browser(cast.bob).get(reverse("postmortem", args=[pm.incident_id])).status_code == 200
    )
    pm.refresh_from_db()
    assert pm.summary == ""


def test_accepting_a_summary_writes_it_at_the_version_read_with_history(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    read = pm.version

    answer = accept(cast, pm, kind="summary", text=SOUND_SUMMARY)

    assert answer.status_code == 302
    pm.refresh_from_db()
    assert pm.summary == SOUND_SUMMARY and pm.version == read + 1
    change = Change.objects.filter(object_id=str(pm.pk), note__contains="writing assistant").get()
    assert change.actor == cast.bob and change.after["summary"] == SOUND_SUMMARY

    stale = accept(cast, pm, kind="impact", text=SOUND_IMPACT, version=read)
    assert stale.status_code == 302
    pm.refresh_from_db()
    assert pm.impact == "", "a proposal made against an older version is refused"


def test_accepting_a_why_and_an_action_item_rewrite(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    item = pm.action_items.get()

    accept(
        cast,
        pm,
        kind="why",
        question="Why did the database run out of connections?",
        text=SOUND_WHY,
    )
    accept(
        cast,
        pm,
        kind="action",
        item=item.pk,
        text=SOUND_ACTION,
        owner="Frank Osei",
        due=due(),
        done_when="The alert fires in the staging drill.",
        version=item.version,
    )

    assert [w.answer for w in pm.whys.order_by("position")][-1] == SOUND_WHY
    item.refresh_from_db()
    assert (item.title, item.owner, item.due_date.isoformat() if item.due_date else None) == (
        SOUND_ACTION,
        cast.frank,
        due(),
    )
    assert Change.objects.filter(
        object_id=str(item.pk), note__contains="writing assistant"
    ).exists()


def test_a_proposal_posted_back_is_screened_again_and_the_final_lock_holds(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    item = pm.action_items.get()

    other = draft_postmortem(cast).action_items.get()
    blamed = accept(cast, pm, kind="summary", text=BLAMING_SUMMARY)
    elsewhere = accept(
        cast, pm, kind="action", item=other.pk, text=SOUND_ACTION, owner="Frank Osei",
        due=due(), version=other.version,
    )  # fmt: skip
    outsider = accept(
        cast, pm, kind="action", item=item.pk, text=SOUND_ACTION, owner="Dana", due=due(),
        version=item.version,
    )  # fmt: skip
    strange_owner = accept(
        cast, pm, kind="action", item=item.pk, text=SOUND_ACTION, owner="Mallory", due=due(),
        version=item.version,
    )  # fmt: skip
    Postmortem.objects.filter(pk=pm.pk).update(status=Status.FINAL)
    locked = accept(cast, pm, kind="summary", text=SOUND_SUMMARY)
    locked_item = accept(
        cast, pm, kind="action", item=item.pk, text=SOUND_ACTION, owner="Frank Osei", due=due(),
        version=item.version,
    )  # fmt: skip

    pm.refresh_from_db()
    item.refresh_from_db()
    assert pm.summary == "" and item.title == VAGUE_ACTION and item.owner is None
    notes = [
        str(m)
        for response in (blamed, strange_owner, locked, elsewhere, outsider, locked_item)
        for m in response.wsgi_request._messages  # type: ignore[attr-defined]
    ]
    assert "the linter does not pass this proposal (PM101)" in notes[0]
    assert "owner not on the team" in notes[1]
    assert notes[2].startswith("Nothing was changed.") and "is final" in notes[2]
    assert "no such action item" in notes[3], "an item of another postmortem is not touched"
    assert "owner not on the team" in notes[4], "a person of another team is not an owner"
    assert "is final" in notes[5], "a final postmortem's action items keep their reviewed text"
    other.refresh_from_db()
    assert other.title == VAGUE_ACTION


def test_proposed_text_is_shown_as_text_never_as_markup(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    chat.reply = reply(summary=SOUND_SUMMARY + ' <img src=x onerror="alert(1)">', whys=())

    page = ask(cast, pm).content.decode()

    assert "1 proposal dropped" in page, "the vague impact"
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_a_done_action_item_is_never_rewritten(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    pm.action_items.update(status=ActionStatus.DONE)
    chat.reply = reply(whys=(), actions=(action(SOUND_ACTION, done_when="The alert fires."),))

    page = ask(cast, pm).content.decode()

    assert SOUND_ACTION not in page
    assert "action item already settled" in page


def test_an_action_item_title_longer_than_an_item_holds_is_dropped(
    cast: Cast, chat: FakeChatCompletions, assistant_on: AssistantSettings
) -> None:
    pm = draft_postmortem(cast)
    long_title = SOUND_ACTION + " and " + "also page the on-call engineer " * 12
    chat.reply = reply(whys=(), actions=(action(long_title, done_when="The alert fires."),))

    assert "title too long" in ask(cast, pm).content.decode()
    answer = accept(
        cast, pm, kind="action", item=pm.action_items.get().pk, text=long_title,
        owner="Frank Osei", due=due(), version=1,
    )  # fmt: skip
    assert answer.status_code == 302
    assert pm.action_items.get().title == VAGUE_ACTION


# --- the settings page ---------------------------------------------------------------------


def test_only_an_admin_sees_the_settings_and_the_key_is_write_only(
    cast: Cast, allow_loopback: None
) -> None:
    url = reverse("assistant-settings")
    assert cast.browser(cast.alice).get(url).status_code == 404
    admin = cast.browser(cast.admin)
    page = admin.get(url).content.decode()
    assert "What is sent" in page and "users affected, duration in minutes" in page
    assert "e-mail addresses" in page  # what is never sent

    saved = admin.post(
        url,
        {
            "enabled": "on",
            "base_url": "http://127.0.0.1:11434",
            "model": "llama3.1:8b",
            "new_api_key": "sk-secret-value",
            "timeout_seconds": "20",
        },
    )

    assert saved.status_code == 302
    config = AssistantSettings.current()
    assert config.is_on and config.api_key == "sk-secret-value"
    assert config.endpoint == "http://127.0.0.1:11434/v1/chat/completions"
    again = admin.get(url).content.decode()
    assert "sk-secret-value" not in again and "A key is stored" in again
    admin.post(
        url,
        {
            "enabled": "on",
            "base_url": config.base_url,
            "model": "llama3.1:8b",
            "timeout_seconds": "20",
        },
    )
    assert AssistantSettings.current().api_key == "sk-secret-value", "an empty key field keeps it"
    change = (
        Change.objects.filter(content_type__model="assistantsettings", object_id=str(config.pk))
        .order_by("at")
        .first()
    )
    assert change is not None and change.actor == cast.admin
    assert change.after["api_key"] == "set" and "sk-secret-value" not in json.dumps(change.after)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://localhost:11434", "Use https:// (localhost is not on the operator"),
        ("https://169.254.169.254", "cloud metadata"),
        ("https://10.0.0.5", "ask the operator to add it to OUTBOUND_ALLOWED_HOSTS"),
    ],
)
def test_an_endpoint_inside_the_network_needs_the_operators_allow_list(
    cast: Cast, url: str, error: str
) -> None:
    answer = cast.browser(cast.admin).post(
        reverse("assistant-settings"),
        {"enabled": "on", "base_url": url, "model": "m", "timeout_seconds": "20"},
    )
    assert answer.status_code == 422
    assert error in answer.content.decode()
    assert not AssistantSettings.objects.exists()
