"""The followup part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls.

- ``GET/PATCH /teams/{id}/follow-up``: review weekday and hour, thresholds, Slack. The
  webhook URL and bot token are write-only: responses say only whether one is set.
- ``GET/PATCH /me/notification-preferences``: how follow-through reaches you.
- ``GET /teams/{id}/review``: the weekly review, grouped, sorted by priority or due date.
- ``GET /me/work``: my open action items, the milestones I own and the meetings I
  facilitate, across teams, overdue first, then by priority (or due date).
- ``GET /action-items/{id}/history``: who changed what and when, escalation steps, and
  messages about the item that failed or wait for a retry.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import StringConstraints

from followthrough.web.accounts.models import Team
from followthrough.web.accounts.schemas import PersonRef
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.schemas import ACTION_RELATED, ActionItemOut
from followthrough.web.api.access import get_visible, user_of
from followthrough.web.api.errors import FieldError
from followthrough.web.api.schemas import ERRORS, WRITE_ERRORS, In, Pages, PathId
from followthrough.web.followup import mywork
from followthrough.web.followup.digest import team_review
from followthrough.web.followup.models import Notification, Preferences, TeamSettings
from followthrough.web.followup.notifications import troubled
from followthrough.web.history.recording import history_of
from followthrough.web.integrations.vendors import channels
from followthrough.web.lib.viewer_time import viewer_zone_of, zone_named
from followthrough.web.transport import URL_RULE
from followthrough.web.visibility import incident_q

router = Router(tags=["follow-up"])

Hour = Annotated[int, Field(ge=0, le=23)]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")]
Days = Annotated[int, Field(ge=1, le=365)]
Hours = Annotated[int, Field(ge=1, le=168)]
OwnerDays = Annotated[
    int, Field(ge=0, le=20, description="Business days before the due date; 0: on the day.")
]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Channel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
ChannelKind = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]
ChannelField = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
ChannelValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
SlackUser = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64, pattern=r"^@?[\w.\-]*$")
]


class TeamSettingsOut(Schema):
    team_id: int
    review_weekday: int
    review_hour: int
    stalled_after_days: int
    escalate_after_days: int
    remind_before_hours: int
    remind_owner_business_days: int
    slack_channel: str
    has_slack_webhook: bool
    has_slack_bot_token: bool
    channels: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Settings of other channels by kind; a secret shows as <field>_set: true.",
    )


class TeamSettingsPatch(In):
    review_weekday: Weekday = None  # type: ignore[assignment]
    review_hour: Hour = None  # type: ignore[assignment]
    stalled_after_days: Days = None  # type: ignore[assignment]
    escalate_after_days: Days = None  # type: ignore[assignment]
    remind_before_hours: Hours = None  # type: ignore[assignment]
    remind_owner_business_days: OwnerDays = None  # type: ignore[assignment]
    slack_channel: Channel = None  # type: ignore[assignment]
    slack_webhook_url: Secret = Field(
        None, description=f'Write-only. "" removes it; absent leaves it. {URL_RULE}'
    )  # type: ignore[assignment]
    slack_bot_token: Secret = Field(
        None, description='Write-only, xoxb-…. "" removes it; absent leaves it.'
    )  # type: ignore[assignment]
    channels: dict[ChannelKind, dict[ChannelField, ChannelValue]] = Field(
        None,
        description='Settings of other channels by kind, merged over the stored ones: "" '
        "removes a field; {} removes the channel's settings.",
    )  # type: ignore[assignment]


class PreferencesOut(Schema):
    person_id: int
    email_enabled: bool
    slack_enabled: bool
    slack_user: str
    digest_enabled: bool
    reminders_enabled: bool


class PreferencesPatch(In):
    email_enabled: bool = None  # type: ignore[assignment]
    slack_enabled: bool = None  # type: ignore[assignment]
    slack_user: SlackUser = None  # type: ignore[assignment]
    digest_enabled: bool = None  # type: ignore[assignment]
    reminders_enabled: bool = None  # type: ignore[assignment]


class MeOut(Schema):
    person_id: int
    name: str
    email: str
    timezone: str = Field(
        description="The zone you chose for times on pages (IANA name); empty: your team's."
    )
    effective_timezone: str = Field(
        description="The zone pages show you times in: yours, else your first team's, else UTC."
    )


class MePatch(In):
    timezone: Annotated[str, StringConstraints(max_length=64)] = None  # type: ignore[assignment]


class PostmortemRefOut(Schema):
    id: int
    incident_id: int
    incident_key: str
    title: str
    open_items: int | None = None


class ReviewOut(Schema):
    team_id: int
    today: date
    overdue: list[ActionItemOut]
    due_soon: list[ActionItemOut]
    stalled: list[ActionItemOut]
    open: list[ActionItemOut]
    deprioritised_this_week: list[ActionItemOut]
    waiting_to_close: list[PostmortemRefOut]
    forgotten: list[PostmortemRefOut]


class MessageOut(Schema):
    id: int
    kind: str = Field(description="What it was about: digest, escalation, reminder…")
    channel: str
    recipient: PersonRef | None = Field(description="Null: posted to the team's channel.")
    team_id: int | None
    action_item_id: int | None
    postmortem_id: int | None
    subject: str
    status: str = Field(description="pending, sending, sent or failed.")
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


MESSAGE_FIELDS = (
    "id",
    "kind",
    "channel",
    "recipient",
    "team_id",
    "action_item_id",
    "postmortem_id",
    "subject",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "sent_at",
)


class ItemChangeOut(Schema):
    at: datetime
    who: str
    action: str
    note: str
    changed: dict[str, list[Any]]


class EscalationOut(Schema):
    level: int
    to_person_id: int
    to_person: str
    reason: str
    at: datetime


class DeliveryProblemOut(Schema):
    channel: str
    recipient_id: int | None
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    message: str


class ItemHistoryOut(Schema):
    item_id: int
    changes: list[ItemChangeOut]
    escalations: list[EscalationOut]
    delivery_problems: list[DeliveryProblemOut]


def _settings_out(conf: TeamSettings) -> dict[str, Any]:
    return {
        "team_id": conf.team_id,
        "review_weekday": conf.review_weekday,
        "review_hour": conf.review_hour,
        "stalled_after_days": conf.stalled_after_days,
        "escalate_after_days": conf.escalate_after_days,
        "remind_before_hours": conf.remind_before_hours,
        "remind_owner_business_days": conf.remind_owner_business_days,
        "slack_channel": conf.slack_channel,
        "has_slack_webhook": bool(conf.slack_webhook_url),
        "has_slack_bot_token": bool(conf.slack_bot_token),
        "channels": {kind: _shown(kind, data) for kind, data in (conf.channels or {}).items()},
    }


def _shown(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A channel's settings as the API answers them: secrets as ``<field>_set`` only."""
    vendor = channels().get(kind)
    secrets = vendor.team_settings.secret_fields() if vendor and vendor.team_settings else set()
    shown = {k: v for k, v in data.items() if k not in secrets}
    shown.update({f"{name}_set": bool(data.get(name)) for name in secrets})
    return shown


def _merged_channels(conf: TeamSettings, changes: dict[str, dict[str, str]]) -> dict[str, Any]:
    merged = {kind: dict(values) for kind, values in (conf.channels or {}).items()}
    for kind, values in changes.items():
        vendor = channels().get(kind)
        if vendor is None or vendor.team_settings is None:
            raise FieldError(f"channels.{kind}", f"There is no channel {kind!r} with settings.")
        current = merged.get(kind, {}) if values else {}
        current.update(values)
        current = {k: v for k, v in current.items() if v != ""}
        if current:
            merged[kind] = current
        else:
            merged.pop(kind, None)
    return merged


def _require_lead(request: HttpRequest, team: Team) -> None:
    if team.is_led_by(user_of(request)):  # the one definition (TeamQuerySet.led_by)
        return
    raise HttpError(403, f"Only a lead of {team.name} or an admin changes its follow-up settings.")


@router.get("/teams/{team_id}/follow-up", response={200: TeamSettingsOut, **ERRORS})
def get_team_settings(request: HttpRequest, team_id: PathId) -> Any:
    """The team's follow-up settings. Secrets show only as ``has_…``."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    return _settings_out(TeamSettings.of(team))


@router.patch("/teams/{team_id}/follow-up", response={200: TeamSettingsOut, **WRITE_ERRORS})
def update_team_settings(request: HttpRequest, team_id: PathId, payload: TeamSettingsPatch) -> Any:
    """Change the team's follow-up settings (its leads and admins)."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    _require_lead(request, team)
    conf = TeamSettings.of(team)
    fields = payload.model_dump(exclude_unset=True)
    token = fields.get("slack_bot_token")
    if token and not token.startswith("xoxb-"):
        raise FieldError("slack_bot_token", "A Slack bot token starts with xoxb-.")
    for name, value in fields.items():
        if value is None:
            raise FieldError(name, "Cannot be null; leave the field out to keep it.")
        if name == "channels":
            value = _merged_channels(conf, value)
        setattr(conf, name, value)
    conf.full_clean()
    conf.save()
    return _settings_out(conf)


def _my_preferences(request: HttpRequest) -> Preferences:
    person = getattr(user_of(request), "person", None)
    if person is None:
        raise HttpError(404, "Your login has no person record; an admin can add one.")
    return Preferences.of(person)


def _prefs_out(prefs: Preferences) -> dict[str, Any]:
    return {
        "person_id": prefs.person_id,
        "email_enabled": prefs.email_enabled,
        "slack_enabled": prefs.slack_enabled,
        "slack_user": prefs.slack_user,
        "digest_enabled": prefs.digest_enabled,
        "reminders_enabled": prefs.reminders_enabled,
    }


@router.get("/me/notification-preferences", response={200: PreferencesOut, **ERRORS})
def get_preferences(request: HttpRequest) -> Any:
    return _prefs_out(_my_preferences(request))


@router.patch("/me/notification-preferences", response={200: PreferencesOut, **WRITE_ERRORS})
def update_preferences(request: HttpRequest, payload: PreferencesPatch) -> Any:
    """E-mail on or off, Slack on or off (and who you are there), the weekly digest,
    reminders about the action items you own."""
    prefs = _my_preferences(request)
    for name, value in payload.model_dump(exclude_unset=True).items():
        if value is None:
            raise FieldError(name, "Cannot be null; leave the field out to keep it.")
        setattr(prefs, name, value)
    prefs.full_clean()
    prefs.save()
    return _prefs_out(prefs)


def _me(request: HttpRequest) -> Any:
    person = getattr(user_of(request), "person", None)
    if person is None:
        raise HttpError(404, "Your login has no person record; an admin can add one.")
    return person


def _me_out(request: HttpRequest, person: Any) -> dict[str, Any]:
    zone, _ = viewer_zone_of(user_of(request))
    return {
        "person_id": person.pk,
        "name": person.name,
        "email": person.email,
        "timezone": person.timezone,
        "effective_timezone": str(zone),
    }


@router.get("/me", response={200: MeOut, **ERRORS})
def get_me(request: HttpRequest) -> Any:
    """Who you are here, and the timezone the pages show you times in."""
    return _me_out(request, _me(request))


@router.patch("/me", response={200: MeOut, **WRITE_ERRORS})
def update_me(request: HttpRequest, payload: MePatch) -> Any:
    """Your timezone for times on pages: an IANA name (``Asia/Tokyo``), or ``""`` for your
    first team's."""
    person = _me(request)
    changes = payload.model_dump(exclude_unset=True)
    if "timezone" in changes:
        name = changes["timezone"]
        if name is None:
            raise FieldError("timezone", 'Cannot be null; give "" for your team\'s timezone.')
        if name and zone_named(name) is None:
            raise FieldError("timezone", "Unknown timezone: give an IANA name such as Asia/Tokyo.")
        person.timezone = name
        person.save()
    return _me_out(request, person)


def _pm_ref(pm: Any) -> dict[str, Any]:
    return {
        "id": pm.pk,
        "incident_id": pm.incident_id,
        "incident_key": pm.incident.key,
        "title": pm.incident.title,
        "open_items": getattr(pm, "open_items", None),
    }


@router.get("/teams/{team_id}/review", response={200: ReviewOut, **ERRORS})
def get_review(
    request: HttpRequest,
    team_id: PathId,
    sort: Annotated[
        Literal["priority", "due_date"],
        Query(description="`priority` (most urgent first) or `due_date` (soonest first)."),
    ] = "priority",
) -> Any:
    """The weekly review: overdue, due within 7 days, stalled, the rest open; deprioritised
    this week (with reasons), postmortems waiting to close, forgotten postmortems."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    review = team_review(team, sort=sort, viewer=user_of(request))
    return {
        "team_id": team.pk,
        "today": review.today,
        "overdue": review.overdue,
        "due_soon": review.due_soon,
        "stalled": review.stalled,
        "open": review.open,
        "deprioritised_this_week": review.deprioritised,
        "waiting_to_close": [_pm_ref(p) for p in review.waiting_to_close],
        "forgotten": [_pm_ref(p) for p in review.forgotten],
    }


@router.get("/action-items/{item_id}/history", response={200: ItemHistoryOut, **ERRORS})
def get_item_history(request: HttpRequest, item_id: PathId) -> Any:
    """Every recorded change (who, when, before -> after), escalation steps, and messages
    about the item that failed or are waiting for a retry."""
    item = get_visible(
        request, ActionItem.objects.select_related(*ACTION_RELATED), item_id, "action item"
    )
    return {
        "item_id": item.pk,
        "changes": [
            {
                "at": c.at,
                "who": c.who,
                "action": c.action,
                "note": c.note,
                "changed": {k: list(v) for k, v in c.changed_fields().items()},
            }
            for c in history_of(item)[:500]
        ],
        "escalations": [
            {
                "level": e.level,
                "to_person_id": e.to_person_id,
                "to_person": e.to_person.name,
                "reason": e.reason,
                "at": e.at,
            }
            for e in item.escalations.select_related("to_person")
        ],
        "delivery_problems": [
            {
                "channel": n.channel,
                "recipient_id": n.recipient_id,
                "status": n.status,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "next_attempt_at": n.next_attempt_at if n.status == "pending" else None,
                "message": n.problem(),
            }
            for n in troubled(action_item=item)[:50]
        ],
    }


class WorkEntryOut(Schema):
    kind: Literal["action_item", "milestone", "meeting"]
    id: int = Field(description="The action item's, postmortem's or meeting's id.")
    title: str
    role: str = Field(description="Why it is yours: owner, incident commander, facilitator…")
    milestone: str = Field(description="The milestone's key (milestones only), else empty.")
    incident_id: int
    incident_key: str
    incident_title: str
    team_id: int
    team_timezone: str
    due_at: datetime | None = Field(description="When it is due (an item: end of its due date).")
    due_date: date | None = Field(description="The due date in the team's timezone.")
    overdue: bool
    priority: str = Field(description='The item\'s bucket, or "deadline" (milestones, meetings).')
    status: str
    url: str


@router.get("/me/work", response={200: list[WorkEntryOut], **ERRORS})
@paginate(Pages)
def get_my_work(
    request: HttpRequest,
    sort: Annotated[
        Literal["priority", "due_date"],
        Query(description="Overdue first, then `priority` or `due_date`."),
    ] = "priority",
) -> Any:
    """What I have to do, across every team I may see: my open action items, the milestones
    I own and the meetings I facilitate that have not been held."""
    user = user_of(request)
    person = getattr(user, "person", None)
    if person is None:
        raise HttpError(404, "Your login has no person record; an admin can add one.")
    entries = mywork.my_work(user, person, sort=sort)
    return [
        {
            "kind": e.kind,
            "id": e.id,
            "title": e.title,
            "role": e.role,
            "milestone": e.milestone,
            "incident_id": e.incident.pk,
            "incident_key": e.incident.key,
            "incident_title": e.incident.title,
            "team_id": e.team.pk,
            "team_timezone": e.team.timezone,
            "due_at": e.due_at,
            "due_date": e.due_date,
            "overdue": e.overdue,
            "priority": e.priority,
            "status": e.status,
            "url": request.build_absolute_uri(e.path),
        }
        for e in entries
    ]


@router.get("/action-items/{item_id}/messages", response={200: list[MessageOut], **ERRORS})
@paginate(Pages)
def list_item_messages(request: HttpRequest, item_id: PathId) -> Any:
    """The messages sent (or queued) about this action item, newest first: reminders,
    escalations, tracker and channel notices, with their delivery status."""
    item = get_visible(request, ActionItem.objects.all(), item_id, "action item")
    return Notification.objects.filter(action_item=item).select_related("recipient")


@router.get("/teams/{team_id}/messages", response={200: list[MessageOut], **ERRORS})
@paginate(Pages)
def list_team_messages(
    request: HttpRequest,
    team_id: PathId,
    status: Annotated[
        Literal["pending", "sending", "sent", "failed"] | None, Query(description="Only these.")
    ] = None,
) -> Any:
    """The messages of the team, newest first: posts to its channels, digests, and every
    message about its postmortems and action items that you may see."""
    team = get_visible(request, Team.objects.all(), team_id, "team")
    user = user_of(request)
    about_item = Q(action_item__postmortem__incident__team=team) & incident_q(
        user, "action_item__postmortem__incident"
    )
    about_postmortem = Q(postmortem__incident__team=team) & incident_q(user, "postmortem__incident")
    unattached = Q(team=team, action_item=None, postmortem=None)
    messages = Notification.objects.filter(unattached | about_item | about_postmortem)
    if status is not None:
        messages = messages.filter(status=status)
    return messages.select_related("recipient").order_by("-created_at", "-pk")
