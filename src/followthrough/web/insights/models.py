"""What insights stores: the similarity index, people's repeat decisions, and milestone
deadlines computed once so that adherence can be counted in SQL."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from followthrough.web.accounts.models import Team
from followthrough.web.incidents.models import Incident
from followthrough.web.lib.read_transactions import take_write_lock
from followthrough.web.postmortems.models import Postmortem


class IncidentSignature(models.Model):
    """An incident's similarity signature (followthrough.core.repeats): its term sets and
    MinHash sketch as packed 32-bit integers. Rebuilt whenever the incident or its
    postmortem changes; ``source_updated_at`` is the newer of the two ``updated_at`` the
    signature was computed from, so a stale one is easy to find."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="signature"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField(help_text="When the incident started (else was recorded).")
    terms = models.BinaryField()
    mode_terms = models.BinaryField()
    minhash = models.BinaryField()
    source_updated_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Signature of INC-{self.incident_id}"


class IncidentEmbedding(models.Model):
    """An incident's meaning as a vector (followthrough.core.semantic), kept only when
    ``INSIGHTS_SEMANTIC`` is on: 384 float32 little-endian values of length 1, from the
    same text as its signature. ``source_updated_at`` as on :class:`IncidentSignature`."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    vector = models.BinaryField()
    text_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the text embedded: a look-up reuses the vector."
    )
    source_updated_at = models.DateTimeField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Embedding of INC-{self.incident_id}"


class SignatureBand(models.Model):
    """One LSH bucket of an incident's signature (the band number is mixed into the
    bucket hash): incidents sharing a bucket are compared exactly.

    Sixteen rows per incident, so the foreign key is not checked by the database (a
    rebuild would otherwise look up the incident 1.6 million times at 100,000 incidents);
    deleting an incident still deletes its bands (Django cascades), and a look-up reads
    candidates through their :class:`IncidentSignature`, which the database does check."""

    bucket = models.BigIntegerField()
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        indexes = [models.Index(fields=["bucket", "incident"], name="insights_band_lookup")]

    def __str__(self) -> str:
        return f"{self.bucket} INC-{self.incident_id}"


class IndexState(models.Model):
    """How far the similarity index has caught up with incident and postmortem edits
    (edits made by conditional UPDATEs send no signal, so look-ups catch up from here)."""

    name = models.CharField(max_length=50, unique=True)
    synced_until = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(
        max_length=200, blank=True, help_text="What the stored rows were computed under."
    )

    def __str__(self) -> str:
        return f"{self.name} synced until {self.synced_until}"

    @classmethod
    def due(cls, name: str, every: float, detail: str | None = None) -> IndexState | None:
        """The state of catch-up ``name``, or None when it ran less than ``every`` seconds
        ago (and, given ``detail``, under that same detail). A catch-up that is due takes
        the write lock first: on a page it runs inside a read transaction
        (web/lib/read_transactions.py)."""
        state = cls.objects.filter(name=name).first()
        if (
            every
            and state is not None
            and state.synced_until is not None
            and (detail is None or state.detail == detail)
            and (timezone.now() - state.synced_until).total_seconds() < every
        ):
            return None
        take_write_lock()
        return cls.objects.get_or_create(name=name)[0]


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: same failure mode"
    REJECTED = "rejected", "Rejected: not a repeat"


class RepeatDecision(models.Model):
    """Someone's answer to "is ``incident`` a repeat of ``candidate``?". Kept: a rejected
    pair is not suggested again; a confirmed one sets ``Incident.repeat_of``."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="repeat_decisions"
    )
    candidate = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Verdict.choices)
    score = models.FloatField(null=True, blank=True, help_text="The similarity when decided.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "candidate"], name="one_repeat_decision_per_pair"
            ),
            models.CheckConstraint(
                condition=~models.Q(incident=models.F("candidate")),
                name="repeat_decision_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"INC-{self.incident_id} vs INC-{self.candidate_id}: {self.decision}"


class MilestoneDeadlines(models.Model):
    """The due moments of a postmortem's milestones (core.calendar, in the team's business
    days), stored so adherence is counted in SQL. ``resolved_at`` and ``calendar`` are
    what they were computed from: a change of either makes the row stale."""

    postmortem = models.OneToOneField(
        Postmortem, on_delete=models.CASCADE, primary_key=True, related_name="deadlines"
    )
    resolved_at = models.DateTimeField()
    calendar = models.CharField(max_length=100)
    initial_timeline = models.DateTimeField()
    meeting_scheduled = models.DateTimeField()
    meeting_held = models.DateTimeField()
    document_final = models.DateTimeField()
    actions_tracked = models.DateTimeField()

    class Meta:
        verbose_name_plural = "milestone deadlines"

    def __str__(self) -> str:
        return f"Deadlines of postmortem {self.postmortem_id}"


class ActionRollup(models.Model):
    """A postmortem's action items counted once (followthrough.core.effectiveness's
    definitions), so the dashboard sums a row per postmortem instead of scanning every
    item. ``open_created`` is the sum of the open items' creation times (seconds since
    the Unix epoch): their mean age at any moment follows from it."""

    postmortem = models.OneToOneField(
        Postmortem, on_delete=models.CASCADE, primary_key=True, related_name="action_rollup"
    )
    total = models.PositiveIntegerField(default=0)
    deprioritised = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    done_dated = models.PositiveIntegerField(default=0)
    done_on_time = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    open_created = models.FloatField(default=0.0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Action items of postmortem {self.postmortem_id}"


def _due(label: str) -> models.DateTimeField:
    return models.DateTimeField(
        null=True, blank=True, help_text=f"Due moment of {label}, if it is not done yet."
    )


class CohortFact(models.Model):
    """One incident as the dashboard counts it (:mod:`followthrough.web.insights.facts`):
    its cohort day and team and, as 0/1 flags and counts, what every number of the page
    takes from it and its postmortem, meeting, deadlines and action items. A milestone not
    done yet keeps its due moment, because overdue or pending depends on the time of the
    view; ``open_due_max`` is the latest of them (the epoch when none), so the few rows
    with a milestone still pending are one index range away."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="cohort_fact"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The UTC day the incident started (else was recorded).")
    repeat = models.PositiveSmallIntegerField(default=0)
    required = models.PositiveSmallIntegerField(default=0)
    postmortem = models.PositiveSmallIntegerField(default=0)
    closed = models.PositiveSmallIntegerField(default=0)
    required_closed = models.PositiveSmallIntegerField(default=0)
    close_timed = models.PositiveSmallIntegerField(default=0)
    close_time = models.DurationField(null=True, blank=True)
    actions = models.PositiveIntegerField(default=0)
    deprioritised = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    done_dated = models.PositiveIntegerField(default=0)
    done_on_time = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    open_created = models.FloatField(default=0.0)
    initial_timeline_on_time = models.PositiveSmallIntegerField(default=0)
    initial_timeline_late = models.PositiveSmallIntegerField(default=0)
    initial_timeline_due = _due("the initial timeline")
    meeting_scheduled_on_time = models.PositiveSmallIntegerField(default=0)
    meeting_scheduled_late = models.PositiveSmallIntegerField(default=0)
    meeting_scheduled_due = _due("scheduling the meeting")
    meeting_held_on_time = models.PositiveSmallIntegerField(default=0)
    meeting_held_late = models.PositiveSmallIntegerField(default=0)
    meeting_held_due = _due("holding the meeting")
    document_final_on_time = models.PositiveSmallIntegerField(default=0)
    document_final_late = models.PositiveSmallIntegerField(default=0)
    document_final_due = _due("the final document")
    actions_tracked_on_time = models.PositiveSmallIntegerField(default=0)
    actions_tracked_late = models.PositiveSmallIntegerField(default=0)
    actions_tracked_due = _due("tracking the action items")
    open_due_max = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["team", "day"], name="insights_fact_cohort"),
            models.Index(fields=["open_due_max"], name="insights_fact_pending"),
        ]

    def __str__(self) -> str:
        return f"Facts of INC-{self.incident_id}"


class DailyCohort(models.Model):
    """The :class:`CohortFact` rows of one team and UTC day, summed: a week, month or
    quarter of the dashboard adds up a few hundred of these. ``<milestone>_open`` counts
    the milestones not done yet that have a deadline (overdue or pending, decided when
    the page is shown)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    incidents = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    required = models.PositiveIntegerField(default=0)
    postmortem = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    required_closed = models.PositiveIntegerField(default=0)
    close_timed = models.PositiveIntegerField(default=0)
    close_time = models.DurationField(null=True, blank=True)
    actions = models.PositiveIntegerField(default=0)
    deprioritised = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    done_dated = models.PositiveIntegerField(default=0)
    done_on_time = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    open_created = models.FloatField(default=0.0)
    initial_timeline_on_time = models.PositiveIntegerField(default=0)
    initial_timeline_late = models.PositiveIntegerField(default=0)
    initial_timeline_open = models.PositiveIntegerField(default=0)
    meeting_scheduled_on_time = models.PositiveIntegerField(default=0)
    meeting_scheduled_late = models.PositiveIntegerField(default=0)
    meeting_scheduled_open = models.PositiveIntegerField(default=0)
    meeting_held_on_time = models.PositiveIntegerField(default=0)
    meeting_held_late = models.PositiveIntegerField(default=0)
    meeting_held_open = models.PositiveIntegerField(default=0)
    document_final_on_time = models.PositiveIntegerField(default=0)
    document_final_late = models.PositiveIntegerField(default=0)
    document_final_open = models.PositiveIntegerField(default=0)
    actions_tracked_on_time = models.PositiveIntegerField(default=0)
    actions_tracked_late = models.PositiveIntegerField(default=0)
    actions_tracked_open = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "day"], name="one_daily_cohort_per_team_day")
        ]

    def __str__(self) -> str:
        return f"Team {self.team_id} on {self.day}"


class DailyEscalations(models.Model):
    """How many escalations happened on one UTC day for one team's action items (the
    team of the item's incident): the dashboard sums these instead of joining every
    escalation to its item, postmortem and incident."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    escalations = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily escalations"
        constraints = [
            models.UniqueConstraint(fields=["team", "day"], name="one_daily_escalations_per_day")
        ]

    def __str__(self) -> str:
        return f"Team {self.team_id} on {self.day}: {self.escalations}"
