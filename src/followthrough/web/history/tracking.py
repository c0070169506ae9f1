"""Which models the history follows, and where each one belongs (its team and incident).

One registry, ``TRACKED``: model label -> how to find the row's team and incident (stored
on each change, so the organisation-wide history filters by team and visibility cheaply)
and which fields are secrets (kept as "set"/"replaced"/"", never the value).

Signals (``history.signals``) record every save and delete of these models, whatever made
it: a page, the API, the worker, ingest, the CLI or the Django admin. ``save_versioned``
sends ``pre_save``/``post_save`` for its conditional UPDATE, so it is covered too.

Writes that bypass signals (``QuerySet.update``) on tracked models, and why each is fine:
- ``postmortems.loop.close_the_loop`` (postmortem closes/reopens itself): recorded explicitly.
- ``postmortems.operations.add_timeline_event`` / ``refresh_actions_tracked`` (the
  "timeline documented" and "actions tracked" milestones) and ``reorder`` (positions of
  whys and factors): recorded with ``recording.recording_update``.
- ``demo.load_demo`` back-dates the demo's postmortems and items right after creating
  them: seeding, not a change anyone made; their creation is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

Scope = tuple[int | None, int | None]  # (team_id, incident_id)


def _none(obj: Any) -> Scope:
    return None, None


def _own_team(obj: Any) -> Scope:
    return obj.team_id, None


def _team(obj: Any) -> Scope:
    return obj.pk, None


def _incident(obj: Any) -> Scope:
    return obj.team_id, obj.pk


def _of_incident(incident_id: int | None) -> Scope:
    if incident_id is None:
        return None, None
    incident = apps.get_model("incidents", "Incident")
    team_id = incident._base_manager.filter(pk=incident_id).values_list("team_id", flat=True)
    return team_id.first(), incident_id


def _postmortem(obj: Any) -> Scope:
    return _of_incident(obj.incident_id)


def _of_postmortem(postmortem_id: int | None) -> Scope:
    postmortem = apps.get_model("postmortems", "Postmortem")
    row = (
        postmortem._base_manager.filter(pk=postmortem_id)
        .values_list("incident__team_id", "incident_id")
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


def _in_postmortem(obj: Any) -> Scope:
    return _of_postmortem(obj.postmortem_id)


def _in_draft(obj: Any) -> Scope:
    draft = apps.get_model("drafting", "TimelineDraft")
    row = draft._base_manager.filter(pk=obj.draft_id).values_list("postmortem_id", flat=True)
    return _of_postmortem(row.first())


def _escalation(obj: Any) -> Scope:
    item = apps.get_model("actions", "ActionItem")
    row = (
        item._base_manager.filter(pk=obj.item_id)
        .values_list("postmortem__incident__team_id", "postmortem__incident_id")
        .first()
    )
    return (row[0], row[1]) if row else (None, None)


@dataclass(frozen=True)
class Tracked:
    scope: Callable[[Any], Scope]
    # Kept as "set"/"replaced"/"", never the value; shown only to the team's leads.
    secrets: tuple[str, ...] = ()
    # Shown in the per-object and organisation-wide history: what kind of thing this is.
    kind: str = ""
    # Settings only the team's leads manage: their changes are shown to leads and admins
    # only (``accounts.visibility.led_team_ids``), never to the team's other readers.
    leads_only: bool = False


TRACKED: dict[str, Tracked] = {
    "incidents.Incident": Tracked(_incident, kind="incident"),
    "postmortems.Postmortem": Tracked(_postmortem, kind="postmortem"),
    "postmortems.Why": Tracked(_in_postmortem, kind="why"),
    "postmortems.TimelineEvent": Tracked(_in_postmortem, kind="timeline event"),
    "postmortems.ContributingFactor": Tracked(_in_postmortem, kind="contributing factor"),
    "postmortems.Meeting": Tracked(_in_postmortem, kind="meeting"),
    "actions.ActionItem": Tracked(_in_postmortem, kind="action item"),
    "followup.Escalation": Tracked(_escalation, kind="escalation"),
    "drafting.TimelineDraft": Tracked(_in_postmortem, kind="drafted timeline"),
    "drafting.DraftEvent": Tracked(_in_draft, kind="drafted timeline event"),
    "drafting.DraftSources": Tracked(
        _own_team, ("github_token",), "timeline sources", leads_only=True
    ),
    "accounts.Team": Tracked(_team, kind="team"),
    "accounts.Membership": Tracked(_own_team, kind="membership"),
    # A person's name, e-mail, handle and manager: organisation-wide, so admins read them.
    "accounts.Person": Tracked(_none, kind="person"),
    "accounts.Invitation": Tracked(_own_team, ("digest",), "invitation"),
    "accounts.Organisation": Tracked(_none, kind="organisation"),
    "assistant.AssistantSettings": Tracked(_none, ("api_key",), "writing assistant settings"),
    "followup.TeamSettings": Tracked(
        _own_team, ("slack_webhook_url", "slack_bot_token"), "team settings"
    ),
    "followup.Preferences": Tracked(_none, kind="notification preferences"),
    "integrations.TrackerConfig": Tracked(
        _own_team, ("api_token", "webhook_secret"), "tracker settings", leads_only=True
    ),
    "ingest.IngestSource": Tracked(_own_team, ("secret",), "incident source", leads_only=True),
    # Accounts (admins only): enabled, admin rights, address, whatever changed them (the
    # admin site, single sign-on, SCIM, `followthrough deprovision`).
    "auth.User": Tracked(_none, ("password",), "account"),
    "accounts.SsoIdentity": Tracked(_none, kind="sso identity"),
    "accounts.SsoRefusal": Tracked(_none, kind="sso refusal"),
}

# The settings of a team: what its "settings history" shows.
TEAM_SETTINGS = (
    "accounts.Team",
    "accounts.Membership",
    "accounts.Invitation",
    "followup.TeamSettings",
    "integrations.TrackerConfig",
    "ingest.IngestSource",
    "drafting.DraftSources",
)


def label_of(model: type[models.Model]) -> str:
    concrete = model._meta.concrete_model or model
    return f"{concrete._meta.app_label}.{concrete.__name__}"


def tracked(model: type[models.Model]) -> Tracked | None:
    return TRACKED.get(label_of(model))


def tracked_by_type(content_type_id: int) -> Tracked | None:
    """The registry's entry of the model a change's content type names, if it is tracked."""
    from django.contrib.contenttypes.models import ContentType

    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return tracked(model) if model is not None else None


def tracked_models() -> list[type[models.Model]]:
    return [apps.get_model(name) for name in TRACKED]


def scope_of(obj: models.Model) -> Scope:
    entry = tracked(type(obj))
    return entry.scope(obj) if entry is not None else (None, None)
