"""The source form: routing rules and the severity mapping as lines a person can read and type.

Routing, one rule per line, first match wins: ``service:PF9KMXH = payments`` (field, value,
team slug). Severity, one per line: ``P1 = P0`` (vendor value, our severity; ``*`` is the
fallback, and the severity of an event without any). Both are stored in the source's vendor
settings and validated by the vendor's model. The secret is write-only: the field is always
rendered empty, and left empty on an edit it keeps the secret that is set. A Slack source's
secret is set by an admin when binding its workspace, never here by a lead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from followthrough.web.accounts.models import Team
from followthrough.web.ingest.access import manageable_teams, unroutable_teams
from followthrough.web.ingest.models import (
    IngestSource,
    Kind,
    routing_problem,
    severity_map_problem,
    source_kinds,
)
from followthrough.web.integrations.base import PagingSettings
from followthrough.web.integrations.vendors import sources


def paging_settings_model(kind: str) -> type[PagingSettings] | None:
    """The vendor's settings model when it is a paging one (routing and a severity map)."""
    vendor = sources().get(kind)
    model = vendor.settings if vendor is not None else None
    return model if model is not None and issubclass(model, PagingSettings) else None


def routing_fields(kind: str) -> dict[str, str]:
    model = paging_settings_model(kind)
    return dict(model.ROUTING_FIELDS) if model is not None else {}


def is_paging(kind: str) -> bool:
    return paging_settings_model(kind) is not None


def default_severity_map(kind: str) -> dict[str, str]:
    model = paging_settings_model(kind)
    return dict(model.DEFAULT_SEVERITY_MAP) if model is not None else {}


def _routing_help() -> str:
    parts = [
        f"{vendor.label} by {' or '.join(routing_fields(kind))}"
        for kind, vendor in sources().items()
        if routing_fields(kind)
    ]
    return "One per line, first match wins: field:value = team-slug. " + "; ".join(parts) + "."


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
    fields = routing_fields(kind)
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
        help_text=_routing_help,
    )
    severity_mapping = forms.CharField(
        label="Severity mapping",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=(
            "One per line: vendor-value = P0..P3, over the documented defaults; * is the "
            "severity of an event with no priority (or one not listed)."
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
        self.fields["kind"] = forms.ChoiceField(label="Kind", choices=list(source_kinds().items()))
        self.fields["team"].queryset = manageable_teams(user)  # type: ignore[attr-defined]
        self.fields["team"].label = "Default team"
        if self.instance.pk:
            self.fields["kind"].disabled = True
            self.fields["new_secret"].help_text = (
                "A secret is set; leave this empty to keep it, or type a new one to replace it."
                if self.instance.secret
                else "No secret is set yet: events are refused until one is."
            )
            self.initial["routing_rules"] = routing_text(self.instance.routing)
            self.initial["severity_mapping"] = severity_text(self.instance.severity_map)
        else:
            self.fields["new_secret"].help_text = (
                "PagerDuty: the subscription's signing secret. Opsgenie and the generic "
                "webhook: a long random string you also give the sender. Slack: set by an "
                "admin when binding the workspace."
            )
        if self._kind() == Kind.SLACK and not user.is_superuser:
            # Whoever sets a Slack source's secret can speak as anyone in its workspace.
            del self.fields["new_secret"]

    def _kind(self) -> str:
        if self.instance.pk:
            return str(self.instance.kind)
        return str(self.data.get(self.add_prefix("kind")) or self.initial.get("kind") or "")

    def clean_routing_rules(self) -> list[dict[str, Any]]:
        return parse_routing(self.cleaned_data.get("routing_rules") or "", self._kind())

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
        if kind and not is_paging(kind) and cleaned.get("severity_mapping"):
            self.add_error("severity_mapping", "This kind of source has no severity mapping.")
        if kind and rules:
            problem = routing_problem(kind, rules)
            if problem:
                self.add_error("routing_rules", problem)
        if (
            "new_secret" in self.fields
            and kind != Kind.SLACK
            and not self.instance.secret
            and not cleaned.get("new_secret")
        ):
            self.add_error("new_secret", "Set a secret: without one every event is refused.")
        return cleaned

    def save(self, commit: bool = True) -> IngestSource:
        source: IngestSource = super().save(commit=False)
        if is_paging(source.kind):
            source.settings = {
                **(source.settings or {}),
                "routing": self.cleaned_data.get("routing_rules") or [],
                "severity_map": self.cleaned_data.get("severity_mapping") or {},
            }
        if "new_secret" in self.fields and self.cleaned_data.get("new_secret"):
            source.secret = self.cleaned_data["new_secret"]
        if commit:
            source.save()
        return source


def setup_steps(kind: str) -> tuple[str, ...]:
    vendor = sources().get(kind)
    return vendor.setup_steps if vendor is not None else ()
