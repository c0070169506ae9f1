"""Where incidents come in from: configured sources, the deliveries they sent, the incidents they made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from followthrough.web.accounts.models import Team
from followthrough.web.incidents.models import Incident


class Kind(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty (Webhooks v3)"
    OPSGENIE = "opsgenie", "Opsgenie (outgoing webhook)"
    WEBHOOK = "webhook", "Generic JSON webhook"
    SLACK = "slack", "Slack (/postmortem command)"


SEVERITIES = ("P0", "P1", "P2", "P3")

# Vendor priority or urgency -> our severity. PagerDuty and Opsgenie number priorities P1
# (highest) to P5; ours run P0 (critical) to P3, so their P1 is our P0. "*" is the fallback
# when an event carries none of the listed values. A source's own mapping overrides these.
DEFAULT_SEVERITY_MAPS: dict[str, dict[str, str]] = {
    Kind.PAGERDUTY: {
        "P1": "P0",
        "P2": "P1",
        "P3": "P2",
        "P4": "P3",
        "P5": "P3",
        "high": "P1",
        "low": "P3",
        "*": "P2",
    },
    Kind.OPSGENIE: {"P1": "P0", "P2": "P1", "P3": "P2", "P4": "P3", "P5": "P3", "*": "P2"},
    Kind.WEBHOOK: {
        "P0": "P0",
        "P1": "P1",
        "P2": "P2",
        "P3": "P3",
        "SEV0": "P0",
        "SEV1": "P1",
        "SEV2": "P2",
        "SEV3": "P3",
        "critical": "P0",
        "high": "P1",
        "medium": "P2",
        "low": "P3",
        "*": "P2",
    },
    Kind.SLACK: {},
}

# What a routing rule can match on, per kind: rule field -> what it means.
ROUTING_FIELDS: dict[str, dict[str, str]] = {
    Kind.PAGERDUTY: {"service": "PagerDuty service id", "team": "PagerDuty team id"},
    Kind.OPSGENIE: {"team": "Opsgenie team id or name", "tag": "alert tag"},
    Kind.WEBHOOK: {"team": "the payload's team field"},
    Kind.SLACK: {},
}


class IngestSource(models.Model):
    """One place incidents come from: a PagerDuty subscription, an Opsgenie integration, a script
    posting the generic webhook, or a Slack app. Its secret authenticates what it sends and is
    never shown again after it is set; its routing rules pick the team an incident belongs to."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="ingest_sources",
        help_text="Incidents go to this team unless a routing rule says otherwise.",
    )
    routing = models.JSONField(
        default=list,
        blank=True,
        help_text='Rules, first match wins: [{"field": "service", "value": "PF9KMXH", "team_id": 3}].',
    )
    severity_map = models.JSONField(
        default=dict,
        blank=True,
        help_text='Vendor priority or urgency -> P0..P3, over the defaults: {"P1": "P0", "*": "P2"}.',
    )
    # Write-only: HMAC keys must be kept in the clear to verify signatures; they are never
    # rendered in a page, returned by the API, or written to a log.
    secret = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def __repr__(self) -> str:
        # Never the secret, not even in a debugger's or a log's repr.
        return f"<IngestSource {self.pk} {self.kind} {self.name!r}>"

    @property
    def secret_set(self) -> bool:
        return bool(self.secret)

    def for_history(self) -> dict[str, Any]:
        """The source as the change history keeps it: whether a secret is set, never the secret."""
        from followthrough.web.history.recording import snapshot

        data = snapshot(self)
        data["secret"] = "set" if self.secret else ""
        return data

    def endpoint_path(self) -> str:
        """The path to paste into the vendor (Slack's is one for all Slack sources)."""
        if self.kind == Kind.SLACK:
            return reverse("ingest-slack-commands")
        return reverse(f"ingest-{self.kind}", args=[self.pk])

    def endpoint_url(self) -> str:
        return settings.BASE_URL.rstrip("/") + self.endpoint_path()

    def clean(self) -> None:
        errors: dict[str, str] = {}
        problem = routing_problem(self.kind, self.routing)
        if problem:
            errors["routing"] = problem
        problem = severity_map_problem(self.severity_map)
        if problem:
            errors["severity_map"] = problem
        if errors:
            raise ValidationError(errors)

    def severity_for(self, values: Iterable[str]) -> str:
        """Our severity for the first vendor value the mapping knows; else its fallback."""
        mapping = {
            **{k.lower(): v for k, v in DEFAULT_SEVERITY_MAPS.get(self.kind, {}).items()},
            **{str(k).lower(): v for k, v in (self.severity_map or {}).items()},
        }
        for value in values:
            if value and value.lower() in mapping:
                return mapping[value.lower()]
        return mapping.get("*", "P2")

    def knows_severity(self, value: str) -> bool:
        """Whether ``value`` is one the mapping names (not just the "*" fallback)."""
        names = {*DEFAULT_SEVERITY_MAPS.get(self.kind, {}), *(self.severity_map or {})}
        return value.lower() in {n.lower() for n in names if n != "*"}

    def team_ids(self) -> set[int]:
        """The default team and every team a rule routes to."""
        return {self.team_id, *(int(r["team_id"]) for r in self.routing or [])}

    def route(self, keys: Iterable[tuple[str, str]]) -> int:
        """The team id for an event with these (field, value) keys: first matching rule wins."""
        wanted = {(f, v.lower()) for f, v in keys if v}
        for rule in self.routing or []:
            if (rule["field"], str(rule["value"]).lower()) in wanted:
                return int(rule["team_id"])
        return self.team_id


def routing_problem(kind: str, rules: Any) -> str:
    """What is wrong with a list of routing rules, in words; empty when nothing is."""
    if not isinstance(rules, list):
        return "Routing rules are a list."
    fields = ROUTING_FIELDS.get(kind, {})
    team_ids = set(Team.objects.values_list("pk", flat=True))
    for n, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) != {"field", "value", "team_id"}:
            return f"Rule {n} must have exactly field, value and team_id."
        if rule["field"] not in fields:
            allowed = ", ".join(fields) or "none"
            return (
                f"Rule {n} matches on “{rule['field']}”; this kind of source routes by: {allowed}."
            )
        if not isinstance(rule["value"], str) or not rule["value"].strip():
            return f"Rule {n} needs a value to match."
        if not isinstance(rule["team_id"], int) or rule["team_id"] not in team_ids:
            return f"Rule {n} routes to team {rule['team_id']!r}, which does not exist."
    return ""


def severity_map_problem(mapping: Any) -> str:
    if not isinstance(mapping, dict):
        return "The severity mapping is an object of vendor value -> P0..P3."
    for key, value in mapping.items():
        if not isinstance(key, str) or not key.strip():
            return "Every vendor value in the severity mapping needs a name."
        if value not in SEVERITIES:
            return f"“{key}” maps to {value!r}; severities are P0, P1, P2 and P3."
    return ""


class IngestedIncident(models.Model):
    """The link between a vendor's incident (or alert) and ours: keyed on (source, vendor id)."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="incidents")
    external_id = models.CharField(max_length=200)
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="ingested")
    vendor_status = models.CharField(max_length=32, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # The newest event applied to the incident's status; an older one must not undo it.
    last_event_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="one_incident_per_source_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.kind}:{self.external_id} -> {self.incident.key}"


class Delivery(models.Model):
    """An event a source delivered. Its id is unique per source, so a redelivery is a no-op."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.event_id}"
