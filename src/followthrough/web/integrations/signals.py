"""Signal handlers, connected in ``IntegrationsConfig.ready``: work is enqueued on commit.

An action item that gets an owner gets a pending tracker link in the same transaction, and
its push is queued in that transaction too (``lib.deferred.defer``: it runs in the worker
once the transaction commits, never from the request itself). An item whose standing
changes (done, reopened, deprioritised) has its link marked pending the same way, so the
issue follows. A meeting whose time or attendees change gets its invitations (and
cancellations) queued the same way.

Versioned writes (``save_versioned``) send ``post_save`` too, so a change made through the
API or the pages is seen here at once; the ``tracker-catch-up`` job is the safety net for
anything enqueued but never run, or written without a signal.
"""

from __future__ import annotations

from typing import Any

from followthrough.web.actions.models import ActionItem
from followthrough.web.lib.deferred import defer
from followthrough.web.postmortems.models import Meeting


def action_item_saved(sender: type[ActionItem], instance: ActionItem, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    from followthrough.web.integrations.sync import link_item, queue_push
    from followthrough.web.integrations.tasks import push_action_item

    link = link_item(instance) if instance.owner_id is not None else None
    if link is not None:
        link_id = link.pk
        defer(push_action_item, link_id)
    else:
        queue_push(instance)


def meeting_saved(sender: type[Meeting], instance: Meeting, **kwargs: Any) -> None:
    """A meeting with a time, or one whose invitations may need cancelling, is announced."""
    if kwargs.get("raw"):
        return
    if instance.scheduled_for is None:
        from followthrough.web.followup.models import InviteCopy, InviteMethod

        if not InviteCopy.objects.filter(meeting=instance, method=InviteMethod.REQUEST).exists():
            return
    _announce(instance.pk)


def attendees_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """A late attendee gets the invitation, a removed one its cancellation."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, Meeting):
        if instance.scheduled_for is not None or action != "post_add":
            _announce(instance.pk)
        return
    for meeting_id in kwargs.get("pk_set") or ():  # from the person's side
        _announce(meeting_id)


def _announce(meeting_id: int) -> None:
    from followthrough.web.integrations.tasks import send_meeting_invite

    # The task finds what each attendee is owed; a second one for the same change sends nothing.
    defer(send_meeting_invite, meeting_id)
