from __future__ import annotations

from typing import Any

from django import forms

from followthrough.web.assistant.models import AssistantSettings


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    """The admin's settings; the key is write-only (empty keeps the stored one)."""

    base_url = forms.URLField(
        label="Endpoint",
        required=False,
        max_length=300,
        assume_scheme="https",
        help_text=AssistantSettings._meta.get_field("base_url").help_text,
    )
    new_api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Sent as a Bearer token. Leave empty to keep the stored key; never shown again.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)

    class Meta:
        model = AssistantSettings
        fields = ["enabled", "base_url", "model", "allow_security", "timeout_seconds"]
        labels = {"enabled": "Turn the writing assistant on"}

    def save(self, commit: bool = True) -> Any:
        config: AssistantSettings = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            config.api_key = ""
        elif self.cleaned_data.get("new_api_key"):
            config.api_key = self.cleaned_data["new_api_key"]
        if commit:
            config.save()
        return config


class ProposalForm(forms.Form):
    """A proposal coming back from the page to be accepted (screened again on arrival)."""

    kind = forms.ChoiceField(choices=[(k, k) for k in ("summary", "impact", "why", "action")])
    text = forms.CharField(max_length=5000, strip=True)
    question = forms.CharField(max_length=500, required=False, strip=True)
    item = forms.IntegerField(required=False, min_value=1)
    owner = forms.CharField(max_length=200, required=False, strip=True)
    due = forms.CharField(max_length=10, required=False, strip=True)
    done_when = forms.CharField(max_length=5000, required=False, strip=True)
    version = forms.IntegerField(
        min_value=1, help_text="The version the proposal was made against."
    )
