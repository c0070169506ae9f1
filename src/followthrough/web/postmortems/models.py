"""Postmortems, their sections, and the meeting that produces them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from followthrough.core.agenda import AgendaItem, agenda
from followthrough.core.calendar import Milestone, MilestoneKey, milestones
from followthrough.web.accounts.models import Person
from followthrough.web.incidents.models import Incident
from followthrough.web.softdelete import SoftDeletable
from followthrough.web.versioning import Versioned


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    FINAL = "final", "Final"
    CLOSED = "closed", "Closed"


class RootCauseCategory(models.TextChoices):
    PROCESS = "process", "Process gap"
    TOOLING = "tooling", "Tooling gap"
    KNOWLEDGE = "knowledge", "Knowledge gap"
    CAPACITY = "capacity", "Capacity gap"
    COMMUNICATION = "communication", "Communication gap"


# Which status may follow which. Closing is normally automatic once every action item is
# done or deprioritised. Reopening a closed postmortem to change it takes it back to review
# (to final it would close itself again at once, its items being complete); going final
# again passes the linter's gate. An item reopening reopens a closed postmortem to final
# (``followup.loop``).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.IN_REVIEW,),
    Status.IN_REVIEW: (Status.DRAFT, Status.FINAL),
    Status.FINAL: (Status.IN_REVIEW, Status.CLOSED),
    Status.CLOSED: (Status.IN_REVIEW,),
}

# Statuses in which the document is locked: final (back to review to change it) and closed
# (read-only until reopened). ``followthrough.web.postmortems.locking`` enforces it.
LOCKED: tuple[str, ...] = (Status.FINAL, Status.CLOSED)


#: the document's prose sections, in the order a reader meets them (forms, import, export)
PROSE_FIELDS: tuple[str, ...] = (
    "summary",
    "impact",
    "root_cause",
    "trigger",
    "detection",
    "resolution",
    "lessons",
)


class Postmortem(SoftDeletable, Versioned):
    """The written analysis of one incident. Editing sections bumps ``version``."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True, help_text="Customer and business impact, in words.")
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    impact_minutes = models.PositiveIntegerField(null=True, blank=True)
    failed_requests = models.PositiveBigIntegerField(null=True, blank=True)
    revenue_impact = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    root_cause = models.TextField(blank=True)
    root_cause_category = models.CharField(
        max_length=16, choices=RootCauseCategory.choices, blank=True
    )
    trigger = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Facts the milestones complete from (set by the actions in followthrough.web.postmortems.actions).
    timeline_documented_at = models.DateTimeField(null=True, blank=True)
    actions_tracked_at = models.DateTimeField(null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    final_override_reason = models.TextField(
        blank=True, help_text="Why it went final with lint errors remaining, if it did."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"Postmortem of {self.incident}"

    def allowed_transitions(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]

    def is_locked(self) -> bool:
        """Final or closed: the document no longer changes by a plain edit (see ``locking``)."""
        return self.status in LOCKED

    def lock_reason(self) -> str:
        """Why the document cannot be edited as it is, in words; empty when it can."""
        if self.status == Status.FINAL:
            return (
                "This postmortem is final: its document is locked, so what was reviewed stays "
                "what was reviewed. To change it, send it back to review; the linter's gate "
                "applies again before it can be final again."
            )
        if self.status == Status.CLOSED:
            return (
                "This postmortem is closed: every action item is done or deprioritised, and it "
                "is read-only. To change it, reopen it (back to review), or reopen one of its "
                "action items."
            )
        return ""

    def milestone_completions(self) -> dict[MilestoneKey, datetime | None]:
        meeting = getattr(self, "meeting", None)
        return {
            MilestoneKey.INCIDENT_RESOLVED: self.incident.resolved_at,
            MilestoneKey.INITIAL_TIMELINE: self.timeline_documented_at,
            MilestoneKey.MEETING_SCHEDULED: meeting.scheduled_at if meeting else None,
            MilestoneKey.MEETING_HELD: meeting.held_at if meeting else None,
            MilestoneKey.DOCUMENT_FINAL: self.finalized_at,
            MilestoneKey.ACTIONS_TRACKED: self.actions_tracked_at,
        }

    def is_overdue(self, now: datetime | None = None) -> bool:
        """Overdue: a milestone is past its deadline, or an open action item past its due
        date: its incident's rule (:func:`incident_is_overdue`)."""
        return _overdue(self.incident, self, now)

    def milestones(self, now: datetime | None = None) -> list[Milestone]:
        """The seed's six milestones, due from resolution in the team's business days."""
        resolved = self.incident.resolved_at
        if resolved is None:
            return []
        return milestones(
            resolved,
            self.incident.team.calendar(),
            self.milestone_completions(),
            now or timezone.now(),
        )


class Why(SoftDeletable, Versioned):
    """One step of the five-whys chain."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="whys")
    position = models.PositiveIntegerField(default=0)
    question = models.CharField(max_length=500)
    answer = models.TextField()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "whys"

    def __str__(self) -> str:
        return self.question


class TimelineEvent(SoftDeletable, Versioned):
    """A fact with a time: "No analysis yet. Just facts." (seed)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="timeline_events"
    )
    occurred_at = models.DateTimeField()
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        from followthrough.web.lib.viewer_time import moment

        return f"{moment(self.occurred_at)} {self.description[:60]}"  # in the viewer's zone


class FactorKind(models.TextChoices):
    DETECTION = "detection", "Detection delay"
    TOOLING = "tooling", "Tooling gap"
    COMMUNICATION = "communication", "Communication issue"
    PROCESS = "process", "Process gap"
    CAPACITY = "capacity", "Capacity"
    OTHER = "other", "Other"


class ContributingFactor(SoftDeletable, Versioned):
    """What else made it worse (seed: detection delay, tooling gaps, communication issues)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="factors")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=FactorKind.choices, default=FactorKind.OTHER)
    description = models.TextField()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:80]


class Meeting(SoftDeletable, Versioned):
    """The blameless postmortem meeting, run by someone not involved in the incident."""

    postmortem = models.OneToOneField(Postmortem, on_delete=models.CASCADE, related_name="meeting")
    facilitator = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meetings_facilitated",
    )
    attendees = models.ManyToManyField(Person, blank=True, related_name="meetings_attended")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(
        null=True, blank=True, help_text="When the meeting got its time (milestone)."
    )
    location = models.CharField(max_length=300, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Meeting for {self.postmortem.incident}"

    def agenda(self) -> list[AgendaItem]:
        return agenda(self.duration_minutes)


def incident_is_overdue(incident: Incident, now: datetime | None = None) -> bool:
    """Overdue at ``now``: a milestone not yet done is past its deadline (the stored
    ``overdue_from``: with no postmortem started, set only when the policy requires one, so
    a P0 resolved a month ago with no postmortem is overdue), or an open action item of its
    postmortem is past its due date. The one rule, for a row in memory: lists and filters
    ask the database the same question with ``derived.overdue_q``. It lives here, not on
    ``Incident``, because incidents sit below postmortems (the layering in ``.importlinter``)."""
    return _overdue(incident, getattr(incident, "postmortem", None), now)


def _overdue(incident: Incident, postmortem: Postmortem | None, now: datetime | None) -> bool:
    now = now or timezone.now()
    if incident.overdue_from is not None and incident.overdue_from < now:
        return True
    if postmortem is None or postmortem.pk is None or postmortem.deleted_at is not None:
        return False
    today = timezone.localdate(now)
    return any(item.is_overdue(today) for item in postmortem.action_items.all())
