"""Which changes to an action item a final or closed postmortem still allows.

The rule of the lock is in :mod:`followthrough.web.postmortems.locking`; this module says
which of an item's fields are its follow-through (open while the postmortem is final) and
which are part of the reviewed document (locked like the rest of it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from followthrough.web.actions.models import OPEN_STATES, ActionItem
from followthrough.web.postmortems.locking import DocumentLocked, current_status, open_for_edit
from followthrough.web.postmortems.models import Postmortem, Status

# What moves after the document is final: the work itself, who does it and by when, how
# urgent it is, and where it is tracked. An owner or a due date may change, never vanish:
# a final postmortem's items keep one owner and a date.
FOLLOW_THROUGH = frozenset(
    {
        "status",
        "deprioritised_reason",
        "owner",
        "due_date",
        "likelihood",
        "severity",
        "effort",
        "evidence_url",
        "tracker_url",
        "tracker_status",
    }
)
KEPT = ("owner", "due_date")


def changed_fields(item: ActionItem, fields: dict[str, Any]) -> set[str]:
    """The fields whose value would change (a form sends every field, changed or not)."""
    return {name for name, value in fields.items() if getattr(item, name) != value}


def _follow_through(item: ActionItem, fields: dict[str, Any], changed: set[str]) -> bool:
    return changed <= FOLLOW_THROUGH and all(
        fields[name] is not None for name in KEPT if name in changed
    )


def _reopening(fields: dict[str, Any], changed: set[str]) -> bool:
    return changed <= {"status", "deprioritised_reason"} and fields.get("status") in OPEN_STATES


def open_item_for_edit(
    postmortem: Postmortem,
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    item: ActionItem | None = None,
    fields: dict[str, Any] | None = None,
    send_back: bool = False,
) -> bool:
    """Let a change to the action items through, or raise ``DocumentLocked``.

    ``item`` and ``fields``: a change to one item; without them, adding or removing one
    (always a change of the document). Returns True when the postmortem went back to review.
    """
    status = current_status(postmortem)
    if status in (Status.DRAFT, Status.IN_REVIEW):
        return False
    if item is not None and fields is not None:
        changed = changed_fields(item, fields)
        if not changed:
            return False
        if status == Status.FINAL and _follow_through(item, fields, changed):
            return False
        if status == Status.CLOSED and _reopening(fields, changed):
            return False  # reopening the item reopens the postmortem (followup.loop)
        if status == Status.CLOSED:
            postmortem.refresh_from_db()
            raise DocumentLocked(
                postmortem,
                f"“{item.title}” can only be reopened (status open), which reopens the "
                "postmortem too.",
            )
        what = f"the action item “{item.title}”"
    else:
        what = "the action items"
    return open_for_edit(postmortem, user, send_back=send_back, what=what)
