"""Periodic jobs of the API (``followup.jobs.registry`` picks this module up).

- ``idempotency-prune`` (hourly): forgets idempotency keys older than
  ``IDEMPOTENCY_KEY_HOURS`` (at least 24).
"""

from __future__ import annotations

from datetime import timedelta

from followthrough.web.followup.jobs import Job
from followthrough.web.lib import idempotency

JOBS = (
    Job(
        "idempotency-prune",
        timedelta(hours=1),
        idempotency.prune,
        "Forget the answers kept for idempotency keys older than IDEMPOTENCY_KEY_HOURS.",
    ),
)
