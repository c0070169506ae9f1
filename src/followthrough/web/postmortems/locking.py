"""Final means final: what a final or closed postmortem still lets change, and how it goes
back to review. Pages and the API call ``open_for_edit`` before every change of a
postmortem's document; the rule is decided here and nowhere else.

- **Draft, in review**: everything may change.
- **Final**: the document (sections, timeline, five whys, contributing factors, the meeting,
  and what the linter checks of the action items: adding or removing one, its title,
  description, done-condition, what it addresses) is locked. A change is refused with the
  reason, unless the editor explicitly asks to send the postmortem back to review with it
  (``send_back=True``): then, in the same transaction, the postmortem goes back to in review
  (recorded in the history with the reason) and the change is applied. Going final again
  passes the linter's gate again; a reason recorded to go final despite lint errors is
  cleared, because it was about the document as it was. The follow-through of the action
  items (status, owner, due date, ratings, evidence, tracker) stays open: that is what
  happens after a postmortem is final.
- **Closed**: read-only, except reopening: the postmortem itself (back to review, an
  explicit status change), or one of its items (back to open, which reopens the postmortem
  to final). ``send_back`` does not apply: reopen first, so that nobody edits a closed
  record by accident.

The check takes a row lock on the postmortem (PostgreSQL; SQLite serialises writers), as
``transition`` does, so a change and a move to final made at the same moment queue: the
move's lint gate sees the change, or the change sees the final status and is refused.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from followthrough.web.history.context import acting_as
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.postmortems.operations import Refused, transition


class DocumentLocked(Refused):
    """A change to a final or closed postmortem's document. ``can_send_back``: it is final,
    so the editor may choose to send it back to review with the change."""

    def __init__(self, postmortem: Postmortem, *more: str) -> None:
        super().__init__([postmortem.lock_reason(), *more])
        self.status = postmortem.status
        self.can_send_back = postmortem.status == Status.FINAL


def current_status(postmortem: Postmortem) -> str:
    """The stored status, read under a row lock held until the transaction ends."""
    status = (
        Postmortem.objects.select_for_update()
        .filter(pk=postmortem.pk)
        .values_list("status", flat=True)
        .first()
    )
    return status or postmortem.status


def open_for_edit(
    postmortem: Postmortem,
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    send_back: bool = False,
    what: str = "the document",
    expected_version: int | None = None,
) -> bool:
    """Let a change of the document through, or raise ``DocumentLocked``.

    Call inside the change's transaction, before it writes. Returns True when the
    postmortem was sent back to review for it (``postmortem`` is then refreshed).
    ``expected_version``: the postmortem's version the editor read, when the change is to
    the postmortem row itself (a stale one is a ``StaleVersion``, as for the change).
    """
    status = current_status(postmortem)
    if status in (Status.DRAFT, Status.IN_REVIEW):
        return False
    postmortem.refresh_from_db()
    if status != Status.FINAL or not send_back:
        raise DocumentLocked(postmortem)
    actor = user if user is not None and user.is_authenticated else None
    with acting_as(note=f"Sent back to review to change {what}."):
        transition(
            postmortem,
            Status.IN_REVIEW,
            expected_version if expected_version is not None else postmortem.version,
            actor,  # type: ignore[arg-type]
        )
    return True
