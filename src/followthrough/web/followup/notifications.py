"""Messages through an outbox: queue once, claim with a lease, mark sending, send, retry.

``notify`` turns one message for one person into one ``Notification`` row per channel the
person wants (every vendor of the registry with ``send``: e-mail, Slack, ...). Rows are
inserted with ON CONFLICT DO NOTHING on their unique ``dedupe_key``, so running the same
check twice (or in two workers) queues nothing new.

``deliver_due`` sends what is due. Each row is claimed with one conditional UPDATE that
sets the worker's lease and marks it ``sending`` before anything is sent; only the worker
whose UPDATE counted 1 sends it. Every attempt carries the row's ``delivery_key`` the way the
vendor allows (e-mail ``Message-ID``, Slack message metadata and a ``ref`` in the message,
an ``Idempotency-Key`` header on HTTP).

The promise (docs/notifications.md): every message is delivered at least once. A worker
killed mid-send leaves the row ``sending`` under a lease; when the lease (``LEASE``) runs out
another worker sends it again, with the same key, so the rare second copy (the vendor took
the message, the worker died before recording it) is recognisably the same message. A
failure (SMTP down, Slack 5xx or 429) is recorded as data (classification, status, our
words; never the remote answer) and retried with backoff honouring ``Retry-After``; a
permanent one (a refused token, an unknown channel) or ``MAX_ATTEMPTS`` failures mark it
failed. Pages show both. Nothing here raises into a page or the worker loop.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough.web.accounts.models import Person, Team
from followthrough.web.followup.models import (
    Channel,
    Delivery,
    Notification,
    Preferences,
    TeamSettings,
)
from followthrough.web.integrations.vendors import channels
from followthrough.web.lib.delivery import ErrorKind, Failure
from followthrough.web.transport import TransportError
from followthrough.web.visibility import readable_incident_ids

log = logging.getLogger(__name__)

LEASE = Notification.LEASE
BACKOFF_BASE = Notification.BACKOFF_BASE
BACKOFF_MAX = Notification.BACKOFF_MAX
MAX_ATTEMPTS = Notification.MAX_ATTEMPTS


# What a reader who may not see a security incident reads in its place.
RESTRICTED = "a security incident (details restricted)"


@dataclass
class Section:
    """A heading and its lines; a line may link to a page (path or absolute URL).

    ``secret`` maps the index of each line that names a security incident to that
    incident's id, so the line can be redacted for a reader who may not see it.
    """

    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    empty: str = ""
    secret: dict[int, int] = field(default_factory=dict)


@dataclass
class Message:
    """What to say, channel-free: rendered to plain text, HTML e-mail and Slack blocks.

    A message whose subject and intro name a security incident sets ``secret_incident`` and
    says in ``restricted_subject``/``restricted_intro`` what a reader who may not see it
    reads instead (``restricted_path`` then replaces the link). ``notify`` decides, per
    recipient, through ``followthrough.web.visibility``.
    """

    subject: str
    intro: str
    path: str
    sections: list[Section] = field(default_factory=list)
    secret_incident: int | None = None
    restricted_subject: str = ""
    restricted_intro: str = ""
    restricted_path: str = "/"

    def secret_ids(self) -> set[int]:
        """The security incidents this message names."""
        ids = {pk for section in self.sections for pk in section.secret.values()}
        if self.secret_incident is not None:
            ids.add(self.secret_incident)
        return ids

    def readable_by(self, allowed: set[int]) -> Message:
        """This message for a reader who may see only the security incidents in ``allowed``."""
        if not self.secret_ids() - allowed:
            return self
        hidden = self.secret_incident is not None and self.secret_incident not in allowed
        sections = [
            Section(
                s.title,
                [
                    (RESTRICTED, "") if i in s.secret and s.secret[i] not in allowed else line
                    for i, line in enumerate(s.lines)
                ],
                s.empty,
            )
            for s in self.sections
        ]
        return Message(
            self.restricted_subject if hidden else self.subject,
            self.restricted_intro if hidden else self.intro,
            self.restricted_path if hidden else self.path,
            sections,
        )

    @property
    def url(self) -> str:
        return absolute(self.path)

    def text(self) -> str:
        out = [self.intro, ""]
        for section in self.sections:
            out.append(f"{section.title}:")
            if not section.lines:
                out.append(f"  {section.empty or 'none'}")
            for line, link in section.lines:
                out.append(f"  - {line}" + (f" <{absolute(link)}>" if link else ""))
            out.append("")
        out.append(f"Open: {self.url}")
        return "\n".join(out)

    def html(self) -> str:
        sections = [
            {
                "title": s.title,
                "empty": s.empty or "none",
                "lines": [(line, absolute(link) if link else "") for line, link in s.lines],
            }
            for s in self.sections
        ]
        return render_to_string(
            "followup/email/message.html",
            {"subject": self.subject, "intro": self.intro, "sections": sections, "url": self.url},
        )


def absolute(path: str) -> str:
    """A link back to the page, on the address people reach the service at (``BASE_URL``)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def notify(
    person: Person,
    team: Team | None,
    kind: str,
    key: str,
    message: Message,
    *,
    action_item: Any = None,
    postmortem: Any = None,
    digest: bool = False,
    team_settings: TeamSettings | None = None,
) -> int:
    """Queue ``message`` to ``person`` on each channel they want. Returns rows created.

    ``key`` identifies the occasion (e.g. ``"{postmortem}:{milestone}"``); with the kind,
    person and channel it forms the unique dedupe key, so notifying twice queues once. An
    occasion already queued costs one query (nothing is rendered). ``team_settings`` saves
    a query when the caller has them.
    """
    # "kind:key:person|channel": the person id is a number and the last part before "|",
    # so the prefix up to "|" names exactly one (kind, key, person).
    prefix = f"{kind}:{key}:{person.pk}|"
    if queued_before(prefix):
        return 0  # this occasion was queued before: the common case of a periodic re-check
    prefs = Preferences.of(person)
    if digest and not prefs.digest_enabled:
        return 0
    conf = None
    if team is not None:
        conf = team_settings if team_settings is not None else TeamSettings.of(team)
    wanted = [
        vendor
        for vendor in channels().values()
        if vendor.wants is not None and vendor.wants(person, prefs, team, conf)
    ]
    if not wanted:
        return 0
    secret = message.secret_ids()
    # A private channel (e-mail) goes to the person alone: it names what they may see. Chat
    # may post to a channel whose members nobody here knows: security incidents are always
    # redacted there.
    personal = message.readable_by(readable_incident_ids(person, secret))
    shared = message.readable_by(set())
    rows = []
    for vendor in wanted:
        version = personal if vendor.private_channel else shared
        rows.append(
            Notification(
                dedupe_key=f"{prefix}{vendor.kind}"[:255],
                kind=kind,
                channel=vendor.kind,
                recipient=person,
                team=team,
                action_item=action_item,
                postmortem=postmortem,
                subject=version.subject[:300],
                text=version.text(),
                html=version.html() if vendor.private_channel else "",
                url=version.url[:500],
            )
        )
    return _insert(rows)


def queued_before(prefix: str) -> bool:
    """Whether a notification with this ``kind:key:person|`` prefix exists on any channel
    (exact keys, so the unique index answers on SQLite and PostgreSQL alike)."""
    keys = [f"{prefix}{channel}"[:255] for channel in channels()]
    return Notification.objects.filter(dedupe_key__in=keys).exists()


def notify_team_channel(
    team: Team, kind: str, key: str, message: Message, channel: str = Channel.SLACK
) -> int:
    """Queue ``message`` to the team's own channel on ``channel`` (Slack, or a channel with
    team settings such as Teams), e.g. a test message; 0 when the team has none set."""
    conf = TeamSettings.of(team)
    has = conf.has_slack() if channel == Channel.SLACK else conf.channel_settings(channel)
    if not has or channel not in channels():
        return 0
    message = message.readable_by(set())  # a channel: security incidents always redacted
    row = Notification(
        dedupe_key=f"{kind}:{key}:team{team.pk}|{channel}"[:255],
        kind=kind,
        channel=channel,
        team=team,
        subject=message.subject[:300],
        text=message.text(),
        url=message.url[:500],
    )
    return _insert([row])


def _insert(rows: list[Notification]) -> int:
    if not rows:
        return 0
    keys = [r.dedupe_key for r in rows]
    before = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(set(keys) - before)


def due(now: datetime | None = None) -> Q:
    """Rows to send now: pending ones whose time has come and nobody holds, and ones left
    ``sending`` by a worker whose lease ran out (it died mid-send)."""
    now = now or timezone.now()
    waiting = Q(status=Delivery.PENDING, next_attempt_at__lte=now) & Notification.lease_free(now)
    abandoned = Q(status=Delivery.SENDING, claimed_until__lt=now)
    return waiting | abandoned


def claim(pk: int, worker: str, now: datetime | None = None) -> bool:
    """Take row ``pk`` for ``LEASE`` and mark it sending; True only for the one worker whose
    UPDATE counted it."""
    now = now or timezone.now()
    return Notification.claim(pk, worker, due(now), now=now, status=Delivery.SENDING)


def deliver_due(worker: str, *, limit: int = 200, stop: Any = None) -> dict[str, int]:
    """Send up to ``limit`` due notifications. Returns counts of sent/retrying/failed/skipped."""
    counts = {"sent": 0, "retrying": 0, "failed": 0, "withdrawn": 0, "skipped": 0}
    rows = list(
        Notification.objects.filter(due())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "status")[:limit]
    )
    for pk, status in rows:
        if stop is not None and stop.is_set():
            break
        if not claim(pk, worker):
            counts["skipped"] += 1
            continue
        if status == Delivery.SENDING:
            log.warning(
                "Notification %s was being sent by a worker that stopped; sending it again "
                "with the same delivery key.",
                pk,
            )
        counts[deliver(pk, worker)] += 1
    return counts


def deliver(pk: int, worker: str) -> str:
    """Send one claimed row and record the outcome: "sent", "retrying", "failed" or "withdrawn"."""
    row = Notification.objects.select_related("recipient", "team", "action_item", "postmortem").get(
        pk=pk
    )
    if _about_something_deleted(row):
        withdrawn = Failure(ErrorKind.WITHDRAWN, permanent=True, note=WITHDRAWN)
        _record_failure(row, worker, withdrawn)
        return "withdrawn"
    vendor = channels().get(row.channel)
    try:
        if vendor is None or vendor.send is None:
            raise TransportError(
                f"no channel {row.channel!r} is registered any more",
                permanent=True,
                kind=ErrorKind.SETTINGS,
            )
        vendor.send(row)
    except Exception as e:
        failure = Failure.of(e)
        if failure.kind is ErrorKind.UNEXPECTED:  # a bug in one message must not stop the others
            log.exception("Sending notification %s failed unexpectedly", pk)
        return _record_failure(row, worker, failure)
    Notification.record(
        pk,
        worker,
        status=Delivery.SENT,
        sent_at=timezone.now(),
        **Notification.success_fields(),
    )
    return "sent"


WITHDRAWN = "Not sent: what it is about was deleted before it went out."


def _about_something_deleted(row: Notification) -> bool:
    """A message queued about an action item or postmortem that has since been deleted."""
    about = (row.action_item, row.postmortem)
    return any(obj is not None and obj.is_deleted for obj in about)


def _record_failure(row: Notification, worker: str, failure: Failure) -> str:
    final = Notification.gives_up(row.attempts, failure)
    log.warning("Notification %s (%s) failed: %s", row.pk, row.channel, failure.sentence())
    Notification.record(
        row.pk,
        worker,
        status=Delivery.FAILED if final else Delivery.PENDING,
        **Notification.failure_fields(row.attempts, failure),
    )
    if failure.kind is ErrorKind.WITHDRAWN:
        return "withdrawn"
    return "failed" if final else "retrying"


def problems(rows: Iterable[Notification]) -> list[str]:
    """Sentences about deliveries in trouble, for pages."""
    return [p for p in (row.problem() for row in rows) if p]


def troubled(**filters: Any) -> Any:
    """Notifications that failed or are waiting for a retry, newest first."""
    return (
        Notification.objects.filter(**filters)
        .filter(Q(status=Delivery.FAILED) | Q(status=Delivery.PENDING, attempts__gt=0))
        .select_related("recipient", "team")
    )


def troubled_for_postmortem(postmortem: Any) -> Any:
    """Deliveries in trouble about a postmortem or any of its action items (lazy: costs a
    query only where a page renders it)."""
    return troubled().filter(Q(postmortem=postmortem) | Q(action_item__postmortem=postmortem))[:10]
