"""Signal handlers, connected in ``IntegrationsConfig.ready``: work is enqueued on commit.

An action item that gets an owner gets a pending tracker link in the same transaction, and
its push is enqueued once that transaction commits (never from the request itself). An item
whose standing changes (done, reopened, deprioritised) has its link marked pending the same
way, so the issue follows. A meeting whose time is new or changed gets its invitation
enqueued.

Versioned writes (``save_versioned``) send ``post_save`` too, so a change made through the
API or the pages is seen here at once; the ``tracker-catch-up`` job is the safety net for
anything enqueued but never run, or written without a signal.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Meeting


def action_item_saved(sender: type[ActionItem], instance: ActionItem, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    from followthrough.web.integrations.sync import link_item, queue_push
    from followthrough.web.integrations.tasks import push_action_item

    link = link_item(instance) if instance.owner_id is not None else None
    if link is not None:
        link_id = link.pk
        transaction.on_commit(lambda: push_action_item.enqueue(link_id))
    else:
        queue_push(instance)


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
