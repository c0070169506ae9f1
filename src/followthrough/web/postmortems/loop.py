"""Closing the loop (seed): "When all action items are complete, mark the postmortem closed."

The postmortem's own rule, so the layers below the follow-up app (the postmortem's and the
action items' operations) call it without importing upward; the periodic sweep and the
"forgotten" list stay in ``followthrough.web.followup.loop``. The items are reached through
the reverse relation ``postmortem.action_items``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from followthrough.web.history.context import acting_as
from followthrough.web.history.recording import recording_update
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import Postmortem, Status

# actions.models.CLOSED_STATES, which this layer (below the action items) cannot import;
# tests/web/test_one_rule.py keeps the two equal.
CLOSED_STATUSES = ("done", "deprioritised")


def open_items_q() -> Q:
    """Action items still to do: not done, nor deprioritised with a written reason."""
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
    has_open = items.filter(open_items_q()).exists()
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
        derived.refresh([postmortem.incident_id])
        postmortem.refresh_from_db()
    return target
