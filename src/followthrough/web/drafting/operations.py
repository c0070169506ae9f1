"""Drafting, deciding and accepting the initial timeline: small atomic functions, the only
way the pages change a draft.

- ``draft_for`` makes the draft once the incident is resolved and adds what the stored
  paging events and the incident's recorded changes say (again on every call: only new
  origins are added, so an event that arrived late joins the draft, a decision stays).
- ``add_from_slack``, ``add_from_slack_export`` and ``add_from_github`` add what those
  sources say; a source that cannot be read raises with the reason and adds nothing.
- ``decide`` accepts, edits (and so accepts) or drops one event.
- ``accept_timeline`` puts the accepted events on the postmortem's timeline and completes
  the "initial timeline documented" milestone, recorded in the history, or refuses with
  every reason: events not yet decided, an accepted event the linter finds analysis in, a
  locked postmortem, a timeline accepted before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import chain
from typing import IO, Any

from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from followthrough.web.drafting import changes, github, paging, slack
from followthrough.web.drafting.facts import lint_descriptions
from followthrough.web.drafting.models import DraftEvent, DraftSources, TimelineDraft
from followthrough.web.drafting.proposals import Proposal, one_line
from followthrough.web.drafting.settings import DraftSettings
from followthrough.web.history.recording import recording_update
from followthrough.web.integrations.slack.outbound import SLACK_API_URL
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import Postmortem, TimelineEvent
from followthrough.web.postmortems.operations import Refused

User = AbstractBaseUser | AnonymousUser
# A link shown beside an event: the vendor's web address or one of our pages, nothing else
# (a signed payload can still carry "javascript:").
SAFE_LINKS = ("https://", "http://", "/")


def sources_of(postmortem: Postmortem) -> DraftSources:
    """The team's timeline sources (unsaved and empty when it has none)."""
    team_id = postmortem.incident.team_id
    return DraftSources.objects.filter(team_id=team_id).first() or DraftSources(team_id=team_id)


def slack_api_url() -> str:
    """Slack's Web API, or the operator's ``SLACK_API_URL`` (as the notifications use)."""
    return str(getattr(django_settings, "SLACK_API_URL", SLACK_API_URL))


def _slack_token(draft: TimelineDraft) -> str:
    from followthrough.web.followup.models import TeamSettings

    conf = TeamSettings.objects.filter(team_id=draft.postmortem.incident.team_id).first()
    return conf.slack_bot_token if conf is not None else ""


def add(draft: TimelineDraft, proposals: Iterable[Proposal]) -> int:
    """Store the proposals the draft does not have yet (by origin); how many were new."""
    known = set(draft.events.values_list("origin", flat=True))
    new = []
    for p in proposals:
        origin = p.origin[:300]
        if origin in known:
            continue
        known.add(origin)
        new.append(
            DraftEvent(
                draft=draft,
                occurred_at=p.occurred_at,
                description=p.description,
                source=p.source[:100],
                link=p.link[:500]
                if p.link.startswith(SAFE_LINKS) and not p.link.startswith("//")
                else "",
                origin=origin,
                kind=p.kind,
            )
        )
    DraftEvent.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def draft_for(postmortem: Postmortem) -> TimelineDraft | None:
    """The postmortem's draft, made at resolution from what was stored; None before."""
    incident = postmortem.incident
    if incident.resolved_at is None:
        return None
    # No savepoint inside the request's transaction (an error here fails the request,
    # which rolls it all back): SAVEPOINT and RELEASE are two round trips on every view
    with transaction.atomic(savepoint=False):
        draft, _ = TimelineDraft.objects.get_or_create(postmortem=postmortem)
        if draft.accepted_at is None:
            # one add: the draft's events are read once for both sources
            add(draft, chain(paging.from_deliveries(incident), changes.from_history(incident)))
    return draft


def _window(draft: TimelineDraft) -> tuple[datetime, datetime]:
    incident = draft.postmortem.incident
    resolved = incident.resolved_at or timezone.now()
    started = incident.started_at or incident.detected_at or resolved
    return started, resolved


def _open(draft: TimelineDraft) -> None:
    if draft.accepted_at is not None:
        raise Refused(["This timeline was accepted already; edit the postmortem's timeline."])


def add_from_slack(draft: TimelineDraft, channel: str) -> int:
    """Read the incident's channel through ``conversations.history`` with the team's token."""
    _open(draft)
    channel = channel.strip()
    start, end = slack.window(*_window(draft))
    try:
        messages = slack.read_history(slack_api_url(), _slack_token(draft), channel, start, end)
    except slack.SlackProblem as e:
        raise Refused([str(e)], field="channel") from e
    names = _linked_names(channel)
    with transaction.atomic():
        if draft.slack_channel != channel:
            draft.slack_channel = channel
            draft.save(update_fields=["slack_channel"])
        return add(draft, slack.proposals(messages, channel, channel, names, start, end))


def _linked_names(channel: str) -> dict[str, str]:
    """Slack member id -> name of the people linked to their Slack accounts here."""
    from followthrough.web.ingest.models import SlackIdentity

    return {
        member: name
        for member, name in SlackIdentity.objects.values_list("slack_user_id", "person__name")
    }


def add_from_slack_export(draft: TimelineDraft, upload: IO[bytes], channel: str) -> int:
    """Read the channel's messages from an uploaded Slack export (nothing is extracted)."""
    _open(draft)
    channel = channel.strip().lstrip("#")
    start, end = slack.window(*_window(draft))
    try:
        messages, names = slack.read_export(upload, channel)
    except slack.SlackProblem as e:
        raise Refused([str(e)], field="export") from e
    label = f"#{channel}"
    found = slack.proposals(messages, "", label, names, start, end)
    return add(draft, found)


def add_from_github(draft: TimelineDraft) -> int:
    """Offer the deploys and merged pull requests of the team's repositories as triggers."""
    _open(draft)
    sources = sources_of(draft.postmortem)
    conf: DraftSettings = sources.parsed()
    if not conf.github_repositories:
        raise Refused(["Name the team's GitHub repositories (timeline sources) first."])
    started, resolved = _window(draft)
    found: list[Proposal] = []
    for repository in conf.github_repositories:
        try:
            found.extend(
                github.candidates(
                    conf.github_api_url, sources.github_token, repository, started, resolved
                )
            )
        except github.GitHubProblem as e:
            raise Refused([f"{repository}: {e}"]) from e
    return add(draft, found)


def decide(
    event: DraftEvent,
    state: str,
    description: str | None = None,
    occurred_at: datetime | None = None,
) -> DraftEvent:
    """Accept, drop or edit (which accepts) one drafted event."""
    _open(TimelineDraft.objects.get(pk=event.draft_id))
    if state not in DraftEvent.State.values:
        raise Refused([f"Unknown decision “{state}”."], field="state")
    fields = ["state"]
    event.state = state
    if description is not None:
        text = one_line(description, 2000)
        if not text:
            raise Refused(["An event needs a description; drop it instead."], field="description")
        if text != event.description:
            event.description = text
            event.edited = True
            fields += ["description", "edited"]
    if occurred_at is not None and occurred_at != event.occurred_at:
        event.occurred_at = occurred_at
        event.edited = True
        fields += ["occurred_at", "edited"]
    event.save(update_fields=sorted(set(fields)))
    return event


def findings_of(events: list[DraftEvent], postmortem: Postmortem) -> dict[int, list[Any]]:
    """Event id -> the linter's findings on its words."""
    zone = postmortem.incident.team.calendar().timezone
    found = lint_descriptions([(e.occurred_at, e.description) for e in events], zone)
    return {e.pk: f for e, f in zip(events, found, strict=True)}


def acceptance_problems(draft: TimelineDraft) -> list[str]:
    """What stands in the way of accepting the timeline, in words; empty when nothing does."""
    postmortem = draft.postmortem
    if draft.accepted_at is not None:
        return ["This timeline was accepted already."]
    if postmortem.is_locked():
        return [postmortem.lock_reason()]
    events = list(draft.events.all())
    problems: list[str] = []
    undecided = [e for e in events if e.state == DraftEvent.State.PROPOSED and not e.is_candidate]
    if undecided:
        problems.append(
            f"{len(undecided)} drafted event(s) are not decided yet: accept, edit or drop each."
        )
    accepted = [e for e in events if e.state == DraftEvent.State.ACCEPTED]
    if not accepted:
        problems.append("Accept at least one event: a timeline needs facts.")
    for event, found in findings_of(accepted, postmortem).items():
        for finding in found:
            where = next(e for e in accepted if e.pk == event)
            problems.append(
                f"“{one_line(where.description, 80)}”: {finding.rule} {finding.message}. "
                "Edit it down to the fact, or drop it."
            )
    return problems


@transaction.atomic
def accept_timeline(draft: TimelineDraft, user: User | None) -> list[TimelineEvent]:
    """The accepted events become the postmortem's timeline; the milestone completes."""
    postmortem = Postmortem.objects.select_for_update().get(pk=draft.postmortem_id)
    draft = TimelineDraft.objects.select_for_update().get(pk=draft.pk)
    problems = acceptance_problems(draft)
    if problems:
        raise Refused(problems)
    created = []
    for event in draft.events.filter(state=DraftEvent.State.ACCEPTED).order_by("occurred_at", "id"):
        description = event.description
        created.append(
            TimelineEvent.objects.create(
                postmortem=postmortem, occurred_at=event.occurred_at, description=description
            )
        )
    with recording_update(postmortem):
        if Postmortem.objects.filter(pk=postmortem.pk, timeline_documented_at=None).update(
            timeline_documented_at=timezone.now()
        ):
            derived.refresh([postmortem.incident_id])  # a milestone done
    draft.accepted_at = timezone.now()
    draft.accepted_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
    draft.save(update_fields=["accepted_at", "accepted_by"])
    return created
