"""Insights pages: the effectiveness dashboard, its drill-down and exports, similar
earlier incidents (with confirm / reject) and copied passages for the editor."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from followthrough.core.effectiveness import METRICS
from followthrough.web.front.common import (
    can_edit,
    login_required,
    visible_incident,
    visible_postmortem,
    wants_partial,
)
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import charts, copies, queries, repeats
from followthrough.web.insights.export import csv_download, report_dict
from followthrough.web.insights.models import Verdict
from followthrough.web.postmortems.operations import Refused
from followthrough.web.visibility import incident_q, visible_incidents, visible_teams

FILTERS = ("team", "period", "from", "to")


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET[k].strip() for k in FILTERS if request.GET.get(k, "").strip()}


def _scope(request: HttpRequest) -> queries.Scope:
    f = _filters(request)
    return queries.scope(
        request.user,
        team=f.get("team"),
        period=f.get("period"),
        start=f.get("from"),
        until=f.get("to"),
    )


def _bad_request(request: HttpRequest, error: queries.BadRequest) -> HttpResponse:
    return render(
        request,
        "insights/bad_request.html",
        {"error": str(error), "filters": _filters(request)},
        status=400,
    )


class _DrillLinks:
    """The dashboard's drill-down links (a hundred and more per page), built in one pass: the
    route reversed and the filters encoded once, then each link adds its metric, period and
    team. The same URL as encoding ``base`` with those added (their order, and a filter of
    the same name replaced in its place)."""

    def __init__(self, base: dict[str, str]) -> None:
        self.base = base
        self.prefix = reverse("insights-drill") + "?"
        self.head = urlencode(base)
        self.plain = not ({"metric", "start", "team"} & base.keys())

    def __call__(self, metric: str, start: str | None = None, team: int | None = None) -> str:
        if not self.plain:  # a filter named like a link's own part: encode it all
            query = dict(self.base)
            query["metric"] = metric
            if start:
                query["start"] = start
            if team is not None:
                query["team"] = str(team)
            return self.prefix + urlencode(query)
        tail = {"metric": metric}
        if start:
            tail["start"] = start
        if team is not None:
            tail["team"] = str(team)
        return self.prefix + (self.head + "&" if self.head else "") + urlencode(tail)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Effectiveness over time, for a screen on the wall or a printed page."""
    try:
        scope = _scope(request)
    except queries.BadRequest as e:
        return _bad_request(request, e)
    report = queries.report(scope)
    base = {k: v for k, v in _filters(request).items()}
    drill_url = _DrillLinks(base)
    series = [report.organisation, *(report.teams if len(report.teams) > 1 else [])]
    line_metrics = [m for m in METRICS if not m.key.startswith("milestone_")]
    milestone_metrics = [m for m in METRICS if m.key.startswith("milestone_")]
    line_charts = []
    for m in line_metrics:
        chart = charts.line_chart(m, series)
        rows = [
            {
                "label": p.label,
                "href": drill_url(m.key, p.start.isoformat()),
                "values": [
                    charts.fmt(s.periods[i].values[m.key], m.unit)
                    for s in series[: charts.MAX_LINES]
                ],
            }
            for i, p in enumerate(report.organisation.periods)
        ]
        line_charts.append({"chart": chart, "metric": m, "rows": rows})
    milestone_bars = charts.bar_chart(
        "Milestones done on time",
        [
            (
                m.label.removeprefix("On time: "),
                report.organisation.total_values[m.key],
                drill_url(m.key),
            )
            for m in milestone_metrics
        ],
        "ratio",
    )
    tiles = []
    for m in METRICS:
        parts = m.parts(report.organisation.total)
        tiles.append(
            {
                "metric": m,
                "value": charts.fmt(report.organisation.total_values[m.key], m.unit),
                "parts": parts,
                "href": drill_url(m.key),
            }
        )
    team_rows = [
        {
            "series": s,
            "cells": [
                {
                    "value": charts.fmt(s.total_values[m.key], m.unit),
                    "href": drill_url(m.key, team=s.team_id),
                }
                for m in METRICS
            ],
        }
        for s in report.teams
    ]
    recent_repeats = list(
        Incident.objects.filter(
            incident_q(request.user),
            incident_q(request.user, "repeat_of"),
            team_id__in=scope.team_ids,
            repeat_of__isnull=False,
        )
        .filter(
            Q(started_at__gte=scope.begin_at(), started_at__lt=scope.end_at())
            | Q(
                started_at__isnull=True,
                created_at__gte=scope.begin_at(),
                created_at__lt=scope.end_at(),
            )
        )
        .select_related("team", "repeat_of", "repeat_of__postmortem")
        .order_by("-started_at", "-pk")[:20]
    )
    query = urlencode(base)
    context = {
        "report": report,
        "scope": scope,
        "series": series,
        "line_charts": line_charts,
        "milestone_bars": milestone_bars,
        "tiles": tiles,
        "team_rows": team_rows,
        "metrics": METRICS,
        "recent_repeats": recent_repeats,
        "filters": base,
        "teams": visible_teams(request.user).order_by("name"),
        "query": query,
        "periods": ("week", "month", "quarter"),
    }
    return render(request, "insights/dashboard.html", context)


@login_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    """The incidents, postmortems, action items or milestones behind one number."""
    try:
        scope = _scope(request)
        found = queries.drill(
            scope, request.GET.get("metric", ""), request.GET.get("start") or None
        )
    except queries.BadRequest as e:
        return _bad_request(request, e)
    base = _filters(request)
    repeated = {r.repeat_of_id for r in found.rows if getattr(r, "repeat_of_id", None)}
    return render(
        request,
        "insights/drill.html",
        {
            "drill": found,
            # A visible repeat of an incident the reader may not see names no key of it.
            "readable_repeats": set(
                visible_incidents(request.user).filter(pk__in=repeated).values_list("pk", flat=True)
            )
            if repeated
            else set(),
            "scope": scope,
            "back": reverse("insights") + "?" + urlencode(base),
            "limit": queries.DRILL_LIMIT,
            "now": timezone.now(),
        },
    )


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    try:
        scope = _scope(request)
    except queries.BadRequest as e:
        return _bad_request(request, e)
    return csv_download(scope)


@login_required
@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    try:
        scope = _scope(request)
    except queries.BadRequest as e:
        return _bad_request(request, e)
    body = json.dumps(report_dict(queries.report(scope)), indent=2)
    response = HttpResponse(body, content_type="application/json")
    name = f"followthrough-insights-{scope.period.value}-{scope.first}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- similar earlier incidents -----------------------------------------------------------


def _similar_context(
    request: HttpRequest, incident: Incident, root_cause: str | None = None
) -> dict[str, Any]:
    """``root_cause``: the live postmortem's, when the caller read the postmortem."""
    return {
        "incident": incident,
        "suggestions": repeats.similar_incidents(incident, request.user, root_cause=root_cause),
        "failed_to_prevent": repeats.failed_to_prevent(incident, request.user),
        "can_edit": can_edit(request.user, incident.team),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def similar(request: HttpRequest, pk: int) -> HttpResponse:
    """Similar earlier incidents: a panel of the incident page (htmx) or a page of its own."""
    # the postmortem with the incident: its root cause is compared, and the panel names it
    incident = visible_incident(request, pk, "postmortem")
    postmortem = getattr(incident, "postmortem", None)
    live = postmortem if postmortem is not None and postmortem.deleted_at is None else None
    template = (
        "insights/partials/similar.html" if wants_partial(request) else "insights/similar.html"
    )
    context = _similar_context(request, incident, live.root_cause if live else "")
    return render(request, template, context)


@login_required
@require_POST
def similar_decide(request: HttpRequest, pk: int, candidate_id: int) -> HttpResponse:
    incident = visible_incident(request, pk)
    if not can_edit(request.user, incident.team):
        raise PermissionDenied("You can read this team's incidents but not change them.")
    candidate = visible_incident(request, candidate_id)
    verdict = request.POST.get("decision", "")
    try:
        repeats.decide_repeat(
            incident,
            candidate,
            verdict,
            request.user,
            request.POST.get("note", "")[:2000],  # type: ignore[arg-type]
        )
    except Refused as e:
        messages.error(request, " ".join(e.reasons))
    else:
        if verdict == Verdict.CONFIRMED:
            messages.success(
                request,
                f"{incident.key} is marked a repeat of {candidate.key}: its postmortem is "
                f"required, and {candidate.key}'s postmortem failed to prevent it.",
            )
        else:
            messages.success(request, f"{candidate.key} will not be suggested again.")
    if wants_partial(request):
        incident.refresh_from_db()
        context = _similar_context(request, incident)
        return render(request, "insights/partials/similar.html", context)
    return redirect("incident-detail", pk=incident.pk)


# --- copied passages ---------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def copied(request: HttpRequest, pk: int) -> HttpResponse:
    """Passages of the postmortem copied from earlier ones: an editor panel (htmx) or a page."""
    postmortem = visible_postmortem(request, pk)
    incident = postmortem.incident
    context = {
        "incident": incident,
        "postmortem": postmortem,
        "passages": copies.copied_passages(postmortem, request.user),
    }
    template = "insights/partials/copied.html" if wants_partial(request) else "insights/copied.html"
    return render(request, template, context)
