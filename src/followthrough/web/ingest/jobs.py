"""Periodic jobs of the ingest app, picked up by followthrough.web.followup.jobs.

- ``ingest-prune`` (daily): forgets deliveries older than ``LOG_RETENTION_DAYS``. A delivery
  row only serves to answer a redelivery of the same event id with "already applied";
  vendors redeliver within hours, and an incident's own state keeps late events from
  undoing newer ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from followthrough.web.followup.jobs import Job, prune
from followthrough.web.ingest.models import Delivery


def prune_deliveries(now: datetime) -> str:
    return f"pruned {prune(Delivery.objects.all(), 'received_at', now)}"


JOBS = (
    Job(
        "ingest-prune",
        timedelta(days=1),
        prune_deliveries,
        "Forget incident-source deliveries older than LOG_RETENTION_DAYS.",
    ),
)
