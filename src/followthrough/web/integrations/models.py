"""Trackers out and back, and the meeting's calendar invite.

A team points followthrough at its tracker (``TrackerConfig``: the vendor, its settings as
JSON validated by the vendor's own model, the secrets); every assigned action item gets one
issue there (``TrackerLink``), found again by an idempotency key so that a retry never opens
a second one, and kept in the item's standing (open, done, deprioritised) both ways. Status
comes back by webhook (``WebhookDelivery`` makes a replay of the same signed body a no-op) or
by polling. ``MeetingInvite`` remembers what the attendees were last sent, so a reschedule
goes out with the same UID and a higher SEQUENCE.

Secrets (API tokens, webhook secrets) are write-only: stored here, sent to the vendor, never
returned by the API, rendered in a page or written to a log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from pydantic import ValidationError as SettingsError

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.integrations.trackers import TRACKERS, Tracker, label_of
from followthrough.web.lib.delivery import RetryableDelivery
from followthrough.web.postmortems.models import Meeting
from followthrough.web.transport import url_problem

if TYPE_CHECKING:
    from followthrough.web.integrations.common import TrackerSettings

# What a tracker status may map to: every action-item status.
MAPPABLE = tuple(ActionStatus.values)


def settings_problems(kind: str, values: Any) -> dict[str, str]:
    """Why ``values`` are not valid settings for ``kind``, by setting name ({} when valid)."""
    tracker = TRACKERS.get(kind)
    if tracker is None:
        return {}
    try:
        tracker.model.model_validate(values if isinstance(values, dict) else {})
    except SettingsError as e:
        problems: dict[str, str] = {}
        for error in e.errors():
            name = ".".join(str(p) for p in error["loc"]) or "settings"
            problems.setdefault(name, str(error["msg"]))
        return problems
    return {}


SECRET_FIELDS = ("api_token", "webhook_secret")


class TrackerConfig(models.Model):
    """Where a team's action items go: one tracker per team, its settings and credentials.

    ``kind`` names an entry of ``trackers.TRACKERS``; ``settings`` holds that vendor's own
    settings (validated by its ``Settings`` model), so a new vendor needs no migration.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="tracker_config")
    kind = models.CharField(max_length=20, help_text="A tracker of trackers.TRACKERS.")
    enabled = models.BooleanField(default=True)
    base_url = models.URLField(
        blank=True,
        help_text=(
            "Jira: the site, e.g. https://acme.atlassian.net. Others: leave empty for the "
            "public service (GitHub Enterprise Server: https://HOST/api/v3; self-managed "
            "GitLab: https://HOST)."
        ),
    )
    settings = models.JSONField(
        default=dict, blank=True, help_text="The vendor's own settings (its Settings model)."
    )
    # Secrets: write-only.
    api_token = models.CharField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=500, blank=True)
    status_map = models.JSONField(
        default=dict,
        blank=True,
        help_text="Tracker status -> open, in_progress, done or deprioritised, e.g. "
        '{"In Review": "in_progress", "Won\'t Do": "deprioritised"}.',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{label_of(self.kind)} for {self.team}"

    @property
    def tracker(self) -> Tracker:
        return TRACKERS[self.kind]

    @property
    def label(self) -> str:
        return label_of(self.kind)

    def replace_secrets(self, kind: str, **given: str | None) -> None:
        """Set the secrets (``api_token``, ``webhook_secret``) for the tracker ``kind``: a
        value replaces the stored one, ``""`` forgets it, None keeps it, but only while the
        tracker stays the same. A secret belongs to the vendor it was given for: moving the
        team to another tracker (Jira to Linear) drops every secret not given anew, so a
        Jira token is never sent to Linear nor a GitHub webhook secret accepted for GitLab.
        Call it before ``kind`` is changed."""
        moving = self.pk is not None and bool(self.kind) and kind != self.kind
        for name in SECRET_FIELDS:
            value = given.get(name)
            if value is not None:
                setattr(self, name, value)
            elif moving:
                setattr(self, name, "")

    def vendor(self) -> TrackerSettings:
        """The vendor's settings, validated; raises pydantic's ValidationError when invalid."""
        return self.tracker.model.model_validate(self.settings or {})

    def clean(self) -> None:
        if self.kind not in TRACKERS:
            raise ValidationError(
                {"kind": f"Choose one of {', '.join(TRACKERS)}; got {self.kind!r}."}
            )
        errors: dict[str, str] = {}
        if not self.api_token:
            errors["api_token"] = f"{self.label} needs an API token."
        if not self.base_url and not self.tracker.default_base_url:
            errors["base_url"] = (
                f"{self.label} needs its address: {self.tracker.settings.BASE_URL_HELP}"
            )
        elif self.base_url and (problem := url_problem(self.base_url)):
            errors["base_url"] = problem
        for name, problem in settings_problems(self.kind, self.settings).items():
            errors[f"settings.{name}"] = problem
        if problem := status_map_problem(self.status_map):
            errors["status_map"] = problem
        if errors:
            raise ValidationError(errors)

    def api_base(self) -> str:
        return (self.base_url or self.tracker.default_base_url).rstrip("/")

    def workspace(self) -> str:
        """Where the team's tracker accounts are valid (a site, a host, a Linear team)."""
        try:
            return self.vendor().workspace(self.api_base())
        except SettingsError:
            return ""

    def map_status(self, name: str, category: str) -> str | None:
        """The action-item status for a tracker status, or None if it maps to nothing.

        The team's own mapping first (by name, then category), then the vendor's defaults.
        """
        own = {str(k).strip().lower(): v for k, v in (self.status_map or {}).items()}
        defaults = self.tracker.default_status_map
        for mapping in (own, defaults):
            for key in (name.strip().lower(), category.strip().lower()):
                if key and key in mapping:
                    return str(mapping[key])
        return None

    def effective_status_map(self) -> dict[str, str]:
        return {**self.tracker.default_status_map, **(self.status_map or {})}

    def missing_settings(self) -> list[str]:
        """What must still be put right before an issue can be created, in words."""
        missing = []
        if not self.api_token:
            missing.append("an API token")
        if not self.base_url and not self.tracker.default_base_url:
            missing.append("the tracker's address")
        missing += [
            f"a valid {name.replace('_', ' ')} ({problem})"
            for name, problem in settings_problems(self.kind, self.settings).items()
        ]
        return missing


def status_map_problem(value: object) -> str | None:
    """Why ``value`` is not a status mapping, or None when it is one."""
    allowed = ", ".join(MAPPABLE)
    if not isinstance(value, dict):
        return f"The status mapping is an object of tracker status -> {allowed}."
    for key, target in value.items():
        if not isinstance(key, str) or not key.strip():
            return "Every tracker status in the mapping has a name."
        if target not in MAPPABLE:
            return f"“{key}” maps to {target!r}; a tracker status maps to {allowed}."
    return None


class TrackerAccount(models.Model):
    """Who a person is in one vendor's workspace: Jira accountId on a site, a Linear user id,
    a GitHub login or GitLab user id on a host.

    Keyed by vendor and workspace, so a team that moves from Jira to Linear never sends a
    Jira accountId to Linear (and finds its Jira accounts again if it moves back). Filled by
    hand, or by a look-up by e-mail the first time it is needed.
    """

    config = models.ForeignKey(TrackerConfig, on_delete=models.CASCADE, related_name="accounts")
    kind = models.CharField(max_length=20)
    workspace = models.CharField(max_length=200)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    account_id = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["config", "kind", "workspace", "person"],
                name="one_account_per_vendor_workspace",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} is {self.account_id} in {label_of(self.kind)} {self.workspace}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An account recorded without saying where belongs to the config's vendor as it is now.
        if not self.kind:
            self.kind = self.config.kind
        if not self.workspace:
            self.workspace = self.config.workspace()
        super().save(*args, **kwargs)


class SyncState(models.TextChoices):
    PENDING = "pending", "Sync pending"
    SYNCED = "synced", "Synced"
    ERROR = "error", "Sync failed"
    DETACHED = "detached", "Left in the earlier tracker"


class TrackerLink(RetryableDelivery):
    """The tracker issue of one action item, and where its synchronisation stands.

    A retryable delivery (``web.lib.delivery``): pushed until the vendor has it, under a
    lease, with backoff and the last error as data. Its ``delivery_key`` is the idempotency
    key the vendor's issue carries (a label, a hidden marker, Linear's issue id).

    ``tracker_status`` / ``tracker_category`` / ``tracker_updated_at`` are the issue's status
    as last seen and the vendor's time of it: a webhook body older than that changes
    nothing. ``synced_standing`` is the standing (open, done, deprioritised) the issue was
    last brought to or seen in: when the item's standing differs, the link is pending until
    the vendor has it. ``create_attempted_at`` is written (and committed) before any create
    call: a retry then looks for the issue that attempt may have made before creating one.
    """

    action_item = models.OneToOneField(
        ActionItem, on_delete=models.CASCADE, related_name="tracker_link"
    )
    kind = models.CharField(max_length=20)
    external_id = models.CharField(max_length=128, blank=True, db_index=True)
    external_key = models.CharField(max_length=128, blank=True, help_text="PAY-12, ENG-7, #42.")
    url = models.URLField(max_length=500, blank=True)
    tracker_status = models.CharField(max_length=100, blank=True)
    tracker_category = models.CharField(max_length=100, blank=True)
    tracker_updated_at = models.DateTimeField(null=True, blank=True)
    synced_standing = models.CharField(max_length=16, blank=True)
    create_attempted_at = models.DateTimeField(null=True, blank=True)
    notice = models.TextField(
        blank=True, help_text="What the tracker left out of the issue, in words."
    )
    sync_state = models.CharField(
        max_length=10, choices=SyncState.choices, default=SyncState.PENDING
    )
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
        """The label (Jira) that finds this item's issue again."""
        return f"followthrough-{self.delivery_key}"

    def comment_key(self, what: str) -> uuid.UUID:
        """A stable id for one comment of this issue (one per deprioritisation)."""
        return uuid.uuid5(self.delivery_key, what)

    def is_due(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.sync_state == SyncState.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )


class WebhookDelivery(models.Model):
    """One accepted tracker webhook delivery.

    Keyed by the signed content (``content_key``, a digest of the raw body), not by the
    vendor's delivery header, which nobody signs: the same body sent again under a new id
    is recognised and changes nothing. ``delivery_id`` is kept to find a delivery in the
    vendor's logs.
    """

    kind = models.CharField(max_length=20)
    delivery_id = models.CharField(max_length=128, blank=True)
    content_key = models.CharField(max_length=80, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "kind", "content_key"],
                condition=~Q(content_key=""),
                name="one_delivery_per_signed_content",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} delivery {self.delivery_id or self.content_key}"


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
