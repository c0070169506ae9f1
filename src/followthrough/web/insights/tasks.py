"""The insights' derived work, queued with the write that calls for it and run by the
worker (``followthrough.web.lib.deferred``): idempotent recomputations, retried until done.
"""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from followthrough.web.lib.deferred import retried


@task()
@retried
def refresh_incident(incident_id: int, postmortem_id: int | None) -> str:
    """Re-index a saved incident, and recompute its postmortem's deadlines (which refresh
    the incident's facts) or, without one, its facts."""
    from followthrough.web.insights import deadlines, facts, repeats

    repeats.index_incidents([incident_id])
    if postmortem_id is not None:
        deadlines.refresh([postmortem_id])
    else:
        facts.refresh([incident_id])
    return f"incident {incident_id} refreshed"


@task()
@retried
def recount_items(postmortem_ids: list[int]) -> str:
    """Recount the action items of these postmortems (one was deleted for good)."""
    from followthrough.web.insights import rollups

    return f"recounted {rollups.refresh(postmortem_ids)}"


@task()
@retried
def resum_days(keys: list[tuple[int, str]]) -> str:
    """Sum these (team, day) pairs again from the facts (an incident was deleted for good)."""
    from followthrough.web.insights import facts

    facts.resum([(team_id, day) for team_id, day in keys])  # type: ignore[misc]
    return f"resummed {len(keys)}"


@task()
@retried
def recount_escalations(moments: list[str]) -> str:
    """Count again the escalations of the days of these moments (one was deleted)."""
    from followthrough.web.insights import facts

    facts.recount_escalations([datetime.fromisoformat(m) for m in moments])
    return f"recounted {len(moments)} day(s)"


@task()
@retried
def refresh_rows(incident_ids: list[int], postmortem_ids: list[int]) -> str:
    """Drop or bring back these rows in the stored insights (deleted or restored)."""
    from followthrough.web.insights import deadlines, facts, repeats, rollups

    if postmortem_ids:
        rollups.refresh(postmortem_ids)
        deadlines.refresh(postmortem_ids)
    if incident_ids:
        repeats.index_incidents(incident_ids)
        facts.refresh(incident_ids)
    return f"refreshed {len(incident_ids)} incident(s), {len(postmortem_ids)} postmortem(s)"
