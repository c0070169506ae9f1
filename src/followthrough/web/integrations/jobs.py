"""Periodic jobs of the integrations app, picked up by followthrough.web.followup.jobs.

- ``tracker-catch-up`` (every minute): links for assigned items that have none, pushes
  whose retry time has come, invitations for meetings whose time changed.
- ``tracker-poll`` (every 5 minutes): statuses from the trackers, for issues not polled in
  the last 15 minutes (the fallback when webhooks do not come).
- ``tracker-webhook-prune`` (daily): forgets webhook deliveries older than
  ``LOG_RETENTION_DAYS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from followthrough.web.followup.jobs import Job, prune
from followthrough.web.integrations import sync
from followthrough.web.integrations.models import WebhookDelivery


def catch_up(now: datetime) -> str:
    done = sync.catch_up(now)
    return (
        f"linked {done['linked']}, pushed {done['pushed']} (synced {done['synced']}), "
        f"invites sent {done['invites_sent']}"
    )


def poll(now: datetime) -> str:
    done = sync.poll_trackers(now)
    return f"polled {done['polled']}, changed {done['changed']}, failed {done['failed']}"


def prune_deliveries(now: datetime) -> str:
    return f"pruned {prune(WebhookDelivery.objects.all(), 'received_at', now)}"


JOBS = (
    Job(
        "tracker-catch-up",
        timedelta(minutes=1),
        catch_up,
        "Create tracker issues that are due, retry the ones that failed, send due invites.",
    ),
    Job(
        "tracker-poll",
        timedelta(minutes=5),
        poll,
        "Ask the trackers for statuses the webhooks may not have brought.",
    ),
    Job(
        "tracker-webhook-prune",
        timedelta(days=1),
        prune_deliveries,
        "Forget tracker webhook deliveries older than LOG_RETENTION_DAYS.",
    ),
)
