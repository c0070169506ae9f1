"""Pages and endpoints: tracker webhooks, the team's tracker settings, the meeting's .ics."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pydantic import ValidationError as SettingsError

from followthrough.web.accounts.models import Team
from followthrough.web.front.common import login_required, postmortem_of, visible_incident
from followthrough.web.integrations.calendar import CONTENT_TYPE, current_ics
from followthrough.web.integrations.common import Rejected, StatusEvent, parse_json
from followthrough.web.integrations.forms import TrackerConfigForm
from followthrough.web.integrations.models import (
    SyncState,
    TrackerConfig,
    TrackerLink,
    WebhookDelivery,
)
from followthrough.web.integrations.sync import apply_status, requeue_team
from followthrough.web.integrations.tasks import catch_up_trackers, read_tracker_status
from followthrough.web.integrations.trackers import KIND_CHOICES, TRACKERS
from followthrough.web.lib.deferred import defer
from followthrough.web.lib.read_transactions import writes_on_safe_methods
from followthrough.web.lib.signatures import content_key
from followthrough.web.visibility import incident_q, visible_teams

log = logging.getLogger(__name__)


def _answer(status: int, detail: str) -> JsonResponse:
    if status >= 400 and transaction.get_connection().in_atomic_block:
        transaction.set_rollback(True)
    return JsonResponse({"detail": detail}, status=status)


def _link_for(config: TrackerConfig, event: StatusEvent) -> TrackerLink | None:
    try:
        scope = config.vendor().scope()
    except SettingsError:
        return None
    if scope and scope not in event.scopes:
        return None
    links = TrackerLink.objects.filter(
        kind=config.kind, action_item__postmortem__incident__team=config.team_id
    ).select_related("action_item")
    if event.external_id:
        found = links.filter(external_id=event.external_id).first()
        if found is not None:
            return found
    return links.filter(external_key=event.key).first() if event.key else None


def _apply(config: TrackerConfig, event: StatusEvent | None) -> str:
    if event is None:
        return "Not a status change; nothing to do."
    link = _link_for(config, event)
    if link is None:
        return f"No action item is tracked as {event.key or event.external_id}."
    unknown = not event.status_category and config.map_status(event.status_name, "") is None
    if unknown:
        # No status, or a name nobody mapped and no category with it (a changelog-only
        # Jira body): the tracker knows the status's category.
        defer(read_tracker_status, link.pk)
        return f"{link.external_key} changed; its status will be read from the tracker."
    return apply_status(
        link,
        event.status_name,
        event.status_category,
        f"{config.label} webhook",
        changed_at=event.changed_at,
        config=config,
    )


@csrf_exempt
@require_POST
def tracker_webhook(request: HttpRequest, kind: str, team_slug: str) -> JsonResponse:
    """A tracker says an issue changed. Authentic or refused (401); the same signed body
    again (whatever its delivery id) changes nothing, nor does one older than the status
    already known."""
    tracker = TRACKERS.get(kind)
    config = (
        TrackerConfig.objects.select_related("team").filter(kind=kind, team__slug=team_slug).first()
        if tracker is not None
        else None
    )
    if tracker is None or config is None:
        return _answer(404, f"No team here takes {kind} webhooks at this address.")
    body = request.body
    headers = request.headers
    try:
        tracker.webhook.verify(config, body, headers, timezone.now())
        payload = parse_json(body)
        event = tracker.webhook.parse(payload, headers)
    except Rejected as e:
        log.info("%s webhook for %s refused: %s", kind, team_slug, e.reason)
        return _answer(e.status, e.reason)
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                kind=kind,
                team=config.team,
                content_key=content_key(kind, body),
                delivery_id=tracker.webhook.delivery_id(headers, payload)[:128],
            )
    except IntegrityError:
        return _answer(200, "Already received; nothing changed.")
    outcome = _apply(config, event)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(outcome=outcome[:200])
    return _answer(200, outcome)


def is_team_lead(user: object, team: Team) -> bool:
    """Team leads and admins manage a team's tracker settings."""
    return team.is_led_by(user)  # type: ignore[arg-type]  # the one definition (led_by)


@login_required
@require_http_methods(["GET", "POST"])
def tracker_settings(request: HttpRequest, team_slug: str) -> HttpResponse:
    """The team's tracker: where items go, how statuses map back. Secrets are never shown."""
    team = get_object_or_404(visible_teams(request.user), slug=team_slug)
    if not is_team_lead(request.user, team):
        raise PermissionDenied("Only the team's leads and admins change its tracker settings.")
    config = TrackerConfig.objects.filter(team=team).first()
    # The page shows one tracker's fields: the one asked for (?kind=, the choice above the
    # form, by htmx or a plain reload), else the saved one.
    form = TrackerConfigForm(
        request.POST or None,
        instance=config or TrackerConfig(team=team),
        kind=request.GET.get("kind"),
    )
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            requeued = requeue_team(saved)
            defer(catch_up_trackers)
            note = f" {requeued} failed item(s) will be tried again." if requeued else ""
            messages.success(request, f"Tracker settings saved.{note}")
            return redirect("tracker-settings", team_slug=team.slug)
        status = 422
    else:
        status = 200
    links = TrackerLink.objects.filter(
        incident_q(request.user, "action_item__postmortem__incident"),
        action_item__postmortem__incident__team=team,
    )
    problems = links.exclude(sync_state=SyncState.SYNCED).select_related(
        "action_item__postmortem__incident"
    )[:20]
    return render(
        request,
        "integrations/tracker_settings.html",
        {
            "team": team,
            "form": form,
            "kinds": KIND_CHOICES,
            "config": config,
            "webhook_path": (
                f"/integrations/{config.kind}/webhook/{team.slug}/" if config else None
            ),
            "problems": problems,
            "synced": links.filter(sync_state=SyncState.SYNCED).count(),
        },
        status=status,
    )


# The first download stores the invite's UID (and sequence) so that later updates and a
# cancellation reach the same calendar entry: a GET that writes, so it keeps the lock.
@writes_on_safe_methods
@login_required
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem meeting's invite, to add to a calendar by hand."""
    incident = visible_incident(request, pk)
    postmortem = postmortem_of(incident)
    meeting = getattr(postmortem, "meeting", None)
    if meeting is None or meeting.scheduled_for is None:
        raise Http404("The meeting has no time yet; schedule it first.")
    try:
        invite = current_ics(meeting)
    except ValueError as e:  # a time stored outside the accepted range
        raise Http404(str(e)) from e
    response = HttpResponse(invite, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{incident.key}-postmortem.ics"'
    return response


@login_required
@require_POST
def retry_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Try a pending or failed item's tracker issue again now (editors)."""
    from followthrough.web.front.common import editable_incident
    from followthrough.web.integrations.sync import retry_now
    from followthrough.web.integrations.tasks import push_action_item

    incident = editable_incident(request, pk)
    link = get_object_or_404(
        TrackerLink, action_item_id=item_id, action_item__postmortem__incident=incident
    )
    if retry_now(link):
        defer(push_action_item, link.pk)
        messages.info(request, "The tracker issue will be tried again in a moment.")
    return redirect("postmortem", incident.pk)
