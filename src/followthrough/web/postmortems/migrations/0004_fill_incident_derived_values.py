"""Fill each incident's stored policy decision, next milestone and deadlines
(``followthrough.web.postmortems.derived``) from the rows as they are."""

from typing import Any

from django.db import migrations

from followthrough.core.calendar import MilestoneKey
from followthrough.core.policy import IncidentFacts, PolicyConfig
from followthrough.web.postmortems.derived import calendar_or_none, derive

FLAGS = (
    "customer_facing",
    "data_loss",
    "near_miss",
    "security",
    "process_failure",
    "significant_impact",
)


def fill(apps: Any, schema_editor: Any) -> None:
    Incident = apps.get_model("incidents", "Incident")
    Postmortem = apps.get_model("postmortems", "Postmortem")
    Meeting = apps.get_model("postmortems", "Meeting")
    Organisation = apps.get_model("accounts", "Organisation")
    organisation = Organisation.objects.order_by("pk").first()
    config = PolicyConfig.from_mapping((organisation.policy if organisation else None) or {})
    # every postmortem: one is deleted only with its incident (the values stay as they were)
    postmortems = {pm.incident_id: pm for pm in Postmortem.objects.all()}
    meetings = {m.postmortem_id: m for m in Meeting.objects.all()}
    for incident in Incident.objects.select_related("team").iterator():
        team = incident.team
        completions = None
        pm = postmortems.get(incident.pk)
        if pm is not None:
            meeting = meetings.get(pm.pk)
            completions = {
                MilestoneKey.INCIDENT_RESOLVED: incident.resolved_at,
                MilestoneKey.INITIAL_TIMELINE: pm.timeline_documented_at,
                MilestoneKey.MEETING_SCHEDULED: meeting.scheduled_at if meeting else None,
                MilestoneKey.MEETING_HELD: meeting.held_at if meeting else None,
                MilestoneKey.DOCUMENT_FINAL: pm.finalized_at,
                MilestoneKey.ACTIONS_TRACKED: pm.actions_tracked_at,
            }
        facts = IncidentFacts(
            severity=incident.severity,
            is_repeat=incident.repeat_of_id is not None,
            **{flag: getattr(incident, flag) for flag in FLAGS},
        )
        values = derive(
            facts,
            config,
            incident.resolved_at,
            calendar_or_none(team.timezone, team.holiday_country, team.holiday_subdivision),
            completions,
        ).as_fields()
        Incident.objects.filter(pk=incident.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_person_timezone"),
        ("incidents", "0006_derived_values"),
        ("postmortems", "0003_soft_delete"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
