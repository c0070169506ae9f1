"""Issue 12, item 9: "a captured 'closed' body replayed under a new id closes an item again
after it was reopened". The delivery header is not signed; the body is. A replay is
recognised by the signed content, and a body older than the status already known changes
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import update_action_item

from .conftest import WEBHOOK_SECRET, wire
from .fakes.github import FakeGitHub, issues_event
from .fakes.jira import FakeJira, issue_updated
from .test_status_back import deliver

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
