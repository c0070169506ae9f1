"""Every save and delete of a tracked model becomes one change, whoever made it.

- ``pre_save`` reads the row as it is in the database (the before-state; the instance in
  memory may already hold the new values).
- ``post_save`` records a create, or an update when a field other than bookkeeping moved.
- ``pre_delete`` takes the before-state and where the row belongs while its parents still
  exist (cascades delete children first); ``post_delete`` records the delete.
- ``m2m_changed`` records a change of responders or attendees.

Raw saves (``loaddata``, the import of an export) are not changes anyone made: the export
carries its own history.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from followthrough.web.history.models import Change
from followthrough.web.history.recording import (
    mark_replaced,
    record,
    secret_values,
    snapshot,
)
from followthrough.web.history.tracking import scope_of, tracked_models

BEFORE = "_history_before"
SECRETS = "_history_secrets"
RAW = "_history_raw"
GONE = "_history_gone"
M2M = "_history_m2m"


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        instance.__dict__[RAW] = True
        return
    if instance.pk is None or instance._state.adding:
        instance.__dict__.pop(BEFORE, None)
        return
    row = sender._base_manager.using(kwargs.get("using")).filter(pk=instance.pk).first()
    if row is None:
        instance.__dict__.pop(BEFORE, None)
        return
    instance.__dict__[BEFORE] = snapshot(row)
    instance.__dict__[SECRETS] = secret_values(row)


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return
    before = instance.__dict__.pop(BEFORE, None)
    old_secrets = instance.__dict__.pop(SECRETS, {})
    if created or before is None:
        record(instance, Change.Action.CREATE)
        return
    after = snapshot(instance)
    mark_replaced(after, old_secrets, secret_values(instance))
    record(instance, Change.Action.UPDATE, before=before, after=after)


def _before_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    instance.__dict__[GONE] = (snapshot(instance), scope_of(instance))


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    gone = instance.__dict__.pop(GONE, None)
    if gone is None:
        record(instance, Change.Action.DELETE, before=snapshot(instance))
        return
    before, scope = gone
    record(instance, Change.Action.DELETE, before=before, scope=scope)


def _m2m_field(sender: type[models.Model], instance: models.Model) -> str | None:
    for field in instance._meta.many_to_many:
        if field.remote_field.through is sender:  # type: ignore[union-attr]
            return field.name
    return None


def _m2m_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    **kwargs: Any,
) -> None:
    # From the other side (person.incidents_responded.add(...)) nothing in the project
    # writes; the forward side is how pages, the API and the admin change these.
    if reverse or instance.__dict__.get(RAW):
        return
    name = _m2m_field(sender, instance)
    if name is None:
        return
    pending: dict[str, list[Any]] = instance.__dict__.setdefault(M2M, {})
    current = sorted(getattr(instance, name).values_list("pk", flat=True))
    if action.startswith("pre_"):
        pending[name] = current
        return
    before = pending.pop(name, None)
    if before is not None and before != current:
        record(instance, Change.Action.UPDATE, before={name: before}, after={name: current})


def connect() -> None:
    """Wire the handlers to every tracked model (``HistoryConfig.ready``)."""
    for model in tracked_models():
        uid = f"history-{model._meta.label_lower}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid)
        post_save.connect(_after_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=uid)
        post_delete.connect(_after_delete, sender=model, dispatch_uid=uid)
        for field in model._meta.many_to_many:
            through = field.remote_field.through  # type: ignore[union-attr]
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}-{field.name}")
