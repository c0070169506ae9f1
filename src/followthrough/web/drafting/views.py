"""The drafted timeline's panel in the postmortem editor, and the team's timeline sources.

The editor includes one partial (``drafting/editor_panel.html``) that loads this panel with
htmx; without JavaScript it is a link to the panel's own page. Everyone who may see the
postmortem sees the draft; only people who may edit the postmortem (its team's editors and
leads) change it: anyone else gets 403, and a postmortem they may not see 404.

Every change answers with the panel (htmx) or redirects to the editor (a plain form post);
accepting the timeline reloads the whole editor, whose timeline and milestones changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from followthrough.web.accounts import permissions
from followthrough.web.accounts.views.teams import _team
from followthrough.web.drafting import operations
from followthrough.web.drafting.forms import (
    DraftEventForm,
    DraftSourcesForm,
    SlackChannelForm,
    SlackExportForm,
)
from followthrough.web.drafting.models import DraftEvent, DraftSources, TimelineDraft
from followthrough.web.drafting.slack import MAX_UPLOAD
from followthrough.web.front.common import (
    can_edit,
    editable_postmortem,
    in_team_time,
    login_required,
    visible_postmortem,
    wants_partial,
)
from followthrough.web.lib.read_transactions import writes_on_safe_methods
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import Refused

DECISIONS = {"accept": DraftEvent.State.ACCEPTED, "drop": DraftEvent.State.DROPPED}


def _context(
    request: HttpRequest, postmortem: Postmortem, draft: TimelineDraft | None, **extra: Any
) -> dict[str, Any]:
    incident = postmortem.incident
    editable = can_edit(request.user, incident.team) and not postmortem.is_locked()
    events = list(draft.events.all()) if draft is not None else []
    findings = operations.findings_of(events, postmortem) if events else {}
    forms: dict[int, DraftEventForm] = extra.pop("forms", {})
    rows = [
        {
            "event": e,
            "findings": findings.get(e.pk, []),
            "form": forms.get(e.pk),
        }
        for e in events
    ]
    return {
        "incident": incident,
        "team": incident.team,
        "postmortem": postmortem,
        "draft": draft,
        "events": [r for r in rows if not r["event"].is_candidate],
        "candidates": [r for r in rows if r["event"].is_candidate],
        "can_change": editable and draft is not None and draft.accepted_at is None,
        "problems": [],
        "notice": "",
        "slack_form": SlackChannelForm(initial={"channel": draft.slack_channel if draft else ""}),
        "export_form": SlackExportForm(),
        "has_github": bool(operations.sources_of(postmortem).parsed().github_repositories),
        **extra,
    }


def _render(
    request: HttpRequest,
    postmortem: Postmortem,
    status: int = 200,
    draft: TimelineDraft | None = None,
    **extra: Any,
) -> HttpResponse:
    """The panel; ``draft``: the postmortem's draft when the caller has just read it."""
    if draft is None:
        draft = TimelineDraft.objects.filter(postmortem=postmortem).first()
    with in_team_time(postmortem.incident.team):
        context = _context(request, postmortem, draft, **extra)
        template = "drafting/draft.html" if wants_partial(request) else "drafting/page.html"
        return render(request, template, context, status=status)


def _done(request: HttpRequest, postmortem: Postmortem, notice: str) -> HttpResponse:
    if wants_partial(request):
        return _render(request, postmortem, notice=notice)
    messages.success(request, notice)
    return redirect(reverse("timeline-draft", args=[postmortem.incident_id]))


def _refused(request: HttpRequest, postmortem: Postmortem, refused: Refused) -> HttpResponse:
    return _render(request, postmortem, 422, problems=refused.reasons)


def _editable(request: HttpRequest, pk: int) -> tuple[Postmortem, TimelineDraft]:
    postmortem = editable_postmortem(request, pk)
    draft = operations.draft_for(postmortem)
    if draft is None:
        raise PermissionDenied("The incident is not resolved yet: its timeline is drafted then.")
    return postmortem, draft


# The draft is made, or brought up to date, when it is first seen: a GET that writes.
@writes_on_safe_methods
@login_required
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the drafted timeline (made on first sight once the incident is resolved)."""
    postmortem = visible_postmortem(request, pk)
    draft = None
    if can_edit(request.user, postmortem.incident.team):
        draft = operations.draft_for(postmortem)  # the row the panel shows, or None
    return _render(request, postmortem, draft=draft)


@login_required
@require_POST
def decide_event(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    """POST ``decision=accept|drop``, or ``decision=edit`` with the event's form (accepts it)."""
    postmortem, draft = _editable(request, pk)
    event = get_object_or_404(draft.events, pk=event_id)
    decision = request.POST.get("decision", "")
    try:
        if decision == "edit":
            with in_team_time(postmortem.incident.team):
                form = DraftEventForm(request.POST, instance=DraftEvent(), prefix=f"d{event.pk}")
                valid = form.is_valid()
            if not valid:
                return _render(request, postmortem, 422, forms={event.pk: form})
            operations.decide(
                event,
                DraftEvent.State.ACCEPTED,
                form.cleaned_data["description"],
                form.cleaned_data["occurred_at"],
            )
            return _done(request, postmortem, "Event edited and accepted.")
        if decision == "open":
            form = DraftEventForm(instance=event, prefix=f"d{event.pk}")
            return _render(request, postmortem, forms={event.pk: form})
        if decision not in DECISIONS:
            raise Refused([f"Unknown decision “{decision[:20]}”: accept, edit or drop."])
        operations.decide(event, DECISIONS[decision])
    except Refused as refused:
        return _refused(request, postmortem, refused)
    return _done(request, postmortem, f"Event {DECISIONS[decision].label.lower()}.")


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the timeline: the accepted events go on it and the milestone completes."""
    postmortem, draft = _editable(request, pk)
    try:
        created = operations.accept_timeline(draft, request.user)
    except Refused as refused:
        return _refused(request, postmortem, refused)
    messages.success(
        request,
        f"Timeline accepted: {len(created)} event(s) are on the postmortem's timeline, and "
        "“Initial timeline documented” is done.",
    )
    if wants_partial(request):
        return HttpResponseClientRefresh()
    return redirect(reverse("postmortem", args=[pk]) + "#timeline")


@login_required
@require_POST
def slack(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem, draft = _editable(request, pk)
    form = SlackChannelForm(request.POST)
    if not form.is_valid():
        return _render(request, postmortem, 422, slack_form=form)
    try:
        added = operations.add_from_slack(draft, form.cleaned_data["channel"])
    except Refused as refused:
        return _render(request, postmortem, 422, problems=refused.reasons, slack_form=form)
    return _done(request, postmortem, f"{added} message(s) from Slack added to the draft.")


@login_required
@require_POST
def slack_export(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem, draft = _editable(request, pk)
    form = SlackExportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, postmortem, 422, export_form=form)
    upload = form.cleaned_data["export"]
    if upload.size > MAX_UPLOAD:
        problem = f"The export is larger than {MAX_UPLOAD // 1024 // 1024} MB; nothing was read."
        return _render(request, postmortem, 422, problems=[problem], export_form=form)
    try:
        added = operations.add_from_slack_export(draft, upload, form.cleaned_data["channel"])
    except Refused as refused:
        return _render(request, postmortem, 422, problems=refused.reasons, export_form=form)
    return _done(request, postmortem, f"{added} message(s) from the Slack export added.")


@login_required
@require_POST
def github(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem, draft = _editable(request, pk)
    try:
        added = operations.add_from_github(draft)
    except Refused as refused:
        return _refused(request, postmortem, refused)
    return _done(request, postmortem, f"{added} deploy(s) and pull request(s) offered as triggers.")


@login_required
@require_http_methods(["GET", "POST"])
def sources(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's timeline sources: its leads change them; its other members read them."""
    team = _team(request, slug)
    manages = team.is_led_by(request.user)
    row = DraftSources.objects.filter(team=team).first() or DraftSources(team=team)
    conf = row.parsed()
    initial = {
        "github_repositories": "\n".join(conf.github_repositories),
        "github_api_url": conf.github_api_url,
    }
    form = DraftSourcesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if refusal := permissions.team_refusal(request.user, team, "change its settings"):
            raise PermissionDenied(refusal)
        if form.is_valid():
            form.save(row)
            messages.success(request, "Timeline sources saved.")
            return redirect(reverse("timeline-sources", args=[team.slug]))
        status = 422
    context = {"team": team, "form": form, "manages": manages, "token_set": bool(row.github_token)}
    return render(request, "drafting/sources.html", context, status=status)
