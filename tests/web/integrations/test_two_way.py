"""Two-way: done, reopened and deprioritised here go out as each tracker's own transition or
state ("All action items go into the team's tracking system"; "If an action item is
deprioritized, document why": the reason goes as a comment).

Outbound requests are checked by the fakes field by field (transition ids of the issue's
own workflow, GitHub's state_reason, Linear's team states, GitLab's state_event). Every
call is decided from the vendor's current state, so a repeated push changes nothing, and
our own change coming back by webhook or poll is recognised and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.history.recording import history_of
from followthrough.web.integrations.models import SyncState, TrackerLink
from followthrough.web.integrations.sync import catch_up, poll_trackers, push, retry_now

from .conftest import WEBHOOK_SECRET, deliver, wire
from .fakes.github import FakeGitHub, event_of
from .fakes.gitlab import FakeGitLab, hook_of
from .fakes.jira import FakeJira, delivery_of
from .fakes.linear import STATES, FakeLinear, update_of

if TYPE_CHECKING:
    from conftest import Cast


def move(item: ActionItem, user: Any, capture: Any, status: str, reason: str = "") -> ActionItem:
    """Change the item here, as a person does in the pages or the API; tasks run on commit."""
    item.refresh_from_db()
    fields: dict[str, Any] = {"status": status}
    if reason:
        fields["deprioritised_reason"] = reason
    with capture(execute=True):
        update_action_item(item, item.version, user, fields)
    item.refresh_from_db()
    return item


def link_of(item: ActionItem) -> TrackerLink:
    return TrackerLink.objects.get(action_item=item)


# --- Jira ---------------------------------------------------------------------------


def test_done_here_transitions_the_jira_issue_by_the_workflows_own_transition_to_done(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    issue = jira.issues[0]
    assert issue.status == "Done"
    [posted] = jira.calls("POST", "/transitions")
    assert posted.json() == {"transition": {"id": "13"}}  # "Move to Done" of this workflow
    link = link_of(item)
    assert (link.sync_state, link.tracker_status, link.synced_standing) == (
        SyncState.SYNCED,
        "Done",
        "done",
    )
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.OPEN)
    assert issue.status == "To Do"
    assert [r.json() for r in jira.calls("POST", "/transitions")][-1] == {
        "transition": {"id": "11"}
    }


def test_a_classic_jira_workflow_is_resolved_and_reopened_by_its_own_transition_ids(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    jira.use_classic_workflow()
    wire(cast.payments, jira)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    assert jira.issues[0].status == "Resolved"  # "Resolve Issue": id 5 in this workflow
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.OPEN)
    assert jira.issues[0].status == "Reopened"
    move(
        item,
        cast.bob,
        django_capture_on_commit_callbacks,
        ActionStatus.DEPRIORITISED,
        "The queue is being replaced next quarter.",
    )
    issue = jira.issues[0]
    assert issue.status == "Won't Do"  # a status the defaults count as deprioritised
    [comment] = issue.comments
    text = str(comment["body"])
    assert "Deprioritised in followthrough on" in text
    assert "The queue is being replaced next quarter." in text


def test_a_deprioritised_item_closes_a_simplified_jira_issue_as_done_with_the_reason(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, jira)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DEPRIORITISED, "Retired.")
    issue = jira.issues[0]
    assert issue.status == "Done" and len(issue.comments) == 1
    # The echo of our own transition changes nothing, and the item keeps its reason.
    body, headers = delivery_of(jira, "PAY-1", secret=WEBHOOK_SECRET)
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver("jira", body, headers)
    assert answer.json()["detail"] == "unchanged"
    item.refresh_from_db()
    assert (item.status, item.deprioritised_reason) == (ActionStatus.DEPRIORITISED, "Retired.")
    assert len(jira.calls("POST", "/transitions")) == 1


def test_a_workflow_without_a_way_to_done_says_what_to_map(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    jira.workflow = {"To Do": [("21", "Start", "In Progress")]}
    wire(cast.payments, jira)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    link = link_of(item)
    assert link.sync_state == SyncState.ERROR
    assert "No transition from “To Do”" in link.last_error
    assert "Start → In Progress" in link.last_error and "status mapping" in link.last_error


# --- GitHub -------------------------------------------------------------------------


def test_github_issues_close_as_completed_or_not_planned_and_reopen(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    issue = github.issue(1)
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    assert (issue.state, issue.state_reason) == ("closed", "completed")
    assert github.calls("PATCH", "/issues/1")[-1].json() == {
        "state": "closed",
        "state_reason": "completed",
    }
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.OPEN)
    assert (issue.state, issue.state_reason) == ("open", "reopened")
    move(
        item,
        cast.bob,
        django_capture_on_commit_callbacks,
        ActionStatus.DEPRIORITISED,
        "Covered by the new load balancer.",
    )
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    [comment] = issue.comments
    assert "Reason: Covered by the new load balancer." in comment["body"]
    assert f"https://followthrough.example.com/action-items/{item.pk}/" in comment["body"]


def test_a_lost_comment_answer_still_leaves_one_comment(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    github.fail_next = 0
    original = github.handle

    def lose_the_comment_answer(req: Any) -> Any:
        answer = original(req)
        if req.method == "POST" and req.path.endswith("/comments"):
            github.handle = original  # type: ignore[method-assign]
            github.lose_next_answer = 1
        return answer

    github.handle = lose_the_comment_answer  # type: ignore[method-assign]
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DEPRIORITISED, "Moot.")
    link = link_of(item)
    assert link.sync_state == SyncState.PENDING and len(github.issue(1).comments) == 1
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert len(github.issue(1).comments) == 1
    assert github.issue(1).state_reason == "not_planned"


# --- Linear -------------------------------------------------------------------------


def test_linear_issues_move_to_the_teams_state_of_the_right_type(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    issue = linear.issues[str(link_of(item).delivery_key)]
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    assert issue.state == "Done"
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.OPEN)
    assert issue.state == "Todo"  # unstarted, not the backlog
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DEPRIORITISED, "Moot.")
    assert issue.state == "Canceled"
    [comment] = linear.comments.values()
    assert comment["issueId"] == issue.id and "Reason: Moot." in comment["body"]
    updates = [
        r.json()["variables"]
        for r in linear.calls("POST", "/graphql")
        if "IssueUpdate" in r.json()["query"]
    ]
    assert [u["input"]["stateId"] for u in updates] == [
        STATES["Done"][0],
        STATES["Todo"][0],
        STATES["Canceled"][0],
    ]


# --- GitLab -------------------------------------------------------------------------


def test_gitlab_issues_close_and_reopen_with_state_event_and_get_the_reason_as_a_note(
    cast: Cast, gitlab: FakeGitLab, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    issue = gitlab.issue(1)
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    assert issue.state == "closed"
    assert gitlab.calls("PUT", "/issues/1")[-1].json() == {"state_event": "close"}
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.OPEN)
    assert issue.state == "opened"
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DEPRIORITISED, "Moot.")
    assert issue.state == "closed"
    [note] = issue.notes
    assert "Reason: Moot." in note["body"]
    # GitLab says "closed", which means done; the item keeps its reasoned standing, and
    # the echo of our close changes nothing (nor sends anything again).
    writes = len(gitlab.calls("PUT", "/issues/1"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = deliver("gitlab", *hook_of(gitlab, 1, token=WEBHOOK_SECRET, delivery="e-9"))
    assert answer.json()["detail"] == "unchanged"
    item.refresh_from_db()
    assert item.status == ActionStatus.DEPRIORITISED
    assert len(gitlab.calls("PUT", "/issues/1")) == writes


# --- every tracker: idempotent, no echo ---------------------------------------------


def test_pushing_again_changes_nothing_at_the_vendor(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, github)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    link = link_of(item)
    patches = len(github.calls("PATCH", "/issues/1"))
    # A worker that crashed after the call and before recording it: the link is pending
    # again with the old standing; the push reads GitHub and sees it already done.
    TrackerLink.objects.filter(pk=link.pk).update(synced_standing="open")
    assert retry_now(link) is False  # synced links are not "retried" by hand...
    TrackerLink.objects.filter(pk=link.pk).update(sync_state=SyncState.PENDING)
    assert push(link.pk) is not None
    assert len(github.calls("PATCH", "/issues/1")) == patches
    assert link_of(item).synced_standing == "done"


def test_the_poll_recognises_our_own_change_and_changes_nothing(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    versions = item.version
    changes = history_of(item).count()
    assert poll_trackers(timezone.now() + timedelta(hours=1)) == {
        "polled": 1,
        "changed": 0,
        "failed": 0,
    }
    item.refresh_from_db()
    assert (item.status, item.version, history_of(item).count()) == (
        ActionStatus.DONE,
        versions,
        changes,
    )


def test_a_status_that_came_from_the_tracker_is_not_sent_back(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    issue_id = str(link_of(item).delivery_key)
    linear.move(linear.issues[issue_id], "Done")
    with django_capture_on_commit_callbacks(execute=True):
        deliver("linear", *update_of(linear, issue_id, secret=WEBHOOK_SECRET))
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert not [r for r in linear.calls("POST", "/graphql") if "IssueUpdate" in r.json()["query"]]
    assert link_of(item).sync_state == SyncState.SYNCED


def test_an_item_done_before_its_issue_was_created_is_created_then_closed(
    cast: Cast, gitlab: FakeGitLab, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, gitlab)
    gitlab.fail_next = 1  # the first create fails: the item is done meanwhile
    item = assign()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    link = link_of(item)
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (gitlab.created, gitlab.issue(1).state) == (1, "closed")


def test_moving_the_team_to_another_tracker_leaves_old_issues_where_they_are(
    cast: Cast,
    jira: FakeJira,
    linear: FakeLinear,
    assign: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    config = wire(cast.payments, jira)
    item = assign()
    config.kind = "linear"
    config.base_url = linear.url
    config.api_token = linear.api_key
    config.settings = {"team_id": next(iter(linear.teams))}
    config.save()
    move(item, cast.bob, django_capture_on_commit_callbacks, ActionStatus.DONE)
    link = link_of(item)
    assert link.sync_state == SyncState.DETACHED
    assert "PAY-1 stays in Jira Cloud" in link.last_error
    assert jira.calls("POST", "/transitions") == [] and linear.created == 0


# --- the round trip, per tracker ----------------------------------------------------


def test_round_trip_jira(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    wire(cast.payments, jira)
    jira.lose_answer_of("create")  # created, the answer lost
    item = assign()
    link = link_of(item)
    catch_up(link.next_attempt_at + timedelta(seconds=1))  # the search has not caught up
    jira.index()
    catch_up(link_of(item).next_attempt_at + timedelta(seconds=1))
    assert (link_of(item).sync_state, jira.created) == (SyncState.SYNCED, 1)
    move(item, cast.bob, capture, ActionStatus.DONE)  # done here
    assert jira.issues[0].status == "Done"  # closed at the vendor
    with capture(execute=True):  # the echo of our own transition
        assert deliver("jira", *delivery_of(jira, "PAY-1", secret=WEBHOOK_SECRET)).json() == {
            "detail": "unchanged"
        }
    transitions = len(jira.calls("POST", "/transitions"))
    jira.move(jira.issues[0], "To Do")  # reopened at the vendor
    with capture(execute=True):
        body, headers = delivery_of(jira, "PAY-1", secret=WEBHOOK_SECRET, delivery="d-2")
        assert deliver("jira", body, headers).status_code == 200
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN  # open here
    assert len(jira.calls("POST", "/transitions")) == transitions  # no echo loop
    assert (jira.created, link_of(item).sync_state) == (1, SyncState.SYNCED)


def test_round_trip_github(
    cast: Cast, github: FakeGitHub, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    wire(cast.payments, github)
    github.lose_answer_of("create")
    item = assign()
    catch_up(link_of(item).next_attempt_at + timedelta(seconds=1))
    assert (link_of(item).sync_state, github.created) == (SyncState.SYNCED, 1)
    move(item, cast.bob, capture, ActionStatus.DONE)
    assert github.issue(1).state == "closed"
    with capture(execute=True):
        echo = deliver("github", *event_of(github, 1, secret=WEBHOOK_SECRET, delivery="d-echo"))
    assert echo.json() == {"detail": "unchanged"}
    patches = len(github.calls("PATCH", "/issues/1"))
    github.set_state(github.issue(1), "open", None)
    with capture(execute=True):
        deliver("github", *event_of(github, 1, secret=WEBHOOK_SECRET, delivery="d-2"))
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert len(github.calls("PATCH", "/issues/1")) == patches
    assert (github.created, link_of(item).sync_state) == (1, SyncState.SYNCED)


def test_round_trip_linear(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    wire(cast.payments, linear)
    linear.lose_answer_of("create")
    item = assign()
    catch_up(link_of(item).next_attempt_at + timedelta(seconds=1))
    assert (link_of(item).sync_state, linear.created) == (SyncState.SYNCED, 1)
    issue_id = str(link_of(item).delivery_key)
    move(item, cast.bob, capture, ActionStatus.DONE)
    assert linear.issues[issue_id].state == "Done"
    with capture(execute=True):
        echo = deliver("linear", *update_of(linear, issue_id, secret=WEBHOOK_SECRET))
    assert echo.json() == {"detail": "unchanged"}
    updates = len(linear.calls("POST", "/graphql"))
    linear.move(linear.issues[issue_id], "In Progress")
    with capture(execute=True):
        deliver("linear", *update_of(linear, issue_id, secret=WEBHOOK_SECRET, delivery="d-2"))
    item.refresh_from_db()
    assert item.status == ActionStatus.IN_PROGRESS  # reopened, and in progress as Linear says
    assert len(linear.calls("POST", "/graphql")) == updates
    assert (linear.created, link_of(item).sync_state) == (1, SyncState.SYNCED)


def test_round_trip_gitlab(
    cast: Cast, gitlab: FakeGitLab, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    wire(cast.payments, gitlab)
    gitlab.lose_answer_of("create")
    item = assign()
    catch_up(link_of(item).next_attempt_at + timedelta(seconds=1))
    assert (link_of(item).sync_state, gitlab.created) == (SyncState.SYNCED, 1)
    move(item, cast.bob, capture, ActionStatus.DONE)
    assert gitlab.issue(1).state == "closed"
    with capture(execute=True):
        echo = deliver("gitlab", *hook_of(gitlab, 1, token=WEBHOOK_SECRET))
    assert echo.json() == {"detail": "unchanged"}
    writes = len(gitlab.calls("PUT", "/issues/1"))
    gitlab.set_state(gitlab.issue(1), "opened")
    with capture(execute=True):
        deliver("gitlab", *hook_of(gitlab, 1, token=WEBHOOK_SECRET, delivery="e-2"))
    item.refresh_from_db()
    assert item.status == ActionStatus.OPEN
    assert len(gitlab.calls("PUT", "/issues/1")) == writes
    assert (gitlab.created, link_of(item).sync_state) == (1, SyncState.SYNCED)
