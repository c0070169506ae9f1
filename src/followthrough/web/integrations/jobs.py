"""Periodic jobs of the integrations app, picked up by followthrough.web.followup.jobs.

- ``tracker-catch-up`` (every minute): links for assigned items that have none, pushes
  whose retry time has come, invitations for meetings whose time changed.
- ``tracker-poll`` (every 5 minutes): statuses from the trackers, for issues not polled in
  the last 15 minutes (the fallback when webhooks do not come).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from followthrough.web.followup.jobs import Job
from followthrough.web.integrations import sync


def catch_up(now: datetime) -> str:
    done = sync.catch_up(now)
    return (
        f"linked {done['linked']}, pushed {done['pushed']} (synced {done['synced']}), "
        f"invites sent {done['invites_sent']}"
    )


def poll(now: datetime) -> str:
    done = sync.poll_trackers(now)
    return f"polled {done['polled']}, changed {done['changed']}, failed {done['failed']}"


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
)
