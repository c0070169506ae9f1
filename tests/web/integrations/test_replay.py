"""Issue 12, item 9: "a captured 'closed' body replayed under a new id closes an item again
after it was reopened". The delivery header is not signed; the body is. A replay is
recognised by the signed content, and a body older than the status already known changes
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup.jobs import prune
from followthrough.web.integrations.models import TrackerLink, WebhookDelivery

from .conftest import WEBHOOK_SECRET, deliver, wire
from .fakes.github import FakeGitHub, issues_event
from .fakes.gitlab import FakeGitLab, issue_hook
from .fakes.jira import FakeJira, issue_updated
from .fakes.linear import FakeLinear, issue_update

if TYPE_CHECKING:
    from conftest import Cast


def test_a_captured_github_close_replayed_under_a_new_delivery_id_does_not_close_it_again(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    captured, headers = issues_event(github, 1, "closed", secret=WEBHOOK_SECRET, delivery="d-1")
    assert deliver("github", captured, headers).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    reopened = issues_event(github, 1, "reopened", secret=WEBHOOK_SECRET, delivery="d-2")
    assert deliver("github", *reopened).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    # The attacker sends the captured body again; only the unsigned delivery id is new.
    replay = deliver("github", captured, {**headers, "X-GitHub-Delivery": "d-attack"})
    assert replay.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_captured_jira_done_replayed_after_the_item_was_reopened_here_changes_nothing(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    captured, headers = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    assert deliver("jira", captured, headers).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    update_action_item(item, item.version, cast.alice, {"status": ActionStatus.OPEN})
    for delivery in ("d-attack-1", "d-attack-2"):
        replay = deliver("jira", captured, {**headers, "X-Atlassian-Webhook-Identifier": delivery})
        assert replay.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_captured_jira_done_replayed_after_a_reopen_in_jira_changes_nothing(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    captured, headers = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    assert deliver("jira", captured, headers).status_code == 200
    reopened = issue_updated(jira, "PAY-1", "To Do", secret=WEBHOOK_SECRET, delivery="d-2")
    assert deliver("jira", *reopened).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    replay = deliver("jira", captured, {**headers, "X-Atlassian-Webhook-Identifier": "d-attack"})
    assert replay.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_captured_close_replayed_after_the_deliveries_were_pruned_is_older_than_known(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    """The content key is forgotten after LOG_RETENTION_DAYS; the signed ``updated_at`` is
    not: a body older than the status already known changes nothing."""
    wire(cast.payments, github)
    item = assign()
    captured, headers = issues_event(github, 1, "closed", secret=WEBHOOK_SECRET)
    deliver("github", captured, headers)
    deliver("github", *issues_event(github, 1, "reopened", secret=WEBHOOK_SECRET, delivery="d-2"))
    prune(WebhookDelivery.objects.all(), "received_at", timezone.now() + timedelta(days=365))
    assert not WebhookDelivery.objects.exists()
    replay = deliver("github", captured, {**headers, "X-GitHub-Delivery": "d-attack"})
    assert replay.status_code == 200
    assert "older than the status already known" in replay.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_captured_gitlab_close_replayed_under_a_new_event_uuid_changes_nothing(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    captured, headers = issue_hook(gitlab, 1, "close", token=WEBHOOK_SECRET)
    deliver("gitlab", captured, headers)
    deliver("gitlab", *issue_hook(gitlab, 1, "reopen", token=WEBHOOK_SECRET, delivery="e-2"))
    for uuid in ("e-attack", "e-attack-2"):
        replay = deliver("gitlab", captured, {**headers, "X-Gitlab-Event-UUID": uuid})
        assert replay.status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_linear_delivery_replayed_at_once_under_a_new_id_is_recognised(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    issue_id = str(TrackerLink.objects.get(action_item=item).delivery_key)
    captured, headers = issue_update(linear, issue_id, "Done", secret=WEBHOOK_SECRET)
    deliver("linear", captured, headers)
    item.refresh_from_db()
    update_action_item(item, item.version, cast.alice, {"status": ActionStatus.OPEN})
    replay = deliver("linear", captured, {**headers, "Linear-Delivery": "d-attack"})
    assert replay.json()["detail"] == "Already received; nothing changed."
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
