"""Signal handlers, connected in ``IntegrationsConfig.ready``: work is enqueued on commit.

An action item that gets an owner gets a pending tracker link in the same transaction, and
its push is queued in that transaction too (``lib.deferred.defer``: it runs in the worker
once the transaction commits, never from the request itself). A meeting whose time is new
or changed gets its invitation queued the same way.

Versioned writes (``save_versioned``) send ``post_save`` too, so an owner or a meeting time
given through the API or the pages is seen here at once; the ``tracker-catch-up`` job is
the safety net for anything enqueued but never run.
"""

from __future__ import annotations

from typing import Any

from followthrough.web.actions.models import ActionItem
from followthrough.web.lib.deferred import defer
from followthrough.web.postmortems.models import Meeting


def action_item_saved(sender: type[ActionItem], instance: ActionItem, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.owner_id is None:
        return
    from followthrough.web.integrations.sync import link_item
    from followthrough.web.integrations.tasks import push_action_item

    link = link_item(instance)
    if link is not None:
        link_id = link.pk
        defer(push_action_item, link_id)


def meeting_saved(sender: type[Meeting], instance: Meeting, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.scheduled_for is None:
        return
    from followthrough.web.integrations.models import MeetingInvite
    from followthrough.web.integrations.tasks import send_meeting_invite

    invite = MeetingInvite.objects.filter(meeting=instance).first()
    if invite is not None and not invite.needs_sending(instance.scheduled_for):
        return
    meeting_id = instance.pk
    defer(send_meeting_invite, meeting_id)
