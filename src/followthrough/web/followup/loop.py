"""Closing the loop (seed): "When all action items are complete, mark the postmortem closed."

A final postmortem closes itself when every action item is done, or deprioritised with a
written reason; it reopens (closed -> final) when an item reopens or a new open item is
added. Both happen inside the action-item change that causes them
(``followthrough.web.postmortems.loop.close_the_loop``, called by the postmortem's and the
action items' operations), and a periodic sweep here catches the rest, e.g. a postmortem
that went final after its items were already done.

A forgotten postmortem (seed anti-pattern: "Running the meeting, writing the document,
then never looking at it again") is final, has open items, and saw no activity for
``FORGOTTEN_AFTER``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.loop import close_the_loop, open_items_q
from followthrough.web.postmortems.models import Postmortem, Status

FORGOTTEN_AFTER = timedelta(days=30)


def sweep(now: datetime | None = None) -> str:
    """Close every final postmortem whose items are all complete; reopen closed ones with an
    open item. The periodic half of closing the loop."""
    has_items = Exists(ActionItem.objects.filter(postmortem=OuterRef("pk")))
    has_open = Exists(ActionItem.objects.filter(open_items_q(), postmortem=OuterRef("pk")))
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
    has_open = ActionItem.objects.filter(open_items_q(), postmortem=OuterRef("pk"))
    recent_item = ActionItem.objects.filter(postmortem=OuterRef("pk"), last_activity_at__gt=cutoff)
    return Postmortem.objects.filter(
        Exists(has_open), ~Exists(recent_item), status=Status.FINAL, updated_at__lte=cutoff
    )


def is_forgotten(postmortem: Postmortem, now: datetime | None = None) -> bool:
    return forgotten_postmortems(now).filter(pk=postmortem.pk).exists()
