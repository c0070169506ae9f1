from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "followthrough.web.insights"
    label = "insights"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete

        from followthrough.web.actions.models import ActionItem
        from followthrough.web.followup.models import Escalation
        from followthrough.web.incidents.models import Incident
        from followthrough.web.insights import semantic  # noqa: F401 (registers its check)
        from followthrough.web.postmortems.models import Postmortem

        post_save.connect(_incident_saved, sender=Incident, dispatch_uid="insights-incident")
        post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="insights-postmortem")
        # Saved meetings, action items and escalations are caught up from updated_at (or
        # the id) within INSIGHTS_CATCH_UP_SECONDS; rows deleted for good leave no trace
        # to catch up from, so their deletion recounts at once.
        post_delete.connect(_item_deleted, sender=ActionItem, dispatch_uid="insights-item-gone")
        pre_delete.connect(
            _incident_deleted, sender=Incident, dispatch_uid="insights-incident-gone"
        )
        post_delete.connect(
            _escalation_deleted, sender=Escalation, dispatch_uid="insights-escalation-gone"
        )


def _after_commit(incident_id: int, postmortem_id: int | None) -> None:
    from followthrough.web.insights import tasks
    from followthrough.web.lib.deferred import defer

    defer(tasks.refresh_incident, incident_id, postmortem_id)


def _incident_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Re-index a saved incident once its transaction commits (and its postmortem's
    deadlines: the resolution time may have moved)."""
    if raw:
        return
    postmortem_id = (
        instance.postmortem.pk
        if hasattr(instance, "postmortem") and not kwargs.get("created")
        else None
    )
    _after_commit(instance.pk, postmortem_id)


def _postmortem_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    _after_commit(instance.incident_id, instance.pk)


def _item_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Recount the postmortem's action items once the transaction commits."""
    from followthrough.web.insights import tasks
    from followthrough.web.lib.deferred import defer

    defer(tasks.recount_items, [instance.postmortem_id])


def _incident_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An incident deleted for good takes its facts with it (cascade): sum its team's day
    again once committed."""
    from followthrough.web.insights import tasks
    from followthrough.web.insights.models import CohortFact
    from followthrough.web.lib.deferred import defer

    keys = list(CohortFact.objects.filter(incident_id=instance.pk).values_list("team_id", "day"))
    if keys:
        defer(tasks.resum_days, [[team_id, day.isoformat()] for team_id, day in keys])


def _escalation_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Count the escalations of the day again once committed."""
    from followthrough.web.insights import tasks
    from followthrough.web.lib.deferred import defer

    defer(tasks.recount_escalations, [instance.at.isoformat()])
