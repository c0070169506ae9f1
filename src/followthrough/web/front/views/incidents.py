"""The incident list, the new-incident form and the incident page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from followthrough.core.calendar import Milestone, MilestoneState
from followthrough.core.policy import PolicyResult, decide
from followthrough.web.accounts.models import Organisation, Team
from followthrough.web.accounts.visibility import incident_q, may_see_incident
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.followup.loop import forgotten_postmortems
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import PostmortemExists, start_postmortem

from ..forms import IncidentFilterForm, IncidentForm
from .common import (
    can_edit,
    editable_incident,
    in_team_time,
    login_required,
    visible_incident,
    wants_partial,
)
from .trash import confirm_delete

PAGE_SIZE = 25


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list, with what the core computed for it."""

    incident: Incident
    policy: PolicyResult
    postmortem: Postmortem | None
    next_milestone: Milestone | None
    overdue: bool


def _row(incident: Incident, config: Any, now: datetime) -> IncidentRow:
    policy = decide(incident.facts(), config)
    postmortem: Postmortem | None = getattr(incident, "postmortem", None)
    if postmortem is not None:
        stones = postmortem.milestones(now)
        items = postmortem.action_items.all()  # prefetched
        late_items = any(item.is_overdue() for item in items)
    else:
        stones = []
        late_items = False
    upcoming = [m for m in stones if m.completed_at is None]
    overdue = late_items or any(m.state is MilestoneState.OVERDUE for m in stones)
    return IncidentRow(incident, policy, postmortem, upcoming[0] if upcoming else None, overdue)


@login_required
@vary_on_headers("HX-Request")
def incident_list(request: HttpRequest) -> HttpResponse:
    """Every incident the user may see, filtered; the table alone for an htmx filter change."""
    form = IncidentFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    incidents = (
        Incident.objects.filter(incident_q(request.user))
        .select_related("team", "postmortem", "postmortem__meeting")
        .prefetch_related(
            Prefetch(
                "postmortem__action_items",
                queryset=ActionItem.objects.only("id", "postmortem_id", "status", "due_date"),
            )
        )
        .order_by("-started_at", "-id")
    )
    if filters.get("team"):
        incidents = incidents.filter(team=filters["team"])
    if filters.get("severity"):
        incidents = incidents.filter(severity=filters["severity"])
    status = filters.get("status")
    if status == "none":
        incidents = incidents.filter(postmortem__isnull=True)
    elif status:
        incidents = incidents.filter(postmortem__status=status)

    # The policy and the deadlines are computed by the core, so those two filters run here,
    # over every matching incident; without them only the shown page is computed.
    config = Organisation.current().policy_config()
    now = timezone.now()
    if filters.get("decision") or filters.get("overdue"):
        rows = [_row(incident, config, now) for incident in incidents]
        if filters.get("decision"):
            rows = [r for r in rows if r.policy.decision.value == filters["decision"]]
        if filters.get("overdue"):
            want = filters["overdue"] == "yes"
            rows = [r for r in rows if r.overdue == want]
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = [_row(incident, config, now) for incident in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    shown = [row.postmortem.pk for row in page.object_list if row.postmortem is not None]
    context = {
        "form": form,
        "page": page,
        "rows": page.object_list,
        # Seed anti-pattern "the forgotten postmortem": final, open items, 30 quiet days.
        "forgotten": set(
            forgotten_postmortems(now).filter(pk__in=shown).values_list("pk", flat=True)
        )
        if shown
        else set(),
        "filter_query": urlencode(query),
        "any_filter": bool(query),
    }
    template = (
        "front/partials/incident_table.html"
        if wants_partial(request)
        else "front/incident_list.html"
    )
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    if not Team.objects.editable_by(request.user).exists():
        messages.error(
            request, "You are not an editor on any team, so you cannot record incidents."
        )
        return redirect("incident-list")
    if request.method == "POST":
        form = IncidentForm(request.POST, user=request.user)
        if form.is_valid():
            incident: Incident = form.save(commit=False)
            incident.created_by = request.user  # type: ignore[assignment]
            incident.save()
            form.save_m2m()
            messages.success(request, f"{incident.key} recorded.")
            return redirect("incident-detail", pk=incident.pk)
        status = 422
    else:
        form = IncidentForm(user=request.user)
        status = 200
    return render(request, "front/incident_form.html", {"form": form}, status=status)


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = visible_incident(request, pk)
    postmortem = Postmortem.objects.filter(incident=incident).first()
    with in_team_time(incident.team):
        return render(
            request,
            "front/incident_detail.html",
            {
                "incident": incident,
                "repeat_of": (
                    incident.repeat_of
                    if incident.repeat_of and may_see_incident(request.user, incident.repeat_of)
                    else None
                ),
                "policy": incident.policy(),
                "postmortem": postmortem,
                "responders": list(incident.responders.all()),
                "can_edit": can_edit(request.user, incident.team),
                "open_items": (
                    postmortem.action_items.exclude(
                        status__in=[ActionStatus.DONE, ActionStatus.DEPRIORITISED]
                    ).count()
                    if postmortem
                    else 0
                ),
            },
        )


@login_required
@require_POST
def postmortem_start(request: HttpRequest, pk: int) -> HttpResponse:
    incident = editable_incident(request, pk)
    try:
        start_postmortem(incident, request.user)  # type: ignore[arg-type]
    except PostmortemExists:
        messages.info(request, f"{incident.key} already has a postmortem; here it is.")
    else:
        messages.success(request, f"Postmortem of {incident.key} started.")
    return redirect("postmortem", pk=incident.pk)


@login_required
@require_http_methods(["GET", "POST"])
def incident_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an incident (after a confirmation), with its postmortem and action items."""
    incident = editable_incident(request, pk)
    postmortem = Postmortem.objects.filter(incident=incident).first()
    consequences: list[str] = []
    if postmortem is not None:
        consequences.append(f"its postmortem ({postmortem.get_status_display().lower()})")
        items = postmortem.action_items.count()
        if items:
            consequences.append(f"its {items} action item{'s' if items != 1 else ''}")
    return confirm_delete(
        request,
        incident,
        what=f"incident {incident.key}",
        consequences=consequences,
        cancel_url=reverse("incident-detail", args=[incident.pk]),
        done_url=reverse("incident-list"),
    )
