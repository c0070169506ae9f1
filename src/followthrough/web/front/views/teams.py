"""The teams a user can see, and the way to each team's review, follow-up and tracker settings."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from followthrough.web.accounts.models import Role, Team
from followthrough.web.accounts.visibility import incident_q, visible_teams

from .common import login_required


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = (
        visible_teams(user)
        .select_related("lead")
        .annotate(
            members=Count("memberships", distinct=True),
            open_incidents=Count(
                "incidents",
                filter=Q(incidents__resolved_at=None, incidents__deleted_at=None)
                & incident_q(user, "incidents"),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    editable = set(Team.objects.editable_by(user).values_list("pk", flat=True))
    led = (
        set(Team.objects.all().values_list("pk", flat=True))
        if user.is_superuser
        else set(
            Team.objects.filter(
                memberships__person__user=user, memberships__role=Role.LEAD
            ).values_list("pk", flat=True)
        )
    )
    rows = [{"team": t, "can_edit": t.pk in editable, "is_lead": t.pk in led} for t in teams]
    return render(request, "front/team_list.html", {"rows": rows})
