"""A fresh installation, set up from the pages: the first-run page creates the organisation's
first team (when there is none), and an invitation link lets a newcomer choose a password.

Nobody meets a dead end: an admin on an empty organisation is sent to the first-run page;
anyone else is told who the admins are (or, when there is none, how to make one).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from followthrough.web.accounts import operations, permissions
from followthrough.web.accounts.models import Invitation, Person
from followthrough.web.front.common import login_required, refusal_to_form
from followthrough.web.front.forms import AcceptInvitationForm, FirstTeamForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _own_person(user: object) -> Person:
    """The admin's person record, made from their login when they have none."""
    found = Person.objects.filter(user=user).first()
    if found is not None:
        return found
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    return Person.objects.create(
        name=name,
        email=user.email,
        handle=user.get_username(),
        user=user,  # type: ignore[attr-defined]
    )


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """The first-run page: name the organisation and create its first team (admins)."""
    if not operations.first_run():
        return redirect("team-list")
    if not permissions.is_admin(request.user):
        return render(request, "front/welcome.html", {"admins": operations.admins(), "form": None})
    form = FirstTeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                operations.organisation_name(form.cleaned_data["organisation"])
                lead = _own_person(request.user) if form.cleaned_data["i_lead"] else None
                team = operations.create_team(form.values(), lead=lead)
        except operations.AccountRefused as refused:
            refusal_to_form(form, refused)
        else:
            messages.success(
                request,
                f"{team.name} is set up. Next: invite the people who take part in its "
                "incidents and postmortems.",
            )
            return redirect("team-detail", slug=team.slug)
    status = 422 if request.method == "POST" else 200
    return render(request, "front/welcome.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def accept_invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """Choose a login name and password with an invitation link, then sign in."""
    invitation = Invitation.objects.usable(secret)
    if invitation is None or invitation.person.user is None:
        return render(request, "front/invitation_invalid.html", status=404)
    user = invitation.person.user
    if invitation.person.has_working_login():
        return render(request, "front/invitation_invalid.html", status=404)
    initial = {"username": user.get_username()}
    form = AcceptInvitationForm(user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            user = operations.accept(
                invitation, form.cleaned_data["username"], form.cleaned_data["new_password1"]
            )
        except operations.AccountRefused as refused:
            refusal_to_form(form, refused)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, f"Welcome, {invitation.person.name}. You are signed in.")
            if invitation.team is not None:
                return redirect("team-detail", slug=invitation.team.slug)
            return redirect("incident-list")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "invitation": invitation}
    return render(request, "front/invitation_accept.html", context, status=status)
