"""Work that pages queue for the worker (django-tasks, database backend).

A page never talks to a mail server or Slack itself: it queues a task, the worker runs it,
and the task queues messages in the outbox that the same worker pass sends.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from followthrough.web.accounts.models import Person, Team
from followthrough.web.followup.digest import digest_message, team_review
from followthrough.web.followup.notifications import Message, notify, notify_team_channel
from followthrough.web.integrations.vendors import VENDORS


@task()
def send_digest_now(team_id: int, person_id: int) -> str:
    """The team's weekly review digest, now, to the person who asked (outside the schedule)."""
    team = Team.objects.filter(pk=team_id).first()
    person = Person.objects.filter(pk=person_id).first()
    if team is None or person is None:
        return "team or person gone"
    now = timezone.now()
    message = digest_message(team_review(team, now), now)
    message.subject = "On request: " + message.subject
    queued = notify(person, team, "digest-on-request", f"{team.pk}:{now.isoformat()}", message)
    return f"queued {queued}"


@task()
def send_test_message(team_id: int, channel: str = "slack") -> str:
    """A message to the team's own channel (Slack, Teams), to check its webhook works."""
    team = Team.objects.filter(pk=team_id).first()
    vendor = VENDORS.get(channel)
    if team is None or vendor is None:
        return "team or channel gone"
    now = timezone.now()
    message = Message(
        f"followthrough can post to {team.name}'s {vendor.channel_label}",
        "This is a test message from the team's follow-up settings.",
        reverse("team-followup-settings", args=[team.slug]),
    )
    key = f"{team.pk}:{now.isoformat()}"
    return f"queued {notify_team_channel(team, f'{channel}-test', key, message, channel)}"
