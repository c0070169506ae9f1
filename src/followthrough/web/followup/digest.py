"""The weekly review (seed: "Review open postmortem actions weekly in team lead sync").

``team_review`` groups a team's open action items the way the meeting walks through them:
overdue, due within a week, stalled (``ActionItem.stalled_reason``, the items escalation
takes up, whether overdue or not), the rest; plus what was deprioritised this week (with
the reasons), postmortems waiting to close and forgotten postmortems. The review page shows
it; ``send_due_digests`` mails it to the team lead on the team's weekday and hour, in the
team's timezone (a wall-clock time, so it stays put across daylight-saving changes), once
a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from followthrough.web.accounts.models import Team
from followthrough.web.actions.models import OPEN_STATES, ActionItem, ActionStatus
from followthrough.web.followup.loop import forgotten_postmortems
from followthrough.web.followup.models import TeamSettings
from followthrough.web.followup.notifications import Message, Section, notify, queued_before
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem, Status
from followthrough.web.visibility import incident_q, is_restricted

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

DUE_SOON = timedelta(days=7)
# A worker that was down at the review hour still sends the digest this long after it;
# later, the meeting has happened and next week's digest is the useful one.
CATCH_UP = timedelta(hours=12)
# Lines per digest section; the page has them all.
DIGEST_LINES = 25


def zone_of(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


@dataclass
class Review:
    """One team's follow-through, as of ``now`` (``today`` in the team's timezone)."""

    team: Team
    settings: TeamSettings
    now: datetime
    today: date
    overdue: list[ActionItem] = field(default_factory=list)
    due_soon: list[ActionItem] = field(default_factory=list)
    stalled: list[ActionItem] = field(default_factory=list)
    open: list[ActionItem] = field(default_factory=list)
    deprioritised: list[ActionItem] = field(default_factory=list)
    waiting_to_close: list[Postmortem] = field(default_factory=list)
    forgotten: list[Postmortem] = field(default_factory=list)
    # Why each stalled item is stalled, by item id.
    stalled_reasons: dict[int, str] = field(default_factory=dict)

    @property
    def groups(self) -> list[tuple[str, str, list[ActionItem]]]:
        """(slug, heading, items) in the order the meeting takes them; each item once."""
        return [
            ("overdue", "Overdue", self.overdue),
            ("due-soon", "Due within 7 days", self.due_soon),
            (
                "stalled",
                "Stalled (overdue and untouched since, or no activity for "
                f"{self.settings.stalled_after_days} days)",
                self.stalled,
            ),
            ("open", "Open", self.open),
        ]

    @property
    def open_count(self) -> int:
        return sum(len(items) for _, _, items in self.groups)


def team_review(
    team: Team,
    now: datetime | None = None,
    sort: str = "priority",
    viewer: AbstractBaseUser | AnonymousUser | None = None,
) -> Review:
    """The team's review. With a ``viewer`` (a page), only what they may see; without (the
    digest), everything, and ``digest_message`` marks what a recipient may not see."""
    now = now or timezone.now()
    conf = TeamSettings.of(team)
    today = now.astimezone(zone_of(team)).date()
    review = Review(team, conf, now, today)
    seen = Q() if viewer is None else incident_q(viewer, "incident")
    items = ActionItem.objects.filter(
        Q() if viewer is None else incident_q(viewer, "postmortem__incident"),
        postmortem__incident__team=team,
    ).select_related("owner", "postmortem__incident__team")  # stalled_reason reads the team
    open_items = list(items.open())
    if sort == "due_date":
        open_items.sort(key=lambda i: (i.due_date or date.max, i.pk))
    else:
        open_items.sort(key=ActionItem.priority_order)
    for item in open_items:
        # Stalled first: exactly the items escalation takes up (one definition, on the
        # model), whether or not they are also overdue; the row says why.
        reason = item.stalled_reason(now, conf.stalled_after_days)
        if reason:
            review.stalled.append(item)
            review.stalled_reasons[item.pk] = reason
        elif item.is_overdue(today):
            review.overdue.append(item)
        elif item.due_date is not None and item.due_date <= today + DUE_SOON:
            review.due_soon.append(item)
        else:
            review.open.append(item)
    review.deprioritised = list(
        items.filter(
            status=ActionStatus.DEPRIORITISED, deprioritised_at__gte=now - timedelta(days=7)
        ).order_by("-deprioritised_at")
    )
    review.waiting_to_close = list(
        Postmortem.objects.filter(seen, incident__team=team, status=Status.FINAL)
        .annotate(
            open_items=Count(
                "action_items",
                filter=Q(
                    action_items__status__in=OPEN_STATES, action_items__deleted_at__isnull=True
                ),
            )
        )
        .select_related("incident")
        .order_by("finalized_at", "pk")
    )
    review.forgotten = list(
        forgotten_postmortems(now).filter(seen, incident__team=team).select_related("incident")
    )
    return review


def review_moment(team: Team, conf: TeamSettings, now: datetime) -> datetime:
    """This week's review: the team's weekday and hour on its own wall clock, as an aware
    datetime (weeks start on Monday, in the team's timezone)."""
    zone = zone_of(team)
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=conf.review_weekday)
    return datetime.combine(day, time(conf.review_hour), tzinfo=zone)


def send_due_digests(now: datetime | None = None) -> str:
    """Queue this week's digest for every team whose review time has come within
    ``CATCH_UP`` (once a week: the dedupe key is the team and the date of the review)."""
    now = now or timezone.now()
    queued = 0
    for team in Team.objects.select_related("lead").exclude(lead=None):
        conf = TeamSettings.of(team)
        moment = review_moment(team, conf, now)
        if not moment <= now < moment + CATCH_UP:
            continue
        assert team.lead is not None
        key = f"{team.pk}:{moment.date().isoformat()}"
        if queued_before(f"weekly-review:{key}:{team.lead.pk}|"):
            continue  # this week's is queued already: skip building it again
        queued += notify(
            team.lead,
            team,
            "weekly-review",
            key,
            digest_message(team_review(team, now), moment),
            digest=True,
            team_settings=conf,
        )
    return f"queued {queued}"


Line = tuple[str, str, int | None]


def _secret(incident: Incident) -> int | None:
    """The incident's id when it is a security incident (its lines may be redacted)."""
    return incident.pk if is_restricted(incident) else None


def _item_line(item: ActionItem, today: date, extra: str = "") -> Line:
    owner = item.owner.name if item.owner else "no owner"
    due = f"due {item.due_date:%a %d %b}" if item.due_date else "no due date"
    incident = item.postmortem.incident
    text = f"[{item.priority().bucket}] {item.title} ({incident.key}; {owner}; {due})"
    return (text + (f": {extra}" if extra else ""), item.get_absolute_url(), _secret(incident))


def _section(title: str, lines: list[Line]) -> Section:
    """A digest section of at most ``DIGEST_LINES`` lines, security incidents marked secret."""
    shown = lines[:DIGEST_LINES]
    pairs = [(text, link) for text, link, _ in shown]
    if len(lines) > DIGEST_LINES:
        pairs.append((f"… and {len(lines) - DIGEST_LINES} more on the review page", ""))
    secret = {i: pk for i, (_, _, pk) in enumerate(shown) if pk is not None}
    return Section(title, pairs, "none", secret)


def digest_message(review: Review, moment: datetime) -> Message:
    """The review as a message. Lines about a security incident are marked, so ``notify``
    redacts them for a recipient who may not see that incident."""
    team, today = review.team, review.today
    sections = [
        _section(title, [_item_line(i, today, review.stalled_reasons.get(i.pk, "")) for i in items])
        for _, title, items in review.groups
    ]
    sections.append(
        _section(
            "Deprioritised this week",
            [_item_line(i, today, i.deprioritised_reason) for i in review.deprioritised],
        )
    )
    sections.append(
        _section(
            "Postmortems waiting to close",
            [
                (
                    f"{p.incident.key} {p.incident.title}: {getattr(p, 'open_items', '?')} open item(s)",
                    reverse("postmortem", args=[p.incident_id]),
                    _secret(p.incident),
                )
                for p in review.waiting_to_close
            ],
        )
    )
    sections.append(
        _section(
            "Forgotten postmortems (final, open items, no activity for 30 days)",
            [
                (
                    f"{p.incident.key} {p.incident.title}",
                    reverse("postmortem", args=[p.incident_id]),
                    _secret(p.incident),
                )
                for p in review.forgotten
            ],
        )
    )
    subject = (
        f"{team.name} weekly review, {moment:%a %d %b}: {len(review.overdue)} overdue, "
        f"{len(review.due_soon)} due soon, {len(review.stalled)} stalled"
    )
    intro = (
        f"Open postmortem actions of {team.name} for this week's team lead sync: "
        f"{review.open_count} open in all."
    )
    return Message(subject, intro, reverse("weekly-review", args=[team.slug]), sections)
