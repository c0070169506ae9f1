"""Optimistic concurrency: every editable row carries a version; a stale write is refused.

Two people editing the same text never lose each other's work: the second save, made
against an older version, gets a ``StaleVersion`` (HTTP 409) and the newer text is kept.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.utils import timezone


class StaleVersion(Exception):
    """The row changed since the editor read it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"This was changed by someone else (now version {current_version}); "
            "reload to see their edit, then apply yours again."
        )
        self.current_version = current_version


class Versioned(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def save_versioned(obj: Versioned, expected_version: int, fields: dict[str, Any]) -> None:
    """Write ``fields`` to ``obj`` only if its stored version is still ``expected_version``.

    A conditional UPDATE, so two concurrent writers cannot both succeed against one version.
    """
    model = type(obj)
    # As if the row were saved: the history reads the row's before-state on pre_save.
    pre_save.send(
        sender=model, instance=obj, raw=False, using=obj._state.db, update_fields=frozenset(fields)
    )
    changes = {**fields, "version": F("version") + 1, "updated_at": timezone.now()}
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(**changes)
    if updated != 1:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise StaleVersion(current or 0)
    obj.refresh_from_db()
    # A conditional UPDATE sends no signal; listeners (tracker sync, invitations, history)
    # still need to hear of the change, as if the row had been saved.
    post_save.send(
        sender=model,
        instance=obj,
        created=False,
        update_fields=frozenset(fields),
        raw=False,
        using=obj._state.db,
    )
