"""Proposals from the incident's own recorded changes (the history): its severity, title,
commander and mitigation time as they changed, whoever changed them (a page, the API, a
paging event). Each links to the incident's history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from followthrough.web.accounts.models import Person
from followthrough.web.drafting.proposals import Proposal, one_line
from followthrough.web.history.models import Change
from followthrough.web.incidents.models import Incident

# The fields whose change is a fact of the incident's course, with the words for them.
FIELDS = {
    "severity": "Severity",
    "title": "Title",
    "commander": "Incident commander",
    "mitigated_at": "Mitigation time",
}


def _shown(field: str, value: Any, people: dict[int, str]) -> str:
    if value in (None, ""):
        return "none"
    if field == "commander":
        return people.get(value, "a person no longer listed")
    return f"“{one_line(str(value), 200)}”" if field == "title" else str(value)


def from_history(incident: Incident) -> Iterator[Proposal]:
    """A proposal for each change of a listed field after the incident was recorded."""
    changes = Change.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=str(incident.pk),
        action=Change.Action.UPDATE,
    ).order_by("at", "id")
    link = reverse("incident-history", args=[incident.pk])
    people = dict(Person.objects.values_list("pk", "name"))
    for change in changes:
        before = change.before if isinstance(change.before, dict) else {}
        after = change.after if isinstance(change.after, dict) else {}
        actor = change.actor_label or (change.actor.get_username() if change.actor else "")
        by = f" (by {actor})" if actor else ""
        for field, label in FIELDS.items():
            if field not in after or before.get(field) == after.get(field):
                continue
            if field == "mitigated_at" and after.get(field) is None:
                continue
            old, new = _shown(field, before.get(field), people), _shown(field, after[field], people)
            yield Proposal(
                occurred_at=change.at,
                description=f"{label} changed from {old} to {new}{by}.",
                source="Incident record",
                link=link,
                origin=f"change:{change.pk}:{field}",
            )
