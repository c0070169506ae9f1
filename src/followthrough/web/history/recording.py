"""Recording changes. Call ``snapshot`` before a change and ``record`` after it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from followthrough.web.history.models import Change

# Bookkeeping that changes on every write and says nothing about what changed.
IGNORED = frozenset({"version", "updated_at", "last_activity_at"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's own fields (foreign keys as ids) as JSON-ready values."""
    out: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED:
            continue
        out[field.name] = _plain(getattr(obj, field.attname))
    for field in obj._meta.many_to_many:
        if obj.pk is not None:
            out[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    return out


def record(
    obj: models.Model,
    action: str,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
    note: str = "",
) -> Change | None:
    """Append one change. An update that changed nothing is not recorded (returns None)."""
    if after is None and action != Change.Action.DELETE:
        after = snapshot(obj)
    if action == Change.Action.UPDATE and before == after:
        return None
    user = actor if actor is not None and actor.is_authenticated else None
    return Change.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        actor=user,
        actor_label=actor_label,
        before=before,
        after=after,
        note=note,
    )


def history_of(obj: models.Model) -> QuerySet[Change]:
    return Change.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
    ).select_related("actor")
