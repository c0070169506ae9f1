"""Forms of the pages. They check the shape of input; the rules live in the operations."""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import QuerySet
from django.forms.models import ModelChoiceField, ModelChoiceIterator
from django.utils import timezone

from followthrough.core.policy import Decision
from followthrough.web.accounts.models import Person, Role, Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.front.common import reading_zone
from followthrough.web.incidents.models import FLAGS, Incident, Severity
from followthrough.web.lib.viewer_time import chosen_zone
from followthrough.web.postmortems.models import (
    PROSE_FIELDS,
    ContributingFactor,
    Meeting,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.visibility import visible_incidents, visible_people, visible_teams

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class ZonedTimes:
    """A form whose date-and-time fields are read in the zone active when it is made (the
    viewer's chosen zone, else the team's: ``in_team_time``): each such label names it, as
    the page's times do. A mixin, listed before the form class it serves."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        for field in self.fields.values():
            if isinstance(field.widget, DateTimeLocalInput) and field.label:
                field.label = f"{field.label} ({zone} time)"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class _Rows:
    """The rows of a queryset, read the first time they are walked."""

    def __init__(self, queryset: QuerySet[Any, Any]) -> None:
        self.queryset = queryset
        self.rows: list[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self.rows is None:
            self.rows = list(self.queryset)
        return iter(self.rows)


class ChoicesReadOnce(ModelChoiceIterator):
    """A choice field's options from one read of its rows (``offer``). Django's iterator
    queries each time the options are walked: a required select walks them twice (its
    first option decides the ``required`` attribute), and two pickers of the same people
    would read them twice."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.offered:
            yield self.choice(obj)

    def __len__(self) -> int:
        return len(list(self.field.offered)) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(list(self.field.offered))


def offer(queryset: QuerySet[Any, Any], *fields: ModelChoiceField) -> None:
    """Offer ``queryset`` in ``fields``, its rows read once for all of them when the form is
    shown. A form lives for one request, so the rows do too; a posted value is still
    checked against the queryset itself."""
    rows = _Rows(queryset)
    for field in fields:
        field.offered = rows  # type: ignore[attr-defined]
        field.iterator = ChoicesReadOnce
        field.queryset = queryset  # also hands the widget the new iterator


def _people(user: AbstractBaseUser | AnonymousUser) -> Any:
    """Whom a picker offers: the people ``user`` may see (``accounts.visibility``)."""
    return visible_people(user).order_by("name")


# --- incident list ---------------------------------------------------------------------------


YES_NO = [("", "Any"), ("yes", "Overdue only"), ("no", "Not overdue")]


class IncidentFilterForm(forms.Form):
    """The filters of the incident list. Every field is optional; bad values are ignored."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    decision = forms.ChoiceField(
        label="Postmortem policy",
        choices=[
            ("", "Any decision"),
            (Decision.REQUIRED.value, "Required"),
            (Decision.RECOMMENDED.value, "Recommended"),
            (Decision.NOT_REQUIRED.value, "Not required"),
        ],
        required=False,
    )
    status = forms.ChoiceField(
        label="Postmortem status",
        choices=[("", "Any status"), ("none", "Not started"), *Status.choices],
        required=False,
    )
    overdue = forms.ChoiceField(label="Overdue", choices=YES_NO, required=False)

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = visible_teams(user)  # type: ignore[attr-defined]


# --- new incident ----------------------------------------------------------------------------

TIME_FIELDS = ("started_at", "detected_at", "mitigated_at", "resolved_at")


class IncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new incident. Times are read in the chosen team's timezone."""

    failure_tags = forms.CharField(
        required=False,
        help_text="Comma-separated, e.g. connection-pool, config-change.",
    )

    class Meta:
        model = Incident
        fields = [
            "team",
            "title",
            "severity",
            "summary",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "commander",
            "responders",
            *FLAGS,
            "repeat_of",
            "failure_mode",
            "failure_tags",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "started_at": DateTimeLocalInput(),
            "detected_at": DateTimeLocalInput(),
            "mitigated_at": DateTimeLocalInput(),
            "resolved_at": DateTimeLocalInput(),
            "responders": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["team"].empty_label = None
        offer(Team.objects.editable_by(user), fields["team"])
        offer(_people(user), fields["commander"], fields["responders"])
        fields["repeat_of"].queryset = visible_incidents(user).order_by("-id")
        fields["repeat_of"].label_from_instance = lambda i: f"{i.key} {i.title}"
        # The times are read in the zone ``clean`` uses: the viewer's chosen zone, else the
        # team's (unknown before a new incident's team is chosen).
        chosen = chosen_zone()
        if self.instance.pk is not None:
            hint = f"In {reading_zone(self.instance.team).key} time."
        elif chosen is not None:
            hint = f"In {chosen.key} time."
        else:
            hint = "In the chosen team's timezone."
        for name in TIME_FIELDS:
            fields[name].help_text = hint

    def clean_failure_tags(self) -> list[str]:
        raw: str = self.cleaned_data.get("failure_tags") or ""
        return [tag.strip() for tag in raw.split(",") if tag.strip()]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        team = data.get("team")
        if team is not None:
            # Django read the times in the server's zone; the person typed team-local times.
            zone = reading_zone(team)
            for name in TIME_FIELDS:
                value: datetime | None = data.get(name)
                if value is not None:
                    naive = timezone.make_naive(value, timezone.get_current_timezone())
                    data[name] = timezone.make_aware(naive, zone)
        return data


class IncidentEditForm(IncidentForm):
    """An incident's facts, changed in place: the same fields and checks as a new one, and
    the version read, so a stale save is refused instead of overwriting someone's change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["failure_tags"] = ", ".join(self.instance.failure_tags or [])
            self.fields["title"].widget.attrs["autofocus"] = True

    def changed_values(self) -> dict[str, Any]:
        """The row's own fields (responders are a list of their own: ``responders``)."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields or ()
            if name != "responders"
        }

    def with_version(self, version: int) -> None:
        data = self.data.copy()
        data["version"] = str(version)
        self.data = data


# --- postmortem sections ---------------------------------------------------------------------

SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("summary", "Summary", ("summary",)),
    (
        "impact",
        "Impact",
        ("impact", "users_affected", "impact_minutes", "failed_requests", "revenue_impact"),
    ),
    ("root_cause", "Root cause", ("root_cause", "root_cause_category")),
    ("trigger", "Trigger", ("trigger",)),
    ("detection", "Detection", ("detection",)),
    ("resolution", "Resolution", ("resolution",)),
    ("lessons", "Lessons", ("lessons",)),
)
SECTION_FIELDS: tuple[str, ...] = tuple(f for _, _, fs in SECTIONS for f in fs)


class VersionedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A form that carries the version of the row it was read from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def changed_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}

    def with_version(self, version: int) -> None:
        """Rebind to the current version: saving again then knowingly replaces the newer text."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data


class SectionsForm(VersionedForm):
    class Meta:
        model = Postmortem
        fields = list(SECTION_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in PROSE_FIELDS}
        labels = {
            "impact": "Impact narrative",
            "users_affected": "Users affected",
            "impact_minutes": "Minutes of impact",
            "failed_requests": "Failed requests",
            "revenue_impact": "Revenue impact",
            "root_cause": "Root cause statement",
            "root_cause_category": "Category",
        }

    def __init__(self, *args: Any, section: str | None = None, **kwargs: Any) -> None:
        """``section``: only that section's fields (the editor saves one section at a time);
        an unknown name is the first section. Without it, every section's fields."""
        super().__init__(*args, **kwargs)
        self.section_keys = [key for key, _, _ in SECTIONS]
        self.section = ""
        if section is not None:
            key = section if section in self.section_keys else self.section_keys[0]
            self.section_keys = [key]
            self.section = key
            kept = {name for k, _, names in SECTIONS if k == key for name in names}
            for name in [n for n in self.fields if n != "version" and n not in kept]:
                del self.fields[name]
        if "root_cause_category" in self.fields:
            self.fields["root_cause_category"].choices = [  # type: ignore[attr-defined]
                ("", "Not yet chosen"),
                *list(self.fields["root_cause_category"].choices)[1:],  # type: ignore[attr-defined]
            ]

    def changed_values(self) -> dict[str, Any]:
        """The values of the fields this form has (one section's, or all)."""
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}

    def sections(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "title": title,
                "fields": [self[name] for name in names],
                # One field: the legend already names it, so its label is for screen readers.
                "single": len(names) == 1,
            }
            for key, title, names in SECTIONS
            if key in self.section_keys
        ]


# --- five whys, timeline, factors ------------------------------------------------------------


class WhyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Why
        fields = ["question", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 2})}


class WhyEditForm(VersionedForm):
    class Meta:
        model = Why
        fields = ["question", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 2})}


class TimelineEventForm(ZonedTimes, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TimelineEvent
        fields = ["occurred_at", "description"]
        widgets = {
            "occurred_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"occurred_at": "When", "description": "What happened"}


class TimelineEventEditForm(ZonedTimes, VersionedForm):
    """One event, changed in place (times read like a new one's)."""

    class Meta(TimelineEventForm.Meta):
        pass


class FactorForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ContributingFactor
        fields = ["kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class FactorEditForm(VersionedForm):
    class Meta(FactorForm.Meta):
        pass


# --- action items ----------------------------------------------------------------------------

RATING = [(n, str(n)) for n in range(1, 6)]


class Ratings(forms.Form):
    """Likelihood, consequence and effort, 1 to 5: the item's priority comes from them. The
    model's ``severity`` is shown as "consequence", as the API names it: an incident's
    severity is P0-P3."""

    likelihood = forms.TypedChoiceField(
        choices=RATING, coerce=int, initial=3, label="Likelihood of recurrence (1–5)"
    )
    severity = forms.TypedChoiceField(
        choices=RATING, coerce=int, initial=3, label="Consequence if it recurs (1–5)"
    )
    effort = forms.TypedChoiceField(
        choices=RATING, coerce=int, initial=3, label="Effort to implement (1–5)"
    )


class ActionItemForm(Ratings, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ActionItem
        fields = [
            "title",
            "owner",
            "due_date",
            "done_condition",
            "likelihood",
            "severity",
            "effort",
        ]
        widgets = {
            "due_date": DateInput(),
            "done_condition": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"owner": "Owner (one person)", "done_condition": "Done when"}

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(user)  # type: ignore[attr-defined]


class ActionItemEditForm(Ratings, VersionedForm):
    """What an action item says and who does it by when, changed in place."""

    class Meta(ActionItemForm.Meta):
        pass

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people(user)  # type: ignore[attr-defined]


class ActionStatusForm(VersionedForm):
    class Meta:
        model = ActionItem
        fields = ["status", "deprioritised_reason"]
        widgets = {"deprioritised_reason": forms.Textarea(attrs={"rows": 2})}
        labels = {"deprioritised_reason": "Why deprioritised (required to deprioritise)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = ActionStatus.choices  # type: ignore[attr-defined]


# --- meeting ---------------------------------------------------------------------------------


class MeetingForm(ZonedTimes, VersionedForm):
    duration_minutes = forms.IntegerField(
        label="Duration (minutes, 60–90)", min_value=60, max_value=90, initial=60
    )

    class Meta:
        model = Meeting
        fields = [
            "facilitator",
            "attendees",
            "duration_minutes",
            "scheduled_for",
            "location",
            "held_at",
            "notes",
        ]
        widgets = {
            "attendees": forms.CheckboxSelectMultiple(),
            "scheduled_for": DateTimeLocalInput(),
            "held_at": DateTimeLocalInput(),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {"scheduled_for": "Scheduled for", "held_at": "Held at"}
        help_texts = {"facilitator": "Someone not directly involved in the incident."}

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        offer(_people(user), fields["facilitator"], fields["attendees"])

    def changed_values(self) -> dict[str, Any]:
        values = super().changed_values()
        values.pop("attendees")
        return values


# --- teams, people, invitations --------------------------------------------------------------


def _words(camel: str) -> str:
    """ "UnitedKingdom" -> "United Kingdom"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", camel)


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


@functools.cache
def country_choices() -> list[tuple[str, str]]:
    from holidays.registry import COUNTRIES

    named = sorted((entry[1], _words(entry[0])) for entry in COUNTRIES.values())
    return [("", "None (only weekends are days off)")] + [
        (code, f"{name} ({code})") for code, name in named
    ]


class TeamForm(forms.ModelForm):  # type: ignore[type-arg]
    """A team's name and calendar. The calendar is checked by the business-day engine."""

    timezone = forms.ChoiceField(
        choices=timezone_choices, initial="UTC", help_text="Deadlines count in this timezone."
    )
    holiday_country = forms.ChoiceField(
        choices=country_choices,
        required=False,
        label="Public holidays of",
        help_text="Its public holidays are not business days.",
    )

    class Meta:
        model = Team
        fields = ["name", "timezone", "holiday_country", "holiday_subdivision", "is_private"]
        labels = {"holiday_subdivision": "State or region", "is_private": "Private team"}
        help_texts = {
            "holiday_subdivision": "Optional, e.g. BY (Bavaria), CA (California), ENG (England).",
        }

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class FirstTeamForm(TeamForm):
    """The organisation's first team, made on the first-run page."""

    organisation = forms.CharField(
        max_length=100, label="Your organisation's name", initial="Our organisation"
    )
    i_lead = forms.BooleanField(
        required=False, initial=True, label="I lead this team (I manage its members)"
    )

    field_order = ["organisation", "name", "timezone", "holiday_country", "holiday_subdivision"]


class TeamSettingsForm(TeamForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    lead = forms.ModelChoiceField(
        queryset=Person.objects.none(),
        required=False,
        label="Team lead",
        help_text="Invited to the team's postmortem meetings; gets its weekly review digest.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team: Team = self.instance
        self.fields["lead"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            memberships__team=team
        ).order_by("name")
        self.initial.setdefault("lead", team.lead_id)


ROLES = [(value, label) for value, label in Role.choices]


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    name = forms.CharField(max_length=150, required=False, label="Name (optional)")
    role = forms.ChoiceField(
        choices=ROLES,
        initial=Role.EDITOR,
        help_text="Viewers read; editors record incidents and write postmortems; leads also "
        "manage the team's members.",
    )


class MemberForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Person")
    role = forms.ChoiceField(choices=ROLES, initial=Role.EDITOR)

    def __init__(
        self, *args: Any, team: Team, user: AbstractBaseUser | AnonymousUser, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only people the user may see: someone on private teams only stays unnamed.
        self.fields["person"].queryset = (  # type: ignore[attr-defined]
            visible_people(user).exclude(memberships__team=team).order_by("name")
        )


class RoleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    role = forms.ChoiceField(choices=ROLES)


class PersonForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Person
        fields = ["name", "email", "handle", "manager"]
        help_texts = {"manager": "Stalled action items they own escalate to this person."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = Person.objects.order_by("name")
        if self.instance.pk is not None:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]
        self.fields["email"].required = False

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}

    def validate_unique(self) -> None:
        """Uniqueness is the operation's to say (one address, one person)."""


class PersonEditForm(PersonForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AcceptInvitationForm(SetPasswordForm):  # type: ignore[type-arg]
    """The invited person's login name and password (Django's password checks)."""

    username = forms.CharField(
        max_length=150,
        label="Login name",
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
    )

    field_order = ["username", "new_password1", "new_password2"]
