"""Status back: "Closing the issue in the tracker marks the item done here; reopening reopens."

Webhooks are checked against each vendor's signature scheme; a bad one gets 401 and stores
nothing, a malformed body 400 with the reason, and a redelivery changes nothing. Polling is
the fallback when webhooks do not come.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import timezone

from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.history.recording import history_of
from followthrough.web.integrations.common import Rejected, check_hex_signature, hmac_hex
from followthrough.web.integrations.models import TrackerLink, WebhookDelivery
from followthrough.web.integrations.sync import poll_trackers

from .conftest import WEBHOOK_SECRET, wire
from .fakes.github import FakeGitHub, issues_event
from .fakes.jira import FakeJira, issue_updated
from .fakes.linear import FakeLinear, issue_update

if TYPE_CHECKING:
    from conftest import Cast

# GitHub's documented test vector for X-Hub-Signature-256.
KNOWN_SECRET = "It's a Secret to Everybody"
KNOWN_BODY = b"Hello, World!"
KNOWN_HEX = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def deliver(kind: str, body: bytes, headers: dict[str, str], team: str = "payments") -> Any:
    headers = {k: v for k, v in headers.items() if k != "Content-Type"}
    return Client().post(
        f"/integrations/{kind}/webhook/{team}/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_the_signature_check_passes_the_documented_known_answer() -> None:
    assert hmac_hex(KNOWN_SECRET, KNOWN_BODY) == KNOWN_HEX
    check_hex_signature(KNOWN_SECRET, KNOWN_BODY, f"sha256={KNOWN_HEX}", prefix="sha256=")
    check_hex_signature(KNOWN_SECRET, KNOWN_BODY, KNOWN_HEX)  # Linear: bare hex
    for body, given in (
        (b"Hello, World?", f"sha256={KNOWN_HEX}"),
        (KNOWN_BODY, f"sha256={KNOWN_HEX[:-1]}0"),
        (KNOWN_BODY, KNOWN_HEX),  # prefix missing
        (KNOWN_BODY, ""),
    ):
        with pytest.raises(Rejected) as refused:
            check_hex_signature(KNOWN_SECRET, body, given, prefix="sha256=")
        assert refused.value.status == 401


def test_closing_the_github_issue_marks_the_item_done_and_reopening_reopens_it(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    closed = deliver("github", *issues_event(github, 1, "closed", secret=WEBHOOK_SECRET))
    assert closed.status_code == 200, closed.content
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE and item.done_at is not None
    change = history_of(item).first()
    assert change is not None and change.who == "GitHub Issues webhook"
    assert change.changed_fields()["status"] == ("open", "done")
    reopened = deliver(
        "github", *issues_event(github, 1, "reopened", secret=WEBHOOK_SECRET, delivery="d-2")
    )
    assert reopened.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and item.done_at is None
    assert TrackerLink.objects.get(action_item=item).tracker_status == "open"


def test_jira_done_and_back_to_to_do_moves_the_item_and_shows_the_jira_status(
    cast: Cast, jira: FakeJira, assign: Any, client: Client
) -> None:
    wire(cast.payments, jira)
    item = assign()
    progress = deliver("jira", *issue_updated(jira, "PAY-1", "In Progress", secret=WEBHOOK_SECRET))
    assert progress.status_code == 200, progress.content
    item.refresh_from_db()
    assert item.status == ActionStatus.IN_PROGRESS
    deliver("jira", *issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET, delivery="d-2"))
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    deliver("jira", *issue_updated(jira, "PAY-1", "To Do", secret=WEBHOOK_SECRET, delivery="d-3"))
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    deliver("jira", *issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET, delivery="d-4"))
    # Reopened straight into "In Progress": reopened here, then in progress.
    deliver(
        "jira", *issue_updated(jira, "PAY-1", "In Progress", secret=WEBHOOK_SECRET, delivery="d-5")
    )
    item.refresh_from_db()
    assert item.status == ActionStatus.IN_PROGRESS
    statuses = [c.changed_fields()["status"] for c in history_of(item).filter(action="update")]
    assert statuses[:2] == [("open", "in_progress"), ("done", "open")]
    deliver("jira", *issue_updated(jira, "PAY-1", "To Do", secret=WEBHOOK_SECRET, delivery="d-6"))
    item.refresh_from_db()
    shown = cast.api("bob").get(f"/api/v1/action-items/{item.pk}/tracker").json()
    assert (shown["key"], shown["tracker_status"], shown["sync_state"]) == (
        "PAY-1",
        "To Do",
        "synced",
    )


def test_linear_completed_marks_done_and_the_team_mapping_decides_custom_states(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear, status_map={"In Progress": "open"})
    item = assign()
    issue_id = str(TrackerLink.objects.get(action_item=item).idempotency_key)
    answer = deliver(
        "linear", *issue_update(linear, issue_id, "In Progress", secret=WEBHOOK_SECRET)
    )
    assert answer.status_code == 200, answer.content
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN  # the team maps "In Progress" to open
    deliver(
        "linear", *issue_update(linear, issue_id, "Done", secret=WEBHOOK_SECRET, delivery="d-2")
    )
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE


def test_a_bad_signature_gets_401_and_stores_nothing(
    cast: Cast, github: FakeGitHub, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    body, headers = issues_event(github, 1, "closed", secret="not the team's secret")
    answer = deliver("github", body, headers)
    assert answer.status_code == 401
    assert "signature" in answer.json()["detail"]
    unsigned = deliver("github", body, {"X-GitHub-Delivery": "d-9", "X-GitHub-Event": "issues"})
    assert unsigned.status_code == 401
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert TrackerLink.objects.get(action_item=item).tracker_status == "open"
    assert not WebhookDelivery.objects.exists()


def test_a_stale_linear_delivery_is_refused_even_when_signed(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    issue_id = str(TrackerLink.objects.get(action_item=item).idempotency_key)
    an_hour_ago = int((time.time() - 3600) * 1000)
    body, headers = issue_update(
        linear, issue_id, "Done", secret=WEBHOOK_SECRET, timestamp_ms=an_hour_ago
    )
    answer = deliver("linear", body, headers)
    assert answer.status_code == 401 and "old" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and not WebhookDelivery.objects.exists()


def test_a_malformed_signed_body_gets_400_with_the_reason(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    assign()
    for body, reason in (
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"webhookEvent": "jira:issue_updated"}).encode(), "issue"),
        (json.dumps({"issue": {"key": "PAY-1"}}).encode(), "webhookEvent"),
    ):
        signed = {"X-Hub-Signature": f"sha256={hmac_hex(WEBHOOK_SECRET, body)}"}
        answer = deliver("jira", body, signed)
        assert answer.status_code == 400, (body, answer.content)
        assert reason in answer.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_status_name_with_a_nul_character_is_stored_without_it(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    body, headers = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    body = body.replace(b'"name": "Done"', b'"name": "Do\\u0000ne"')
    headers["X-Hub-Signature"] = f"sha256={hmac_hex(WEBHOOK_SECRET, body)}"
    assert deliver("jira", body, headers).status_code == 200
    assert TrackerLink.objects.get(action_item=item).tracker_status == "Done"


def test_a_replayed_delivery_changes_nothing(cast: Cast, jira: FakeJira, assign: Any) -> None:
    wire(cast.payments, jira)
    item = assign()
    body, headers = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    assert deliver("jira", body, headers).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    # Someone reopens it here; the old delivery comes again.
    update_action_item(item, item.version, cast.alice, {"status": ActionStatus.OPEN})
    again = deliver("jira", body, headers)
    assert again.status_code == 200 and "Already received" in again.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert WebhookDelivery.objects.count() == 1


def test_webhooks_for_unknown_teams_other_repositories_and_other_events_change_nothing(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    body, headers = issues_event(github, 1, "closed", secret=WEBHOOK_SECRET)
    assert deliver("github", body, headers, team="security").status_code == 404
    assert deliver("gitlab", body, headers).status_code == 404
    ping = {**headers, "X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-ping"}
    assert deliver("github", body, ping).json()["detail"].startswith("Not a status change")
    other = json.loads(body)
    other["repository"]["full_name"] = "acme/elsewhere"
    other_body = json.dumps(other).encode()
    answer = deliver(
        "github",
        other_body,
        {
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "d-other",
            "X-Hub-Signature-256": f"sha256={hmac_hex(WEBHOOK_SECRET, other_body)}",
        },
    )
    assert answer.status_code == 200 and "No action item" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_polling_brings_the_status_back_when_no_webhook_comes(
    cast: Cast, github: FakeGitHub, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    issues_event(github, 1, "closed", secret=WEBHOOK_SECRET)  # closed; the webhook is lost
    now = timezone.now()
    assert poll_trackers(now) == {"polled": 1, "changed": 1, "failed": 0}
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert history_of(item).first().who == "GitHub Issues poll"  # type: ignore[union-attr]
    issues_event(github, 1, "reopened", secret=WEBHOOK_SECRET)
    assert poll_trackers(now + timedelta(minutes=1))["polled"] == 0  # polled a minute ago
    assert poll_trackers(now + timedelta(minutes=20))["changed"] == 1
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_deprioritised_item_stays_deprioritised_whatever_the_tracker_says(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    update_action_item(
        item,
        item.version,
        cast.alice,
        {"status": ActionStatus.DEPRIORITISED, "deprioritised_reason": "The service is retired."},
    )
    deliver("github", *issues_event(github, 1, "closed", secret=WEBHOOK_SECRET))
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
