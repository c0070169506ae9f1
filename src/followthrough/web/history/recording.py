"""Recording changes. Saves and deletes of tracked models are recorded by the signals in
``history.signals``; call ``record`` yourself only for what no save expresses (a soft
delete or restore, an escalation step on an item) and ``record_update`` after a
``QuerySet.update`` of a tracked row.

Who acted comes from ``history.context`` (the request's user, or an ``acting_as`` block)
unless the caller names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet

from followthrough.web.history.context import current_actor
from followthrough.web.history.models import Change
from followthrough.web.history.tracking import Scope, scope_of, tracked

# Bookkeeping that changes on every write and says nothing about what changed. Soft delete
# (deleted_at/deleted_by) is recorded as a DELETE or RESTORE of its own, not as an update.
IGNORED = frozenset(
    {
        "version",
        "updated_at",
        "last_activity_at",
        "deleted_at",
        "deleted_by",
        "deletion",
        "last_login",  # every sign-in writes it
        # An incident's stored policy and deadlines (postmortems.derived): they follow the
        # fields they are computed from, whose changes are recorded
        "policy_decision",
        "policy_reasons",
        "next_milestone",
        "next_milestone_due",
        "overdue_from",
    }
)

# How a secret field is kept in the history: whether one is set, never what it is.
SECRET_SET, SECRET_REPLACED = "set", "replaced"


def _plain(field: models.Field[Any, Any], value: Any) -> Any:
    """A JSON-ready value, the same whether it came from a form, the API or the database."""
    if value is not None and not isinstance(field, models.JSONField):
        with suppress(ValidationError):
            value = field.to_python(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        places = getattr(field, "decimal_places", None)
        if places is not None and value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-places))
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's own fields (foreign keys as ids) as JSON-ready values; secrets masked."""
    entry = tracked(type(obj))
    secrets = entry.secrets if entry is not None else ()
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED:
            continue
        value = getattr(obj, field.attname)
        if field.name in secrets:
            out[field.name] = SECRET_SET if value else ""
            continue
        out[field.name] = _plain(field, value)
    for field in obj._meta.many_to_many:
        if obj.pk is not None:
            out[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return out


def secret_values(obj: models.Model) -> dict[str, str]:
    """The secrets themselves, only to tell a replaced secret from a kept one (never stored)."""
    entry = tracked(type(obj))
    return {name: getattr(obj, name) or "" for name in (entry.secrets if entry else ())}


def mark_replaced(after: dict[str, Any], old: dict[str, str], new: dict[str, str]) -> None:
    for name, value in new.items():
        if value and old.get(name) and old[name] != value:
            after[name] = SECRET_REPLACED


def record(
    obj: models.Model,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
    note: str = "",
    scope: Scope | None = None,
) -> Change | None:
    """Append one change. An update that changed nothing is not recorded (returns None).

    Without ``actor`` or ``actor_label`` the change is the current actor's
    (``history.context``); without ``note``, the note of the enclosing ``acting_as``.
    ``scope`` (team id, incident id) is looked up from the object unless given.
    """
    if after is None and action != Change.Action.DELETE:
        after = snapshot(obj)
    if action == Change.Action.UPDATE and before == after:
        return None
    current = current_actor()
    named = actor is not None and actor.is_authenticated
    if named or actor_label:
        user = actor if named else None
    else:
        user, actor_label = current.user, current.label
    team_id, incident_id = scope if scope is not None else scope_of(obj)
    return Change.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        actor=user,
        actor_label=actor_label[:100],
        before=before,
        after=after,
        note=note or current.note,
        team_id=team_id,
        incident_id=incident_id,
    )


@contextmanager
def recording_update(obj: models.Model) -> Iterator[None]:
    """Record the change a ``QuerySet.update`` inside the block makes to ``obj``'s row.

    The row is read before and after, so what is recorded is what the database holds.
    """
    model = type(obj)
    row = model._base_manager.filter(pk=obj.pk).first()
    before = snapshot(row) if row is not None else None
    yield
    row = model._base_manager.filter(pk=obj.pk).first()
    if row is not None and before is not None:
        record(row, Change.Action.UPDATE, before=before)


def history_of(obj: models.Model) -> QuerySet[Change]:
    return Change.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
    ).select_related("actor")
