"""Reading the history: who may see which changes, the filters, and changes made readable.

A change is visible exactly when its object is (``accounts.visibility`` decides): a change
under an incident (the incident, its postmortem, sections, meeting, action items,
escalations) when the incident is, security incidents included; a team's settings when
the team is, except those only its leads manage (tracker settings, incident sources),
which only its leads see; a person's notification preferences to that person; the
organisation's policy to admins. Within a visible change, the secrets of a team's
settings (set or replaced, never their value) are shown to its leads only. Admins see
every change, those of deleted objects too.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from followthrough.web import visibility
from followthrough.web.history.models import Change
from followthrough.web.history.recording import SECRET_REPLACED, SECRET_SET
from followthrough.web.history.tracking import TEAM_SETTINGS, TRACKED, tracked_by_type
from followthrough.web.lib import viewer_time

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User: TypeAlias = AbstractBaseUser | AnonymousUser

# Text longer than this (or over several lines) is shown as a compact diff, full on expand.
LONG_TEXT = 120
PAGE_SIZE = 50
# Fields every change would list without saying anything: the row's id, its creation time.
HIDDEN = frozenset({"id", "created_at"})


def content_types(labels: list[str] | tuple[str, ...]) -> list[ContentType]:
    models_ = [apps.get_model(label) for label in labels]
    return list(ContentType.objects.get_for_models(*models_, for_concrete_models=True).values())


def kinds() -> dict[str, str]:
    """Object type filter value -> model label: "action-item" -> "actions.ActionItem"."""
    return {entry.kind.replace(" ", "-"): label for label, entry in TRACKED.items()}


def kind_of(content_type_id: int) -> str:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:
        return "object"
    entry = TRACKED.get(f"{model._meta.app_label}.{model.__name__}")
    return entry.kind if entry else str(model._meta.verbose_name)


def visible_changes(user: User) -> QuerySet[Change]:
    """The changes ``user`` may read."""
    if not user.is_authenticated:
        return Change.objects.none()
    changes = Change.objects.select_related("actor")
    if user.is_superuser:
        return changes
    preferences = apps.get_model("followup", "Preferences")
    own = [
        str(pk) for pk in preferences.objects.filter(person__user=user).values_list("pk", flat=True)
    ]
    (prefs_type,) = content_types(["followup.Preferences"])
    leads_only = content_types([label for label, entry in TRACKED.items() if entry.leads_only])
    return changes.filter(
        Q(incident_id__in=visibility.visible_incident_ids(user))
        | (
            Q(incident_id=None, team_id__in=visibility.visible_team_ids(user))
            & ~Q(content_type__in=leads_only)
        )
        | Q(incident_id=None, team_id__in=visibility.led_team_ids(user))
        | Q(content_type=prefs_type, object_id__in=own)
    )


def led_teams(user: User) -> frozenset[int]:
    """The ids of the teams whose lead-only settings ``user`` reads (for many changes)."""
    return frozenset(visibility.led_team_ids(user).values_list("pk", flat=True))


def readable(change: Change, led: frozenset[int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The change's before and after as the reader may see them: a team's secrets only
    for its leads (``led``: the teams the reader leads)."""
    before, after = dict(change.before or {}), dict(change.after or {})
    entry = tracked_by_type(change.content_type_id)
    if entry is not None and entry.secrets and change.team_id not in led:
        for name in entry.secrets:
            before.pop(name, None)
            after.pop(name, None)
    return before, after


def changed_fields(change: Change, led: frozenset[int]) -> dict[str, tuple[Any, Any]]:
    """Field -> (before, after) for every field whose value differs, as the reader sees it."""
    before, after = readable(change, led)
    return {
        k: (before.get(k), after.get(k))
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


def incident_changes(incident_id: int) -> QuerySet[Change]:
    """Everything recorded under one incident: the incident and all that hangs from it."""
    return Change.objects.filter(incident_id=incident_id).select_related("actor")


def postmortem_changes(incident_id: int) -> QuerySet[Change]:
    """The postmortem's own changes and those of its whys, timeline, factors, meeting, items."""
    (incident_type,) = content_types(["incidents.Incident"])
    return incident_changes(incident_id).exclude(content_type=incident_type)


def team_settings_changes(team_id: int, user: User) -> QuerySet[Change]:
    """The changes of a team's settings that ``user`` may read."""
    return visible_changes(user).filter(
        team_id=team_id, incident_id=None, content_type__in=content_types(TEAM_SETTINGS)
    )


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which and why."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class Filters:
    team: str = ""
    type: str = ""
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    q: str = ""
    incident: int | None = None

    def apply(self, changes: QuerySet[Change], user: User) -> QuerySet[Change]:
        if self.team:
            teams = visibility.visible_teams(user)
            team = (
                teams.filter(pk=int(self.team)).first()
                if self.team.isdigit()
                else teams.filter(slug=self.team).first()
            )
            if team is None:
                raise FilterError("team", f"There is no team “{self.team}”.")
            changes = changes.filter(team_id=team.pk)
        if self.type:
            label = kinds().get(self.type)
            if label is None:
                raise FilterError(
                    "type", f"Unknown object type “{self.type}”; use one of: {', '.join(kinds())}."
                )
            changes = changes.filter(content_type__in=content_types([label]))
        if self.actor:
            changes = changes.filter(
                Q(actor__username__iexact=self.actor) | Q(actor_label__iexact=self.actor)
            )
        if self.action:
            if self.action not in Change.Action.values:
                raise FilterError(
                    "action",
                    f"Unknown action “{self.action}”; use one of: {', '.join(Change.Action.values)}.",
                )
            changes = changes.filter(action=self.action)
        if self.since and self.until and self.until < self.since:
            raise FilterError("until", "The end of the date range is before its start.")
        zone = timezone.get_current_timezone()
        if self.since:
            changes = changes.filter(at__gte=datetime.combine(self.since, time(), zone))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), zone)
            changes = changes.filter(at__lt=end)
        if self.incident is not None:
            changes = changes.filter(incident_id=self.incident)
        if self.q.strip():
            changes = changes.filter(object_repr__icontains=self.q.strip())
        return changes


# --- making changes readable --------------------------------------------------------------


@dataclass
class FieldChange:
    name: str
    before: str
    after: str
    diff: list[tuple[str, str]] = field(default_factory=list)  # (kind, text): " ", "-", "+"
    long: bool = False


@dataclass
class Entry:
    change: Change
    kind: str
    fields: list[FieldChange]


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                try:  # in the viewer's zone, named, as every page shows a moment
                    return viewer_time.moment(moment)
                except (ValueError, OverflowError):  # past the calendar's end in that zone
                    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        except (ValueError, OverflowError):
            return value  # not a moment after all, or one past the calendar's end in UTC
    return str(value)


def _diff(before: str, after: str) -> list[tuple[str, str]]:
    """A word diff: what stayed (trimmed to a few words around the edits), what went, what came."""
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            kept = a[i1:i2]
            if len(kept) > 8:
                kept = [*kept[:3], "…", *kept[-3:]] if out else ["…", *kept[-3:]]
            out.append((" ", " ".join(kept)))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    if out and out[-1][0] == " " and len(out[-1][1].split()) > 4:
        out[-1] = (" ", " ".join(out[-1][1].split()[:3]) + " …")
    return out


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    """The model's field of that name, or None: a change may name a field removed since, or
    a fact no field holds (an escalation's ``escalated_to``)."""
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _relation(f: models.Field[Any, Any] | None) -> type[models.Model] | None:
    """The model a foreign key, one-to-one or many-to-many field points at."""
    if f is None or not (f.many_to_one or f.many_to_many or f.one_to_one):
        return None
    target = getattr(f, "related_model", None)
    return target if isinstance(target, type) and issubclass(target, models.Model) else None


def _ids(value: Any) -> list[int | str]:
    """The ids a recorded value of a relation holds: one, a list, or none usable."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int | str) and not isinstance(v, bool)]


def _names(
    changes: list[tuple[Change, dict[str, tuple[Any, Any]]]],
) -> dict[tuple[type[models.Model], Any], str]:
    """Names of the people, users and teams that changes refer to by id, in one query each
    (with the rows a name is made of joined: a postmortem is named by its incident)."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for change, fields in changes:
        model = ContentType.objects.get_for_id(change.content_type_id).model_class()
        for name, (before, after) in fields.items():
            target = _relation(_field(model, name))
            if target is None:
                continue
            for value in (before, after):
                wanted[target].update(_ids(value))
    names: dict[tuple[type[models.Model], Any], str] = {}
    user_model = get_user_model()
    for target, pks in wanted.items():
        try:
            found = list(target._base_manager.filter(pk__in=pks).select_related())
        except (ValueError, TypeError, ValidationError):
            continue  # ids of another type than the key's (a field whose type changed)
        for obj in found:
            label = obj.get_username() if target is user_model else str(obj)  # type: ignore[attr-defined]
            names[(target, obj.pk)] = label
            names[(target, str(obj.pk))] = label
    return names


def _shown(
    value: Any,
    target: type[models.Model] | None,
    choices: dict[Any, str],
    names: dict[tuple[type[models.Model], Any], str],
) -> str:
    """A recorded value as a reader should see it: a name for an id, a label for a choice."""
    if target is not None and value is not None:
        ids = _ids(value)
        if isinstance(value, list):
            return _text([names.get((target, v), f"#{v}") for v in ids])
        if ids:
            return names.get((target, ids[0]), f"#{ids[0]}")
        return _text(value)
    if choices and isinstance(value, int | str) and value in choices:
        return choices[value]
    return _text(value)


def _described(
    model: type[models.Model] | None, name: str
) -> tuple[str, type[models.Model] | None, dict[Any, str]]:
    """A recorded field's label, the model its ids point at, and its choices' labels."""
    f = _field(model, name)
    choices = {}
    for key, text in getattr(f, "flatchoices", None) or []:
        if isinstance(key, int | str):
            choices[key] = str(text)
    return str(getattr(f, "verbose_name", "") or name.replace("_", " ")), _relation(f), choices


def present(changes: list[Change], user: User) -> list[Entry]:
    """Each change with its kind and its changed fields as text, long text as a diff.

    Whatever a change recorded is shown: a name that is no field of the model (any more)
    as it was written, a value of an unexpected shape as text.
    """
    led = led_teams(user)
    changed = [(change, changed_fields(change, led)) for change in changes]
    names = _names(changed)
    described: dict[tuple[type[models.Model] | None, str], Any] = {}  # a page repeats fields
    entries = []
    for change, fields in changed:
        model = ContentType.objects.get_for_id(change.content_type_id).model_class()
        rows = []
        for name, (before, after) in fields.items():
            if (model, name) not in described:
                described[(model, name)] = _described(model, name)
            label, target, choices = described[(model, name)]
            b, a = _shown(before, target, choices, names), _shown(after, target, choices, names)
            if b == a or name in HIDDEN:
                continue  # "" to None on a create, say: nothing a reader would call a change
            long = max(len(b), len(a)) > LONG_TEXT or "\n" in b or "\n" in a
            secret = SECRET_SET in (b, a) or a == SECRET_REPLACED
            updated = change.action == Change.Action.UPDATE
            diff = _diff(b, a) if long and updated and not secret else []
            rows.append(FieldChange(name=label, before=b, after=a, diff=diff, long=long))
        entries.append(Entry(change=change, kind=kind_of(change.content_type_id), fields=rows))
    return entries
