"""The tracker settings form. Secrets are write-only: blank keeps the stored one."""

from __future__ import annotations

from typing import Any

from django import forms

from followthrough.web.integrations.models import MAPPABLE, TrackerConfig
from followthrough.web.transport import URL_RULE

SECRETS = ("api_token", "webhook_secret")


def parse_status_map(value: str) -> dict[str, str]:
    """``In Review = in_progress`` lines -> a mapping; raises ValidationError with the line."""
    mapping: dict[str, str] = {}
    for n, line in enumerate(value.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, target = line.rpartition("=")
        if not sep or not name.strip():
            raise forms.ValidationError(
                f"Line {n}: write “tracker status = open|in_progress|done”, got “{line.strip()}”."
            )
        if target.strip() not in MAPPABLE:
            raise forms.ValidationError(
                f"Line {n}: “{target.strip()}” is not open, in_progress or done."
            )
        mapping[name.strip()] = target.strip()
    return mapping


class TrackerConfigForm(forms.ModelForm):  # type: ignore[type-arg]
    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Base URL",
        help_text=f"{TrackerConfig._meta.get_field('base_url').help_text} {URL_RULE}",
    )
    api_token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Jira: an API token of the account below. Linear: a personal API key. "
        "GitHub: a token allowed to write issues. Leave empty to keep the stored one.",
    )
    webhook_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The secret the tracker signs webhooks with. Leave empty to keep the stored one.",
    )
    clear_api_token = forms.BooleanField(required=False, label="Forget the stored API token")
    clear_webhook_secret = forms.BooleanField(
        required=False, label="Forget the stored webhook secret"
    )
    status_map_text = forms.CharField(
        required=False,
        label="Status mapping",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line, e.g. “In Review = in_progress”. Unlisted statuses use the "
        "tracker's defaults (shown below).",
    )

    class Meta:
        model = TrackerConfig
        fields = [
            "kind",
            "enabled",
            "base_url",
            "project_key",
            "issue_type",
            "user_email",
            "linear_team_id",
            "repository",
            "labels",
            "milestone",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored = {name: getattr(self.instance, name) for name in SECRETS}
        if not self.is_bound:
            self.initial["status_map_text"] = "\n".join(
                f"{k} = {v}" for k, v in (self.instance.status_map or {}).items()
            )
        for name in SECRETS:
            if self.stored[name]:
                self.fields[name].help_text = "A value is set. " + self.fields[name].help_text

    def clean_status_map_text(self) -> dict[str, str]:
        return parse_status_map(self.cleaned_data.get("status_map_text") or "")

    def _post_clean(self) -> None:
        # Secrets and the mapping go onto the instance before the model's clean() checks it.
        for name in SECRETS:
            new = self.cleaned_data.get(name) or ""
            if self.cleaned_data.get(f"clear_{name}"):
                setattr(self.instance, name, "")
            else:
                setattr(self.instance, name, new or self.stored[name])
        if "status_map_text" in self.cleaned_data:
            self.instance.status_map = self.cleaned_data["status_map_text"]
        super()._post_clean()

    def _update_errors(self, errors: forms.ValidationError) -> None:
        if hasattr(errors, "error_dict") and "status_map" in errors.error_dict:
            by_field = dict(errors.error_dict)
            by_field["status_map_text"] = by_field.pop("status_map")
            errors = forms.ValidationError(by_field)
        super()._update_errors(errors)
