"""Follow-through: team review settings, personal preferences, the outbox, job runs, escalations.

The seed: "The postmortem is not done when the document is written. It is done when the
action items are complete." These rows are what the worker needs to make that true
without a broker: every message is a row (the outbox), every periodic run is claimed by a
row, every escalation step is a row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from followthrough.web.accounts.models import Person, Team
from followthrough.web.lib.delivery import RetryableDelivery
from followthrough.web.transport import url_problem


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class TeamSettings(models.Model):
    """How a team follows its action items through: when its weekly review is, when an
    item counts as stalled, how fast escalation climbs, and where its Slack messages go.

    The Slack webhook URL and bot token are secrets: forms and the API accept them but
    never show them back (only whether one is set), and they are never logged.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="followup_settings")
    review_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text="The day of the team lead sync, in the team's timezone.",
    )
    review_hour = models.PositiveSmallIntegerField(
        default=9,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text="The hour (0-23, team's timezone) the weekly review digest goes out.",
    )
    stalled_after_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="An open item with no activity for this many days is stalled.",
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days between one escalation step and the next, one level up.",
    )
    remind_before_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="How long before a milestone deadline its owner is reminded.",
    )
    slack_webhook_url = models.CharField(
        max_length=500, blank=True, help_text="Incoming webhook URL (secret)."
    )
    slack_bot_token = models.CharField(
        max_length=200, blank=True, help_text="Bot token, xoxb-… (secret)."
    )
    slack_channel = models.CharField(
        max_length=80, blank=True, help_text="Channel for the bot token, e.g. #payments-ops."
    )
    channels = models.JSONField(
        default=dict,
        blank=True,
        help_text="Settings of notification channels by vendor kind, each validated by the "
        "vendor's own model (secrets in it are write-only).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "team settings"

    def __str__(self) -> str:
        return f"Follow-up settings of {self.team}"

    @classmethod
    def of(cls, team: Team) -> TeamSettings:
        """The team's settings; the defaults (unsaved) when it has none yet."""
        found = cls.objects.filter(team=team).first()
        return found if found is not None else cls(team=team)

    def has_slack(self) -> bool:
        return bool(self.slack_webhook_url or (self.slack_bot_token and self.slack_channel))

    def channel_settings(self, kind: str) -> Any:
        """The team's settings of channel ``kind`` as its vendor's model, or None if unset."""
        from followthrough.web.integrations.vendors import VENDORS

        vendor = VENDORS.get(kind)
        data = (self.channels or {}).get(kind)
        if vendor is None or vendor.team_settings is None or not data:
            return None
        return vendor.team_settings.model_validate(data)

    def clean(self) -> None:
        # The webhook URL is typed by a lead and called by the worker: it must be a place
        # outbound requests may go (followthrough.web.transport).
        if self.slack_webhook_url and (problem := url_problem(self.slack_webhook_url)):
            raise ValidationError({"slack_webhook_url": problem})
        if problem := channels_problem(self.channels):
            raise ValidationError({"channels": problem})


def channels_problem(channels: Any) -> str:
    """What is wrong with ``TeamSettings.channels``, in words; "" when nothing is."""
    from pydantic import ValidationError as PydanticValidationError

    from followthrough.web.integrations.vendors import VENDORS

    if not isinstance(channels, dict):
        return "Channel settings are an object of channel -> its settings."
    for kind, data in channels.items():
        vendor = VENDORS.get(kind)
        if vendor is None or vendor.team_settings is None:
            return f"There is no channel {kind!r} with team settings."
        try:
            vendor.team_settings.model_validate(data)
        except PydanticValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return f"{kind}.{where}: {str(first.get('msg', '')).removeprefix('Value error, ')}"
    return ""


class Preferences(models.Model):
    """One person's say in how follow-through reaches them."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="followup_preferences"
    )
    email_enabled = models.BooleanField("E-mail me", default=True)
    slack_enabled = models.BooleanField("Slack me", default=True)
    slack_user = models.CharField(
        "Slack member id or @handle",
        max_length=64,
        blank=True,
        help_text="U0123ABCD (mentioned properly, and direct messages with a bot token) or "
        "@handle. Empty: your Slack member id or handle from your profile.",
    )
    digest_enabled = models.BooleanField(
        "Weekly review digest", default=True, help_text="As a team lead, receive the digest."
    )

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"Notification preferences of {self.person}"

    @classmethod
    def of(cls, person: Person) -> Preferences:
        found = cls.objects.filter(person=person).first()
        return found if found is not None else cls(person=person)

    def slack_member(self) -> str:
        """The Slack member id (U…/W…) to mention or message, or "" if only a handle is known."""
        value = (self.slack_user or getattr(self.person, "slack_user_id", "") or "").strip()
        return value if value[:1] in ("U", "W") and value.isalnum() else ""

    def slack_mention(self) -> str:
        """How a Slack message names this person: <@U…> when the id is known, else @handle."""
        member = self.slack_member()
        if member:
            return f"<@{member}>"
        handle = (self.slack_user or self.person.handle or "").strip().lstrip("@")
        return f"@{handle}" if handle else self.person.name


class Channel(models.TextChoices):
    """The channels of today's registry (``integrations.vendors.channels()`` decides: the
    column has no choices, so a new channel needs no migration)."""

    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"


class Delivery(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(RetryableDelivery):
    """One message to one person on one channel: the outbox.

    ``dedupe_key`` is unique, so creating the same message twice (two workers running the
    same check) creates one row. Sending claims the row with a conditional UPDATE that sets
    a lease (``claimed_by``/``claimed_until``) and marks it ``sending``; the message carries
    ``delivery_key`` (``RetryableDelivery``). A worker killed mid-send leaves the row
    ``sending``; when the lease expires another worker sends it again with the same key.
    Delivery is therefore at least once: exactly once, except when a worker dies between the
    vendor accepting the message and the row being marked sent, where the second copy is
    recognisably the same message (docs/notifications.md).
    """

    dedupe_key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=16)
    recipient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    action_item = models.ForeignKey(
        "actions.ActionItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    postmortem = models.ForeignKey(
        "postmortems.Postmortem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient or self.team}: {self.subject}"

    def get_channel_display(self) -> str:
        from followthrough.web.integrations.vendors import VENDORS

        vendor = VENDORS.get(self.channel)
        return vendor.channel_label if vendor is not None else self.channel

    def problem(self) -> str:
        """A sentence for pages when delivery is in trouble, else ""."""
        who = self.recipient.name if self.recipient else (str(self.team) if self.team else "?")
        channel = self.get_channel_display()
        if self.status == Delivery.FAILED:
            return f"{channel} to {who} failed for good: {self.last_error}"
        if self.status == Delivery.PENDING and self.attempts and self.last_error:
            if self.next_attempt_at is None:
                return f"{channel} to {who} failed: {self.last_error}."
            at = timezone.localtime(self.next_attempt_at).strftime("%Y-%m-%d %H:%M %Z")
            return f"{channel} to {who} failed: {self.last_error}; retrying at {at}."
        return ""


class JobRun(models.Model):
    """One run of one periodic job for one time slot. The unique (job, slot) pair is the
    claim: of several workers reaching the same slot, exactly one inserts the row and runs."""

    job = models.CharField(max_length=64)
    slot = models.BigIntegerField(help_text="Start of the slot, in whole intervals since 1970.")
    worker = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]

    def __str__(self) -> str:
        return f"{self.job} slot {self.slot}"


class Escalation(models.Model):
    """One step of escalating a stalled or overdue item (seed: "Escalate stalled items").

    Level 1 goes to the owner's manager, level 2 one level up. ``episode`` is the item's
    last activity when the chain started: when the item moves, its last activity changes
    and the chain stops; a later standstill starts a new chain.
    """

    item = models.ForeignKey(
        "actions.ActionItem", on_delete=models.CASCADE, related_name="escalations"
    )
    episode = models.DateTimeField()
    level = models.PositiveSmallIntegerField()
    to_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "episode", "level"], name="one_escalation_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} escalated to {self.to_person} (level {self.level})"

    def next_step_at(self, settings: TeamSettings) -> datetime:
        return self.at + timedelta(days=settings.escalate_after_days)
