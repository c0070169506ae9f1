"""Action items and their tracker issues, kept in the same standing both ways.

- ``link_item(item)``: an assigned item of a team with a tracker gets a pending link.
- ``mark_for_push(item)``: the item's standing (open, done, deprioritised) changed here; its
  link is pending until the vendor has it.
- ``push(link_id, now)``: create (or find again) the item's issue, then bring it to the
  item's standing with the vendor's own transition or state (a deprioritisation's written
  reason goes as a comment first). A tracker that is down leaves the link pending with the
  error and a next attempt (backoff); a permanent refusal (bad token, unknown project, no
  transition to done in the workflow) marks it failed until the settings change.
- ``apply_status(link, name, category, actor_label, now, changed_at=...)``: a status seen in
  the tracker moves the item here, only when it differs from the status last seen there and
  is not older than it.
- ``poll_trackers(now)``: the fallback when webhooks do not arrive.
- ``catch_up(now)``: links for assigned items that have none, due retries, due invites.

Loops cannot happen: a status that came from the tracker records the item's new standing as
the one the tracker has (so nothing is sent back), and our own change coming back by webhook
or poll is the status (and vendor time) already recorded, so it changes nothing. Every call
out is decided from the vendor's current state, so a repeated push does nothing twice; a
create is preceded by a marker committed before the call, and a retry after a lost answer
looks for the issue that call may have made before creating another.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from followthrough.web.actions.models import OPEN_STATES, WORKFLOW, ActionItem, ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.integrations.common import (
    DEPRIORITISED,
    DONE,
    OPEN,
    Issue,
    deprioritised_comment,
    standing,
)
from followthrough.web.integrations.models import (
    MAPPABLE,
    SyncState,
    TrackerConfig,
    TrackerLink,
)
from followthrough.web.integrations.trackers import TRACKERS, label_of
from followthrough.web.lib.delivery import DeliveryError, Failure
from followthrough.web.transport import ErrorKind, TransportError
from followthrough.web.versioning import StaleVersion

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=5)
POLL_INTERVAL = timedelta(minutes=15)
POLL_BATCH = 200
PUSH_BATCH = 50
# How many times one push follows an item that keeps changing while it runs.
MOVES_PER_PUSH = 3


def config_for(item: ActionItem) -> TrackerConfig | None:
    """The tracker of the item's team, if it has one switched on."""
    return TrackerConfig.objects.filter(
        team__incidents__postmortem=item.postmortem_id, enabled=True
    ).first()


def link_item(item: ActionItem) -> TrackerLink | None:
    """A pending link for an assigned, open item of a team with a tracker; None otherwise.

    Returns the link only when it is new (the caller then enqueues its push).
    """
    if item.owner_id is None or item.is_closed():
        return None
    config = config_for(item)
    if config is None:
        return None
    try:
        with transaction.atomic():
            link, created = TrackerLink.objects.get_or_create(
                action_item=item,
                defaults={"kind": config.kind, "synced_standing": OPEN, "next_attempt_at": None},
            )
    except IntegrityError:
        return None  # linked at the same moment by someone else
    return link if created else None


def mark_for_push(item: ActionItem) -> int | None:
    """The item's standing changed here: its issue is to follow. Returns the link to push.

    Only a link whose issue exists and was in another standing; a link already waiting
    (pending, perhaps backing off) is left to its schedule, and its push reads the item as
    it is then.
    """
    wanted = standing(item.status)
    link_id = (
        TrackerLink.objects.filter(
            action_item=item, sync_state__in=[SyncState.SYNCED, SyncState.ERROR]
        )
        .exclude(external_id="")
        .exclude(synced_standing=wanted)
        .values_list("pk", flat=True)
        .first()
    )
    if link_id is None:
        return None
    updated = TrackerLink.objects.filter(
        pk=link_id, sync_state__in=[SyncState.SYNCED, SyncState.ERROR]
    ).update(sync_state=SyncState.PENDING, next_attempt_at=None, attempts=0)
    return link_id if updated else None


def queue_push(item: ActionItem) -> None:
    """``mark_for_push`` and, once the transaction commits, the push itself."""
    link_id = mark_for_push(item)
    if link_id is not None:
        from followthrough.web.integrations.tasks import push_action_item
        from followthrough.web.lib.deferred import defer

        defer(push_action_item, link_id)


def _fail(
    link_id: int,
    worker: str,
    error: BaseException,
    now: datetime,
    *,
    forget_create: bool = False,
) -> TrackerLink | None:
    """Record a failed attempt: pending with a next attempt after the backoff, or failed
    for good (a permanent refusal, or too many attempts) until the settings change."""
    link = TrackerLink.objects.get(pk=link_id)
    failure = Failure.of(error)
    fields = TrackerLink.failure_fields(link.attempts, failure, now)
    final = TrackerLink.gives_up(link.attempts, failure)
    fields["sync_state"] = SyncState.ERROR if final else SyncState.PENDING
    if forget_create:
        fields["create_attempted_at"] = None  # refused outright: that call created nothing
    if not TrackerLink.record(link_id, worker, **fields):
        return None  # our lease ran out and someone else has the link now
    link.refresh_from_db()
    if not final:
        _schedule_retry(link)
    return link


def _nothing_made(error: TransportError) -> bool:
    """Whether a failed call certainly created nothing: refused before it was sent (an
    address refused, TLS), or answered with a redirect or a refusal (3xx, 4xx). A timeout
    or a 5xx may hide a create that happened."""
    if error.kind in (ErrorKind.BLOCKED, ErrorKind.TLS):
        return True
    return error.permanent and error.status is not None and error.status < 500


def _refuse(link_id: int, worker: str, note: str, now: datetime) -> TrackerLink | None:
    """A failure that is not the vendor's: settings, a deleted item, no tracker."""
    return _fail(link_id, worker, DeliveryError.settings(note), now)


def _schedule_retry(link: TrackerLink) -> None:
    """A deferred retry when the task backend can run one later; the catch-up job otherwise."""
    from django_tasks import default_task_backend

    from followthrough.web.integrations.tasks import push_action_item

    if link.next_attempt_at is None or not default_task_backend.supports_defer:
        return
    push_action_item.using(run_after=link.next_attempt_at).enqueue(link.pk)


def _due(now: datetime) -> Q:
    return Q(sync_state=SyncState.PENDING) & TrackerLink.lease_free(now)


def push(link_id: int, now: datetime | None = None) -> TrackerLink | None:
    """Bring the link's issue in line with its item: create it (once), then move it.

    Claims the link first (a conditional update taking the lease), so two workers never
    push at once; returns None when the link is not pending or someone else holds it.
    """
    now = now or timezone.now()
    worker = f"tracker-push-{uuid.uuid4().hex[:12]}"
    if not TrackerLink.claim(link_id, worker, _due(now), now=now):
        return None
    link = TrackerLink.objects.select_related(
        "action_item__owner", "action_item__postmortem__incident"
    ).get(pk=link_id)
    item = link.action_item
    if item.deleted_at is not None:
        return _refuse(link_id, worker, "The action item was deleted; nothing is sent for it.", now)
    config = config_for(item)
    if config is None:
        return _refuse(
            link_id,
            worker,
            "The team has no tracker switched on; the item waits until one is.",
            now,
        )
    if link.external_id and link.kind != config.kind:
        return _detach(link, worker, config)
    if missing := config.missing_settings():
        return _refuse(link_id, worker, f"The tracker settings need {', '.join(missing)}.", now)
    client = TRACKERS[config.kind].client
    try:
        if not link.external_id:
            issue = _create_once(client, config, item, link, worker, now)
            if issue is None:
                return None
            _record_created(link, config, issue)
        for _ in range(MOVES_PER_PUSH):
            item.refresh_from_db(fields=["status", "deprioritised_reason", "deprioritised_at"])
            wanted = standing(item.status)
            if wanted == link.synced_standing:
                break
            if wanted == DEPRIORITISED:
                at = item.deprioritised_at or now
                key = link.comment_key(f"deprioritised:{at.isoformat()}")
                client.comment(config, link, key, deprioritised_comment(item))
            _record_moved(link, client.move(config, link, wanted), wanted)
    except TransportError as e:
        return _fail(
            link_id, worker, e, now, forget_create=not link.external_id and _nothing_made(e)
        )
    except Exception as e:
        log.exception("Syncing the tracker issue of action item %s failed", item.pk)
        return _fail(link_id, worker, e, now)
    return _succeed(link, worker, now)


class LeaseLost(Exception):
    """Our lease on the link ran out: another worker has it now."""


def _create_once(
    client: Any,
    config: TrackerConfig,
    item: ActionItem,
    link: TrackerLink,
    worker: str,
    now: datetime,
) -> Issue | None:
    """The item's issue: the one an earlier attempt made (its answer lost), else a new one.

    The marker ``create_attempted_at`` is committed right before the create call (the
    client calls ``about_to_create`` when it has read what it needs). When it is
    already set, an earlier call may have created the issue: ``find`` looks for it, and
    where the vendor's look-up is only eventually consistent (Jira's search), no second
    create is made until the look-up has had ``FIND_SETTLES_AFTER`` to show it. None when
    the lease was lost before the marker could be written.
    """
    if link.create_attempted_at is not None:
        found: Issue | None = client.find(config, link)
        if found is not None:
            return found
        settles = link.create_attempted_at + client.FIND_SETTLES_AFTER
        if now < settles:
            raise TransportError(
                f"An earlier create's answer was lost; {label_of(config.kind)}'s search may "
                f"not show that issue yet, so no second one is created before "
                f"{timezone.localtime(settles):%H:%M}.",
                retry_after=(settles - now).total_seconds(),
            )

    def about_to_create() -> None:
        # Committed before the create call, so that a lost answer is never a second issue.
        if not TrackerLink.record(link.pk, worker, create_attempted_at=now):
            raise LeaseLost  # whoever holds the link now creates, not us
        link.create_attempted_at = now

    try:
        created: Issue = client.create(config, item, link, about_to_create)
    except LeaseLost:
        return None
    return created


def _mapped_standing(config: TrackerConfig, name: str, category: str) -> str:
    target = config.map_status(name, category)
    return standing(target) if target else OPEN


def _record_created(link: TrackerLink, config: TrackerConfig, issue: Issue) -> None:
    link.kind = config.kind
    link.external_id = issue.external_id
    link.external_key = issue.key
    link.url = issue.url
    link.notice = issue.notice
    link.tracker_status = (issue.status_name or issue.status_category)[:100]
    link.tracker_category = issue.status_category[:100]
    link.tracker_updated_at = issue.updated_at
    link.synced_standing = _mapped_standing(config, issue.status_name, issue.status_category)
    link.save(
        update_fields=[
            "kind",
            "external_id",
            "external_key",
            "url",
            "notice",
            "tracker_status",
            "tracker_category",
            "tracker_updated_at",
            "synced_standing",
        ]
    )


def _record_moved(link: TrackerLink, issue: Issue, wanted: str) -> None:
    """The vendor now has the item's standing: remember its status and time, so that the
    echo of this change (by webhook or poll) is recognised as ours."""
    link.tracker_status = (issue.status_name or issue.status_category)[:100]
    link.tracker_category = issue.status_category[:100]
    if issue.updated_at is not None:
        link.tracker_updated_at = issue.updated_at
    link.synced_standing = wanted
    link.save(
        update_fields=[
            "tracker_status",
            "tracker_category",
            "tracker_updated_at",
            "synced_standing",
        ]
    )


def _succeed(link: TrackerLink, worker: str, now: datetime) -> TrackerLink:
    TrackerLink.record(
        link.pk,
        worker,
        **TrackerLink.success_fields(),
        sync_state=SyncState.SYNCED,
        attempts=0,  # the next push (a later status change) starts afresh
        synced_at=now,
    )
    link.refresh_from_db()
    return link


def _detach(link: TrackerLink, worker: str, config: TrackerConfig) -> TrackerLink:
    """The team moved to another tracker: the issue stays where it is, and is left alone."""
    fields = {
        **TrackerLink.success_fields(),
        "sync_state": SyncState.DETACHED,
        "last_error": (
            f"The team now uses {config.label}; {link.external_key} stays in "
            f"{label_of(link.kind)} and is no longer kept in step."
        ),
    }
    TrackerLink.record(link.pk, worker, **fields)
    link.refresh_from_db()
    return link


def _steps(current: str, target: str) -> list[str]:
    """The status changes that take the item from ``current`` to ``target`` in its workflow.

    A reasoned deprioritisation stands when the tracker closes the issue (closing it again
    says nothing new), and a done item stays done when the tracker calls it not planned;
    a reopen in the tracker reopens either. A done item reopens to open first (the
    workflow's only way out of done), then moves on if the tracker says so.
    """
    if current == target:
        return []
    if current == ActionStatus.DEPRIORITISED and standing(target) != OPEN:
        return []
    if current == ActionStatus.DONE and target == ActionStatus.DEPRIORITISED:
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
    changed_at: datetime | None = None,
    config: TrackerConfig | None = None,
) -> str:
    """Record the tracker's status; move the item when that status is new. Returns what happened.

    ``changed_at`` is the vendor's time of the status (from the signed body, or the issue
    as read): a status older than the one recorded changes nothing, so a delivery that
    arrives late, or a captured one sent again, cannot undo a newer change.
    """
    now = now or timezone.now()
    seen = (name or category)[:100]
    with transaction.atomic():
        link = TrackerLink.objects.select_for_update().get(pk=link.pk)
        known = link.tracker_updated_at
        if changed_at is not None and known is not None and changed_at.microsecond == 0:
            # A vendor that writes whole seconds in its webhooks (GitLab) and milliseconds
            # in its API: compare at the coarser of the two.
            known = known.replace(microsecond=0)
        if changed_at is not None and known is not None:
            if changed_at < known:
                return (
                    f"older than the status already known ({link.tracker_status or 'none'} "
                    f"as of {known:%Y-%m-%d %H:%M:%S}); nothing changed"
                )
            if changed_at == known and seen == link.tracker_status:
                return "unchanged"
        recorded = link.tracker_updated_at
        fresher = (
            changed_at
            if changed_at is not None and (recorded is None or changed_at > recorded)
            else recorded
        )
        if seen == link.tracker_status:
            TrackerLink.objects.filter(pk=link.pk).update(tracker_updated_at=fresher)
            return "unchanged"
        TrackerLink.objects.filter(pk=link.pk).update(
            tracker_status=seen,
            tracker_category=category[:100],
            tracker_updated_at=fresher,
            status_changed_at=now,
        )
        link.tracker_status = seen
        config = config or config_for(link.action_item)
        if config is None:
            return f"tracker status {seen}"
        target = config.map_status(name, category)
        if target not in MAPPABLE:
            return f"tracker status {seen} maps to no action-item status"
        return _move_item(link, config, str(target), seen, actor_label)


def _move_item(
    link: TrackerLink, config: TrackerConfig, target: str, seen: str, actor_label: str
) -> str:
    note = f"{link.external_key or 'The issue'} is “{seen}” in {config.label}."
    for _ in range(3):
        item = (
            ActionItem.objects.select_related("postmortem").filter(pk=link.action_item_id).first()
        )
        if item is None:
            return f"tracker status {seen}; the action item was deleted, so nothing changed"
        steps = _steps(item.status, target)
        if not steps:
            # The item stands as it was; the tracker is told so (a closed issue of a
            # deprioritised item is closed as not planned, with the reason).
            TrackerLink.objects.filter(pk=link.pk).update(synced_standing=standing(target))
            queue_push(item)
            return f"tracker status {seen}; item stays {item.status}"
        try:
            with transaction.atomic():
                # Before the item moves, so that its save does not send the change back.
                TrackerLink.objects.filter(pk=link.pk).update(synced_standing=standing(steps[-1]))
                for status in steps:
                    fields: dict[str, Any] = {"status": status}
                    if status == ActionStatus.DEPRIORITISED:
                        fields["deprioritised_reason"] = (
                            f"{link.external_key or 'The issue'} was set to “{seen}” in "
                            f"{config.label}, which this team counts as not to be done."
                        )
                    update_action_item(
                        item, item.version, None, fields, actor_label=actor_label, note=note
                    )
        except StaleVersion:
            continue  # someone changed it meanwhile: decide again from what it is now
        return f"item is now {steps[-1]}"
    return "item changed under us three times; the next event or poll will apply it"


def _pollable() -> Any:
    return (
        TrackerLink.objects.filter(
            sync_state__in=[SyncState.SYNCED, SyncState.ERROR],
            action_item__postmortem__incident__team__tracker_config__enabled=True,
            action_item__deleted_at__isnull=True,
        )
        .exclude(external_id="")
        .select_related("action_item__postmortem__incident__team__tracker_config")
    )


def poll_link(link: TrackerLink, now: datetime, label: str = "poll") -> str:
    """Read one issue's status from its tracker and apply it (raises ``TransportError``)."""
    config = link.action_item.postmortem.incident.team.tracker_config
    if config.kind != link.kind:
        return "the team moved to another tracker; the issue is left where it is"
    TrackerLink.objects.filter(pk=link.pk).update(last_polled_at=now)
    issue = TRACKERS[link.kind].client.status(config, link)
    return apply_status(
        link,
        issue.status_name,
        issue.status_category,
        f"{label_of(link.kind)} {label}",
        now,
        changed_at=issue.updated_at,
        config=config,
    )


def poll_trackers(now: datetime | None = None, *, limit: int = POLL_BATCH) -> dict[str, int]:
    """Ask the trackers for the status of issues not polled for a while.

    The fallback for webhooks that were never set up or got lost. Done and deprioritised
    items are asked too: an issue reopened in the tracker reopens the item.
    """
    now = now or timezone.now()
    links = list(
        _pollable()
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lt=now - POLL_INTERVAL))
        .order_by("last_polled_at", "pk")[:limit]
    )
    counts = {"polled": 0, "changed": 0, "failed": 0}
    for link in links:
        try:
            outcome = poll_link(link, now)
        except TransportError as e:
            counts["failed"] += 1
            log.warning("Polling %s %s failed: %s", link.kind, link.external_key, e)
            continue
        counts["polled"] += 1
        if outcome.startswith("item is now"):
            counts["changed"] += 1
    return counts


def read_status_now(link_id: int, now: datetime | None = None) -> str:
    """A webhook said the issue changed without saying to what: read it from the tracker."""
    now = now or timezone.now()
    link = _pollable().filter(pk=link_id).first()
    if link is None:
        return "not tracked any more"
    try:
        return poll_link(link, now, "webhook")
    except TransportError as e:
        return f"reading it failed ({e}); the next poll tries again"


def retry_now(link: TrackerLink) -> bool:
    """Put a failed or waiting link back in line now; False when it is already synced."""
    updated = TrackerLink.objects.filter(
        pk=link.pk, sync_state__in=[SyncState.PENDING, SyncState.ERROR]
    ).update(sync_state=SyncState.PENDING, next_attempt_at=None, claimed_until=None, attempts=0)
    return updated == 1


def requeue_team(config: TrackerConfig) -> int:
    """After the settings changed: failed links of the team try again."""
    return TrackerLink.objects.filter(
        action_item__postmortem__incident__team=config.team_id, sync_state=SyncState.ERROR
    ).update(sync_state=SyncState.PENDING, next_attempt_at=None, claimed_until=None, attempts=0)


def catch_up(now: datetime | None = None) -> dict[str, Any]:
    """Everything that should have happened and has not: the periodic safety net.

    Links for assigned items that have none (an owner given by an update that sent no
    signal), pushes whose retry time has come, items whose standing changed without a
    signal, and invitations for meetings whose time changed since the last one was sent.
    """
    from followthrough.web.integrations.calendar import invites_due, send_invite

    now = now or timezone.now()
    unlinked = (
        ActionItem.objects.filter(
            owner__isnull=False,
            tracker_link__isnull=True,
            postmortem__incident__team__tracker_config__enabled=True,
        )
        .open()
        .order_by("pk")[:PUSH_BATCH]
    )
    linked = sum(1 for item in unlinked if link_item(item) is not None)
    _catch_up_standings()
    due = list(
        TrackerLink.objects.filter(_due(now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
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


def _catch_up_standings() -> int:
    """Synced links whose item's standing differs (a status written without a signal)."""
    stale = Q()
    for wanted, statuses in (
        (OPEN, OPEN_STATES),
        (DONE, [ActionStatus.DONE]),
        (DEPRIORITISED, [ActionStatus.DEPRIORITISED]),
    ):
        stale |= Q(action_item__status__in=statuses) & ~Q(synced_standing=wanted)
    return (
        TrackerLink.objects.filter(stale, sync_state=SyncState.SYNCED)
        .exclude(external_id="")
        .update(sync_state=SyncState.PENDING, next_attempt_at=None)
    )
