"""Background work of the integrations app (django-tasks, run by the worker).

Enqueued on commit by the signal handlers in ``signals.py``; ``catch_up_trackers`` and
``poll_tracker_statuses`` are the periodic safety nets.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from followthrough.web.integrations import calendar, sync


@task()
def push_action_item(link_id: int) -> str:
    """Create (or find again) the tracker issue of one action item, and keep it in step."""
    link = sync.push(link_id)
    if link is None:
        return "skipped: not pending, or another worker has it"
    return f"{link.sync_state}: {link.external_key or link.last_error}"


@task()
def read_tracker_status(link_id: int) -> str:
    """A webhook said an issue changed without its new status: read it from the tracker."""
    return sync.read_status_now(link_id)


@task()
def send_meeting_invite(meeting_id: int) -> bool:
    """Mail the meeting's invite if its time is not the one last announced."""
    return calendar.send_invite(meeting_id)


@task()
def catch_up_trackers() -> dict[str, Any]:
    """Link assigned items, retry due pushes, send due invites."""
    return sync.catch_up()


@task()
def poll_tracker_statuses() -> dict[str, int]:
    """Ask the trackers for statuses the webhooks may not have brought."""
    return sync.poll_trackers()
