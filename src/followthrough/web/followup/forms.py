"""Forms of the follow-up pages. Secrets are write-only: never put back into a form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from pydantic import ValidationError as PydanticValidationError

from followthrough.web.accounts.models import Person
from followthrough.web.followup.models import Preferences, TeamSettings
from followthrough.web.integrations.vendors import channels
from followthrough.web.lib.viewer_time import zone_choices
from followthrough.web.transport import URL_RULE, url_problem


class TeamSettingsForm(forms.ModelForm):
    """A team's review time, thresholds, Slack, and the settings of every channel of the
    vendor registry that has team settings (``<kind>__<field>``). A blank secret keeps the
    stored one."""

    slack_webhook_url = forms.CharField(
        label="Slack incoming webhook URL",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=f"Stored, never shown again. Leave blank to keep the current one. {URL_RULE}",
    )
    slack_bot_token = forms.CharField(
        label="Slack bot token",
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="xoxb-…, with chat:write. Stored, never shown again. Blank keeps the current one.",
    )
    clear_slack = forms.BooleanField(
        label="Remove the stored Slack webhook and bot token", required=False
    )

    class Meta:
        model = TeamSettings
        fields = [
            "review_weekday",
            "review_hour",
            "stalled_after_days",
            "escalate_after_days",
            "remind_before_hours",
            "remind_owner_business_days",
            "slack_channel",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections: list[tuple[str, list[str]]] = []
        stored = self.instance.channels or {}
        for kind, vendor in channels().items():
            if vendor.team_settings is None:
                continue
            names = []
            secrets = vendor.team_settings.secret_fields()
            for name, info in vendor.team_settings.model_fields.items():
                field_name = f"{kind}__{name}"
                is_set = bool(stored.get(kind, {}).get(name))
                help_text = info.description or ""
                if name in secrets:
                    help_text = ("A value is set. " if is_set else "") + help_text
                    help_text += " Stored, never shown again; blank keeps it."
                self.fields[field_name] = forms.CharField(
                    label=f"{vendor.channel_label}: {(info.title or name).replace('_', ' ')}",
                    required=False,
                    max_length=500,
                    help_text=help_text.strip(),
                    widget=(
                        forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                        if name in secrets
                        else forms.TextInput()
                    ),
                )
                if name not in secrets:
                    self.initial[field_name] = stored.get(kind, {}).get(name, "")
                names.append(field_name)
            clear = f"{kind}__clear"
            self.fields[clear] = forms.BooleanField(
                label=f"Remove the stored {vendor.channel_label} settings", required=False
            )
            self.sections.append((vendor.channel_label, [*names, clear]))

    def channel_sections(self) -> list[tuple[str, list[Any]]]:
        return [(label, [self[name] for name in names]) for label, names in self.sections]

    def _channels(self) -> dict[str, dict[str, Any]]:
        """The channel settings as typed over the stored ones, validated per vendor."""
        result: dict[str, dict[str, Any]] = {}
        stored = self.instance.channels or {}
        for kind, vendor in channels().items():
            model = vendor.team_settings
            if model is None:
                continue
            if self.cleaned_data.get(f"{kind}__clear"):
                continue
            data = dict(stored.get(kind, {}))
            for name in model.model_fields:
                typed = (self.cleaned_data.get(f"{kind}__{name}") or "").strip()
                if typed or name not in model.secret_fields():
                    data[name] = typed
            data = {k: v for k, v in data.items() if v not in ("", None)}
            if not data:
                continue
            try:
                result[kind] = model.model_validate(data).model_dump(mode="json")
            except PydanticValidationError as e:
                for error in e.errors():
                    field = f"{kind}__{error['loc'][0]}" if error.get("loc") else None
                    message = str(error.get("msg", "")).removeprefix("Value error, ")
                    self.add_error(field if field in self.fields else None, message)
        return result

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["channels"] = self._channels()
        return cleaned

    def clean_slack_webhook_url(self) -> str:
        url: str = self.cleaned_data.get("slack_webhook_url", "").strip()
        if url:
            URLValidator(schemes=["https", "http"])(url)
            if problem := url_problem(url):
                raise forms.ValidationError(problem)
        return url

    def clean_slack_bot_token(self) -> str:
        token: str = self.cleaned_data.get("slack_bot_token", "").strip()
        if token and not token.startswith("xoxb-"):
            raise forms.ValidationError("A Slack bot token starts with xoxb-.")
        return token

    def save(self, commit: bool = True) -> TeamSettings:
        conf: TeamSettings = super().save(commit=False)
        if self.cleaned_data.get("clear_slack"):
            conf.slack_webhook_url = conf.slack_bot_token = ""
        for name in ("slack_webhook_url", "slack_bot_token"):
            if self.cleaned_data.get(name):
                setattr(conf, name, self.cleaned_data[name])
        conf.channels = self.cleaned_data.get("channels", conf.channels)
        if commit:
            conf.save()
        return conf


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = [
            "email_enabled",
            "slack_enabled",
            "slack_user",
            "digest_enabled",
            "reminders_enabled",
        ]

    def clean_slack_user(self) -> str:
        value: str = self.cleaned_data.get("slack_user", "").strip()
        bare = value.lstrip("@")
        if value and not (bare.replace(".", "").replace("-", "").replace("_", "").isalnum()):
            raise forms.ValidationError("A Slack member id (U0123ABCD) or @handle, nothing else.")
        return value


class TimezoneForm(forms.ModelForm):  # type: ignore[type-arg]
    """The zone the pages show times in, for the signed-in person."""

    class Meta:
        model = Person
        fields = ["timezone"]
        labels = {"timezone": "Show times in"}

    def __init__(self, *args: Any, team_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"] = forms.ChoiceField(
            label="Show times in",
            required=False,
            choices=[("", f"My team's timezone ({team_zone})"), *zone_choices()],
            help_text="Every page shows times in this zone, with its abbreviation; "
            "date-and-time fields are read in it.",
        )


class DoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    evidence_url = forms.URLField(
        label="Evidence link (optional)", required=False, assume_scheme="https"
    )


class DeprioritiseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why (required)", max_length=2000, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = (
            "Deprioritising needs a written reason (seed: “If an action item is "
            "deprioritized, document why”)."
        )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
