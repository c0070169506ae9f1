"""Soft delete: a deleted row stays in its table, hidden, until an admin restores it.

Models that mix in :class:`SoftDeletable` get ``deleted_at``, ``deleted_by`` and a
``deletion`` batch id, and two managers:

- ``objects`` (the default manager) hides deleted rows, so every existing query, every
  related manager (``postmortem.whys``, ``postmortem.action_items``), every form's choices
  and every prefetch only ever sees live rows;
- ``all_objects`` sees every row (the admin, the trash, export and import).

Both come from :class:`SoftDeleteQuerySet`; a model that needs its own queryset methods
subclasses it and builds its two managers with ``LiveManager.from_queryset(TheirQuerySet)``
and ``models.Manager.from_queryset(TheirQuerySet)``, so the methods exist on both.

Django's base manager (``_base_manager``) stays the plain one: following a foreign key
(``item.postmortem``, ``postmortem.incident``) still reaches a deleted parent, and
``save()`` / ``refresh_from_db()`` work on a deleted row. Lists never show the children
of a deleted parent because a delete hides the children in the same batch
(:mod:`followthrough.web.recovery`).

The operations (delete, restore, the trash) live in :mod:`followthrough.web.recovery`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.db import models

M = TypeVar("M", bound=models.Model)


class SoftDeleteQuerySet(models.QuerySet[M, M]):
    """Rows of a soft-deletable model; ``live()`` and ``deleted()`` narrow it."""

    def live(self) -> SoftDeleteQuerySet[M]:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet[M]:
        return self.filter(deleted_at__isnull=False)


class LiveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """The default manager: deleted rows are not there."""

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Every row, deleted or not."""


class SoftDeletable(models.Model):
    """Deleted rows are kept (``deleted_at`` set) and hidden by the default manager."""

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # One delete hides several rows (an incident, its postmortem, its items); they share
    # this id and are restored together.
    deletion = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    objects = LiveManager()
    all_objects = AllManager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
