"""What ``/postmortem`` does: start a postmortem, list my open action items, mark one done, link
my Slack account.

Who is asking: only the person linked to the signed ``user_id`` in the workspace the request
was signed for (``SlackIdentity``: linked by the person with ``/postmortem link``, or by an
admin). Nothing else names a person: not ``user_name``, not a handle, not an e-mail. Someone
not linked acts as nobody: they get ``help`` and how to link, nothing else. Rights are the
linked person's: starting a postmortem needs an editor of the incident's team; marking an
item done needs its owner or an editor of its team. Every reply is ephemeral (only the asker
sees it).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.history.context import acting_as
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import SlackWorkspace
from followthrough.web.postmortems.operations import PostmortemExists, Refused, start_postmortem
from followthrough.web.versioning import StaleVersion
from followthrough.web.visibility import incident_q, person_incident_q

from .linking import link_url, person_for
from .parse import SlashCommand
from .vendor import VENDOR

ACTOR = VENDOR.actor_label
MAX_LISTED = 20
_INCIDENT_KEY = re.compile(r"^(?:INC-)?(\d{1,18})$", re.IGNORECASE)
_ITEM_ID = re.compile(r"^#?(\d{1,18})$")

HELP = (
    "*/postmortem* commands:\n"
    "• `/postmortem start INC-12`: start the postmortem of incident INC-12\n"
    "• `/postmortem mine`: list your open action items\n"
    "• `/postmortem done 34`: mark action item 34 done\n"
    "• `/postmortem link`: link your Slack account to your followthrough account\n"
    "• `/postmortem help`: this help"
)


def say(message: str) -> dict[str, Any]:
    """A Slack reply only the asker sees."""
    return {
        "response_type": "ephemeral",
        "text": message,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": message}}],
    }


def escape(value: str) -> str:
    """Slack mrkdwn control characters (&, <, >) as entities."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(path: str, label: str) -> str:
    return f"<{settings.BASE_URL.rstrip('/')}{path}|{escape(label)}>"


UNKNOWN_PERSON = (
    "I don't know who you are in followthrough yet, so I can only show `/postmortem help`. "
    "Type `/postmortem link` and open the link I answer with, signed in to followthrough: "
    "from then on your commands act as you."
)


def handle(command: SlashCommand, workspace: SlackWorkspace) -> dict[str, Any]:
    if command.subcommand == "help":
        return say(HELP)
    if command.subcommand not in ("start", "mine", "done", "link"):
        return say(f"I don't know `{escape(command.subcommand)}`.\n{HELP}")
    if command.subcommand == "link":
        return link_account(workspace, command.user_id)
    person = person_for(workspace, command.user_id)
    if person is None:
        return say(UNKNOWN_PERSON)
    if command.subcommand == "start":
        return start(person, command.argument)
    if command.subcommand == "mine":
        return mine(person)
    return done(person, command.argument)


def link_account(workspace: SlackWorkspace, user_id: str) -> dict[str, Any]:
    url = link_url(workspace, user_id)
    known = person_for(workspace, user_id)
    now = f" You are linked to {escape(known.name)} now; the link replaces that." if known else ""
    return say(
        f"Open <{url}|this link> within 15 minutes, signed in to followthrough, and confirm: "
        f"your Slack account is then yours there.{now} The link works once; do not share it."
    )


def start(person: Person, argument: str) -> dict[str, Any]:
    match = _INCIDENT_KEY.match(argument.strip())
    if match is None:
        return say("Which incident? For example: `/postmortem start INC-12`.")
    key = f"INC-{int(match.group(1))}"
    user = person.user
    if user is None or not user.is_active:
        return say("Starting a postmortem needs a followthrough login; you have none.")
    incident = (
        Incident.objects.select_related("team")
        .filter(incident_q(user), pk=int(match.group(1)))
        .first()
    )
    if incident is None:
        return say(f"There is no incident {key}.")
    if not Team.objects.editable_by(user).filter(pk=incident.team_id).exists():
        return say(
            f"You can read {incident.team.name}'s incidents but not change them; ask a lead of "
            "the team to make you an editor."
        )
    url = reverse("postmortem", args=[incident.pk])
    try:
        with acting_as(ACTOR, user=user):
            start_postmortem(incident, user)
    except PostmortemExists:
        return say(f"{key} already has a postmortem: {link(url, 'open it')}.")
    return say(
        f"Started the postmortem of {key} “{escape(incident.title)}”: {link(url, 'open it')}."
    )


def open_items(person: Person) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(person_incident_q(person, "postmortem__incident"), owner=person)
        .open()
        .select_related("postmortem__incident")
        .order_by("due_date", "id")
    )


def mine(person: Person) -> dict[str, Any]:
    items = list(open_items(person)[: MAX_LISTED + 1])
    if not items:
        return say("You have no open action items.")
    lines = []
    for item in items[:MAX_LISTED]:
        incident = item.postmortem.incident
        due = f"due {item.due_date.isoformat()}" if item.due_date else "no due date"
        if item.is_overdue():
            due += " (overdue)"
        url = reverse("postmortem", args=[incident.pk])
        lines.append(f"• #{item.pk} {escape(item.title)}: {due}, {link(url, incident.key)}")
    more = "\n…and more; see followthrough." if len(items) > MAX_LISTED else ""
    return say(
        "Your open action items (mark one done with `/postmortem done <id>`):\n"
        + "\n".join(lines)
        + more
    )


def done(person: Person, argument: str) -> dict[str, Any]:
    match = _ITEM_ID.match(argument.strip())
    if match is None:
        return say("Which action item? For example: `/postmortem done 34` (ids are in `mine`).")
    item = (
        ActionItem.objects.select_related("postmortem__incident__team")
        .filter(person_incident_q(person, "postmortem__incident"), pk=int(match.group(1)))
        .first()
    )
    user = person.user if person.user is not None and person.user.is_active else None
    team = item.postmortem.incident.team if item is not None else None
    is_owner = item is not None and item.owner_id == person.pk
    is_editor = (
        user is not None
        and team is not None
        and Team.objects.editable_by(user).filter(pk=team.pk).exists()
    )
    if item is None or not (is_owner or is_editor):
        # Not yours and not your team's: the same answer as no such item.
        return say(f"There is no action item #{match.group(1)} that you own or edit.")
    if item.status == ActionStatus.DONE:
        return say(f"#{item.pk} “{escape(item.title)}” is already done.")
    try:
        with acting_as(ACTOR, user=user):
            update_action_item(item, item.version, user, {"status": ActionStatus.DONE})
    except Refused as e:
        return say(f"#{item.pk} cannot be marked done: {escape(' '.join(e.reasons))}")
    except StaleVersion:
        return say(f"#{item.pk} changed at this very moment; try again.")
    return say(f"Marked #{item.pk} “{escape(item.title)}” done. Thank you!")
