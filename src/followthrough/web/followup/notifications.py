"""Messages through an outbox: queue once, claim with a lease, send, retry with backoff.

``notify`` turns one message for one person into one ``Notification`` row per channel the
person wants (e-mail, Slack). Rows are inserted with ON CONFLICT DO NOTHING on their unique
``dedupe_key``, so running the same check twice (or in two workers) queues nothing new.

``deliver_due`` sends what is due. Each row is claimed with a conditional UPDATE
(``status=pending`` and no live lease); only the worker whose UPDATE counted 1 sends it.
A worker killed mid-send leaves its lease (``LEASE``) to expire; another worker then sends
the row again. So delivery is exactly once, except in the window between the mail server or
Slack accepting the message and the row being marked sent, where it is at least once.

A failure (SMTP down, Slack 5xx or 429) is recorded on the row (``last_error``) and retried
with exponential backoff (``backoff``), honouring Slack's ``Retry-After``; a permanent one
(a refused token, an unknown channel) or ``MAX_ATTEMPTS`` failures mark it failed. Pages
show both. Nothing here raises into a page or the worker loop.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connections
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from followthrough.web import transport
from followthrough.web.accounts.models import Person, Team
from followthrough.web.accounts.visibility import readable_incident_ids
from followthrough.web.followup.models import (
    Channel,
    Delivery,
    Notification,
    Preferences,
    TeamSettings,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 10
EMAIL_TIMEOUT = 20.0
SLACK_API_URL = "https://slack.com/api"
# Slack's limits: 3000 characters in a section block's text, 50 blocks per message.
SLACK_SECTION_LIMIT = 3000
SLACK_MAX_BLOCKS = 50
# chat.postMessage answers HTTP 200 {"ok": false, "error": ...}; these errors are worth a retry.
SLACK_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


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
    recipient, through ``followthrough.web.accounts.visibility``.
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
    channels = []
    if prefs.email_enabled and person.email:
        channels.append(Channel.EMAIL)
    if prefs.slack_enabled and team is not None:
        conf = team_settings if team_settings is not None else TeamSettings.of(team)
        if conf.has_slack():
            channels.append(Channel.SLACK)
    if not channels:
        return 0
    secret = message.secret_ids()
    versions = {
        # E-mail goes to the person alone: it names what they may see.
        Channel.EMAIL: message.readable_by(readable_incident_ids(person, secret)),
        # Slack may post to a channel (the member id and bot token are read when sending),
        # whose members nobody here knows: security incidents are always redacted there.
        Channel.SLACK: message.readable_by(set()),
    }
    rows = [
        Notification(
            dedupe_key=f"{prefix}{channel}"[:255],
            kind=kind,
            channel=channel,
            recipient=person,
            team=team,
            action_item=action_item,
            postmortem=postmortem,
            subject=versions[channel].subject[:300],
            text=versions[channel].text(),
            html=versions[channel].html() if channel == Channel.EMAIL else "",
            url=versions[channel].url[:500],
        )
        for channel in channels
    ]
    return _insert(rows)


def queued_before(prefix: str) -> bool:
    """Whether a notification with this ``kind:key:person|`` prefix exists on any channel
    (exact keys, so the unique index answers on SQLite and PostgreSQL alike)."""
    keys = [f"{prefix}{channel}"[:255] for channel in Channel.values]
    return Notification.objects.filter(dedupe_key__in=keys).exists()


def notify_team_channel(team: Team, kind: str, key: str, message: Message) -> int:
    """Queue ``message`` to the team's Slack channel itself (e.g. a test message)."""
    if not TeamSettings.of(team).has_slack():
        return 0
    message = message.readable_by(set())  # a channel: security incidents always redacted
    row = Notification(
        dedupe_key=f"{kind}:{key}:team{team.pk}|slack"[:255],
        kind=kind,
        channel=Channel.SLACK,
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


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 hours;
    Slack's ``Retry-After`` when it is longer."""
    delay = min(BACKOFF_BASE * (2 ** max(0, attempts - 1)), BACKOFF_MAX)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


class SendError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def due(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(status=Delivery.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(pk: int, worker: str, now: datetime | None = None) -> bool:
    """Take row ``pk`` for ``LEASE``; True only for the one worker whose UPDATE counted it."""
    now = now or timezone.now()
    return (
        Notification.objects.filter(due(now), pk=pk).update(
            claimed_by=worker[:64], claimed_until=now + LEASE
        )
        == 1
    )


def deliver_due(worker: str, *, limit: int = 200, stop: Any = None) -> dict[str, int]:
    """Send up to ``limit`` due notifications. Returns counts of sent/retrying/failed/skipped."""
    counts = {"sent": 0, "retrying": 0, "failed": 0, "withdrawn": 0, "skipped": 0}
    ids = list(
        Notification.objects.filter(due())
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        if stop is not None and stop.is_set():
            break
        if not claim(pk, worker):
            counts["skipped"] += 1
            continue
        counts[deliver(pk, worker)] += 1
    return counts


def deliver(pk: int, worker: str) -> str:
    """Send one claimed row and record the outcome: "sent", "retrying", "failed" or "withdrawn"."""
    row = Notification.objects.select_related("recipient", "team", "action_item", "postmortem").get(
        pk=pk
    )
    if _about_something_deleted(row):
        _record_outcome(
            pk,
            worker,
            status=Delivery.FAILED,
            claimed_until=None,
            last_error=WITHDRAWN,
        )
        return "withdrawn"
    try:
        SENDERS[row.channel](row)
    except SendError as e:
        return _failed(row, worker, str(e), permanent=e.permanent, retry_after=e.retry_after)
    except Exception as e:  # a bug in one message must not stop the others
        log.exception("Sending notification %s failed unexpectedly", pk)
        return _failed(row, worker, f"unexpected error: {type(e).__name__}", permanent=False)
    _record_outcome(
        pk,
        worker,
        status=Delivery.SENT,
        sent_at=timezone.now(),
        attempts=row.attempts + 1,
        claimed_until=None,
        last_error="",
    )
    return "sent"


WITHDRAWN = "Not sent: what it is about was deleted before it went out."


def _about_something_deleted(row: Notification) -> bool:
    """A message queued about an action item or postmortem that has since been deleted."""
    about = (row.action_item, row.postmortem)
    return any(obj is not None and obj.is_deleted for obj in about)


RECONNECT_DELAYS = (0.5, 1.0, 2.0, 4.0)


def _record_outcome(pk: int, worker: str, **fields: Any) -> None:
    """Write a send's outcome; if the database restarted meanwhile, retry on a fresh connection.

    The message has left already: losing this write would leave the row under its lease and
    send it a second time when the lease ends. A restart takes seconds, so the write is tried
    again after each of ``RECONNECT_DELAYS`` before the error is let through.
    """
    rows = Notification.objects.filter(pk=pk, claimed_by=worker[:64])
    conn = connections[rows.db]
    for delay in (*RECONNECT_DELAYS, None):
        try:
            rows.update(**fields)
            return
        except (OperationalError, InterfaceError) as e:
            if delay is None or conn.in_atomic_block:
                raise
            log.warning("Recording notification %s failed (%s); reconnecting.", pk, e)
            conn.close()
            time.sleep(delay)


def _failed(
    row: Notification, worker: str, error: str, *, permanent: bool, retry_after: float | None = None
) -> str:
    attempts = row.attempts + 1
    final = permanent or attempts >= MAX_ATTEMPTS
    log.warning("Notification %s (%s) failed: %s", row.pk, row.channel, error)
    _record_outcome(
        row.pk,
        worker,
        status=Delivery.FAILED if final else Delivery.PENDING,
        attempts=attempts,
        last_error=error[:1000],
        next_attempt_at=timezone.now() + backoff(attempts, retry_after),
        claimed_until=None,
    )
    return "failed" if final else "retrying"


def send_email(row: Notification) -> None:
    if row.recipient is None or not row.recipient.email:
        raise SendError("no e-mail address", permanent=True)
    email = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.recipient.email],
        connection=get_connection(
            timeout=getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT
        ),
    )
    if row.html:
        email.attach_alternative(row.html, "text/html")
    try:
        email.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as e:
        raise SendError(f"the mail server refused the message: {e}", permanent=True) from e
    except (smtplib.SMTPException, OSError) as e:
        raise SendError(f"mail server unavailable: {type(e).__name__}: {e}") from e


def slack_escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(row: Notification, mention: str = "") -> dict[str, Any]:
    """``{"text", "blocks"}``: the text is the notification fallback, the blocks the message."""
    head = f"{mention} " if mention else ""
    title = f"{head}*{slack_escape(row.subject)}*"
    body = slack_escape(row.text)
    chunks = [body[i : i + SLACK_SECTION_LIMIT] for i in range(0, len(body), SLACK_SECTION_LIMIT)]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in chunks[: SLACK_MAX_BLOCKS - 2]
    ]
    if row.url:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{row.url}|Open>"}]}
        )
    return {"text": f"{head}{row.subject}"[:3000], "blocks": blocks}


def send_slack(row: Notification) -> None:
    if row.team is None:
        raise SendError("no team to take the Slack settings from", permanent=True)
    conf = TeamSettings.of(row.team)
    prefs = Preferences.of(row.recipient) if row.recipient is not None else None
    mention = prefs.slack_mention() if prefs is not None else ""
    try:
        if conf.slack_bot_token and conf.slack_channel:
            # A direct message when the member id is known, else the team channel.
            member = prefs.slack_member() if prefs is not None else ""
            payload = slack_payload(row, "" if member else mention)
            payload["channel"] = member or conf.slack_channel
            base = getattr(settings, "SLACK_API_URL", SLACK_API_URL).rstrip("/")
            response = transport.request(
                "POST",
                f"{base}/chat.postMessage",
                json=payload,
                headers={"Authorization": f"Bearer {conf.slack_bot_token}"},
            )
            answer = response.json() or {}
            if not answer.get("ok"):
                error = str(answer.get("error", "unknown_error"))
                raise SendError(
                    f"Slack refused the message: {error}",
                    permanent=error not in SLACK_TRANSIENT_ERRORS,
                )
        elif conf.slack_webhook_url:
            transport.request("POST", conf.slack_webhook_url, json=slack_payload(row, mention))
        else:
            raise SendError("the team has no Slack webhook or bot token any more", permanent=True)
    except transport.TransportError as e:
        raise SendError(str(e), permanent=e.permanent, retry_after=e.retry_after) from e


SENDERS = {Channel.EMAIL: send_email, Channel.SLACK: send_slack}


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
