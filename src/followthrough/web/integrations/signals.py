"""Signal handlers, connected in ``IntegrationsConfig.ready``: work is enqueued on commit.

An action item that gets an owner gets a pending tracker link in the same transaction, and
its push is enqueued once that transaction commits (never from the request itself). A
meeting whose time is new or changed gets its invitation enqueued the same way.

Versioned writes (``save_versioned``) update rows without ``save()`` and send no
``post_save``; an owner given that way is seen in the change history instead
(``change_recorded``: every item update records a ``Change``). Meeting updates record none,
so a meeting rescheduled that way is announced by the ``tracker-catch-up`` job.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Meeting


def action_item_saved(sender: type[ActionItem], instance: ActionItem, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.owner_id is None:
        return
    from followthrough.web.integrations.sync import link_item
    from followthrough.web.integrations.tasks import push_action_item

    link = link_item(instance)
    if link is not None:
        link_id = link.pk
        transaction.on_commit(lambda: push_action_item.enqueue(link_id))


def change_recorded(sender: type[Any], instance: Any, created: bool, **kwargs: Any) -> None:
    """An item update recorded in the history that gave it an owner: link and push it."""
    if not created or kwargs.get("raw") or instance.action not in ("create", "update"):
        return
    after, before = instance.after or {}, instance.before or {}
    if not after.get("owner") or after.get("owner") == before.get("owner"):
        return
    from django.contrib.contenttypes.models import ContentType

    if instance.content_type_id != ContentType.objects.get_for_model(ActionItem).pk:
        return
    item = ActionItem.objects.filter(pk=instance.object_id).first()
    if item is not None:
        action_item_saved(ActionItem, item)


def meeting_saved(sender: type[Meeting], instance: Meeting, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.scheduled_for is None:
        return
    from followthrough.web.integrations.models import MeetingInvite
    from followthrough.web.integrations.tasks import send_meeting_invite

    invite = MeetingInvite.objects.filter(meeting=instance).first()
    if invite is not None and not invite.needs_sending(instance.scheduled_for):
        return
    meeting_id = instance.pk
    transaction.on_commit(lambda: send_meeting_invite.enqueue(meeting_id))
