"""Action items out to the tracker, status back: create, retry, poll, apply.

- ``link_item(item)``: an assigned item of a team with a tracker gets a pending link.
- ``push(link_id, now)``: create (or find again) the item's issue. A tracker that is down
  leaves the link pending with the error and a next attempt (backoff); a permanent refusal
  (bad token, unknown project) marks it failed until the settings change.
- ``apply_status(link, name, category, actor_label, now)``: a status seen in the tracker
  moves the item here, only when it differs from the status last seen there.
- ``poll_trackers(now)``: the fallback when webhooks do not arrive.
- ``catch_up(now)``: links for assigned items that have none, due retries, due invites.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.web.actions.models import WORKFLOW, ActionItem, ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.integrations.common import Issue
from followthrough.web.integrations.models import (
    MAPPABLE,
    SyncState,
    TrackerConfig,
    TrackerKind,
    TrackerLink,
    backoff,
)
from followthrough.web.integrations.trackers import TRACKERS
from followthrough.web.transport import TransportError
from followthrough.web.versioning import StaleVersion

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=5)
POLL_INTERVAL = timedelta(minutes=15)
POLL_BATCH = 200
PUSH_BATCH = 50
CLOSED = (ActionStatus.DONE, ActionStatus.DEPRIORITISED)


def config_for(item: ActionItem) -> TrackerConfig | None:
    """The tracker of the item's team, if it has one switched on."""
    return TrackerConfig.objects.filter(
        team__incidents__postmortem=item.postmortem_id, enabled=True
    ).first()


def link_item(item: ActionItem) -> TrackerLink | None:
    """A pending link for an assigned, open item of a team with a tracker; None otherwise.

    Returns the link only when it is new (the caller then enqueues its push).
    """
    if item.owner_id is None or item.status in CLOSED:
        return None
    config = config_for(item)
    if config is None:
        return None
    try:
        with transaction.atomic():
            link, created = TrackerLink.objects.get_or_create(
                action_item=item, defaults={"kind": config.kind}
            )
    except IntegrityError:
        return None  # linked at the same moment by someone else
    return link if created else None


def _fail(
    link_id: int, message: str, *, permanent: bool, retry_after: float | None, now: datetime
) -> TrackerLink:
    link = TrackerLink.objects.get(pk=link_id)
    link.attempts += 1
    link.last_error = message[:1000]
    link.claimed_until = None
    if permanent:
        link.sync_state = SyncState.ERROR
        link.next_attempt_at = None
    else:
        wait = backoff(link.attempts)
        if retry_after:
            wait = max(wait, timedelta(seconds=retry_after))
        link.sync_state = SyncState.PENDING
        link.next_attempt_at = now + wait
    link.save(
        update_fields=["attempts", "last_error", "claimed_until", "sync_state", "next_attempt_at"]
    )
    if not permanent:
        _schedule_retry(link)
    return link


def _schedule_retry(link: TrackerLink) -> None:
    """A deferred retry when the task backend can run one later; the catch-up job otherwise."""
    from django_tasks import default_task_backend

    from followthrough.web.integrations.tasks import push_action_item

    if link.next_attempt_at is None or not default_task_backend.supports_defer:
        return
    push_action_item.using(run_after=link.next_attempt_at).enqueue(link.pk)


def push(link_id: int, now: datetime | None = None) -> TrackerLink | None:
    """Create the link's issue in the tracker, or find the one an earlier attempt created.

    Claims the link first (a conditional update), so two workers never create at once;
    returns None when the link is not pending or someone else holds it.
    """
    now = now or timezone.now()
    claimed = (
        TrackerLink.objects.filter(pk=link_id, sync_state=SyncState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM)
    )
    if claimed != 1:
        return None
    link = TrackerLink.objects.select_related(
        "action_item__owner", "action_item__postmortem__incident"
    ).get(pk=link_id)
    item = link.action_item
    if item.deleted_at is not None:
        return _fail(
            link_id,
            "The action item was deleted; no issue is created for it.",
            permanent=True,
            retry_after=None,
            now=now,
        )
    config = config_for(item)
    if config is None:
        return _fail(
            link_id,
            "The team has no tracker switched on; the item waits until one is.",
            permanent=True,
            retry_after=None,
            now=now,
        )
    if missing := config.missing_settings():
        return _fail(
            link_id,
            f"The tracker settings need {', '.join(missing)}.",
            permanent=True,
            retry_after=None,
            now=now,
        )
    try:
        issue = TRACKERS[config.kind].client.ensure(config, item, link)
    except TransportError as e:
        return _fail(link_id, str(e), permanent=e.permanent, retry_after=e.retry_after, now=now)
    except Exception as e:
        log.exception("Creating the tracker issue of action item %s failed", item.pk)
        return _fail(
            link_id,
            f"Unexpected error ({type(e).__name__}); it was logged and will be retried.",
            permanent=False,
            retry_after=None,
            now=now,
        )
    return _succeed(link, config, issue, now)


def _succeed(link: TrackerLink, config: TrackerConfig, issue: Issue, now: datetime) -> TrackerLink:
    TrackerLink.objects.filter(pk=link.pk).update(
        kind=config.kind,
        external_id=issue.external_id,
        external_key=issue.key,
        url=issue.url,
        sync_state=SyncState.SYNCED,
        last_error="",
        attempts=link.attempts + 1,
        next_attempt_at=None,
        claimed_until=None,
        synced_at=now,
    )
    link.refresh_from_db()
    label = f"{TrackerKind(config.kind).label} sync"
    apply_status(link, issue.status_name, issue.status_category, label, now, config=config)
    link.refresh_from_db()
    return link


def _steps(current: str, target: str) -> list[str]:
    """The status changes that take the item from ``current`` to ``target`` in its workflow.

    A reasoned deprioritisation stands whatever the tracker says. A done item reopens to
    open first (the workflow's only way out of done), then moves on if the tracker says so.
    """
    if current == ActionStatus.DEPRIORITISED or current == target:
        return []
    if target in WORKFLOW[current]:
        return [target]
    if ActionStatus.OPEN in WORKFLOW[current] and target in WORKFLOW[ActionStatus.OPEN]:
        return [ActionStatus.OPEN, target]
    return []


def apply_status(
    link: TrackerLink,
    name: str,
    category: str,
    actor_label: str,
    now: datetime | None = None,
    *,
    config: TrackerConfig | None = None,
) -> str:
    """Record the tracker's status; move the item when that status is new. Returns what happened."""
    now = now or timezone.now()
    seen = name or category
    if seen == link.tracker_status:
        return "unchanged"
    TrackerLink.objects.filter(pk=link.pk).update(tracker_status=seen[:100], status_changed_at=now)
    link.tracker_status = seen[:100]
    config = config or config_for(link.action_item)
    if config is None:
        return f"tracker status {seen}"
    target = config.map_status(name, category)
    if target not in MAPPABLE:
        return f"tracker status {seen} maps to no action-item status"
    note = f"{link.external_key or 'The issue'} is “{seen}” in the tracker."
    for _ in range(3):
        item = (
            ActionItem.objects.select_related("postmortem").filter(pk=link.action_item_id).first()
        )
        if item is None:
            return f"tracker status {seen}; the action item was deleted, so nothing changed"
        steps = _steps(item.status, str(target))
        if not steps:
            return f"tracker status {seen}; item stays {item.status}"
        try:
            for status in steps:
                update_action_item(
                    item,
                    item.version,
                    None,
                    {"status": status},
                    actor_label=actor_label,
                    note=note,
                )
        except StaleVersion:
            continue  # someone changed it meanwhile: decide again from what it is now
        return f"item is now {steps[-1]}"
    return "item changed under us three times; the next event or poll will apply it"


def poll_trackers(now: datetime | None = None, *, limit: int = POLL_BATCH) -> dict[str, int]:
    """Ask the trackers for the status of synced issues not polled for a while.

    The fallback for webhooks that were never set up or got lost. Deprioritised items are
    left alone; done ones are still asked (a reopened issue reopens the item).
    """
    now = now or timezone.now()
    links = list(
        TrackerLink.objects.filter(
            sync_state=SyncState.SYNCED,
            action_item__postmortem__incident__team__tracker_config__enabled=True,
            action_item__deleted_at__isnull=True,
        )
        .exclude(action_item__status=ActionStatus.DEPRIORITISED)
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=now - POLL_INTERVAL))
        .select_related("action_item__postmortem__incident__team__tracker_config")
        .order_by("last_polled_at", "pk")[:limit]
    )
    counts = {"polled": 0, "changed": 0, "failed": 0}
    for link in links:
        config = link.action_item.postmortem.incident.team.tracker_config
        if config.kind != link.kind:
            continue  # the team moved to another tracker; the old issue stays where it is
        TrackerLink.objects.filter(pk=link.pk).update(last_polled_at=now)
        try:
            issue = TRACKERS[link.kind].client.status(config, link)
        except TransportError as e:
            counts["failed"] += 1
            log.warning("Polling %s %s failed: %s", link.kind, link.external_key, e)
            continue
        counts["polled"] += 1
        outcome = apply_status(
            link,
            issue.status_name,
            issue.status_category,
            f"{TrackerKind(link.kind).label} poll",
            now,
            config=config,
        )
        if outcome.startswith("item is now"):
            counts["changed"] += 1
    return counts


def retry_now(link: TrackerLink) -> bool:
    """Put a failed or waiting link back in line now; False when it is already synced."""
    updated = TrackerLink.objects.filter(
        pk=link.pk, sync_state__in=[SyncState.PENDING, SyncState.ERROR]
    ).update(sync_state=SyncState.PENDING, next_attempt_at=None, claimed_until=None)
    return updated == 1


def requeue_team(config: TrackerConfig) -> int:
    """After the settings changed: failed links of the team try again."""
    return TrackerLink.objects.filter(
        action_item__postmortem__incident__team=config.team_id, sync_state=SyncState.ERROR
    ).update(sync_state=SyncState.PENDING, next_attempt_at=None, claimed_until=None)


def catch_up(now: datetime | None = None) -> dict[str, Any]:
    """Everything that should have happened and has not: the periodic safety net.

    Links for assigned items that have none (an owner given by an update that sent no
    signal), pushes whose retry time has come, and invitations for meetings whose time
    changed since the last one was sent.
    """
    from followthrough.web.integrations.calendar import invites_due, send_invite

    now = now or timezone.now()
    unlinked = (
        ActionItem.objects.filter(
            owner__isnull=False,
            tracker_link__isnull=True,
            postmortem__incident__team__tracker_config__enabled=True,
        )
        .exclude(status__in=CLOSED)
        .order_by("pk")[:PUSH_BATCH]
    )
    linked = sum(1 for item in unlinked if link_item(item) is not None)
    due = list(
        TrackerLink.objects.filter(sync_state=SyncState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:PUSH_BATCH]
    )
    results = [push(pk, now) for pk in due]
    synced = sum(1 for r in results if r is not None and r.sync_state == SyncState.SYNCED)
    invites = [send_invite(meeting_id, now) for meeting_id in invites_due(now)]
    return {
        "linked": linked,
        "pushed": len(due),
        "synced": synced,
        "invites_sent": sum(1 for sent in invites if sent),
    }
