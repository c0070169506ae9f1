"""The source form: routing rules and the severity mapping as lines a person can read and type.

Routing, one rule per line, first match wins: ``service:PF9KMXH = payments`` (field, value,
team slug). Severity, one per line: ``P1 = P0`` (vendor value, our severity; ``*`` is the
fallback). The secret is write-only: the field is always rendered empty, and left empty on
an edit it keeps the secret that is set.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from followthrough.web.accounts.models import Team
from followthrough.web.ingest.access import manageable_teams, unroutable_teams
from followthrough.web.ingest.models import (
    ROUTING_FIELDS,
    IngestSource,
    Kind,
    routing_problem,
    severity_map_problem,
)


def routing_text(rules: list[dict[str, Any]]) -> str:
    slugs = dict(Team.objects.values_list("pk", "slug"))
    return "\n".join(
        f"{r['field']}:{r['value']} = {slugs.get(r['team_id'], r['team_id'])}" for r in rules
    )


def severity_text(mapping: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in mapping.items())


def parse_routing(text: str, kind: str) -> list[dict[str, Any]]:
    teams = dict(Team.objects.values_list("slug", "pk"))
    rules: list[dict[str, Any]] = []
    fields = ROUTING_FIELDS.get(kind, {})
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        left, eq, slug = line.rpartition("=")
        field, colon, value = left.strip().partition(":")
        if not eq or not colon or not value.strip() or not slug.strip():
            raise forms.ValidationError(
                f"Line {n}: write field:value = team-slug, e.g. service:PF9KMXH = payments."
            )
        if field.strip() not in fields:
            allowed = ", ".join(fields) or "nothing"
            raise forms.ValidationError(
                f"Line {n}: this kind of source routes by {allowed}, not “{field.strip()}”."
            )
        if slug.strip() not in teams:
            raise forms.ValidationError(f"Line {n}: there is no team with slug “{slug.strip()}”.")
        rules.append(
            {"field": field.strip(), "value": value.strip(), "team_id": teams[slug.strip()]}
        )
    return rules


def parse_severity(text: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, eq, value = line.rpartition("=")
        if not eq or not key.strip():
            raise forms.ValidationError(f"Line {n}: write vendor-value = P0..P3, e.g. P1 = P0.")
        mapping[key.strip()] = value.strip().upper()
    problem = severity_map_problem(mapping)
    if problem:
        raise forms.ValidationError(problem)
    return mapping


class SourceForm(forms.ModelForm):  # type: ignore[type-arg]
    routing_rules = forms.CharField(
        label="Routing rules",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            "One per line, first match wins: field:value = team-slug. PagerDuty routes by "
            "service or team (ids), Opsgenie by team or tag, the generic webhook by team."
        ),
    )
    severity_mapping = forms.CharField(
        label="Severity mapping",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            "One per line: vendor-value = P0..P3, over the documented defaults; * is the fallback."
        ),
    )
    new_secret = forms.CharField(
        label="Secret",
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = IngestSource
        fields = ["name", "kind", "team", "enabled"]

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = manageable_teams(user)  # type: ignore[attr-defined]
        self.fields["team"].label = "Default team"
        if self.instance.pk:
            self.fields["kind"].disabled = True
            self.fields["new_secret"].help_text = (
                "A secret is set; leave this empty to keep it, or type a new one to replace it."
                if self.instance.secret
                else "No secret is set yet: events are refused until one is."
            )
            self.initial["routing_rules"] = routing_text(self.instance.routing or [])
            self.initial["severity_mapping"] = severity_text(self.instance.severity_map or {})
        else:
            self.fields["new_secret"].help_text = (
                "PagerDuty: the subscription's signing secret. Opsgenie and the generic "
                "webhook: a long random string you also give the sender. Slack: the app's "
                "signing secret."
            )

    def clean_routing_rules(self) -> list[dict[str, Any]]:
        kind = self.instance.kind if self.instance.pk else self.data.get(self.add_prefix("kind"))
        return parse_routing(self.cleaned_data.get("routing_rules") or "", kind or "")

    def clean_severity_mapping(self) -> dict[str, str]:
        return parse_severity(self.cleaned_data.get("severity_mapping") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        rules = cleaned.get("routing_rules") or []
        targets = {r["team_id"] for r in rules}
        if targets:
            refused = unroutable_teams(self.user, targets)
            if refused:
                self.add_error(
                    "routing_rules",
                    f"You cannot send incidents to {', '.join(refused)}: you are not an editor "
                    "there.",
                )
        kind = cleaned.get("kind") or self.instance.kind
        if kind and rules:
            problem = routing_problem(kind, rules)
            if problem:
                self.add_error("routing_rules", problem)
        if not self.instance.secret and not cleaned.get("new_secret"):
            self.add_error("new_secret", "Set a secret: without one every event is refused.")
        return cleaned

    def save(self, commit: bool = True) -> IngestSource:
        source: IngestSource = super().save(commit=False)
        source.routing = self.cleaned_data.get("routing_rules") or []
        source.severity_map = self.cleaned_data.get("severity_mapping") or {}
        if self.cleaned_data.get("new_secret"):
            source.secret = self.cleaned_data["new_secret"]
        if commit:
            source.save()
        return source


SETUP_STEPS: dict[str, list[str]] = {
    Kind.PAGERDUTY: [
        "In PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook.",
        "Webhook URL: the endpoint below. Scope: the service or team whose incidents belong here.",
        "Events: incident.triggered, incident.acknowledged, incident.resolved, "
        "incident.priority_updated, incident.reopened.",
        "Copy the signing secret PagerDuty shows once, and paste it here as the secret.",
    ],
    Kind.OPSGENIE: [
        "In Opsgenie: Settings → Integrations → Add integration → Webhook.",
        "Webhook URL: the endpoint below. Tick “Add Alert Description to Payload”.",
        "Custom headers: X-Followthrough-Token = the secret you set here.",
        "Alert actions: Create, Acknowledge, UnAcknowledge, Close, EscalateNext, "
        "UpdatePriority, UpdateMessage, UpdateDescription.",
    ],
    Kind.WEBHOOK: [
        "POST the JSON payload of docs/webhook.md to the endpoint below.",
        "Sign each request: X-Followthrough-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
        "“t.body” with the secret>. Requests more than 5 minutes old are refused.",
    ],
    Kind.SLACK: [
        "In your Slack app (api.slack.com/apps): Slash Commands → Create New Command /postmortem.",
        "Request URL: the endpoint below (one URL for every Slack source).",
        "Basic Information → Signing Secret: paste it here as the secret.",
        "People: put each person's Slack member id on their person so /postmortem knows them.",
    ],
}
