"""Action items counted per postmortem (:class:`ActionRollup`), kept fresh.

Counting a million action items on every dashboard view does not fit in a few hundred
milliseconds; summing one row per postmortem does. A rollup is recounted when an item is
deleted for good (signal, after commit) and otherwise from the items whose ``updated_at``
moved since the last catch-up (saves and conditional UPDATEs alike, soft deletes and
restores included). ``followthrough insights rebuild`` recounts everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models import DateTimeField as DateTimeFieldType
from django.db.models.functions import TruncDate
from django.utils import timezone

from followthrough.web.actions.models import OPEN_STATES, ActionItem
from followthrough.web.insights import facts
from followthrough.web.insights.models import ActionRollup, IndexState
from followthrough.web.postmortems.models import Postmortem

NAME = "actions"
BATCH = 5000
CATCH_UP_MARGIN = timedelta(minutes=5)
#: how long after its ``updated_at`` an item's edit may still commit
COMMIT_LAG = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # type: ignore[arg-type]


def _counted(items: QuerySet[ActionItem]) -> QuerySet[Any]:
    done = Q(status="done")
    dated = done & Q(due_date__isnull=False)
    open_ = Q(status__in=OPEN_STATES)
    since_epoch = ExpressionWrapper(
        F("created_at") - Value(EPOCH, output_field=DateTimeFieldType()),
        output_field=DurationField(),
    )
    return (
        items.annotate(done_day=TruncDate("done_at", tzinfo=UTC))
        .values("postmortem_id")
        .order_by()
        .annotate(
            total=Count("pk"),
            deprioritised=Count("pk", filter=Q(status="deprioritised")),
            done=Count("pk", filter=done),
            done_dated=Count("pk", filter=dated),
            done_on_time=Count("pk", filter=dated & Q(done_day__lte=F("due_date"))),
            open=Count("pk", filter=open_),
            open_created=Sum(since_epoch, filter=open_),
        )
    )


def _rollup(row: dict[str, Any], now: datetime) -> ActionRollup:
    return ActionRollup(
        postmortem_id=row["postmortem_id"],
        total=row["total"],
        deprioritised=row["deprioritised"],
        done=row["done"],
        done_dated=row["done_dated"],
        done_on_time=row["done_on_time"],
        open=row["open"],
        open_created=_seconds(row["open_created"]),
        refreshed_at=now,
    )


def refresh(postmortem_ids: Iterable[int]) -> int:
    """Recount the action items of these postmortems. Returns how many rows were written."""
    wanted = sorted(set(postmortem_ids))
    written = 0
    now = timezone.now()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        found = {
            row["postmortem_id"]: _rollup(row, now)
            for row in _counted(ActionItem.objects.filter(postmortem_id__in=chunk))
        }
        existing = set(Postmortem.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        with transaction.atomic():
            ActionRollup.objects.filter(postmortem_id__in=chunk).delete()
            ActionRollup.objects.bulk_create(
                [
                    found.get(pk) or ActionRollup(postmortem_id=pk, refreshed_at=now)
                    for pk in sorted(existing)
                ],
                batch_size=1000,
            )
        written += len(existing)
    if wanted:
        facts.refresh_postmortems(wanted)
    return written


def catch_up(*, every: float = 0.0) -> int:
    """Recount postmortems whose items changed since the last catch-up, and those without
    a rollup. With ``every``: not again within ``every`` seconds of the last one."""
    state = IndexState.due(NAME, every)
    if state is None:
        return 0
    started = timezone.now()
    if every and state.synced_until and (started - state.synced_until).total_seconds() < every:
        return 0
    stale = set(Postmortem.objects.filter(action_rollup__isnull=True).values_list("pk", flat=True))
    if state.synced_until is not None:
        since = state.synced_until - CATCH_UP_MARGIN
        # all_objects: a soft-deleted or restored item changes its postmortem's counts
        changed: dict[int, datetime] = {}
        for pk, updated in ActionItem.all_objects.filter(updated_at__gt=since).values_list(
            "postmortem_id", "updated_at"
        ):
            changed[pk] = max(updated, changed.get(pk, updated))
        # an item counted since it changed is not counted again (the lag covers an edit
        # whose transaction committed after a recount of its postmortem had started)
        counted = dict(
            ActionRollup.objects.filter(postmortem_id__in=changed).values_list(
                "postmortem_id", "refreshed_at"
            )
        )
        stale.update(
            pk
            for pk, updated in changed.items()
            if pk not in counted or updated > counted[pk] - COMMIT_LAG
        )
    count = refresh(stale) if stale else 0
    IndexState.objects.filter(pk=state.pk).update(synced_until=started)
    return count


def rebuild() -> int:
    """Recount every postmortem's action items: one GROUP BY over all of them."""
    started = timezone.now()
    ActionRollup.objects.all().delete()
    found = {
        row["postmortem_id"]: _rollup(row, started) for row in _counted(ActionItem.objects.all())
    }
    rows = [
        found.get(pk) or ActionRollup(postmortem_id=pk, refreshed_at=started)
        for pk in Postmortem.objects.order_by("pk").values_list("pk", flat=True)
    ]
    ActionRollup.objects.bulk_create(rows, batch_size=2000)
    count = len(rows)
    IndexState.objects.update_or_create(name=NAME, defaults={"synced_until": started})
    facts.invalidate()
    return count
