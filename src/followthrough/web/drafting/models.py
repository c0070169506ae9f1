"""The initial timeline drafted at resolution, and where its events come from.

A ``TimelineDraft`` belongs to one postmortem. Its ``DraftEvent`` rows are proposals: each
a fact with a time, a source and a link, that the incident commander (or anyone who may
edit the postmortem) accepts, edits or drops. Nothing reaches the postmortem's timeline
until they accept the timeline: then the accepted events become ``TimelineEvent`` rows and
the "initial timeline documented" milestone completes (``operations.accept_timeline``).

Candidate triggers (deploys and merged pull requests in the incident's window) are offered
beside the events; accepting one puts it on the timeline like any other event.

``DraftSources`` holds a team's settings for drafting: its GitHub repositories in one JSON
column validated by ``settings.DraftSettings`` (like the vendor settings of a source), and
the GitHub token in a write-only column the history masks. Slack is read with the team's
bot token (``followup.TeamSettings.slack_bot_token``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.db import models

from followthrough.web.accounts.models import Team
from followthrough.web.postmortems.models import Postmortem


class TimelineDraft(models.Model):
    """The drafted timeline of one postmortem; ``accepted_at`` is when it became the timeline."""

    postmortem = models.OneToOneField(
        Postmortem, on_delete=models.CASCADE, related_name="timeline_draft"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    slack_channel = models.CharField(
        max_length=32, blank=True, help_text="The incident's Slack channel id (C0123ABCD)."
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Drafted timeline of {self.postmortem}"

    def is_accepted(self) -> bool:
        return self.accepted_at is not None


class DraftEvent(models.Model):
    """One proposed timeline event: a fact, its time, where it came from and a link to it."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DROPPED = "dropped", "Dropped"

    class Kind(models.TextChoices):
        EVENT = "event", "Event"
        CANDIDATE = "candidate", "Candidate trigger"

    draft = models.ForeignKey(TimelineDraft, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    description = models.TextField()
    source = models.CharField(max_length=100, help_text="PagerDuty, Slack #inc-42, GitHub …")
    link = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.EVENT)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROPOSED)
    edited = models.BooleanField(default=False)
    # Where it came from, unique in the draft: drafting again adds only what is new.
    origin = models.CharField(max_length=300)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "origin"], name="one_draft_event_per_origin")
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description[:60]}"

    @property
    def is_candidate(self) -> bool:
        return self.kind == self.Kind.CANDIDATE


class DraftSources(models.Model):
    """A team's settings for drafting timelines: one JSON column, validated on save by
    ``settings.DraftSettings``, and the GitHub token, write-only: pages say whether one is
    set, never what it is."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="draft_sources")
    settings = models.JSONField(default=dict, blank=True)
    github_token = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "draft sources"

    def __str__(self) -> str:
        return f"Timeline sources of {self.team}"

    def __repr__(self) -> str:
        return f"<DraftSources {self.pk} team={self.team_id}>"  # never the token

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.settings = self.parsed().model_dump(mode="json", exclude_defaults=True)
        super().save(*args, **kwargs)

    def parsed(self) -> Any:
        from followthrough.web.drafting.settings import DraftSettings

        return DraftSettings.model_validate(self.settings or {})
