"""Status back: "Closing the issue in the tracker marks the item done here; reopening reopens."

Deliveries are built from each vendor's own published sample payload (trimmed, in
``fixtures/``) with our issue's id, status and time put in, and signed (or tokened) the way
the vendor does. The samples are:

- Jira: Atlassian's "Example callback for an issue-related event",
  https://developer.atlassian.com/cloud/jira/platform/webhooks/ (the status only in the
  changelog);
- GitHub: the ``issues`` payload of https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues
  as published in octokit/webhooks ``payload-examples/api.github.com/issues/reopened.payload.json``;
- Linear: "The webhook payload" of https://linear.app/developers/webhooks (a comment), and
  an ``Issue`` update with the ``IssueWebhookPayload`` fields of Linear's schema explorer;
- GitLab: "Work item events" (``X-Gitlab-Event: Issue Hook``) of
  https://docs.gitlab.com/user/project/integrations/webhook_events/#work-item-events.
 A bad signature gets 401 and stores nothing, a malformed
body 400 with the reason, and the same body again changes nothing. Polling is the fallback
when webhooks do not come.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from followthrough.web.actions.models import ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.history.recording import history_of
from followthrough.web.integrations.common import Rejected
from followthrough.web.integrations.github import webhook as github_webhook
from followthrough.web.integrations.jira import webhook as jira_webhook
from followthrough.web.integrations.models import TrackerConfig, TrackerLink, WebhookDelivery
from followthrough.web.integrations.sync import poll_trackers
from followthrough.web.lib.signatures import hmac_hex

from .conftest import WEBHOOK_SECRET, deliver, wire
from .fakes.base import fixture
from .fakes.github import FakeGitHub, issues_event
from .fakes.gitlab import FakeGitLab, issue_hook
from .fakes.jira import FakeJira, issue_updated, sign
from .fakes.linear import FakeLinear, issue_update, update_of

if TYPE_CHECKING:
    from conftest import Cast

# GitHub's documented test vector for X-Hub-Signature-256 ("Validating webhook deliveries").
KNOWN_SECRET = "It's a Secret to Everybody"
KNOWN_BODY = b"Hello, World!"
KNOWN_HEX = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_the_github_webhook_check_passes_githubs_documented_known_answer(cast: Cast) -> None:
    config = TrackerConfig(kind="github", webhook_secret=KNOWN_SECRET)
    now = timezone.now()
    github_webhook.verify(config, KNOWN_BODY, {"X-Hub-Signature-256": f"sha256={KNOWN_HEX}"}, now)
    for body, given in (
        (b"Hello, World?", f"sha256={KNOWN_HEX}"),
        (KNOWN_BODY, f"sha256={KNOWN_HEX[:-1]}0"),
        (KNOWN_BODY, KNOWN_HEX),  # the scheme missing
        (KNOWN_BODY, ""),
    ):
        with pytest.raises(Rejected) as refused:
            github_webhook.verify(config, body, {"X-Hub-Signature-256": given}, now)
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


def test_github_closed_as_not_planned_deprioritises_the_item_with_a_written_reason(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    event = issues_event(github, 1, "closed", secret=WEBHOOK_SECRET, state_reason="not_planned")
    assert deliver("github", *event).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
    assert "#1" in item.deprioritised_reason and "closed:not_planned" in item.deprioritised_reason
    # Nothing goes back to GitHub: it already says so.
    assert github.calls("PATCH", "/issues/1") == []


def test_jiras_documented_example_carries_the_status_only_in_the_changelog_and_closed_maps(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    """Atlassian's example callback has no ``fields.status``; the changelog item says
    ``"field": "Status", "fieldId": "status"`` and the classic workflow's "Closed"."""
    jira.use_classic_workflow()
    wire(cast.payments, jira)
    item = assign()
    body, headers = issue_updated(
        jira, "PAY-1", "Closed", secret=WEBHOOK_SECRET, shape="documented"
    )
    assert "status" not in json.loads(body)["issue"]["fields"]
    answer = deliver("jira", body, headers)
    assert answer.status_code == 200, answer.content
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    reopened = issue_updated(
        jira, "PAY-1", "Reopened", secret=WEBHOOK_SECRET, delivery="d-2", shape="documented"
    )
    assert deliver("jira", *reopened).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_custom_jira_status_named_only_in_the_changelog_is_read_for_its_category(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    body, headers = issue_updated(
        jira, "PAY-1", "Shipped", secret=WEBHOOK_SECRET, shape="documented"
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver("jira", body, headers)
    assert "will be read from the tracker" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE  # "Shipped" is in Jira's done category
    assert TrackerLink.objects.get(action_item=item).tracker_status == "Shipped"


def test_the_jira_changelog_status_is_found_by_its_field_id_not_a_custom_fields_name() -> None:
    payload = fixture("jira/issue_updated.json")
    payload["changelog"]["items"] = [
        # A custom field that a team named "Status": not the issue's status.
        {"field": "Status", "fieldId": "customfield_10042", "toString": "Closed"},
    ]
    assert jira_webhook.parse(payload, {}) is None
    payload["changelog"]["items"].append(
        {"field": "Status", "fieldtype": "jira", "fieldId": "status", "toString": "Closed"}
    )
    event = jira_webhook.parse(payload, {})
    assert event is not None and (event.key, event.status_name) == ("JRA-20002", "Closed")
    assert event.changed_at is not None and event.changed_at.year == 2018  # the body's timestamp


def test_a_jira_status_the_team_maps_by_name_wins_over_its_category(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    jira.use_classic_workflow()
    wire(cast.payments, jira, status_map={"Resolved": "in_progress"})
    item = assign()
    deliver("jira", *issue_updated(jira, "PAY-1", "Resolved", secret=WEBHOOK_SECRET))
    item.refresh_from_db()
    assert item.status == ActionStatus.IN_PROGRESS  # "Resolved" is done by category
    deliver(
        "jira", *issue_updated(jira, "PAY-1", "Won't Do", secret=WEBHOOK_SECRET, delivery="d-2")
    )
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED


def test_jiras_documented_example_without_a_status_change_changes_nothing(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    payload = fixture("jira/issue_updated.json")  # summary and issue type changed, no status
    payload["timestamp"] = int(time.time() * 1000)
    payload["issue"]["id"] = jira.issues[0].id
    answer = deliver("jira", *sign(payload, WEBHOOK_SECRET, "d-1"))
    assert answer.status_code == 200 and "Not a status change" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_jira_done_and_back_to_to_do_moves_the_item_and_shows_the_jira_status(
    cast: Cast, jira: FakeJira, assign: Any
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
    shown = cast.api("bob").get(f"/api/v1/action-items/{item.pk}/tracker").json()
    assert (shown["key"], shown["tracker_status"], shown["sync_state"]) == (
        "PAY-1",
        "To Do",
        "synced",
    )
    # None of these went back to Jira: each was Jira's own change.
    assert jira.calls("POST", "/transitions") == []


def test_linear_completed_marks_done_canceled_deprioritises_and_the_team_map_decides(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear, status_map={"In Progress": "open"})
    item = assign()
    issue_id = str(TrackerLink.objects.get(action_item=item).delivery_key)
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
    deliver(
        "linear", *issue_update(linear, issue_id, "Todo", secret=WEBHOOK_SECRET, delivery="d-3")
    )
    deliver(
        "linear", *issue_update(linear, issue_id, "Canceled", secret=WEBHOOK_SECRET, delivery="d-4")
    )
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
    assert "Canceled" in item.deprioritised_reason


def test_linears_documented_example_a_comment_changes_nothing(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    payload = fixture("linear/comment_create.json")
    payload["webhookTimestamp"] = int(time.time() * 1000)
    body = json.dumps(payload).encode()
    answer = deliver(
        "linear",
        body,
        {"Linear-Delivery": "d-c", "Linear-Signature": hmac_hex(WEBHOOK_SECRET, body)},
    )
    assert answer.status_code == 200 and "Not a status change" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_linear_body_with_only_the_state_id_is_read_back_from_linear(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    issue_id = str(TrackerLink.objects.get(action_item=item).delivery_key)
    linear.move(linear.issues[issue_id], "Done")
    body, headers = update_of(linear, issue_id, secret=WEBHOOK_SECRET, with_state=False)
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver("linear", body, headers)
    assert answer.status_code == 200 and "will be read" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert history_of(item).first().who == "Linear webhook"  # type: ignore[union-attr]


def test_closing_the_gitlab_issue_marks_done_and_reopening_reopens(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    closed = deliver("gitlab", *issue_hook(gitlab, 1, "close", token=WEBHOOK_SECRET))
    assert closed.status_code == 200, closed.content
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    reopened = deliver(
        "gitlab", *issue_hook(gitlab, 1, "reopen", token=WEBHOOK_SECRET, delivery="e-2")
    )
    assert reopened.status_code == 200, reopened.content
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert history_of(item).first().who == "GitLab Issues webhook"  # type: ignore[union-attr]


def test_a_gitlab_hook_with_a_wrong_or_missing_token_gets_401_and_stores_nothing(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    body, headers = issue_hook(gitlab, 1, "close", token="not the team's token")
    assert deliver("gitlab", body, headers).status_code == 401
    del headers["X-Gitlab-Token"]
    missing = deliver("gitlab", body, headers)
    assert missing.status_code == 401 and "X-Gitlab-Token" in missing.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and not WebhookDelivery.objects.exists()


def test_a_hook_from_another_gitlab_project_or_github_repository_changes_nothing(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    body, headers = issue_hook(gitlab, 1, "close", token=WEBHOOK_SECRET)
    other = json.loads(body)
    other["project"].update(id=999, path_with_namespace="acme/elsewhere")
    answer = deliver("gitlab", json.dumps(other).encode(), headers)
    assert answer.status_code == 200 and "No action item" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN


def test_a_bad_signature_gets_401_and_stores_nothing(
    cast: Cast, github: FakeGitHub, assign: Any
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
    issue_id = str(TrackerLink.objects.get(action_item=item).delivery_key)
    an_hour_ago = int((time.time() - 3600) * 1000)
    body, headers = issue_update(
        linear, issue_id, "Done", secret=WEBHOOK_SECRET, timestamp_ms=an_hour_ago
    )
    answer = deliver("linear", body, headers)
    assert answer.status_code == 401 and "old" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and not WebhookDelivery.objects.exists()


def test_a_jira_delivery_whose_signed_timestamp_is_old_is_refused(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    body, _ = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    payload = json.loads(body)
    payload["timestamp"] -= 2 * 3600 * 1000
    answer = deliver("jira", *sign(payload, WEBHOOK_SECRET, "d-old"))
    assert answer.status_code == 401 and "2 hours old" in answer.json()["detail"]
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN and not WebhookDelivery.objects.exists()


def test_a_malformed_signed_body_gets_400_with_the_reason(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    assign()
    now = int(time.time() * 1000)
    for body, reason in (
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"timestamp": now, "webhookEvent": "jira:issue_updated"}).encode(), "issue"),
        (json.dumps({"timestamp": now, "issue": {"key": "PAY-1"}}).encode(), "webhookEvent"),
    ):
        signed = {"X-Hub-Signature": f"sha256={hmac_hex(WEBHOOK_SECRET, body)}"}
        answer = deliver("jira", body, signed)
        assert answer.status_code in (400, 401), (body, answer.content)
        if answer.status_code == 400:
            assert reason in answer.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_status_name_with_a_nul_character_is_stored_without_it(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    body, headers = issue_updated(jira, "PAY-1", "Done", secret=WEBHOOK_SECRET)
    payload = json.loads(body)
    payload["issue"]["fields"]["status"]["name"] = "Do\x00ne"
    payload["changelog"]["items"][0]["toString"] = "Do\x00ne"
    assert deliver("jira", *sign(payload, WEBHOOK_SECRET, "d-1")).status_code == 200
    assert TrackerLink.objects.get(action_item=item).tracker_status == "Done"


def test_the_same_delivery_again_changes_nothing(cast: Cast, jira: FakeJira, assign: Any) -> None:
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
    assert deliver("bitbucket", body, headers).status_code == 404
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
    cast: Cast, github: FakeGitHub, assign: Any
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


def test_a_deprioritised_item_stays_deprioritised_when_the_issue_is_closed_and_github_is_told_why(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    with django_capture_on_commit_callbacks(execute=True):
        update_action_item(
            item,
            item.version,
            cast.alice,
            {
                "status": ActionStatus.DEPRIORITISED,
                "deprioritised_reason": "The service is retired.",
            },
        )
    issue = github.issue(1)
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    with django_capture_on_commit_callbacks(execute=True):
        # Someone marks it completed in GitHub: the reasoned deprioritisation stands, and
        # GitHub is told again that it is not planned.
        deliver("github", *issues_event(github, 1, "closed", secret=WEBHOOK_SECRET, delivery="d-2"))
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert len(issue.comments) == 1  # the reason, once
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            "github", *issues_event(github, 1, "reopened", secret=WEBHOOK_SECRET, delivery="d-3")
        )
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN  # a reopen in GitHub reopens it
