"""Action items out: "All action items go into the team's tracking system (Jira, Linear, etc.)"."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.html import escape

from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import update_action_item
from followthrough.web.integrations.models import SyncState, TrackerAccount, TrackerLink
from followthrough.web.integrations.sync import catch_up, requeue_team

from .conftest import wire
from .fakes.github import FakeGitHub
from .fakes.gitlab import FakeGitLab
from .fakes.jira import FakeJira
from .fakes.linear import FakeLinear

if TYPE_CHECKING:
    from conftest import Cast


def test_an_assigned_item_becomes_a_jira_issue_with_adf_assignee_due_date_and_link_back(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    item = assign(description="Pool saturation went unnoticed.\nNobody was paged.")
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (link.external_key, link.tracker_status, link.notice) == ("PAY-1", "To Do", "")
    assert link.url == f"{jira.url}/browse/PAY-1"
    fields = jira.issues[0].fields
    assert fields["project"] == {"key": "PAY"} and fields["issuetype"] == {"id": "10001"}
    assert fields["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
    assert fields["duedate"] == "2026-03-20"
    assert fields["labels"] == [link.marker]
    first = fields["description"]["content"][0]["content"]
    assert [node["type"] for node in first] == ["text", "hardBreak", "text"]
    hrefs = [
        mark["attrs"]["href"]
        for block in fields["description"]["content"]
        for node in block["content"]
        for mark in node.get("marks", [])
    ]
    assert hrefs == [f"https://followthrough.example.com/action-items/{item.pk}/"]
    # The create screen was read, page by page, before the create.
    assert len(jira.calls("GET", "/issuetypes/10001")) > 1
    # The accountId found by e-mail is remembered: the next item asks Jira once, not twice.
    account = TrackerAccount.objects.get(person=item.owner)
    assert (account.account_id, account.kind, account.workspace) == (
        "5b10ac8d82e05b22cc7d4ef5",
        "jira",
        "127.0.0.1",
    )
    searches = jira.calls("GET", "/rest/api/3/user/search")
    assign(title="Page the on-call when the pool is saturated")
    assert jira.calls("GET", "/rest/api/3/user/search") == searches


def test_a_jira_create_screen_without_due_date_or_assignee_creates_the_issue_and_says_so(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    jira.screen -= {"duedate", "assignee"}
    wire(cast.payments, jira)
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert "duedate" not in jira.issues[0].fields and "assignee" not in jira.issues[0].fields
    owner = item.owner
    assert link.notice == (
        "Jira's create screen for PAY Task has no Due date (2026-03-20), "
        f"Assignee ({owner}): set them in Jira."
    )
    shown = cast.api("bob").get(f"/api/v1/action-items/{item.pk}/tracker").json()
    assert shown["notice"] == link.notice
    page = cast.browser(cast.bob).get(
        f"/incidents/{item.postmortem.incident_id}/postmortem/?section=actions"
    )
    assert escape(link.notice) in page.content.decode()


def test_a_jira_screen_without_labels_keeps_the_marker_in_the_description(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    jira.screen -= {"labels"}
    wire(cast.payments, jira)
    jira.lose_answer_of("create")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert "labels" not in jira.issues[0].fields
    assert link.marker in str(jira.issues[0].fields["description"])
    jira.index()
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert (link.sync_state, link.external_key, jira.created) == (SyncState.SYNCED, "PAY-1", 1)


def test_a_field_the_jira_screen_requires_and_we_do_not_fill_is_a_clear_error(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    jira.screen |= {"components"}
    jira.required |= {"components"}
    wire(cast.payments, jira)
    link = TrackerLink.objects.get(action_item=assign())
    assert link.sync_state == SyncState.ERROR and jira.created == 0
    assert "requires Components" in link.last_error and "default" in link.last_error


def test_an_unknown_jira_issue_type_names_the_ones_the_project_has(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira, settings={"issue_type": "Epic"})
    link = TrackerLink.objects.get(action_item=assign())
    assert link.sync_state == SyncState.ERROR
    assert "has no issue type “Epic”; it has: Task, Bug" in link.last_error


def test_an_assigned_item_becomes_a_linear_issue_whose_id_is_the_idempotency_key(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert link.external_id == str(link.delivery_key)
    assert (link.external_key, link.tracker_status) == ("ENG-1", "Todo")
    sent = linear.issues[str(link.delivery_key)].input
    assert sent["assigneeId"] == linear.users["alice@example.com"]
    assert sent["dueDate"] == "2026-03-20"
    assert f"(https://followthrough.example.com/action-items/{item.pk}/)" in sent["description"]


def test_an_assigned_item_becomes_a_github_issue_with_label_milestone_and_hidden_marker(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    config = wire(cast.payments, github, settings={"milestone": 3})
    TrackerAccount.objects.create(
        config=config, person=cast.person(cast.alice), account_id="alice-gh"
    )
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (link.external_key, link.url) == ("#1", "https://github.com/acme/payments/issues/1")
    issue = github.issues[0]
    assert (issue.labels, issue.milestone, issue.assignees) == (["postmortem"], 3, ["alice-gh"])
    assert f"<!-- followthrough:issue:{link.delivery_key} -->" in issue.body
    assert f"(https://followthrough.example.com/action-items/{item.pk}/)" in issue.body


def test_an_item_of_a_team_without_a_tracker_goes_nowhere(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    assign()
    assert not TrackerLink.objects.exists() and jira.requests == []
    assert catch_up(timezone.now())["linked"] == 0


def test_an_item_without_an_owner_waits_for_one(cast: Cast, jira: FakeJira, assign: Any) -> None:
    wire(cast.payments, jira)
    assign(owner=None)
    assert not TrackerLink.objects.exists() and jira.requests == []


def test_a_503_leaves_the_item_sync_pending_and_the_retry_creates_exactly_one_issue(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    wire(cast.payments, jira)
    jira.fail_next = 1  # reading the create screen fails: nothing was created
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING
    assert "503" in link.last_error and link.attempts == 1
    assert (link.last_error_kind, link.last_error_status) == ("server", 503)
    assert link.next_attempt_at is not None
    assert link.next_attempt_at >= timezone.now() + timedelta(seconds=29)  # Retry-After: 30
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED and link.last_error == ""
    assert jira.created == 1


def test_a_lost_jira_answer_never_makes_a_second_issue_while_search_lags(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    """Jira's search is eventually consistent: right after the lost answer the issue is not
    found yet. The marker written before the create says a create may have happened, so the
    retry waits for the search instead of creating again."""
    wire(cast.payments, jira)
    jira.lose_answer_of("create")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING and jira.created == 1
    assert link.create_attempted_at is not None
    attempted = link.create_attempted_at
    catch_up(link.next_attempt_at + timedelta(seconds=1))  # search has not caught up
    link.refresh_from_db()
    assert (link.sync_state, jira.created) == (SyncState.PENDING, 1)
    assert "no second one is created" in link.last_error
    assert link.next_attempt_at >= attempted + timedelta(minutes=10)
    jira.index()
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (jira.created, link.external_key) == (1, "PAY-1")


def test_a_jira_create_that_was_refused_outright_is_tried_again_without_waiting(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    config = wire(cast.payments, jira, settings={"project_key": "NOPE"})
    link = TrackerLink.objects.get(action_item=assign())
    assert link.sync_state == SyncState.ERROR and "no project NOPE" in link.last_error
    config.settings = {**config.settings, "project_key": "PAY"}
    config.save()
    requeue_team(config)
    catch_up(timezone.now())
    link.refresh_from_db()
    assert (link.sync_state, jira.created) == (SyncState.SYNCED, 1)


def test_a_create_jira_refused_leaves_no_marker_so_the_retry_does_not_wait_for_search(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    config = wire(cast.payments, jira)
    TrackerAccount.objects.create(
        config=config, person=cast.person(cast.alice), account_id="no-such-account"
    )
    link = TrackerLink.objects.get(action_item=assign())
    assert link.sync_state == SyncState.ERROR and "answered 400" in link.last_error
    assert link.create_attempted_at is None  # a 400 created nothing
    TrackerAccount.objects.update(account_id=jira.users["alice@example.com"])
    requeue_team(config)
    catch_up(timezone.now())
    link.refresh_from_db()
    assert (link.sync_state, jira.created) == (SyncState.SYNCED, 1)
    assert jira.calls("GET", "/search/jql") == []  # no marker: nothing to look for


def test_a_lost_answer_from_linear_is_a_conflict_on_the_same_id_treated_as_found(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    linear.lose_answer_of("create")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING and linear.created == 1
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    # The retry reads issue(id) first: Linear's read is consistent, no second create is sent.
    assert (linear.created, linear.create_attempts, link.external_key) == (1, 1, "ENG-1")


def test_a_lost_answer_from_github_is_found_again_by_its_hidden_marker(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    wire(cast.payments, github)
    github.lose_answer_of("create")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING and github.created == 1
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (github.created, link.external_key) == (1, "#1")


def test_a_lost_answer_from_gitlab_is_found_again_by_its_hidden_marker(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    gitlab.lose_answer_of("create")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING and gitlab.created == 1
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (gitlab.created, link.external_key) == (1, "#1")


def test_an_assigned_item_becomes_a_gitlab_issue_with_labels_assignee_due_date_and_marker(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    wire(cast.payments, gitlab)
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.SYNCED, link.last_error
    assert (link.external_id, link.external_key, link.tracker_status) == ("1", "#1", "opened")
    assert link.url == "https://gitlab.example.com/acme/payments/-/issues/1"
    issue = gitlab.issues[0]
    assert (issue.labels, issue.assignee_ids, issue.due_date) == (
        ["postmortem"],
        [51],
        "2026-03-20",
    )
    assert f"<!-- followthrough:issue:{link.delivery_key} -->" in issue.description
    # The project path went URL-encoded, as GitLab wants it.
    assert gitlab.calls("POST", "/api/v4/projects/acme%2Fpayments/issues")


def test_a_gitlab_username_recorded_by_hand_is_turned_into_its_user_id(
    cast: Cast, gitlab: FakeGitLab, assign: Any
) -> None:
    config = wire(cast.payments, gitlab)
    TrackerAccount.objects.create(config=config, person=cast.person(cast.alice), account_id="alice")
    assign()
    assert gitlab.issues[0].assignee_ids == [51]


def test_a_tracker_that_is_down_leaves_sync_pending_with_the_error_then_catches_up(
    cast: Cast, jira: FakeJira, assign: Any
) -> None:
    config = wire(cast.payments, jira, base_url="http://127.0.0.1:9")  # nothing listens
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.PENDING
    assert link.last_error_kind == "connection" and "127.0.0.1:9" in link.last_error
    first_wait = link.next_attempt_at - timezone.now()
    # Before its time, the catch-up leaves it alone; the second failure waits longer.
    catch_up(timezone.now())
    assert TrackerLink.objects.get(pk=link.pk).attempts == 1
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.attempts == 2
    assert link.next_attempt_at - timezone.now() > first_wait
    # The tracker is back.
    config.base_url = jira.url
    config.save()
    catch_up(link.next_attempt_at + timedelta(seconds=1))
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED and link.last_error == ""
    assert jira.created == 1


def test_a_refused_token_is_a_sync_error_until_the_settings_change(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    config = wire(cast.payments, github, api_token="ghp_wrong")
    item = assign()
    link = TrackerLink.objects.get(action_item=item)
    assert link.sync_state == SyncState.ERROR and "401" in link.last_error
    assert "ghp_wrong" not in link.last_error
    catch_up(timezone.now() + timedelta(days=1))
    assert github.created == 0  # a permanent refusal is not retried on its own
    config.api_token = github.token
    config.save()
    assert requeue_team(config) == 1
    catch_up(timezone.now())
    link.refresh_from_db()
    assert link.sync_state == SyncState.SYNCED and github.created == 1


def test_an_owner_given_later_by_an_update_is_pushed_when_it_commits(
    cast: Cast, linear: FakeLinear, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, linear)
    item = assign(owner=None)
    assert not TrackerLink.objects.filter(action_item=item).exists()
    with django_capture_on_commit_callbacks(execute=True):
        update_action_item(item, item.version, cast.alice, {"owner": cast.person(cast.alice)})
    assert TrackerLink.objects.get(action_item=item).external_key == "ENG-1"
    with django_capture_on_commit_callbacks(execute=True):
        update_action_item(item, item.version, cast.alice, {"title": "Alert at 75% instead"})
    assert linear.created == 1


def test_an_owner_written_without_any_signal_is_picked_up_by_the_catch_up(
    cast: Cast, linear: FakeLinear, assign: Any
) -> None:
    wire(cast.payments, linear)
    item = assign(owner=None)
    ActionItem.objects.filter(pk=item.pk).update(owner=cast.person(cast.alice))
    result = catch_up(timezone.now())
    assert result["linked"] == 1 and result["synced"] == 1
    assert TrackerLink.objects.get(action_item=item).external_key == "ENG-1"
    assert catch_up(timezone.now())["pushed"] == 0  # nothing left to do
    assert linear.created == 1


def test_the_worker_runs_the_catch_up_and_the_poll_as_periodic_jobs(
    cast: Cast, github: FakeGitHub, assign: Any
) -> None:
    from followthrough.web.followup.jobs import registry

    jobs = {job.name: job for job in registry()}
    assert jobs["tracker-catch-up"].every == timedelta(minutes=1)
    assert jobs["tracker-poll"].every == timedelta(minutes=5)
    wire(cast.payments, github)
    item = assign(owner=None)
    ActionItem.objects.filter(pk=item.pk).update(owner=cast.person(cast.alice))
    now = timezone.now()
    assert jobs["tracker-catch-up"].run(now) == "linked 1, pushed 1 (synced 1), invites sent 0"
    assert jobs["tracker-poll"].run(now) == "polled 1, changed 0, failed 0"


def test_the_editor_shows_each_items_tracker_issue_status_and_sync_error(
    cast: Cast, jira: FakeJira, assign: Any, django_assert_max_num_queries: Any
) -> None:
    wire(cast.payments, jira)
    synced = assign()
    jira.fail_next = 2
    waiting = assign(title="Page the on-call when the pool is saturated")
    page = cast.browser(cast.vera).get(
        f"/incidents/{synced.postmortem.incident_id}/postmortem/?section=actions"
    )
    html = page.content.decode()
    assert f'<a href="{jira.url}/browse/PAY-1" rel="noopener noreferrer">PAY-1</a> · To Do' in html
    link = TrackerLink.objects.get(action_item=waiting)
    assert f"sync pending</span>: {escape(link.last_error)}" in html
    # One query for all the rows' links, not one per row.
    assign(title="Add a dashboard panel for pool saturation")
    browser = cast.browser(cast.vera)
    url = f"/incidents/{synced.postmortem.incident_id}/postmortem/"
    with django_assert_max_num_queries(200) as few:
        browser.get(url)
    assign(title="Load-test the pool at twice the peak")
    with django_assert_max_num_queries(200) as more:
        browser.get(url)
    assert len(more.captured_queries) == len(few.captured_queries)


def test_an_editor_tries_a_waiting_item_again_from_the_editor(
    cast: Cast, jira: FakeJira, assign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wire(cast.payments, jira)
    jira.fail_next = 1
    item = assign()
    incident_id = item.postmortem.incident_id
    page = (
        cast.browser(cast.bob)
        .get(f"/incidents/{incident_id}/postmortem/?section=actions")
        .content.decode()
    )
    retry = f"/incidents/{incident_id}/postmortem/actions/{item.pk}/tracker/retry/"
    assert f'action="{retry}"' in page
    assert (
        retry
        not in cast.browser(cast.vera)
        .get(f"/incidents/{incident_id}/postmortem/?section=actions")
        .content.decode()
    )
    assert cast.browser(cast.vera).post(retry).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        answer = cast.browser(cast.bob).post(retry)
    assert answer.status_code == 302
    assert TrackerLink.objects.get(action_item=item).sync_state == SyncState.SYNCED
    assert jira.created == 1
