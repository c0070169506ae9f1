"""Teams: the list, and each team's page where its leads (and admins) set it up: its name
and calendar, its members and their roles, and invitations.

Who may: ``accounts.permissions``. The rules: ``accounts.operations``. Every change is in
the team's settings history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.web.accounts import operations, permissions
from followthrough.web.accounts.models import Invitation, Membership, Role, Team
from followthrough.web.accounts.visibility import visible_teams
from followthrough.web.followup.invitations import invite_and_send, shown_result
from followthrough.web.front.common import login_required, refusal_to_form
from followthrough.web.front.forms import (
    InviteForm,
    MemberForm,
    RoleForm,
    TeamForm,
    TeamSettingsForm,
)
from followthrough.web.versioning import StaleVersion
from followthrough.web.visibility import incident_q


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if operations.first_run() and permissions.is_admin(user):
        return redirect("welcome")
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
    led = set(Team.objects.led_by(user).values_list("pk", flat=True))
    rows = [{"team": t, "can_edit": t.pk in editable, "is_lead": t.pk in led} for t in teams]
    return render(
        request,
        "front/team_list.html",
        {"rows": rows, "is_admin": permissions.is_admin(user), "admins": operations.admins()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    """A new team (organisation admins)."""
    if refusal := permissions.admin_refusal(request.user, "create teams"):
        raise PermissionDenied(refusal)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = operations.create_team(form.values())
        except operations.AccountRefused as refused:
            refusal_to_form(form, refused)
        else:
            messages.success(request, f"{team.name} created. Next: put people on it.")
            return redirect("team-detail", slug=team.slug)
    status = 422 if request.method == "POST" else 200
    return render(request, "front/team_create.html", {"form": form}, status=status)


def _team(request: HttpRequest, slug: str) -> Team:
    return get_object_or_404(visible_teams(request.user).select_related("lead"), slug=slug)


def _managed_team(request: HttpRequest, slug: str) -> Team:
    """The team, for a change of its settings or members: 404 unseen, 403 not a lead."""
    team = _team(request, slug)
    if refusal := permissions.team_refusal(request.user, team, "change its settings or members"):
        raise PermissionDenied(refusal)
    return team


def team_context(request: HttpRequest, team: Team, **overrides: Any) -> dict[str, Any]:
    manages = team.is_led_by(request.user)
    memberships = list(
        Membership.objects.filter(team=team).select_related("person__user").order_by("person__name")
    )
    context: dict[str, Any] = {
        "team": team,
        "manages": manages,
        "is_admin": permissions.is_admin(request.user),
        "members": [
            (m, RoleForm(initial={"version": m.version, "role": m.role}, prefix=f"m{m.pk}"))
            for m in memberships
        ],
        "settings_form": TeamSettingsForm(instance=team, initial={"version": team.version}),
        "member_form": MemberForm(team=team, user=request.user),
        "invite_form": InviteForm(),
        "invitations": (
            list(Invitation.objects.filter(team=team).pending().select_related("person"))
            if manages
            else []
        ),
        "invited": None,
        "notice": None,
        "leads": [m.person for m in memberships if m.role == Role.LEAD],
    }
    context.update(overrides)
    return context


def _page(request: HttpRequest, team: Team, status: int = 200, **overrides: Any) -> HttpResponse:
    return render(
        request, "front/team_detail.html", team_context(request, team, **overrides), status=status
    )


def _done(request: HttpRequest, team: Team, notice: str, anchor: str) -> HttpResponse:
    team.refresh_from_db()
    messages.success(request, notice)
    return redirect(reverse("team-detail", args=[team.slug]) + f"#{anchor}")


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _team(request, slug))


@login_required
@require_POST
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    team = _managed_team(request, slug)
    form = TeamSettingsForm(request.POST, instance=Team.objects.get(pk=team.pk))
    if not form.is_valid():
        return _page(request, team, 422, settings_form=form)
    try:
        with transaction.atomic():
            values = {**form.values(), "lead": form.cleaned_data["lead"]}
            operations.update_team(team, form.cleaned_data["version"], values)
    except operations.AccountRefused as refused:
        refusal_to_form(form, refused)
        return _page(request, team, 422, settings_form=form)
    except StaleVersion as stale:
        team.refresh_from_db()
        data = form.data.copy()
        data["version"] = str(team.version)
        form.data = data
        form.add_error(
            None,
            f"{stale} Now: {team.name}, {team.timezone}"
            f"{', holidays ' + team.holiday_country if team.holiday_country else ''}. Your "
            "entries are still in the form; save again to replace theirs.",
        )
        return _page(request, team, 409, settings_form=form)
    team.refresh_from_db()
    messages.success(request, f"{team.name}'s settings saved.")
    return redirect(reverse("team-detail", args=[team.slug]) + "#settings")


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = _managed_team(request, slug)
    form = MemberForm(request.POST, team=team, user=request.user)
    if not form.is_valid():
        return _page(request, team, 422, member_form=form)
    try:
        membership = operations.add_member(
            team, form.cleaned_data["person"], form.cleaned_data["role"]
        )
    except operations.AccountRefused as refused:
        refusal_to_form(form, refused)
        return _page(request, team, 422, member_form=form)
    role = membership.get_role_display().lower()
    return _done(request, team, f"{membership.person.name} is on {team.name} as {role}.", "members")


def _membership(team: Team, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("person", "team"), team=team, pk=pk)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _managed_team(request, slug)
    membership = _membership(team, pk)
    form = RoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        return _page(request, team, 422)
    try:
        operations.change_role(
            membership, form.cleaned_data["version"], form.cleaned_data["role"], request.user
        )
    except operations.AccountRefused as refused:
        return _page(request, team, 422, member_error=(membership.pk, " ".join(refused.reasons)))
    except StaleVersion as stale:
        membership.refresh_from_db()
        why = f"{stale} {membership.person.name} is now {membership.get_role_display().lower()}."
        return _page(request, team, 409, member_error=(membership.pk, why))
    membership.refresh_from_db()
    role = membership.get_role_display().lower()
    return _done(request, team, f"{membership.person.name} is now {role}.", "members")


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _managed_team(request, slug)
    membership = _membership(team, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        operations.remove_member(membership, version, request.user)
    except operations.AccountRefused as refused:
        return _page(request, team, 422, member_error=(membership.pk, " ".join(refused.reasons)))
    except StaleVersion as stale:
        why = f"{stale} Look at their role again, then remove them."
        return _page(request, team, 409, member_error=(membership.pk, why))
    return _done(request, team, f"{membership.person.name} is off {team.name}.", "members")


@login_required
@require_POST
@never_cache
def team_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite someone onto the team: the link is e-mailed and shown on this answer only."""
    team = _managed_team(request, slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, team, 422, invite_form=form)
    try:
        invited, queued = invite_and_send(
            form.cleaned_data["email"],
            form.cleaned_data["name"],
            team,
            form.cleaned_data["role"],
            request.user,
        )
    except operations.AccountRefused as refused:
        refusal_to_form(form, refused)
        return _page(request, team, 422, invite_form=form)
    result = shown_result(request.user, invited, queued)
    return _page(request, team, invited=result)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = _managed_team(request, slug)
    invitation = get_object_or_404(Invitation, team=team, pk=pk)
    invitation.revoke()
    return _done(
        request, team, f"The invitation of {invitation.email} no longer works.", "invitations"
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request: HttpRequest, slug: str) -> HttpResponse:
    """Delete a team with no incidents (organisation admins), after a confirmation."""
    team = _team(request, slug)
    if refusal := permissions.admin_refusal(request.user, "delete teams"):
        raise PermissionDenied(refusal)
    context: dict[str, Any] = {"team": team, "error": ""}
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
            operations.delete_team(team, version)
        except ValueError:
            context["error"] = "The form lost the version you saw; confirm again."
        except operations.AccountRefused as refused:
            context["error"] = " ".join(refused.reasons)
        except StaleVersion:
            context["error"] = "The team was changed since you opened this page; check it again."
        else:
            messages.success(request, f"{team.name} deleted.")
            return redirect("team-list")
        return render(request, "front/team_delete.html", context, status=422)
    return render(request, "front/team_delete.html", context)
