"""Incidents: what happened, to whom, how bad, and whether it calls for a postmortem."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import JSONField, Q, Value

from followthrough.core.policy import Decision, IncidentFacts, PolicyResult, decide
from followthrough.web.accounts.models import Person, Team
from followthrough.web.softdelete import SoftDeletable
from followthrough.web.versioning import Versioned


class Severity(models.TextChoices):
    P0 = "P0", "P0 — critical"
    P1 = "P1", "P1 — major"
    P2 = "P2", "P2 — minor"
    P3 = "P3", "P3 — low"


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    API = "api", "API"
    PAGERDUTY = "pagerduty", "PagerDuty"
    OPSGENIE = "opsgenie", "Opsgenie"
    WEBHOOK = "webhook", "Generic webhook"
    SLACK = "slack", "Slack"
    JSM = "jsm", "Jira Service Management"
    GRAFANA_ONCALL = "grafana_oncall", "Grafana OnCall"
    IMPORT = "import", "Imported"


# ``followthrough import-history --from NAME``: an imported incident's external id is
# "NAME:<the tool's own id>"; this says which tool that is, in words. Every source of
# ``history_import.sources.SOURCES`` has its line (tests/web/test_import_history.py checks).
IMPORTED_FROM = {
    "incident-io": "incident.io",
    "rootly": "Rootly",
    "firehydrant": "FireHydrant",
    "markdown": "a Markdown postmortem",
}


SOURCE_LABELS: dict[str, str] = dict(Source.choices)


def origin_of(source: str, external_id: str) -> str:
    """Where an incident came from, in words: "Imported from Rootly", "PagerDuty"
    (:attr:`Incident.origin`; the API's list reads it from the columns alone)."""
    if source == Source.IMPORT:
        tool = external_id.partition(":")[0]
        return f"Imported from {IMPORTED_FROM.get(tool, tool or 'another tool')}"
    return str(SOURCE_LABELS.get(source, source))


DECISIONS = [(d.value, d.value.replace("_", " ")) for d in Decision]


FLAGS = (
    "customer_facing",
    "data_loss",
    "near_miss",
    "security",
    "process_failure",
    "significant_impact",
)


class Incident(SoftDeletable, Versioned):
    """An incident, with the facts the postmortem policy decides on.

    Deleting is soft (:mod:`followthrough.web.softdelete`). The (source, external id) pair
    is unique among live incidents only: once an incident is deleted, the same vendor or
    API id may be recorded again, and restoring the deleted one is then refused (it would
    be a duplicate). Webhook events about a deleted incident are not applied and do not
    create a new one (``followthrough.web.ingest.apply``)."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    summary = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="Resolution starts the postmortem clock (T+0)."
    )
    commander = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents_commanded",
        verbose_name="incident commander",
    )
    responders = models.ManyToManyField(Person, blank=True, related_name="incidents_responded")
    customer_facing = models.BooleanField(default=False)
    data_loss = models.BooleanField(default=False)
    near_miss = models.BooleanField(
        default=False, help_text="Nothing broke, but it could have been severe."
    )
    security = models.BooleanField(default=False)
    process_failure = models.BooleanField(
        default=False, help_text="Missed deadline, major miscommunication."
    )
    significant_impact = models.BooleanField(default=False)
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
        help_text="An earlier incident with the same failure mode.",
    )
    failure_mode = models.CharField(max_length=300, blank=True)
    failure_tags = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(max_length=200, blank=True)
    # db_default: rows written by code that does not know the column yet (an older
    # process during a deploy, a historical model in a migration) get "" too.
    source_url = models.URLField(
        max_length=500,
        blank=True,
        default="",
        db_default="",
        help_text="The incident at the tool it came from.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What every list shows, stored when an input changes (the policy's decision and
    # reasons, the next milestone and its deadline, the earliest deadline not yet met):
    # ``followthrough.web.postmortems.derived`` computes and keeps them. db_default: rows
    # written by code that does not know the columns (as ``source_url``) get a value too.
    policy_decision = models.CharField(
        max_length=12,
        choices=DECISIONS,
        default=Decision.NOT_REQUIRED.value,
        db_default=Decision.NOT_REQUIRED.value,
        editable=False,
    )
    policy_reasons = models.JSONField(
        default=list, db_default=Value([], JSONField()), blank=True, editable=False
    )
    next_milestone = models.CharField(
        max_length=20, blank=True, default="", db_default="", editable=False
    )
    next_milestone_due = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_from = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id="") & Q(deleted_at__isnull=True),
                name="one_incident_per_source_event",
            )
        ]
        indexes = [
            models.Index(fields=["team", "severity"]),
            models.Index(fields=["resolved_at"]),
            models.Index(fields=["started_at"]),
            # The similarity index and the insights counts catch up from recent writes.
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"INC-{self.pk}" if self.pk else "INC-new"

    @property
    def origin(self) -> str:
        """Where the incident came from, in words: "Imported from Rootly", "PagerDuty"."""
        return origin_of(self.source, self.external_id)

    @property
    def origin_id(self) -> str:
        """The id the incident has at the tool it was imported from (or the source's own)."""
        if self.source == Source.IMPORT:
            return self.external_id.partition(":")[2]
        return self.external_id

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None

    def clean(self) -> None:
        times = [
            ("started_at", self.started_at),
            ("detected_at", self.detected_at),
            ("mitigated_at", self.mitigated_at),
            ("resolved_at", self.resolved_at),
        ]
        known = [(name, t) for name, t in times if t is not None]
        errors: dict[str, str] = {}
        for (a, ta), (b, tb) in zip(known, known[1:], strict=False):
            if tb < ta:
                errors[b] = (
                    f"{b.replace('_at', '').capitalize()} cannot be before {a.replace('_at', '')}."
                )
        if self.repeat_of_id is not None and self.repeat_of_id == self.pk:
            errors["repeat_of"] = "An incident cannot repeat itself."
        if errors:
            raise ValidationError(errors)

    def facts(self) -> IncidentFacts:
        return IncidentFacts(
            severity=self.severity,
            is_repeat=self.is_repeat,
            **{flag: getattr(self, flag) for flag in FLAGS},
        )

    def policy(self) -> PolicyResult:
        """Is a postmortem required, recommended or not required, and why (seed: When to Run),
        decided now (``policy_decision`` and ``policy_reasons`` hold it as last stored)."""
        from followthrough.web.accounts.models import Organisation

        return decide(self.facts(), Organisation.current().policy_config())

    def stored_policy(self) -> PolicyResult:
        """The policy's decision as stored when the incident or the policy last changed."""
        return PolicyResult(Decision(self.policy_decision), tuple(self.policy_reasons))

    def involved_people(self) -> list[Person]:
        """The commander then the responders: everyone directly involved."""
        people: list[Person] = []
        if self.commander is not None:
            people.append(self.commander)
        people.extend(p for p in self.responders.all() if p not in people)
        return people
