"""The tracker settings form. Secrets are write-only: blank keeps the stored one, while the
tracker stays the same (``TrackerConfig.replace_secrets``).

Each vendor's own settings become form fields named ``<kind>__<setting>``, built from its
``Settings`` model (a new vendor needs no form code). The form holds the chosen vendor's
fields only (the posted ``kind``, else the one asked for, else the saved one): they are
checked by that model and stored as ``TrackerConfig.settings``.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from django import forms
from pydantic import ValidationError as SettingsError
from pydantic.fields import FieldInfo

from followthrough.web.integrations.models import MAPPABLE, SECRET_FIELDS, TrackerConfig
from followthrough.web.integrations.trackers import KIND_CHOICES, TRACKERS, label_of
from followthrough.web.transport import URL_RULE

SECRETS = SECRET_FIELDS
TARGETS = "|".join(MAPPABLE)


def parse_status_map(value: str) -> dict[str, str]:
    """``In Review = in_progress`` lines -> a mapping; raises ValidationError with the line."""
    mapping: dict[str, str] = {}
    for n, line in enumerate(value.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, target = line.rpartition("=")
        if not sep or not name.strip():
            raise forms.ValidationError(
                f"Line {n}: write “tracker status = {TARGETS}”, got “{line.strip()}”."
            )
        if target.strip() not in MAPPABLE:
            raise forms.ValidationError(
                f"Line {n}: “{target.strip()}” is not one of {', '.join(MAPPABLE)}."
            )
        mapping[name.strip()] = target.strip()
    return mapping


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return int in typing.get_args(annotation)
    return False


def vendor_field(info: FieldInfo) -> forms.Field:
    """The form field of one vendor setting (text, a comma-separated list, a number)."""
    common: dict[str, Any] = {
        "required": False,
        "label": info.title,
        "help_text": info.description or "",
    }
    if _is_int(info.annotation):
        return forms.IntegerField(min_value=1, **common)
    if _is_list(info.annotation):
        common["help_text"] = f"{common['help_text']} Comma-separated.".strip()
    return forms.CharField(max_length=300, strip=True, **common)


def field_name(kind: str, name: str) -> str:
    return f"{kind}__{name}"


def _shown(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


class TrackerConfigForm(forms.ModelForm):  # type: ignore[type-arg]
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Tracker", widget=forms.HiddenInput)
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
        help_text="Leave empty to keep the stored one.",
    )
    webhook_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The secret the tracker signs webhooks with (GitLab: the secret token). "
        "Leave empty to keep the stored one.",
    )
    clear_api_token = forms.BooleanField(required=False, label="Forget the stored API token")
    clear_webhook_secret = forms.BooleanField(
        required=False, label="Forget the stored webhook secret"
    )
    status_map_text = forms.CharField(
        required=False,
        label="Status mapping",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One per line, e.g. “In Review = in_progress” or “Won't Do = deprioritised” "
        f"({', '.join(MAPPABLE)}). Unlisted statuses use the tracker's defaults (shown below).",
    )

    class Meta:
        model = TrackerConfig
        fields = ["kind", "enabled", "base_url"]

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored = {name: getattr(self.instance, name) for name in SECRETS}
        self.stored_kind = self.instance.kind if self.instance.pk else ""
        posted = self.data.get("kind") if self.is_bound else None
        self.chosen = next(
            (k for k in (posted, kind, self.stored_kind) if k in TRACKERS), next(iter(TRACKERS))
        )
        self.initial["kind"] = self.chosen
        tracker = TRACKERS[self.chosen]
        stored_settings = self.instance.settings or {}
        for name, info in tracker.model.model_fields.items():
            key = field_name(self.chosen, name)
            self.fields[key] = vendor_field(info)
            if self.chosen == self.stored_kind and name in stored_settings:
                self.initial[key] = _shown(stored_settings[name])
            elif info.default is not None and not info.is_required():
                self.initial[key] = _shown(info.default)
        if not self.is_bound:
            self.initial["status_map_text"] = "\n".join(
                f"{k} = {v}" for k, v in (self.instance.status_map or {}).items()
            )
        self.fields[
            "api_token"
        ].help_text = (
            f"{tracker.label}: {tracker.settings.TOKEN_HELP} {self.fields['api_token'].help_text}"
        )
        for name in SECRETS:
            if self.stored[name] and self.chosen == self.stored_kind:
                self.fields[name].help_text = "A value is set. " + self.fields[name].help_text
            elif self.stored[name]:
                self.fields[name].help_text = (
                    f"The {label_of(self.stored_kind)} one is not kept for {tracker.label}: "
                    "type it anew."
                )

    def vendor_fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(kind, label, the vendor's fields) of the chosen tracker, the only one shown."""
        tracker = TRACKERS[self.chosen]
        return [
            (
                self.chosen,
                tracker.label,
                [self[field_name(self.chosen, n)] for n in tracker.model.model_fields],
            )
        ]

    def clean_status_map_text(self) -> dict[str, str]:
        return parse_status_map(self.cleaned_data.get("status_map_text") or "")

    def _vendor_settings(self, kind: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, info in TRACKERS[kind].model.model_fields.items():
            value = self.cleaned_data.get(field_name(kind, name))
            if _is_list(info.annotation):
                value = [part.strip() for part in (value or "").split(",") if part.strip()]
            if value in (None, "") and not info.is_required():
                continue
            values[name] = value
        return values

    def _post_clean(self) -> None:
        # Secrets, the mapping and the vendor's settings go onto the instance before the
        # model's clean() checks it.
        kind = self.cleaned_data.get("kind")
        given = {
            name: ""
            if self.cleaned_data.get(f"clear_{name}")
            else (self.cleaned_data.get(name) or None)
            for name in SECRETS
        }
        self.instance.replace_secrets(kind if kind in TRACKERS else self.chosen, **given)
        if "status_map_text" in self.cleaned_data:
            self.instance.status_map = self.cleaned_data["status_map_text"]
        if kind in TRACKERS:
            values = self._vendor_settings(kind)
            try:
                self.instance.settings = TRACKERS[kind].model.model_validate(values).model_dump()
            except SettingsError:
                self.instance.settings = values  # the model's clean() names what is wrong
        super()._post_clean()

    def _update_errors(self, errors: forms.ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            kind = self.cleaned_data.get("kind", "")
            by_field = {}
            for name, field_errors in errors.error_dict.items():
                if name == "status_map":
                    name = "status_map_text"
                elif name.startswith("settings."):
                    setting = name.removeprefix("settings.").split(".")[0]
                    candidate = field_name(kind, setting)
                    name = candidate if candidate in self.fields else "__all__"
                elif name not in self.fields and name != "__all__":
                    name = "__all__"
                by_field.setdefault(name, []).extend(field_errors)
            errors = forms.ValidationError(by_field)
        super()._update_errors(errors)
