"""Creating and moving action items: the one place their rules are enforced.

- The workflow is ``WORKFLOW`` in the models: open -> in progress -> done, or
  deprioritised; done or deprioritised items reopen to open.
- Deprioritising needs a written reason (seed: "If an action item is deprioritized,
  document why"); it records who and when.
- Done records the done-condition as met: who, when, and an optional evidence link.
- Every change is recorded in the history (who, when, before and after).
- Closing the loop happens here, in the same transaction: the last open item of a final
  postmortem being done (or deprioritised) closes the postmortem; an item reopening
  reopens it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from followthrough.web.actions.models import WORKFLOW, ActionItem, ActionStatus
from followthrough.web.history.context import acting_as
from followthrough.web.postmortems.loop import close_the_loop
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import Refused, refresh_actions_tracked
from followthrough.web.versioning import save_versioned

Actor = AbstractBaseUser | AnonymousUser | None


def _check(fields: dict[str, Any], current: ActionItem | None = None) -> dict[str, Any]:
    status = fields.get("status", current.status if current else ActionStatus.OPEN)
    reason = fields.get("deprioritised_reason", current.deprioritised_reason if current else "")
    if status not in ActionStatus.values:
        raise Refused(
            [f"Unknown status “{status}”; use one of: {', '.join(ActionStatus.values)}."],
            field="status",
        )
    if current is not None and status != current.status and status not in WORKFLOW[current.status]:
        allowed = ", ".join(ActionStatus(s).label.lower() for s in WORKFLOW[current.status])
        raise Refused(
            [
                f"An action item cannot go from {current.get_status_display().lower()} to "
                f"{ActionStatus(status).label.lower()}; from here it can go to: {allowed}."
            ],
            field="status",
        )
    if status == ActionStatus.DEPRIORITISED and not (reason or "").strip():
        raise Refused(
            [
                "Deprioritising needs a written reason (seed: “If an action item is deprioritized, document why”)."
            ],
            field="deprioritised_reason",
        )
    for name in ("likelihood", "severity", "effort"):
        value = fields.get(name)
        if value is not None and not 1 <= value <= 5:
            raise Refused([f"{name.capitalize()} is rated 1 to 5; got {value}."], field=name)
    return fields


def _user(actor: Actor) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None  # type: ignore[return-value]


@transaction.atomic
def create_action_item(
    postmortem: Postmortem, user: Actor, *, actor_label: str = "", **fields: Any
) -> ActionItem:
    _check(fields)
    fields.update(_status_side_effects(fields.get("status", ActionStatus.OPEN), None, user))
    with acting_as(actor_label, user=user):
        item = ActionItem.objects.create(postmortem=postmortem, **fields)
    refresh_actions_tracked(postmortem)
    close_the_loop(postmortem, user, actor_label=actor_label)
    return item


@transaction.atomic
def update_action_item(
    item: ActionItem,
    expected_version: int,
    user: Actor,
    fields: dict[str, Any],
    *,
    actor_label: str = "",
    note: str = "",
) -> ActionItem:
    """Change an item if it is still at ``expected_version`` (else ``StaleVersion``).

    ``actor_label`` names a non-human actor ("worker", "jira webhook") when ``user`` is None.
    """
    _check(fields, item)
    if "status" in fields:
        fields.update(_status_side_effects(fields["status"], item, user))
    fields["last_activity_at"] = timezone.now()
    with acting_as(actor_label, user=user, note=note):
        save_versioned(item, expected_version, fields)
    refresh_actions_tracked(item.postmortem)
    close_the_loop(item.postmortem, user, actor_label=actor_label)
    return item


def _status_side_effects(status: str, item: ActionItem | None, user: Actor) -> dict[str, Any]:
    """Who and when: done records the done-condition as met, deprioritising who decided."""
    previous = item.status if item is not None else None
    if status == previous:
        return {}
    now = timezone.now()
    out: dict[str, Any] = {}
    if status == ActionStatus.DONE:
        out.update(done_at=now, done_by=_user(user))
    elif previous == ActionStatus.DONE:
        out.update(done_at=None, done_by=None)
    if status == ActionStatus.DEPRIORITISED:
        out.update(deprioritised_at=now, deprioritised_by=_user(user))
    elif previous == ActionStatus.DEPRIORITISED:
        out.update(deprioritised_at=None, deprioritised_by=None, deprioritised_reason="")
    return out
