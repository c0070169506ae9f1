"""Signal handlers, connected in ``IntegrationsConfig.ready``: work is enqueued on commit.

An action item that gets an owner gets a pending tracker link in the same transaction, and
its push is enqueued once that transaction commits (never from the request itself). A
meeting whose time is new or changed gets its invitation enqueued the same way.

Versioned writes (``save_versioned``) send ``post_save`` too, so an owner or a meeting time
given through the API or the pages is seen here at once; the ``tracker-catch-up`` job is
the safety net for anything enqueued but never run.
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
