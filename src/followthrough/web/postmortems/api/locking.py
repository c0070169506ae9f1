"""Final means final, in the API: every change of a postmortem's document passes here.

A change to a final or closed postmortem is answered 422 ``{"detail": ..., "reasons": [...]}``
and changes nothing. For a final one, repeating the request with
``?send_back_to_review=true`` sends the postmortem back to in review and applies the change,
in one transaction (the rule: :mod:`followthrough.web.postmortems.locking`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query

from followthrough.web.actions.locking import open_item_for_edit
from followthrough.web.actions.models import ActionItem
from followthrough.web.api.access import user_of
from followthrough.web.api.errors import ProcessRefusal
from followthrough.web.api.schemas import WRITE_ERRORS, Problem, Refusal
from followthrough.web.postmortems.locking import DocumentLocked, open_for_edit
from followthrough.web.postmortems.models import Postmortem

SendBack = Annotated[
    bool,
    Query(
        description=(
            "The postmortem is final and you mean to change it anyway: send it back to in "
            "review with this change (the linter's gate applies again before it can be final "
            "again). Without it, a change to a final postmortem is refused (422). A closed "
            "postmortem is read-only: reopen it first."
        )
    ),
]

# A write that may meet the lock: a field error, or the lock's refusal with its reasons.
LOCKABLE_ERRORS: dict[int, Any] = {**WRITE_ERRORS, 422: Refusal | Problem}

SEND_BACK_HINT = (
    " Repeat the request with ?send_back_to_review=true to send it back to review with your change."
)


@contextmanager
def refusing_locked() -> Iterator[None]:
    try:
        yield
    except DocumentLocked as e:
        hint = SEND_BACK_HINT if e.can_send_back else ""
        raise ProcessRefusal(" ".join(e.reasons) + hint, e.reasons) from e


def open_document(
    request: HttpRequest,
    postmortem: Postmortem,
    send_back: bool,
    what: str,
    expected_version: int | None = None,
) -> bool:
    """``open_for_edit`` with the API's refusal; True when it went back to review."""
    with refusing_locked():
        return open_for_edit(
            postmortem,
            user_of(request),
            send_back=send_back,
            what=what,
            expected_version=expected_version,
        )


def open_items(
    request: HttpRequest,
    postmortem: Postmortem,
    send_back: bool,
    item: ActionItem | None = None,
    fields: dict[str, Any] | None = None,
) -> bool:
    """``open_item_for_edit`` with the API's refusal."""
    with refusing_locked():
        return open_item_for_edit(
            postmortem, user_of(request), item=item, fields=fields, send_back=send_back
        )
