"""Deleting (softly) and restoring: the operations behind the delete buttons and the trash.

- A delete hides rows (:mod:`followthrough.web.softdelete`) in one *batch*: deleting an
  incident also hides its postmortem, meeting, whys, timeline, contributing factors and
  action items, all with the same ``deletion`` id, so one restore brings them all back.
- A delete is version-checked like every write: a stale version changes nothing
  (``StaleVersion``, HTTP 409).
- Every hidden or restored row gets one ``Change`` (DELETE or RESTORE) with the actor.
- Restoring is refused, changing nothing, when it would conflict with a live row (the
  same source and external id recorded again) or leave a row under a parent that is still
  deleted in another batch.
- The stored insights (similarity index, milestone deadlines, action-item counts) are
  refreshed for the rows concerned after commit; their periodic catch-ups also see
  deleted rows move (``updated_at`` is bumped by a delete and a restore).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.history.models import Change
from followthrough.web.history.recording import record
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)
from followthrough.web.softdelete import SoftDeletable
from followthrough.web.versioning import StaleVersion

Actor = AbstractBaseUser | AnonymousUser | None

# Every soft-deletable model, parents before children (restore checks parents first).
MODELS: tuple[type[SoftDeletable], ...] = (
    Incident,
    Postmortem,
    Meeting,
    Why,
    TimelineEvent,
    ContributingFactor,
    ActionItem,
)


class AlreadyDeleted(Exception):
    """The row is deleted already (or never existed)."""


class RestoreRefused(Exception):
    """Restoring would conflict with live rows; nothing was restored. ``reasons`` say why."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def describe(row: models.Model) -> str:
    """What a row is, for people: "action item “Add an alert”", "INC-12 Checkout down"."""
    if isinstance(row, Incident):
        return f"incident {row.key} {row.title}"
    if isinstance(row, Postmortem):
        return f"postmortem of {row.incident.key}"
    if isinstance(row, Meeting):
        return f"meeting of {row.postmortem.incident.key}"
    name = str(row._meta.verbose_name)
    return f"{name} “{str(row)[:80]}”"


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _hide(
    queryset: models.QuerySet[Any], when: datetime, actor: Actor, batch: uuid.UUID
) -> list[Any]:
    """Hide the live rows of ``queryset``; returns them as they were just before."""
    rows = list(queryset.filter(deleted_at__isnull=True).order_by("pk"))
    if rows:
        type(rows[0])._base_manager.filter(pk__in=[r.pk for r in rows]).update(
            deleted_at=when,
            deleted_by=_user(actor),
            deletion=batch,
            updated_at=when,
            version=F("version") + 1,
        )
    return rows


def _children(incident: Incident) -> list[models.QuerySet[Any]]:
    """Everything that hangs off an incident, parents first."""
    return [
        Postmortem.all_objects.filter(incident=incident),
        Meeting.all_objects.filter(postmortem__incident=incident),
        Why.all_objects.filter(postmortem__incident=incident),
        TimelineEvent.all_objects.filter(postmortem__incident=incident),
        ContributingFactor.all_objects.filter(postmortem__incident=incident),
        ActionItem.all_objects.filter(postmortem__incident=incident),
    ]


@dataclass
class Deletion:
    """What one delete hid: the batch id and the rows, the one asked for first."""

    batch: uuid.UUID
    rows: list[SoftDeletable] = field(default_factory=list)

    def summary(self) -> str:
        head = describe(self.rows[0])
        others = len(self.rows) - 1
        if not others:
            return f"Deleted {head}."
        return f"Deleted {head} and {others} row{'s' if others != 1 else ''} under it."


def delete(row: SoftDeletable, actor: Actor, expected_version: int | None = None) -> Deletion:
    """Hide ``row`` (and, for an incident, everything under it) in one batch.

    With ``expected_version``, the delete happens only if the stored version still is that
    one (else ``StaleVersion``). Raises ``AlreadyDeleted`` if the row is hidden already.
    A postmortem or a meeting is not deleted on its own: it goes with its incident.
    """
    model = type(row)
    if model not in MODELS or model in (Postmortem, Meeting):
        raise TypeError(f"{model.__name__} rows are not deleted on their own.")
    batch = uuid.uuid4()
    when = timezone.now()
    with transaction.atomic():
        current = model.all_objects.select_for_update().filter(pk=row.pk).first()
        if current is None or current.deleted_at is not None:
            raise AlreadyDeleted(f"This {model._meta.verbose_name} is deleted already.")
        if expected_version is not None and current.version != expected_version:
            raise StaleVersion(current.version)
        hidden: list[Any] = _hide(model.all_objects.filter(pk=row.pk), when, actor, batch)
        if isinstance(current, Incident):
            for queryset in _children(current):
                hidden.extend(_hide(queryset, when, actor, batch))
        head = hidden[0]
        for obj in hidden:
            note = f"batch {batch}"
            if obj is not head:
                note = f"deleted with {describe(head)}; {note}"
            record(obj, Change.Action.DELETE, actor, note=note)
        _refresh_after_commit(hidden)
    row.refresh_from_db()
    return Deletion(batch, hidden)


def batch_rows(batch: uuid.UUID) -> list[SoftDeletable]:
    """The deleted rows of one batch, parents first."""
    rows: list[SoftDeletable] = []
    for model in MODELS:
        rows.extend(
            model.all_objects.filter(deletion=batch, deleted_at__isnull=False).order_by("pk")
        )
    return rows


def _parent(row: models.Model) -> SoftDeletable | None:
    if isinstance(row, Postmortem):
        return row.incident
    if isinstance(row, Meeting | Why | TimelineEvent | ContributingFactor | ActionItem):
        return row.postmortem
    return None


def conflicts(rows: Sequence[SoftDeletable]) -> list[str]:
    """Why restoring these rows together would be wrong; empty when it is fine."""
    restoring = {(type(r), r.pk) for r in rows}
    reasons: list[str] = []
    for row in rows:
        if isinstance(row, Incident) and row.external_id:
            twin = (
                Incident.objects.filter(source=row.source, external_id=row.external_id)
                .exclude(pk=row.pk)
                .first()
            )
            if twin is not None:
                reasons.append(
                    f"{row.key} has the same {row.get_source_display()} id “{row.external_id}” "
                    f"as {twin.key}, recorded since it was deleted: delete {twin.key} or change "
                    "its external id first."
                )
        parent = _parent(row)
        while parent is not None:
            if parent.deleted_at is not None and (type(parent), parent.pk) not in restoring:
                reasons.append(
                    f"{describe(row).capitalize()} belongs to {describe(parent)}, which is "
                    "deleted too: restore that first."
                )
                break
            parent = _parent(parent)
    return reasons


def restore(batch: uuid.UUID, actor: Actor) -> list[SoftDeletable]:
    """Bring back every row of a delete batch, or nothing (``RestoreRefused``)."""
    with transaction.atomic():
        # Lock the batch so two admins restoring it at once restore it once.
        locked = 0
        for model in MODELS:
            locked += len(
                model.all_objects.select_for_update()
                .filter(deletion=batch, deleted_at__isnull=False)
                .values_list("pk", flat=True)
            )
        if not locked:
            raise RestoreRefused(["Nothing to restore: this delete was restored already."])
        rows = batch_rows(batch)
        return _restore_rows(rows, actor, note=f"batch {batch}")


def restore_rows(rows: Iterable[SoftDeletable], actor: Actor) -> list[SoftDeletable]:
    """Restore these rows' whole batches (a row without a batch alone)."""
    restored: list[SoftDeletable] = []
    with transaction.atomic():
        done: set[uuid.UUID] = set()
        for row in rows:
            if row.deleted_at is None:
                continue
            if row.deletion is None:
                restored.extend(_restore_rows([row], actor, note=""))
            elif row.deletion not in done:
                done.add(row.deletion)
                restored.extend(restore(row.deletion, actor))
    return restored


def _restore_rows(rows: list[SoftDeletable], actor: Actor, note: str) -> list[SoftDeletable]:
    reasons = conflicts(rows)
    if reasons:
        raise RestoreRefused(reasons)
    when = timezone.now()
    for row in rows:
        type(row)._base_manager.filter(pk=row.pk).update(
            deleted_at=None,
            deleted_by=None,
            deletion=None,
            updated_at=when,
            version=F("version") + 1,
        )
        row.refresh_from_db()
        record(row, Change.Action.RESTORE, actor, note=note)
    _refresh_after_commit(rows)
    return rows


def _refresh_after_commit(rows: Sequence[models.Model]) -> None:
    """Drop (or bring back) these rows in the stored insights once the change is committed."""
    incident_ids: set[int] = set()
    postmortem_ids: set[int] = set()
    for row in rows:
        if isinstance(row, Incident):
            incident_ids.add(row.pk)
        elif isinstance(row, Postmortem):
            postmortem_ids.add(row.pk)
            incident_ids.add(row.incident_id)
        elif isinstance(row, ActionItem):
            postmortem_ids.add(row.postmortem_id)

    if incident_ids or postmortem_ids:
        from followthrough.web.insights import tasks
        from followthrough.web.lib.deferred import defer

        defer(tasks.refresh_rows, sorted(incident_ids), sorted(postmortem_ids))


@dataclass
class TrashBatch:
    """One delete, as the trash lists it."""

    batch: uuid.UUID | None
    deleted_at: datetime
    deleted_by: Any
    rows: list[SoftDeletable]

    @property
    def head(self) -> SoftDeletable:
        return self.rows[0]

    def what(self) -> str:
        return describe(self.head)

    def others(self) -> list[str]:
        """The rows hidden along with the head, described."""
        return [describe(r) for r in self.rows[1:]]


def trash(limit: int = 200) -> list[TrashBatch]:
    """The most recent deletes, newest first, each with every row it hid."""
    by_batch: dict[Any, list[SoftDeletable]] = {}
    for model in MODELS:
        deleted = (
            model.all_objects.filter(deleted_at__isnull=False)
            .select_related("deleted_by")
            .order_by("-deleted_at", "pk")
        )
        for row in deleted:
            key = row.deletion or (type(row), row.pk)
            by_batch.setdefault(key, []).append(row)
    batches = [
        TrashBatch(
            batch=rows[0].deletion,
            deleted_at=max(r.deleted_at for r in rows if r.deleted_at is not None),
            deleted_by=rows[0].deleted_by,
            rows=_head_first(rows),
        )
        for rows in by_batch.values()
    ]
    batches.sort(key=lambda b: b.deleted_at, reverse=True)
    return batches[:limit]


def _head_first(rows: list[SoftDeletable]) -> list[SoftDeletable]:
    """The row the person deleted first: the one whose parent is not in the batch."""
    keys = {(type(r), r.pk) for r in rows}

    def depth(row: SoftDeletable) -> int:
        parent = _parent(row)
        return 1 if parent is not None and (type(parent), parent.pk) in keys else 0

    return sorted(rows, key=lambda r: (depth(r), MODELS.index(type(r)), r.pk))
