"""Trackers out, status back, and the meeting's calendar invite.

A team points followthrough at its tracker (``TrackerConfig``); every assigned action item
gets one issue there (``TrackerLink``), found again by an idempotency key so that a retry
never opens a second one. Status comes back by webhook (``WebhookDelivery`` makes a
redelivery a no-op) or by polling. ``MeetingInvite`` remembers what the attendees were last
sent, so a reschedule goes out with the same UID and a higher SEQUENCE.

Secrets (API tokens, webhook secrets) are write-only: stored here, sent to the vendor, never
returned by the API, rendered in a page or written to a log.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.postmortems.models import Meeting
from followthrough.web.transport import url_problem


class TrackerKind(models.TextChoices):
    JIRA = "jira", "Jira Cloud"
    LINEAR = "linear", "Linear"
    GITHUB = "github", "GitHub Issues"


# Where each vendor's API lives unless the team says otherwise (GitHub Enterprise Server has
# its own API URL; Jira has none: every site has its own).
DEFAULT_BASE_URLS = {
    TrackerKind.JIRA: "",
    TrackerKind.LINEAR: "https://api.linear.app",
    TrackerKind.GITHUB: "https://api.github.com",
}

# The status an action item takes when the tracker reports a status, per vendor. Keys are
# lower-case; a team's ``status_map`` is consulted first, by status name then by category.
# Jira: the status category key (new, indeterminate, done). Linear: the workflow state type.
# GitHub: the issue state, optionally with its state_reason ("closed:not_planned").
DEFAULT_STATUS_MAPS: dict[str, dict[str, str]] = {
    TrackerKind.JIRA: {
        "new": ActionStatus.OPEN,
        "indeterminate": ActionStatus.IN_PROGRESS,
        "done": ActionStatus.DONE,
    },
    TrackerKind.LINEAR: {
        "triage": ActionStatus.OPEN,
        "backlog": ActionStatus.OPEN,
        "unstarted": ActionStatus.OPEN,
        "started": ActionStatus.IN_PROGRESS,
        "completed": ActionStatus.DONE,
        "canceled": ActionStatus.DONE,
    },
    TrackerKind.GITHUB: {
        "open": ActionStatus.OPEN,
        "closed": ActionStatus.DONE,
    },
}

MAPPABLE = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE)
REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


class TrackerConfig(models.Model):
    """Where a team's action items go: one tracker per team, with its credentials."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="tracker_config")
    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    enabled = models.BooleanField(default=True)
    base_url = models.URLField(
        blank=True,
        help_text=(
            "Jira: the site, e.g. https://acme.atlassian.net. Linear and GitHub: leave empty "
            "for the public API (GitHub Enterprise Server: https://HOST/api/v3)."
        ),
    )
    # Jira
    project_key = models.CharField(max_length=32, blank=True)
    issue_type = models.CharField(max_length=64, blank=True, default="Task")
    user_email = models.EmailField(blank=True, help_text="Jira: the account the API token is of.")
    # Linear
    linear_team_id = models.CharField(max_length=64, blank=True)
    # GitHub
    repository = models.CharField(max_length=200, blank=True, help_text="owner/name")
    labels = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    milestone = models.PositiveIntegerField(null=True, blank=True)
    # Secrets: write-only.
    api_token = models.CharField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=500, blank=True)
    status_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='Tracker status -> open, in_progress or done, e.g. {"In Review": "in_progress"}.',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.team}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind not in TrackerKind.values:
            errors["kind"] = f"Choose one of {', '.join(TrackerKind.values)}; got {self.kind!r}."
            raise ValidationError(errors)
        field_of = {
            "an API token": "api_token",
            "the Jira site URL": "base_url",
            "a project key": "project_key",
            "an issue type": "issue_type",
            "the e-mail address of the token's account": "user_email",
            "the Linear team id": "linear_team_id",
            "the repository (owner/name)": "repository",
        }
        for words in self.missing_settings():
            errors[field_of[words]] = f"{TrackerKind(self.kind).label} needs {words}."
        github = self.kind == TrackerKind.GITHUB
        if github and self.repository and not REPOSITORY.match(self.repository):
            errors["repository"] = f"Write the repository as owner/name; got {self.repository!r}."
        jira = self.kind == TrackerKind.JIRA
        if jira and self.project_key and not PROJECT_KEY.match(self.project_key):
            errors["project_key"] = (
                f"A Jira project key is capital letters and digits, e.g. PAY; "
                f"got {self.project_key!r}."
            )
        if problem := status_map_problem(self.status_map):
            errors["status_map"] = problem
        if self.base_url and (problem := url_problem(self.base_url)):
            errors["base_url"] = problem  # the worker calls it: no internal addresses
        if errors:
            raise ValidationError(errors)

    def api_base(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[TrackerKind(self.kind)]).rstrip("/")

    def label_list(self) -> list[str]:
        return [label.strip() for label in self.labels.split(",") if label.strip()]

    def map_status(self, name: str, category: str) -> str | None:
        """The action-item status for a tracker status, or None if it maps to nothing."""
        own = {str(k).strip().lower(): v for k, v in (self.status_map or {}).items()}
        defaults = DEFAULT_STATUS_MAPS[TrackerKind(self.kind)]
        for key in (name.strip().lower(), category.strip().lower()):
            if key and key in own:
                return str(own[key])
        for key in (name.strip().lower(), category.strip().lower()):
            if key and key in defaults:
                return defaults[key]
        return None

    def effective_status_map(self) -> dict[str, str]:
        return {**DEFAULT_STATUS_MAPS[TrackerKind(self.kind)], **(self.status_map or {})}

    def missing_settings(self) -> list[str]:
        """What must still be filled in before an issue can be created, in words."""
        needed: list[tuple[str, str]] = [("api_token", "an API token")]
        if self.kind == TrackerKind.JIRA:
            needed += [
                ("base_url", "the Jira site URL"),
                ("project_key", "a project key"),
                ("issue_type", "an issue type"),
                ("user_email", "the e-mail address of the token's account"),
            ]
        elif self.kind == TrackerKind.LINEAR:
            needed += [("linear_team_id", "the Linear team id")]
        elif self.kind == TrackerKind.GITHUB:
            needed += [("repository", "the repository (owner/name)")]
        return [words for field, words in needed if not getattr(self, field)]


def status_map_problem(value: object) -> str | None:
    """Why ``value`` is not a status mapping, or None when it is one."""
    if not isinstance(value, dict):
        return "The status mapping is an object of tracker status -> open, in_progress or done."
    for key, target in value.items():
        if not isinstance(key, str) or not key.strip():
            return "Every tracker status in the mapping has a name."
        if target not in MAPPABLE:
            return (
                f"“{key}” maps to {target!r}; a tracker status maps to open, in_progress or done."
            )
    return None


class TrackerAccount(models.Model):
    """Who a person is in the team's tracker: Jira accountId, Linear user id, GitHub login.

    Filled by hand, or by a lookup by e-mail (Jira, Linear) the first time it is needed.
    """

    config = models.ForeignKey(TrackerConfig, on_delete=models.CASCADE, related_name="accounts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    account_id = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["config", "person"], name="one_account_per_tracker")
        ]

    def __str__(self) -> str:
        return f"{self.person} is {self.account_id} in {self.config}"


class SyncState(models.TextChoices):
    PENDING = "pending", "Sync pending"
    SYNCED = "synced", "Synced"
    ERROR = "error", "Sync failed"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 ... minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


class TrackerLink(models.Model):
    """The tracker issue of one action item, and where its synchronisation stands."""

    action_item = models.OneToOneField(
        ActionItem, on_delete=models.CASCADE, related_name="tracker_link"
    )
    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    external_id = models.CharField(max_length=128, blank=True, db_index=True)
    external_key = models.CharField(max_length=128, blank=True, help_text="PAY-12, ENG-7, #42.")
    url = models.URLField(max_length=500, blank=True)
    tracker_status = models.CharField(max_length=100, blank=True)
    sync_state = models.CharField(
        max_length=10, choices=SyncState.choices, default=SyncState.PENDING
    )
    last_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["sync_state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.external_key or 'pending'} for {self.action_item}"

    @property
    def marker(self) -> str:
        """The label (Jira, GitHub search) that finds this item's issue again."""
        return f"followthrough-{self.idempotency_key}"

    def is_due(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.sync_state == SyncState.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


class WebhookDelivery(models.Model):
    """One accepted tracker webhook delivery: a redelivery of the same id changes nothing."""

    kind = models.CharField(max_length=10, choices=TrackerKind.choices)
    delivery_id = models.CharField(max_length=128)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "delivery_id"], name="one_delivery_per_id")
        ]

    def __str__(self) -> str:
        return f"{self.kind} delivery {self.delivery_id}"


class MeetingInvite(models.Model):
    """The calendar invite of one meeting: a stable UID, and what was last sent.

    Rescheduling sends the same UID with SEQUENCE + 1 (RFC 5545 3.8.7.4), so calendars
    move the event instead of adding a second one.
    """

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="invite")
    uid = models.CharField(max_length=200, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    sent_for = models.DateTimeField(
        null=True, blank=True, help_text="The meeting time the last invitation announced."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Invite {self.uid} (sequence {self.sequence})"

    def sequence_for(self, scheduled_for: datetime | None) -> int:
        """The SEQUENCE an invite for ``scheduled_for`` carries: one more once the time moved."""
        if self.sent_for is None or scheduled_for is None or scheduled_for == self.sent_for:
            return self.sequence
        return self.sequence + 1

    def needs_sending(self, scheduled_for: datetime | None) -> bool:
        return scheduled_for is not None and scheduled_for != self.sent_for

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingInvite:
        invite, _ = cls.objects.get_or_create(
            meeting=meeting, defaults={"uid": f"meeting-{uuid.uuid4()}@followthrough"}
        )
        return invite
