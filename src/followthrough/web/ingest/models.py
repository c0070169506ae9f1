"""Where incidents come in from: configured sources, the deliveries they sent, the incidents they
made, and who may speak through a chat workspace.

A source's kind is a vendor of the registry (``followthrough.web.integrations.vendors``); its
vendor settings are one JSON column validated by that vendor's model, so a new vendor needs
no migration here.
"""

from __future__ import annotations

import hashlib
import secrets as random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from pydantic import ValidationError as PydanticValidationError

from followthrough.web.accounts.models import Person, Team
from followthrough.web.incidents.models import Incident
from followthrough.web.integrations.base import SEVERITIES, PagingSettings, VendorSettings

if TYPE_CHECKING:
    from followthrough.web.integrations.base import Vendor


class Kind(models.TextChoices):
    """Names for the kinds code refers to. Which kinds exist, and their labels, is the vendor
    registry's (``integrations.vendors.VENDORS``): the column has no choices, so a new vendor
    needs no migration and no line here."""

    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    WEBHOOK = "webhook"
    SLACK = "slack"


def _vendors() -> dict[str, Vendor]:
    from followthrough.web.integrations.vendors import VENDORS

    return {kind: vendor for kind, vendor in VENDORS.items() if vendor.is_source}


def source_kinds() -> dict[str, str]:
    """Kind -> label of every vendor that can be an incident source."""
    return {kind: vendor.source_label for kind, vendor in _vendors().items()}


class IngestSource(models.Model):
    """One place incidents come from: a PagerDuty subscription, an Opsgenie integration, a script
    posting the generic webhook, or a Slack app. Its secret authenticates what it sends and is
    never shown again after it is set. Its vendor settings (routing rules that pick the team an
    incident belongs to, the severity mapping, anything a vendor adds) are one JSON column,
    validated by the vendor's own model (``vendor_settings()``)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="ingest_sources",
        help_text="Incidents go to this team unless a routing rule says otherwise.",
    )
    settings = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'The vendor\'s settings, validated by its model: {"routing": [{"field": "service", '
            '"value": "PF9KMXH", "team_id": 3}], "severity_map": {"P1": "P0", "*": "P2"}}.'
        ),
    )
    # Write-only: HMAC keys must be kept in the clear to verify signatures; they are never
    # rendered in a page, returned by the API, or written to a log.
    secret = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind_label})"

    def __repr__(self) -> str:
        # Never the secret, not even in a debugger's or a log's repr.
        return f"<IngestSource {self.pk} {self.kind} {self.name!r}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The vendor's model decides what is stored: nothing it does not know, types checked.
        if self.kind in source_kinds():
            self.settings = self.vendor_settings().model_dump(mode="json", exclude_defaults=True)
        super().save(*args, **kwargs)

    @property
    def vendor(self) -> Vendor:
        vendor = _vendors().get(self.kind)
        if vendor is None:
            raise LookupError(f"No incident-source vendor is registered as {self.kind!r}.")
        return vendor

    @property
    def kind_label(self) -> str:
        return source_kinds().get(self.kind, self.kind)

    def get_kind_display(self) -> str:
        return self.kind_label

    @property
    def secret_set(self) -> bool:
        return bool(self.secret)

    def vendor_settings(self) -> VendorSettings:
        """The settings as the vendor's validated model (``ValidationError`` if invalid)."""
        return settings_of(self.kind, self.settings)

    @property
    def routing(self) -> list[dict[str, Any]]:
        return [dict(rule) for rule in (self.settings or {}).get("routing", [])]

    @property
    def severity_map(self) -> dict[str, str]:
        return dict((self.settings or {}).get("severity_map", {}))

    def for_history(self) -> dict[str, Any]:
        """The source as the change history keeps it: whether a secret is set, never the secret."""
        from followthrough.web.history.recording import snapshot

        data = snapshot(self)
        data["secret"] = "set" if self.secret else ""
        return data

    def endpoint_path(self) -> str:
        """The path to paste into the vendor (a vendor with its own endpoint names it)."""
        vendor = self.vendor
        if vendor.endpoint:
            return reverse(vendor.endpoint)
        return reverse("ingest-receive", args=[self.kind, self.pk])

    def endpoint_url(self) -> str:
        return str(django_settings.BASE_URL).rstrip("/") + self.endpoint_path()

    def clean(self) -> None:
        if self.kind not in source_kinds():
            raise ValidationError(
                {"kind": f"Choose one of {', '.join(source_kinds())}; got {self.kind!r}."}
            )
        try:
            parsed = self.vendor_settings()
        except ValidationError as e:
            raise ValidationError({"settings": e.messages}) from e
        problem = routing_teams_problem(getattr(parsed, "routing", []))
        if problem:
            raise ValidationError({"settings": problem})

    def paging_settings(self) -> PagingSettings | None:
        found = self.vendor_settings()
        return found if isinstance(found, PagingSettings) else None

    def severity_for(self, values: Iterable[str]) -> str:
        """Our severity for the first vendor value the mapping knows; else its fallback."""
        paging = self.paging_settings()
        return paging.severity_for(tuple(values)) if paging is not None else "P2"

    def knows_severity(self, value: str) -> bool:
        """Whether ``value`` is one the mapping names (not just the "*" fallback)."""
        paging = self.paging_settings()
        return paging is not None and paging.knows_severity(value)

    def team_ids(self) -> set[int]:
        """The default team and every team a rule routes to."""
        return {self.team_id, *(int(r["team_id"]) for r in self.routing)}

    def route(self, keys: Iterable[tuple[str, str]]) -> int:
        """The team id for an event with these (field, value) keys: first matching rule wins."""
        wanted = {(f, v.lower()) for f, v in keys if v}
        for rule in self.routing:
            if (rule["field"], str(rule["value"]).lower()) in wanted:
                return int(rule["team_id"])
        return self.team_id


def settings_of(kind: str, data: Any) -> VendorSettings:
    """``data`` as ``kind``'s vendor settings model; ``ValidationError`` with readable reasons."""
    vendor = _vendors().get(kind)
    if vendor is None:
        raise ValidationError(f"No incident-source vendor is registered as {kind!r}.")
    try:
        return vendor.settings.model_validate(data or {})
    except PydanticValidationError as e:
        raise ValidationError([_reason(err) for err in e.errors()]) from e


def _reason(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def routing_teams_problem(rules: Any) -> str:
    """A routing rule naming a team that does not exist, in words; empty when none does."""
    team_ids = set(Team.objects.values_list("pk", flat=True))
    for n, rule in enumerate(rules or [], start=1):
        team_id = rule.team_id if hasattr(rule, "team_id") else rule.get("team_id")
        if team_id not in team_ids:
            return f"Rule {n} routes to team {team_id!r}, which does not exist."
    return ""


def routing_problem(kind: str, rules: Any) -> str:
    """What is wrong with a list of routing rules, in words; empty when nothing is."""
    if not isinstance(rules, list):
        return "Routing rules are a list."
    for n, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) != {"field", "value", "team_id"}:
            return f"Rule {n} must have exactly field, value and team_id."
        if not isinstance(rule["value"], str) or not rule["value"].strip():
            return f"Rule {n} needs a value to match."
        if not isinstance(rule["team_id"], int) or isinstance(rule["team_id"], bool):
            return f"Rule {n} routes to team {rule['team_id']!r}, which does not exist."
    try:
        settings_of(kind, {"routing": rules})
    except ValidationError as e:
        return " ".join(m.split(": ", 1)[-1] for m in e.messages)
    return routing_teams_problem(rules)


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
    """An event a source delivered. Its id is unique per source, so a redelivery is a no-op.
    An authentic event keeps its payload: the incident's timeline is drafted from it."""

    source = models.ForeignKey(IngestSource, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=16, blank=True)
    detail = models.CharField(
        max_length=300, blank=True, help_text="Why it was ignored, in our words (never the body)."
    )
    # When the event happened (the vendor's time) and the event itself as received, once
    # authenticated: what the incident's drafted timeline is built from.
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.event_id}"


# --- who may speak through Slack ------------------------------------------------------------

SLACK_ID_PATTERN = r"^[A-Z][A-Z0-9]{2,30}$"
LINK_LIFETIME = timedelta(minutes=15)


class SlackWorkspace(models.Model):
    """A Slack workspace (its ``team_id``) bound to the one Slack source whose signing secret
    signs its commands. Only an admin binds one, setting the source's signing secret at the
    same time: a command is accepted only when signed with the secret of the workspace it
    claims, so whoever could set a secret could otherwise speak as anyone there."""

    team_id = models.CharField(max_length=32, unique=True, help_text="T0123ABCD")
    name = models.CharField(max_length=100, blank=True, help_text="What people call it.")
    source = models.OneToOneField(
        IngestSource, on_delete=models.CASCADE, related_name="slack_workspace"
    )
    bound_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    bound_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Slack workspace {self.name or self.team_id}"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.team_id})" if self.name else self.team_id


class SlackIdentity(models.Model):
    """A Slack member of a bound workspace, linked to the person they are here. The only way a
    command acts as someone: made by the person (``/postmortem link`` and a signed-in
    confirmation) or by an admin. Slack's ``user_name`` is never looked at."""

    workspace = models.ForeignKey(
        SlackWorkspace, on_delete=models.CASCADE, related_name="identities"
    )
    slack_user_id = models.CharField(max_length=32)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="slack_identities")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "slack_user_id"], name="one_person_per_slack_member"
            ),
            models.UniqueConstraint(
                fields=["workspace", "person"], name="one_slack_member_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slack_user_id} in {self.workspace.team_id} is {self.person}"


class SlackLinkRequest(models.Model):
    """A one-time link a Slack member asked for with ``/postmortem link``: whoever opens it
    signed in, and confirms, becomes that member's person. Only the token's SHA-256 is kept."""

    workspace = models.ForeignKey(SlackWorkspace, on_delete=models.CASCADE, related_name="+")
    slack_user_id = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Link request of {self.slack_user_id} in {self.workspace.team_id}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, workspace: SlackWorkspace, slack_user_id: str) -> str:
        """A new one-time token for this member (the link carries it; we keep its hash)."""
        token = random.token_urlsafe(32)
        cls.objects.create(
            workspace=workspace,
            slack_user_id=slack_user_id,
            token_hash=cls.hash(token),
            expires_at=timezone.now() + LINK_LIFETIME,
        )
        return token

    @classmethod
    def usable(cls, token: str, now: datetime | None = None) -> SlackLinkRequest | None:
        now = now or timezone.now()
        return (
            cls.objects.select_related("workspace__source")
            .filter(token_hash=cls.hash(token), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
