"""The drafted timeline's forms: an event edited, a Slack channel named, an export uploaded,
the team's timeline sources."""

from __future__ import annotations

from typing import Any

from django import forms
from pydantic import ValidationError as PydanticValidationError

from followthrough.web.drafting.models import DraftEvent, DraftSources
from followthrough.web.drafting.settings import DraftSettings
from followthrough.web.front.forms import DateTimeLocalInput, ZonedTimes


class DraftEventForm(ZonedTimes, forms.ModelForm):  # type: ignore[type-arg]
    """One drafted event, edited (times read as the editor's are); saving accepts it."""

    class Meta:
        model = DraftEvent
        fields = ["occurred_at", "description"]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"occurred_at": "When", "description": "What happened"}


class SlackChannelForm(forms.Form):
    channel = forms.CharField(
        label="Slack channel id",
        max_length=32,
        help_text="The incident channel's id (C0123ABCD: the channel's details, at the bottom).",
    )


class SlackExportForm(forms.Form):
    export = forms.FileField(label="Slack export (.zip)")
    channel = forms.CharField(
        label="Channel name", max_length=80, help_text="As the export's folder is named: inc-42."
    )


class DraftSourcesForm(forms.Form):
    """The team's GitHub repositories (one per line), API and token (write-only)."""

    github_repositories = forms.CharField(
        label="GitHub repositories",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One owner/name per line: their deploys and merged pull requests are offered "
        "as candidate triggers.",
    )
    github_api_url = forms.CharField(
        label="GitHub API", required=False, max_length=500, initial="https://api.github.com"
    )
    github_token = forms.CharField(
        label="GitHub token",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="Read access to the repositories' deployments and pull requests. Leave empty "
        "to keep the one set.",
    )
    clear_github_token = forms.BooleanField(label="Remove the GitHub token", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        repos = [r.strip() for r in data.get("github_repositories", "").splitlines() if r.strip()]
        conf: dict[str, Any] = {"github_repositories": repos}
        if data.get("github_api_url"):
            conf["github_api_url"] = data["github_api_url"].strip()
        try:
            data["parsed"] = DraftSettings.model_validate(conf)
        except PydanticValidationError as e:
            for error in e.errors():
                field = str(error.get("loc", ("github_repositories",))[0])
                message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
                self.add_error(field if field in self.fields else None, message)
        return data

    def save(self, sources: DraftSources) -> DraftSources:
        sources.settings = self.cleaned_data["parsed"].model_dump(mode="json")
        if self.cleaned_data.get("clear_github_token"):
            sources.github_token = ""
        elif self.cleaned_data.get("github_token"):
            sources.github_token = self.cleaned_data["github_token"]
        sources.save()
        return sources
