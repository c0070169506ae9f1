from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_save


class IntegrationsConfig(AppConfig):
    name = "followthrough.web.integrations"
    label = "integrations"

    def ready(self) -> None:
        from followthrough.web.actions.models import ActionItem
        from followthrough.web.integrations import signals
        from followthrough.web.postmortems.models import Meeting

        post_save.connect(
            signals.action_item_saved, sender=ActionItem, dispatch_uid="integrations.item"
        )
        post_save.connect(
            signals.meeting_saved, sender=Meeting, dispatch_uid="integrations.meeting"
        )
        m2m_changed.connect(
            signals.attendees_changed,
            sender=Meeting.attendees.through,
            dispatch_uid="integrations.meeting-attendees",
        )
