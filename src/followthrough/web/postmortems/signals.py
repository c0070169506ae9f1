"""Keep each incident's stored values (:mod:`followthrough.web.postmortems.derived`) fresh:
every save of a row they are computed from recomputes them, whatever made the save (a page,
the API, an import, the worker). ``save_versioned`` sends ``post_save`` too. Raw saves (the
import of an export) are left to the import, which recomputes everything at its end.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from followthrough.web.accounts.models import Organisation, Team
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import Meeting, Postmortem

#: the team's fields its calendar (and so every deadline) is made of
CALENDAR_FIELDS = frozenset({"timezone", "holiday_country", "holiday_subdivision"})


def _touches(update_fields: Any, fields: frozenset[str]) -> bool:
    return update_fields is None or bool(fields & set(update_fields))


def _incident_saved(sender: Any, instance: Incident, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    values = derived.derive_incident(instance, Organisation.current().policy_config()).as_fields()
    if any(getattr(instance, name) != value for name, value in values.items()):
        Incident.all_objects.filter(pk=instance.pk).update(**values)
        for name, value in values.items():
            setattr(instance, name, value)


def _postmortem_saved(sender: Any, instance: Postmortem, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        derived.refresh([instance.incident_id])


def _meeting_saved(sender: Any, instance: Meeting, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        derived.refresh(
            Postmortem.all_objects.filter(pk=instance.postmortem_id).values_list(
                "incident_id", flat=True
            )
        )


def _team_saved(sender: Any, instance: Team, raw: bool = False, **kwargs: Any) -> None:
    if (
        not raw
        and not kwargs.get("created")
        and _touches(kwargs.get("update_fields"), CALENDAR_FIELDS)
    ):
        derived.refresh(
            Incident.all_objects.filter(team=instance, resolved_at__isnull=False).values_list(
                "pk", flat=True
            )
        )


def _organisation_saved(
    sender: Any, instance: Organisation, raw: bool = False, **kwargs: Any
) -> None:
    if (
        not raw
        and not kwargs.get("created")
        and _touches(kwargs.get("update_fields"), frozenset({"policy"}))
    ):
        derived.refresh()


def connect() -> None:
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="derived-incident")
    post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="derived-postmortem")
    post_save.connect(_meeting_saved, sender=Meeting, dispatch_uid="derived-meeting")
    post_save.connect(_team_saved, sender=Team, dispatch_uid="derived-team")
    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="derived-organisation")
