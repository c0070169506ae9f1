from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "followthrough.web.insights"
    label = "insights"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from followthrough.web.incidents.models import Incident
        from followthrough.web.postmortems.models import Postmortem

        post_save.connect(_incident_saved, sender=Incident, dispatch_uid="insights-incident")
        post_save.connect(_postmortem_saved, sender=Postmortem, dispatch_uid="insights-postmortem")


def _after_commit(incident_id: int, postmortem_id: int | None) -> None:
    from django.db import transaction

    def run() -> None:
        from followthrough.web.insights import deadlines, repeats

        repeats.index_incidents([incident_id])
        if postmortem_id is not None:
            deadlines.refresh([postmortem_id])

    transaction.on_commit(run)


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


def _item_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Recount the postmortem's action items once the transaction commits."""
    if raw:
        return
    from django.db import transaction

    postmortem_id = instance.postmortem_id

    def run() -> None:
        from followthrough.web.insights import rollups

        rollups.refresh([postmortem_id])

    transaction.on_commit(run)
