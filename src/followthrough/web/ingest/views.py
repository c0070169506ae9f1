"""Pages to configure where incidents come from (admins and team leads).

Each source shows the endpoint URL to paste into the vendor and the steps to take there. The
secret is write-only: pages say whether one is set, never what it is.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from followthrough.web.front.common import login_required
from followthrough.web.ingest.access import manageable_sources, manageable_teams
from followthrough.web.ingest.forms import SourceForm, default_severity_map, setup_steps
from followthrough.web.ingest.models import Kind, SlackWorkspace


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    if not manageable_teams(request.user).exists():
        raise PermissionDenied("Only admins and team leads configure incident sources.")
    sources = manageable_sources(request.user).order_by("team__name", "kind", "name")
    return render(request, "ingest/source_list.html", {"sources": sources})


@login_required
@require_http_methods(["GET", "POST"])
def source_create(request: HttpRequest) -> HttpResponse:
    if not manageable_teams(request.user).exists():
        raise PermissionDenied("Only admins and team leads configure incident sources.")
    form = SourceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        source = form.save(commit=False)
        source.created_by = request.user  # type: ignore[assignment]
        source.save()
        messages.success(request, f"Created {source.name}. Paste its endpoint into the vendor.")
        return redirect("ingest-source-edit", pk=source.pk)
    return render(request, "ingest/source_form.html", {"form": form, "source": None})


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(manageable_sources(request.user), pk=pk)
    form = SourceForm(request.POST or None, instance=source, user=request.user)
    if request.method == "POST" and form.is_valid():
        source = form.save()
        messages.success(request, f"Saved {source.name}.")
        return redirect("ingest-source-edit", pk=source.pk)
    deliveries = source.deliveries.select_related("incident")[:20]
    return render(
        request,
        "ingest/source_form.html",
        {
            "form": form,
            "source": source,
            "steps": setup_steps(source.kind),
            "defaults": default_severity_map(source.kind),
            "deliveries": deliveries,
            "slack_workspace": (
                SlackWorkspace.objects.filter(source=source).select_related("bound_by").first()
                if source.kind == Kind.SLACK
                else None
            ),
        },
    )
