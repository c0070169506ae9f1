"""Creating and moving action items: the one place their rules are enforced."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import Refused, refresh_actions_tracked
from followthrough.web.versioning import save_versioned


def _check(fields: dict[str, Any], current: ActionItem | None = None) -> dict[str, Any]:
    status = fields.get("status", current.status if current else ActionStatus.OPEN)
    reason = fields.get("deprioritised_reason", current.deprioritised_reason if current else "")
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


@transaction.atomic
def create_action_item(
    postmortem: Postmortem, user: AbstractBaseUser | None, **fields: Any
) -> ActionItem:
    _check(fields)
    fields.update(_status_side_effects(fields.get("status", ActionStatus.OPEN), None, user))
    item = ActionItem.objects.create(postmortem=postmortem, **fields)
    refresh_actions_tracked(postmortem)
    return item


@transaction.atomic
def update_action_item(
    item: ActionItem, expected_version: int, user: AbstractBaseUser | None, fields: dict[str, Any]
) -> ActionItem:
    _check(fields, item)
    if "status" in fields:
        fields.update(_status_side_effects(fields["status"], item, user))
    fields["last_activity_at"] = timezone.now()
    save_versioned(item, expected_version, fields)
    refresh_actions_tracked(item.postmortem)
    return item


def _status_side_effects(
    status: str, item: ActionItem | None, user: AbstractBaseUser | None
) -> dict[str, Any]:
    if status == ActionStatus.DONE and (item is None or item.status != ActionStatus.DONE):
        return {
            "done_at": timezone.now(),
            "done_by": user if user and user.is_authenticated else None,
        }
    if status != ActionStatus.DONE and item is not None and item.status == ActionStatus.DONE:
        return {"done_at": None, "done_by": None}
    return {}
