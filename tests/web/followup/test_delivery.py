"""Sending: real SMTP on loopback, a fake Slack that checks requests like Slack, retries with
backoff, failures visible on the pages and never raised into them, each message marked
sending with its delivery key before it goes, and the same key on every attempt."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.urls import reverse

from followthrough.web import transport
from followthrough.web.followup import notifications
from followthrough.web.followup.models import Delivery, Notification, Preferences
from followthrough.web.followup.notifications import (
    BACKOFF_BASE,
    LEASE,
    Message,
    deliver_due,
    notify,
)
from followthrough.web.recovery import delete

from .conftest import BOT_TOKEN, FakeSlack, Inbox, add_item, final_postmortem, free_port, with_slack

if TYPE_CHECKING:
    from conftest import Cast
    from followthrough.web.actions.models import ActionItem

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 23, 9, tzinfo=UTC)


def _item(cast: Cast) -> ActionItem:
    return add_item(
        final_postmortem(cast), cast.frank, "Alert on pool exhaustion", date(2026, 3, 30)
    )


def _notify_frank(cast: Cast, item: ActionItem, key: str = "1") -> int:
    message = Message(
        "“Alert on pool exhaustion” is overdue",
        "It was due Friday & nobody <moved> it.",
        item.get_absolute_url(),
    )
    return notify(cast.frank, cast.payments, "test", key, message, action_item=item)


def test_an_email_reaches_a_real_smtp_server_with_a_link_back_to_the_item(
    cast: Cast, smtp: Inbox
) -> None:
    item = _item(cast)
    Preferences.objects.create(person=cast.frank, slack_enabled=False)
    assert _notify_frank(cast, item) == 1
    assert deliver_due("w1")["sent"] == 1
    [message] = smtp.messages
    assert message["To"] == "frank@example.com" and message["X-Rcpt"] == "frank@example.com"
    link = f"http://127.0.0.1:8000/action-items/{item.pk}/"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in message.walk()
        if not p.is_multipart()
    }
    assert link in parts["text/plain"]
    assert f'href="{link}"' in parts["text/html"]
    assert "Friday &amp; nobody &lt;moved&gt; it." in parts["text/html"]  # escaped
    assert Notification.objects.get().status == Delivery.SENT


def test_notifying_twice_queues_one_message(cast: Cast) -> None:
    item = _item(cast)
    assert _notify_frank(cast, item) == 1
    assert _notify_frank(cast, item) == 0
    assert Notification.objects.count() == 1


def test_a_message_about_an_item_deleted_before_it_went_out_is_withdrawn(
    cast: Cast, smtp: Inbox
) -> None:
    item = _item(cast)
    Preferences.objects.create(person=cast.frank, slack_enabled=False)
    _notify_frank(cast, item)
    delete(item, cast.alice)
    assert deliver_due("w1") == {
        "sent": 0,
        "retrying": 0,
        "failed": 0,
        "withdrawn": 1,
        "skipped": 0,
    }
    assert smtp.messages == []
    row = Notification.objects.get()
    assert row.status == Delivery.FAILED
    assert "deleted before it went out" in row.last_error


def test_smtp_down_is_retried_with_backoff_shown_on_the_item_page_and_then_sent(
    cast: Cast, smtp: Inbox, settings: Any
) -> None:
    item = _item(cast)
    good_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        assert deliver_due("w1") == {
            "sent": 0,
            "retrying": 1,
            "failed": 0,
            "withdrawn": 0,
            "skipped": 0,
        }
        row = Notification.objects.get()
        assert row.status == Delivery.PENDING and row.attempts == 1
        assert row.next_attempt_at == NOW + BACKOFF_BASE
        assert "mail server unavailable" in row.last_error
        page = cast.browser(cast.alice).get(reverse("action-item", args=[item.pk]))
        assert page.status_code == 200
        assert "E-mail to Frank Osei failed: mail server unavailable" in page.content.decode()
        assert "retrying at 2026-03-23 10:01 CET" in page.content.decode()
        assert deliver_due("w1")["sent"] == 0  # not before its time
        traveller.move_to(NOW + timedelta(minutes=2))
        settings.EMAIL_PORT = good_port
        assert deliver_due("w1")["sent"] == 1
    assert len(smtp.messages) == 1
    assert Notification.objects.get().attempts == 2


def test_slack_gets_json_with_text_and_blocks_and_a_mention_of_the_person(
    cast: Cast, slack: FakeSlack
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False, slack_user="U0FRANK01")
    _notify_frank(cast, item)
    assert deliver_due("w1")["sent"] == 1
    [request] = slack.received
    body = request["body"]
    assert body["text"].startswith("<@U0FRANK01> “Alert on pool exhaustion” is overdue")
    texts = " ".join(b["text"]["text"] for b in body["blocks"] if "text" in b)
    assert "Friday &amp; nobody &lt;moved&gt; it." in texts
    assert f"<http://127.0.0.1:8000/action-items/{item.pk}/|Open>" in json.dumps(body)


def test_a_slack_429_waits_as_long_as_retry_after_says_and_a_500_backs_off(
    cast: Cast, slack: FakeSlack
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    slack.script = [
        (429, "rate_limited", {"Retry-After": "300"}),
        (500, "internal_error", {}),
        (503, "service_unavailable", {}),
    ]
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        deliver_due("w1")
        row = Notification.objects.get()
        assert row.next_attempt_at == NOW + timedelta(seconds=300) and "429" in row.last_error
        traveller.move_to(row.next_attempt_at)
        deliver_due("w1")
        row.refresh_from_db()
        assert row.next_attempt_at == NOW + timedelta(seconds=300) + 2 * BACKOFF_BASE
        traveller.move_to(row.next_attempt_at)
        deliver_due("w1")
        row.refresh_from_db()
        assert row.attempts == 3 and row.status == Delivery.PENDING
        traveller.move_to(row.next_attempt_at)
        assert deliver_due("w1")["sent"] == 1
    assert len(slack.received) == 1


def test_a_bot_token_sends_a_direct_message_through_chat_post_message(
    cast: Cast, slack: FakeSlack, settings: Any
) -> None:
    settings.SLACK_API_URL = slack.api_url
    item = _item(cast)
    with_slack(cast, slack, bot=True)
    Preferences.objects.create(person=cast.frank, email_enabled=False, slack_user="U0FRANK01")
    _notify_frank(cast, item)
    assert deliver_due("w1")["sent"] == 1
    [request] = slack.received
    assert request["path"] == "/api/chat.postMessage"
    assert request["body"]["channel"] == "U0FRANK01"


def test_a_refused_bot_token_fails_for_good_and_the_review_page_says_so(
    cast: Cast, slack: FakeSlack, settings: Any
) -> None:
    settings.SLACK_API_URL = slack.api_url
    item = _item(cast)
    conf = with_slack(cast, slack, bot=True)
    conf.slack_bot_token = "xoxb-revoked"
    conf.save()
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    _notify_frank(cast, item)
    assert deliver_due("w1")["failed"] == 1
    row = Notification.objects.get()
    assert (
        row.status == Delivery.FAILED
        and row.last_error == "Slack refused the message: invalid_auth"
    )
    page = cast.browser(cast.alice).get(reverse("weekly-review", args=["payments"]))
    assert (
        "Slack to Frank Osei failed for good: Slack refused the message: invalid_auth"
        in page.content.decode()
    )
    assert BOT_TOKEN not in page.content.decode() and "xoxb-revoked" not in page.content.decode()


def test_a_worker_killed_mid_send_leaves_a_lease_that_expires_and_another_worker_sends_it(
    cast: Cast, slack: FakeSlack
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        from followthrough.web.followup.notifications import claim

        assert claim(Notification.objects.get().pk, "dead-worker")  # then it "dies"
        row = Notification.objects.get()
        assert (row.status, row.claimed_by, row.attempts) == (Delivery.SENDING, "dead-worker", 1)
        assert deliver_due("w2") == {
            "sent": 0,
            "retrying": 0,
            "failed": 0,
            "withdrawn": 0,
            "skipped": 0,
        }
        traveller.move_to(NOW + LEASE + timedelta(seconds=1))
        assert deliver_due("w2")["sent"] == 1
    assert len(slack.received) == 1


def test_a_failed_message_about_an_item_shows_on_its_postmortem_page(
    cast: Cast, slack: FakeSlack
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    slack.script = [(500, "internal_error", {})]
    _notify_frank(cast, item)
    deliver_due("w1")
    page = cast.browser(cast.vera).get(reverse("postmortem", args=[item.postmortem.incident_id]))
    assert page.status_code == 200
    assert "Slack to Frank Osei failed: POST http://127.0.0.1:" in page.content.decode()
    assert "answered 500" in page.content.decode()
    assert "/services/" not in page.content.decode()  # the webhook's secret path never shows


# --- marked sending, with one key on every attempt (issue 12, item 8) -----------------------


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: nothing after this line runs."""


def _dies_after_sending(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> None:
    """The first call goes through (the vendor has the message), then the worker dies."""
    real = getattr(target, name)
    calls = {"n": 0}

    def send_then_die(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerDied
        return result

    monkeypatch.setattr(target, name, send_then_die)


def test_a_message_is_marked_sending_with_its_key_before_the_transport_is_called(
    cast: Cast, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    _notify_frank(cast, item)
    seen: list[tuple[str, str, int]] = []
    real = transport.request

    def spy(*args: Any, **kwargs: Any) -> Any:
        row = Notification.objects.get()
        seen.append((row.status, row.claimed_by, row.attempts))
        return real(*args, **kwargs)

    monkeypatch.setattr(transport, "request", spy)
    assert deliver_due("w1")["sent"] == 1
    assert seen == [(Delivery.SENDING, "w1", 1)]
    key = str(Notification.objects.get().delivery_key)
    [request] = slack.received
    assert request["headers"]["Idempotency-Key"] == key
    assert f"ref {key[:8]}" in json.dumps(request["body"]["blocks"][-1])


def test_a_slack_message_resent_after_the_worker_died_mid_send_is_recognisably_the_same(
    cast: Cast, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    _dies_after_sending(monkeypatch, transport, "request")
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        with pytest.raises(WorkerDied):
            deliver_due("w1")
        row = Notification.objects.get()
        assert row.status == Delivery.SENDING  # Slack has it; we could not record that
        assert deliver_due("w2")["sent"] == 0  # the lease still holds
        traveller.move_to(NOW + LEASE + timedelta(seconds=1))
        assert deliver_due("w2")["sent"] == 1
    first, second = slack.received
    assert first["headers"]["Idempotency-Key"] == second["headers"]["Idempotency-Key"]
    assert first["body"] == second["body"]  # the same ref, the same words
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (Delivery.SENT, 2)
    assert first["headers"]["Idempotency-Key"] == str(row.delivery_key)


def test_a_bot_message_carries_the_key_in_slack_message_metadata(
    cast: Cast, slack: FakeSlack, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SLACK_API_URL = slack.api_url
    item = _item(cast)
    with_slack(cast, slack, bot=True)
    Preferences.objects.create(person=cast.frank, email_enabled=False, slack_user="U0FRANK01")
    _dies_after_sending(monkeypatch, transport, "request")
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        with pytest.raises(WorkerDied):
            deliver_due("w1")
        traveller.move_to(NOW + LEASE + timedelta(seconds=1))
        deliver_due("w2")
    key = str(Notification.objects.get().delivery_key)
    assert [r["body"]["metadata"] for r in slack.received] == [
        {"event_type": "followthrough_notification", "event_payload": {"delivery_key": key}}
    ] * 2


def test_an_email_resent_after_the_worker_died_mid_send_has_the_same_message_id(
    cast: Cast, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.mail import EmailMultiAlternatives

    item = _item(cast)
    Preferences.objects.create(person=cast.frank, slack_enabled=False)
    _dies_after_sending(monkeypatch, EmailMultiAlternatives, "send")
    with time_machine.travel(NOW, tick=False) as traveller:
        _notify_frank(cast, item)
        with pytest.raises(WorkerDied):
            deliver_due("w1")
        traveller.move_to(NOW + LEASE + timedelta(seconds=1))
        assert deliver_due("w2")["sent"] == 1
    key = Notification.objects.get().delivery_key
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{key}@127.0.0.1>"] * 2


def test_two_messages_have_two_keys(cast: Cast) -> None:
    item = _item(cast)
    _notify_frank(cast, item, key="1")
    _notify_frank(cast, item, key="2")
    assert len(set(Notification.objects.values_list("delivery_key", flat=True))) == 2


# --- what a server answered is never stored (issue 12, item 2) -------------------------------


def test_what_slack_answered_is_never_stored_only_the_status_and_its_class(
    cast: Cast, slack: FakeSlack
) -> None:
    item = _item(cast)
    with_slack(cast, slack)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    slack.script = [(500, "INTERNAL-ONLY db_password=hunter2", {})]
    _notify_frank(cast, item)
    deliver_due("w1")
    row = Notification.objects.get()
    assert "hunter2" not in row.last_error and "answered 500 (server error)" in row.last_error
    assert (row.last_error_kind, row.last_error_status) == ("server", 500)
    page = cast.browser(cast.alice).get(reverse("action-item", args=[item.pk]))
    assert b"hunter2" not in page.content


def test_a_slack_error_that_is_not_a_code_is_kept_as_unknown_error(
    cast: Cast, slack: FakeSlack, settings: Any
) -> None:
    settings.SLACK_API_URL = slack.api_url
    item = _item(cast)
    with_slack(cast, slack, bot=True)
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    answer = json.dumps({"ok": False, "error": "<b>db_password=hunter2</b>"})
    slack.script = [(200, answer, {"Content-Type": "application/json"})]
    _notify_frank(cast, item)
    deliver_due("w1")
    row = Notification.objects.get()
    assert row.last_error == "Slack refused the message: unknown_error"
    assert row.status == Delivery.FAILED


def test_a_webhook_on_loopback_is_refused_without_the_allow_list_and_fails_for_good(
    cast: Cast, slack: FakeSlack, settings: Any
) -> None:
    item = _item(cast)
    with_slack(cast, slack)  # stored before webhook URLs were checked on save
    settings.OUTBOUND_ALLOWED_HOSTS = []
    Preferences.objects.create(person=cast.frank, email_enabled=False)
    _notify_frank(cast, item)
    assert deliver_due("w1")["failed"] == 1
    row = Notification.objects.get()
    assert row.last_error.startswith("refused: 127.0.0.1 resolves to a loopback address")
    assert row.last_error_kind == "blocked"
    assert slack.received == []


def test_the_outbox_promise_is_written_down() -> None:
    docs = Path(__file__).parents[3] / "docs" / "notifications.md"
    text = docs.read_text()
    assert "**at least once**" in text and "Message-ID" in text and "metadata" in text
    assert "at least once" in (notifications.__doc__ or "")
