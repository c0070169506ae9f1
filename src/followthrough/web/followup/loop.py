"""Closing the loop (seed): "When all action items are complete, mark the postmortem closed."

A final postmortem closes itself when every action item is done, or deprioritised with a
written reason; it reopens (closed -> final) when an item reopens or a new open item is
added. Both happen inside the action-item change that causes them (``close_the_loop`` is
called by ``followthrough.web.actions.operations``), and a periodic sweep catches the
rest, e.g. a postmortem that went final after its items were already done.

A forgotten postmortem (seed anti-pattern: "Running the meeting, writing the document,
then never looking at it again") is final, has open items, and saw no activity for
``FORGOTTEN_AFTER``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.history.context import acting_as
from followthrough.web.history.recording import recording_update
from followthrough.web.postmortems.models import Postmortem, Status

FORGOTTEN_AFTER = timedelta(days=30)
CLOSED_STATUSES = ("done", "deprioritised")


def _open_items() -> Q:
    return ~Q(status__in=CLOSED_STATUSES) | Q(status="deprioritised", deprioritised_reason="")


def close_the_loop(
    postmortem: Postmortem,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    *,
    actor_label: str = "",
) -> str | None:
    """Close a final postmortem whose items are all complete, or reopen a closed one that has
    an open item. Returns the new status, or None when nothing changed.

    A conditional UPDATE on the status, so two concurrent changes cannot both close it.
    """
    items = postmortem.action_items.all()
    has_items = items.exists()
    has_open = items.filter(_open_items()).exists()
    now = timezone.now()
    if postmortem.status == Status.FINAL and has_items and not has_open:
        target, changes, note = (
            Status.CLOSED,
            {"closed_at": now},
            "Closed itself: every action item is done or deprioritised with a reason.",
        )
    elif postmortem.status == Status.CLOSED and has_open:
        target, changes, note = (
            Status.FINAL,
            {"closed_at": None},
            "Reopened: an action item is open again.",
        )
    else:
        return None
    label = actor_label or ("" if actor is not None and actor.is_authenticated else "worker")
    with transaction.atomic(), acting_as(label, user=actor, note=note):
        # A conditional UPDATE sends no signal: recorded from the row before and after.
        with recording_update(postmortem):
            moved = Postmortem.objects.filter(pk=postmortem.pk, status=postmortem.status).update(
                status=target, version=F("version") + 1, updated_at=now, **changes
            )
        if moved != 1:
            return None
        postmortem.refresh_from_db()
    return target


def sweep(now: datetime | None = None) -> str:
    """Close every final postmortem whose items are all complete; reopen closed ones with an
    open item. The periodic half of closing the loop."""
    has_items = Exists(ActionItem.objects.filter(postmortem=OuterRef("pk")))
    has_open = Exists(ActionItem.objects.filter(_open_items(), postmortem=OuterRef("pk")))
    complete = Postmortem.objects.filter(has_items, ~has_open, status=Status.FINAL)
    reopen = Postmortem.objects.filter(has_open, status=Status.CLOSED)
    closed = reopened = 0
    for postmortem in [*complete, *reopen]:
        outcome = close_the_loop(postmortem, None, actor_label="worker")
        closed += outcome == Status.CLOSED
        reopened += outcome == Status.FINAL
    return f"closed {closed}, reopened {reopened}"


def forgotten_postmortems(now: datetime | None = None) -> QuerySet[Postmortem]:
    """Final postmortems with open items and no activity for ``FORGOTTEN_AFTER``."""
    cutoff = (now or timezone.now()) - FORGOTTEN_AFTER
    has_open = ActionItem.objects.filter(_open_items(), postmortem=OuterRef("pk"))
    recent_item = ActionItem.objects.filter(postmortem=OuterRef("pk"), last_activity_at__gt=cutoff)
    return Postmortem.objects.filter(
        Exists(has_open), ~Exists(recent_item), status=Status.FINAL, updated_at__lte=cutoff
    )


def is_forgotten(postmortem: Postmortem, now: datetime | None = None) -> bool:
    return forgotten_postmortems(now).filter(pk=postmortem.pk).exists()
