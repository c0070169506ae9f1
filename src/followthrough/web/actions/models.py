"""Action items: specific, owned, time-bound, verifiable (seed: Action Items That Work)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from followthrough.core.priority import Priority, priority
from followthrough.web.accounts.models import Person
from followthrough.web.postmortems.models import ContributingFactor, Postmortem
from followthrough.web.softdelete import LiveManager, SoftDeletable, SoftDeleteQuerySet
from followthrough.web.versioning import Versioned


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DEPRIORITISED = "deprioritised", "Deprioritised"


# Which states still need work and which are settled: the one definition, read by the pages,
# the API, the digests and reminders, insights and the trackers (through
# ``ActionItem.objects.open()`` / ``.closed()``, ``is_closed()`` or these tuples). Every
# state is one of the two.
OPEN_STATES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
CLOSED_STATES = (ActionStatus.DONE, ActionStatus.DEPRIORITISED)

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]

# The workflow: open -> in progress -> done, or deprioritised (with a written reason).
# Done or deprioritised items reopen (back to open); an open item may be done at once.
WORKFLOW: dict[str, tuple[str, ...]] = {
    ActionStatus.OPEN: (ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.DEPRIORITISED),
    ActionStatus.IN_PROGRESS: (
        ActionStatus.OPEN,
        ActionStatus.DONE,
        ActionStatus.DEPRIORITISED,
    ),
    ActionStatus.DONE: (ActionStatus.OPEN,),
    ActionStatus.DEPRIORITISED: (ActionStatus.OPEN,),
}


class ActionItemQuerySet(SoftDeleteQuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        """The items that still need work (:data:`OPEN_STATES`)."""
        return self.filter(status__in=OPEN_STATES)

    def closed(self) -> ActionItemQuerySet:
        """The items done or deprioritised (:data:`CLOSED_STATES`)."""
        return self.filter(status__in=CLOSED_STATES)


class ActionItem(SoftDeletable, Versioned):
    """One follow-up. One person owns it, never a team; it has a date and a done-condition."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    due_date = models.DateField(null=True, blank=True)
    done_condition = models.TextField(
        blank=True, help_text="How anyone can tell it is done (verifiable)."
    )
    addresses_root_cause = models.BooleanField(default=False)
    addresses_factor = models.ForeignKey(
        ContributingFactor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    likelihood = models.PositiveSmallIntegerField(default=3, validators=ONE_TO_FIVE)
    severity = models.PositiveSmallIntegerField(default=3, validators=ONE_TO_FIVE)
    effort = models.PositiveSmallIntegerField(default=3, validators=ONE_TO_FIVE)
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    deprioritised_reason = models.TextField(blank=True)
    deprioritised_at = models.DateTimeField(null=True, blank=True)
    deprioritised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence_url = models.URLField(
        blank=True, help_text="Where anyone can see the done-condition met (optional)."
    )
    tracker_url = models.URLField(blank=True)
    tracker_status = models.CharField(max_length=100, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LiveManager.from_queryset(ActionItemQuerySet)()
    all_objects = models.Manager.from_queryset(ActionItemQuerySet)()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            # Insights' stored counts catch up from recent writes.
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    def priority(self) -> Priority:
        return priority(self.likelihood, self.severity, self.effort)

    def priority_order(self) -> tuple[bool, float, date, int]:
        """Sort key: open items first, the highest priority score first, then soonest due."""
        return (self.is_closed(), -self.priority().score, self.due_date or date.max, self.pk)

    def is_closed(self) -> bool:
        return self.status in CLOSED_STATES

    def is_overdue(self, today: date | None = None) -> bool:
        if self.is_closed() or self.due_date is None:
            return False
        return self.due_date < (today or timezone.localdate())

    def allowed_statuses(self) -> tuple[str, ...]:
        return WORKFLOW[self.status]

    def stalled_reason(self, now: datetime, stalled_after_days: int) -> str:
        """Why the item is stalled now, in words; "" when it is not (seed: "Escalate stalled
        items"). The one definition: the weekly review, the digest and escalation use it.

        An open item is stalled when it is overdue and nobody touched it since it became
        overdue (in the team's timezone), or when nobody touched it for
        ``stalled_after_days``.
        """
        if self.is_closed():
            return ""
        team = self.postmortem.incident.team
        try:
            zone = ZoneInfo(team.timezone)
        except (ValueError, KeyError):
            zone = ZoneInfo("UTC")
        if self.due_date is not None and self.due_date < now.astimezone(zone).date():
            overdue_since = datetime.combine(
                self.due_date + timedelta(days=1), datetime.min.time(), tzinfo=zone
            )
            if self.last_activity_at < overdue_since:
                return f"overdue since {self.due_date:%a %d %b %Y} and not updated since"
        if self.last_activity_at <= now - timedelta(days=stalled_after_days):
            return f"no activity for {(now - self.last_activity_at).days} days"
        return ""

    def is_stalled(self, now: datetime, stalled_after_days: int) -> bool:
        return bool(self.stalled_reason(now, stalled_after_days))

    def get_absolute_url(self) -> str:
        return reverse("action-item", args=[self.pk])

    def is_tracked(self) -> bool:
        """Assigned and tracked: an owner and a due date (seed milestone, T+7 business days)."""
        return self.owner_id is not None and self.due_date is not None
