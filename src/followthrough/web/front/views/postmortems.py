"""The postmortem editor: sections, five whys, timeline, contributing factors, status.

Every panel is a form that POSTs and redirects without JavaScript; with htmx the same
view answers with the panel alone (plus the milestone and status panels out of band,
since what you change may complete a milestone), and a change tells the page
(``HX-Trigger: postmortem-changed``) so the linter's findings are fetched afresh.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.web import recovery
from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.notifications import troubled_for_postmortem
from followthrough.web.postmortems.linting import review
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.postmortems.operations import (
    Refused,
    add_timeline_event,
    append,
    move,
    transition,
)
from followthrough.web.versioning import StaleVersion, save_versioned

from ..forms import (
    SECTION_FIELDS,
    ActionItemForm,
    ActionStatusForm,
    FactorForm,
    MeetingForm,
    SectionsForm,
    TimelineEventForm,
    WhyEditForm,
    WhyForm,
)
from .common import (
    can_edit,
    editable_incident,
    in_team_time,
    login_required,
    postmortem_of,
    visible_incident,
    wants_partial,
)
from .trash import confirm_delete

# The event a change sends the page: the linter's card listens for it (from:body) and
# fetches the findings afresh, with the sections form's unsaved text applied.
CHANGED = "postmortem-changed"


def why_form(why: Why, data: Any = None) -> WhyEditForm:
    return WhyEditForm(data, instance=why, prefix=f"why-{why.pk}", initial={"version": why.version})


def status_form(item: ActionItem, data: Any = None) -> ActionStatusForm:
    return ActionStatusForm(
        data, instance=item, prefix=f"action-{item.pk}", initial={"version": item.version}
    )


def editor_context(
    request: HttpRequest, postmortem: Postmortem, **overrides: Any
) -> dict[str, Any]:
    """Everything the editor shows. ``overrides`` carry bound forms with errors or conflicts."""
    incident = postmortem.incident
    meeting = postmortem.meeting
    editable = can_edit(request.user, incident.team)
    why_forms: dict[int, WhyEditForm] = overrides.pop("why_forms", {})
    item_forms: dict[int, ActionStatusForm] = overrides.pop("item_forms", {})
    whys = list(postmortem.whys.all())
    items = sorted(
        postmortem.action_items.select_related("owner", "tracker_link"),
        key=ActionItem.priority_order,
    )
    transitions = postmortem.allowed_transitions()
    context: dict[str, Any] = {
        "postmortem": postmortem,
        "incident": incident,
        "team": incident.team,
        "can_edit": editable,
        "sections_form": SectionsForm(instance=postmortem, initial={"version": postmortem.version}),
        "conflict": None,
        "whys": [(why, why_forms.get(why.pk) or why_form(why)) for why in whys],
        "why_form": WhyForm(prefix="new-why"),
        "events": list(postmortem.timeline_events.all()),
        "event_form": TimelineEventForm(prefix="new-event"),
        "factors": list(postmortem.factors.all()),
        "factor_form": FactorForm(prefix="new-factor"),
        "items": [
            (item, item_forms.get(item.pk) or status_form(item), item.priority()) for item in items
        ],
        "action_form": ActionItemForm(prefix="new-action", user=request.user),
        "milestones": postmortem.milestones(),
        "meeting": meeting,
        "meeting_form": MeetingForm(
            instance=meeting,
            prefix="meeting",
            initial={"version": meeting.version},
            user=request.user,
        ),
        "meeting_conflict": None,
        "attendees": list(meeting.attendees.all()),
        "agenda": meeting.agenda(),
        "transitions": [(s, Status(s).label) for s in transitions],
        "can_go_final": Status.FINAL in transitions,
        "lint": review(postmortem),
        "delivery_problems": troubled_for_postmortem(postmortem),  # lazy: full page only
        "notice": None,
    }
    context.update(overrides)
    return context


def panel_response(
    request: HttpRequest, postmortem: Postmortem, panel: str, status: int = 200, **overrides: Any
) -> HttpResponse:
    """The panel (htmx) or the whole editor (a form post without JavaScript that failed)."""
    with in_team_time(postmortem.incident.team):
        context = editor_context(request, postmortem, **overrides)
        if not wants_partial(request):
            return render(request, "front/postmortem.html", context, status=status)
        html = render_to_string(f"front/partials/{panel}.html", context, request=request)
        for extra in ("milestones", "status"):
            if extra != panel:
                html += render_to_string(
                    f"front/partials/{extra}.html", {**context, "oob": True}, request=request
                )
    return HttpResponse(html, status=status)


def done(request: HttpRequest, postmortem: Postmortem, panel: str, notice: str) -> HttpResponse:
    """A change went through: the fresh panel for htmx, else back to the editor at that panel."""
    postmortem.refresh_from_db()
    if wants_partial(request):
        response = panel_response(request, postmortem, panel, notice=notice)
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, notice)
    return redirect(reverse("postmortem", args=[postmortem.incident_id]) + f"#{panel}")


def _editable_postmortem(request: HttpRequest, pk: int) -> Postmortem:
    return postmortem_of(editable_incident(request, pk))


def _soft_delete(request: HttpRequest, row: Why | TimelineEvent | ContributingFactor) -> None:
    """Hide a row of a list section (restorable by an admin); a second click is a no-op."""
    with contextlib.suppress(recovery.AlreadyDeleted):
        recovery.delete(row, request.user)


def _shown(obj: Model, field: str) -> str:
    display = getattr(obj, f"get_{field}_display", None)
    value = display() if display else getattr(obj, field)
    return "" if value is None else str(value)


# --- the page --------------------------------------------------------------------------------


@login_required
def postmortem_editor(request: HttpRequest, pk: int) -> HttpResponse:
    incident = visible_incident(request, pk)
    postmortem = postmortem_of(incident)
    with in_team_time(incident.team):
        return render(request, "front/postmortem.html", editor_context(request, postmortem))


# --- sections --------------------------------------------------------------------------------


@login_required
@require_POST
def sections_save(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = SectionsForm(request.POST, instance=Postmortem.objects.get(pk=postmortem.pk))
    if not form.is_valid():
        # The form keeps the typed text; have the findings describe it again.
        response = panel_response(request, postmortem, "sections", 422, sections_form=form)
        response["HX-Trigger"] = CHANGED
        return response
    try:
        save_versioned(postmortem, form.cleaned_data["version"], form.changed_values())
    except StaleVersion as stale:
        postmortem.refresh_from_db()
        theirs = [
            {"label": form[name].label, "text": _shown(postmortem, name)}
            for name in SECTION_FIELDS
            if getattr(postmortem, name) != form.cleaned_data.get(name)
        ]
        form.with_version(postmortem.version)
        conflict = {"version": stale.current_version, "theirs": theirs}
        response = panel_response(
            request, postmortem, "sections", 409, sections_form=form, conflict=conflict
        )
        response["HX-Trigger"] = CHANGED  # someone else's save changed what is checked
        return response
    return done(request, postmortem, "sections", f"Saved (version {postmortem.version}).")


# --- five whys -------------------------------------------------------------------------------


@login_required
@require_POST
def why_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = WhyForm(request.POST, prefix="new-why")
    if not form.is_valid():
        return panel_response(request, postmortem, "whys", 422, why_form=form)
    append(
        postmortem,
        "whys",
        question=form.cleaned_data["question"],
        answer=form.cleaned_data["answer"],
    )
    return done(request, postmortem, "whys", "Why added to the chain.")


@login_required
@require_POST
def why_edit(request: HttpRequest, pk: int, why_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    why = get_object_or_404(postmortem.whys, pk=why_id)
    form = why_form(Why.objects.get(pk=why.pk), request.POST)
    if not form.is_valid():
        return panel_response(request, postmortem, "whys", 422, why_forms={why.pk: form})
    try:
        save_versioned(why, form.cleaned_data["version"], form.changed_values())
    except StaleVersion:
        why.refresh_from_db()
        form.with_version(why.version)
        form.add_error(
            None,
            f"Someone else changed this why meanwhile. Theirs: “{why.question}” — “{why.answer}”. "
            "Your text is still in the form; save again to replace theirs.",
        )
        return panel_response(request, postmortem, "whys", 409, why_forms={why.pk: form})
    return done(request, postmortem, "whys", "Why saved.")


@login_required
@require_POST
def why_delete(request: HttpRequest, pk: int, why_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    _soft_delete(request, get_object_or_404(postmortem.whys, pk=why_id))
    return done(request, postmortem, "whys", "Why removed (an admin can restore it).")


def _move(postmortem: Postmortem, related_name: str, pk: int, direction: str) -> None:
    if direction not in ("up", "down"):
        raise Http404("Move up or down.")
    move(postmortem, related_name, pk, direction)


@login_required
@require_POST
def why_move(request: HttpRequest, pk: int, why_id: int, direction: str) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    why = get_object_or_404(postmortem.whys, pk=why_id)
    _move(postmortem, "whys", why.pk, direction)
    return done(request, postmortem, "whys", f"Moved “{why.question}” {direction}.")


# --- timeline --------------------------------------------------------------------------------


@login_required
@require_POST
def event_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    with in_team_time(postmortem.incident.team):
        form = TimelineEventForm(request.POST, prefix="new-event")
        valid = form.is_valid()
    if not valid:
        return panel_response(request, postmortem, "timeline", 422, event_form=form)
    add_timeline_event(
        postmortem, form.cleaned_data["occurred_at"], form.cleaned_data["description"]
    )
    return done(request, postmortem, "timeline", "Event added to the timeline.")


@login_required
@require_POST
def event_delete(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    _soft_delete(request, get_object_or_404(postmortem.timeline_events, pk=event_id))
    return done(
        request,
        postmortem,
        "timeline",
        "Event removed from the timeline (an admin can restore it).",
    )


# --- contributing factors --------------------------------------------------------------------


@login_required
@require_POST
def factor_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = FactorForm(request.POST, prefix="new-factor")
    if not form.is_valid():
        return panel_response(request, postmortem, "factors", 422, factor_form=form)
    append(
        postmortem,
        "factors",
        kind=form.cleaned_data["kind"],
        description=form.cleaned_data["description"],
    )
    return done(request, postmortem, "factors", "Contributing factor added.")


@login_required
@require_POST
def factor_delete(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    _soft_delete(request, get_object_or_404(postmortem.factors, pk=factor_id))
    return done(
        request, postmortem, "factors", "Contributing factor removed (an admin can restore it)."
    )


@login_required
@require_POST
def factor_move(request: HttpRequest, pk: int, factor_id: int, direction: str) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    factor = get_object_or_404(postmortem.factors, pk=factor_id)
    _move(postmortem, "factors", factor.pk, direction)
    return done(request, postmortem, "factors", f"Moved a contributing factor {direction}.")


# --- status ----------------------------------------------------------------------------------


@login_required
@require_POST
def status_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the postmortem on, or say every reason it cannot go (nothing changes)."""
    postmortem = _editable_postmortem(request, pk)
    to = request.POST.get("to", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    label = Status(to).label.lower() if to in Status.values else to
    try:
        transition(
            postmortem,
            to,
            version,
            request.user,  # type: ignore[arg-type]
            override_reason=request.POST.get("override_reason", ""),
        )
    except Refused as refused:
        messages.error(request, f"The postmortem cannot go to {label} yet:", extra_tags="refusal")
        for reason in refused.reasons:
            messages.error(request, reason, extra_tags="reason")
    except StaleVersion as stale:
        messages.error(request, str(stale))
    else:
        messages.success(request, f"The postmortem is now {label}.")
    return redirect(reverse("postmortem", args=[pk]) + "#status")


# --- action items ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def action_item_delete(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Delete an action item, after a confirmation (an admin can restore it)."""
    incident = editable_incident(request, pk)
    item = get_object_or_404(ActionItem, postmortem__incident=incident, pk=item_id)
    return confirm_delete(
        request,
        item,
        what=f"action item “{item.title}”",
        consequences=[],
        cancel_url=item.get_absolute_url(),
        done_url=reverse("postmortem", args=[incident.pk]) + "#actions",
    )
