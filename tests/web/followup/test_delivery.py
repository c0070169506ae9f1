"""Sending: real SMTP on loopback, a fake Slack that checks requests like Slack, retries with
backoff, failures visible on the pages and never raised into them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.urls import reverse

from followthrough.web.followup.models import Delivery, Notification, Preferences
from followthrough.web.followup.notifications import (
    BACKOFF_BASE,
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
        from followthrough.web.followup.notifications import LEASE, claim

        assert claim(Notification.objects.get().pk, "dead-worker")  # then it "dies"
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
