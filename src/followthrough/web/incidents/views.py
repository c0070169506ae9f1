"""The incident list, the new-incident form, the incident page and its facts edited in place.

A change of severity or flags re-runs the postmortem policy; the page says what changed
("Postmortem now required (was recommended): ...").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from followthrough.core.calendar import Milestone
from followthrough.core.policy import PolicyResult
from followthrough.web.accounts.models import Person, Role, Team
from followthrough.web.accounts.operations import admins, first_run
from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.loop import forgotten_postmortems
from followthrough.web.front.common import (
    can_edit,
    editable_incident,
    in_team_time,
    login_required,
    visible_incident,
    wants_partial,
)
from followthrough.web.front.forms import IncidentEditForm, IncidentFilterForm, IncidentForm
from followthrough.web.front.templatetags.front import decision_label as decision_words
from followthrough.web.front.trash import confirm_delete
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.derived import overdue_q
from followthrough.web.postmortems.models import Postmortem, incident_is_overdue
from followthrough.web.postmortems.operations import PostmortemExists, start_postmortem
from followthrough.web.versioning import StaleVersion, save_versioned
from followthrough.web.visibility import incident_q, may_see_incident

PAGE_SIZE = 25


@dataclass(frozen=True)
class IncidentRow:
    """One line of the incident list, with what the core computed for it."""

    incident: Incident
    policy: PolicyResult
    postmortem: Postmortem | None
    next_milestone: Milestone | None
    overdue: bool


def _row(incident: Incident, now: datetime) -> IncidentRow:
    postmortem: Postmortem | None = getattr(incident, "postmortem", None)
    stones = postmortem.milestones(now) if postmortem is not None else []
    upcoming = [m for m in stones if m.completed_at is None]
    overdue = incident_is_overdue(incident, now)  # the one rule, as the API's
    return IncidentRow(
        incident, incident.stored_policy(), postmortem, upcoming[0] if upcoming else None, overdue
    )


@login_required
@vary_on_headers("HX-Request")
def incident_list(request: HttpRequest) -> HttpResponse:
    """Every incident the user may see, filtered; the table alone for an htmx filter change.

    Before the organisation has a team, the first-run page is where everyone starts."""
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

    # The policy's decision and the deadlines are stored (``postmortems.derived``).
    now = timezone.now()
    if filters.get("decision"):
        incidents = incidents.filter(policy_decision=filters["decision"])
    if filters.get("overdue"):
        late = overdue_q(now)
        incidents = incidents.filter(late if filters["overdue"] == "yes" else ~late)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = [_row(incident, now) for incident in page.object_list]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    if not page.object_list and not query and first_run():  # asked only of an empty list
        return redirect("welcome")
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


def not_an_editor(request: HttpRequest) -> str:
    """Why someone cannot record incidents, and whom to ask: never a dead end."""
    leads = Person.objects.filter(
        memberships__role=Role.LEAD,
        memberships__team__in=Team.objects.filter(memberships__person__user=request.user),
    ).distinct()
    names = ", ".join(sorted({p.name for p in leads}))
    if names:
        who = f"Ask a lead of your team ({names}) to make you an editor."
    else:
        admin_names = ", ".join(a.get_username() for a in admins())
        who = (
            f"Ask an organisation admin ({admin_names}) to put you on a team as an editor."
            if admin_names
            else "Ask whoever runs followthrough to put you on a team as an editor."
        )
    return f"You are not an editor on any team, so you cannot record incidents. {who}"


@login_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    if first_run():
        return redirect("welcome")
    if not Team.objects.editable_by(request.user).exists():
        messages.error(request, not_an_editor(request))
        return redirect("team-list")
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


def detail_context(request: HttpRequest, incident: Incident, **overrides: Any) -> dict[str, Any]:
    postmortem = Postmortem.objects.filter(incident=incident).first()
    context: dict[str, Any] = {
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
        "open_items": postmortem.action_items.open().count() if postmortem else 0,
        "edit_form": None,
        "notice": None,
        "policy_change": None,
    }
    context.update(overrides)
    return context


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = visible_incident(request, pk)
    with in_team_time(incident.team):
        return render(request, "front/incident_detail.html", detail_context(request, incident))


def describe_policy_change(before: PolicyResult, after: PolicyResult) -> str:
    """What a change of severity or flags did to the postmortem policy, in words; empty when
    nothing changed."""
    reasons = " ".join(after.reasons)
    if after.decision != before.decision:
        now = decision_words(after.decision.value).lower()
        was = decision_words(before.decision.value).lower()
        return f"Postmortem now {now} (was {was}): {reasons}"
    if after.reasons != before.reasons:
        still = decision_words(after.decision.value).lower()
        return f"Postmortem still {still}; the reasons now: {reasons}"
    return ""


def _facts_response(
    request: HttpRequest, incident: Incident, status: int = 200, **overrides: Any
) -> HttpResponse:
    """The facts card (a form when ``edit_form`` is given) and, out of band, the policy card."""
    with in_team_time(incident.team):
        context = detail_context(request, incident, **overrides)
        if not wants_partial(request):
            template = (
                "front/incident_edit.html" if context["edit_form"] else "front/incident_detail.html"
            )
            return render(request, template, context, status=status)
        html = render_to_string("front/partials/incident_facts.html", context, request=request)
        for extra in ("incident_policy", "incident_head"):
            html += render_to_string(
                f"front/partials/{extra}.html", {**context, "oob": True}, request=request
            )
    return HttpResponse(html, status=status)


def _theirs(form: IncidentEditForm, incident: Incident) -> list[dict[str, str]]:
    """The stored values that differ from what the editor sent, as the page shows them."""
    out = []
    for name, mine in form.changed_values().items():
        stored = getattr(incident, name)
        if stored == mine:
            continue
        display = getattr(incident, f"get_{name}_display", None)
        if display is not None:
            text = display()
        elif isinstance(stored, datetime):
            text = date_format(timezone.localtime(stored), "D j M Y, H:i T")
        elif isinstance(stored, bool):
            text = "yes" if stored else "no"
        elif isinstance(stored, list):
            text = ", ".join(stored)
        else:
            text = "" if stored is None else str(stored)
        out.append({"label": str(form[name].label), "text": text or "—"})
    return out


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the facts as a form in their place (``?cancel=1``: as they were). POST: save them
    at the version read; a stale one is refused (409) with their values, yours kept."""
    incident = editable_incident(request, pk)
    if request.method == "GET":
        if request.GET.get("cancel"):
            return _facts_response(request, incident)
        # The form's initial responders and the facts card's list share one read.
        prefetch_related_objects([incident], "responders")
        with in_team_time(incident.team):
            form = IncidentEditForm(
                instance=incident, user=request.user, initial={"version": incident.version}
            )
        return _facts_response(request, incident, edit_form=form)
    with in_team_time(incident.team):
        form = IncidentEditForm(
            request.POST, instance=Incident.objects.get(pk=incident.pk), user=request.user
        )
        valid = form.is_valid()
    if not valid:
        return _facts_response(request, incident, 422, edit_form=form)
    before = incident.policy()
    responders = list(form.cleaned_data["responders"])
    try:
        with transaction.atomic():
            save_versioned(incident, form.cleaned_data["version"], form.changed_values())
            if {p.pk for p in responders} != {p.pk for p in incident.responders.all()}:
                incident.responders.set(responders)
    except StaleVersion as stale:
        incident.refresh_from_db()
        with in_team_time(incident.team):
            theirs = _theirs(form, incident)
        form.with_version(incident.version)
        form.add_error(
            None,
            f"{stale} Your entries are still in the form; save again to replace theirs.",
        )
        return _facts_response(request, incident, 409, edit_form=form, theirs=theirs)
    incident = visible_incident(request, pk)
    change = describe_policy_change(before, incident.policy())
    notice = f"{incident.key} saved (version {incident.version})."
    if not wants_partial(request):
        messages.success(request, notice)
        if change:
            messages.warning(request, change)
        return redirect("incident-detail", pk=incident.pk)
    return _facts_response(request, incident, notice=notice, policy_change=change)


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
