"""People and their managers: everyone reads the people of the teams they can see; organisation
admins add people, change them (and who manages whom) in place, delete the ones named on
nothing, and invite people without putting them on a team."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.web.accounts import operations, permissions
from followthrough.web.accounts.models import Membership, Person
from followthrough.web.accounts.visibility import visible_team_ids
from followthrough.web.followup.invitations import invite_and_send, shown_result
from followthrough.web.front.common import login_required, refusal_to_form, wants_partial
from followthrough.web.front.forms import InviteForm, PersonEditForm, PersonForm
from followthrough.web.versioning import StaleVersion
from followthrough.web.visibility import visible_people


def _visible_people(request: HttpRequest) -> Any:
    user = request.user
    memberships = Membership.objects.filter(team_id__in=visible_team_ids(user)).select_related(
        "team"
    )
    return (
        visible_people(user)
        .select_related("manager", "user")
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("name", "pk")
    )


def _admin(request: HttpRequest, what: str) -> None:
    if refusal := permissions.admin_refusal(request.user, what):
        raise PermissionDenied(refusal)


def edit_form(person: Person, data: Any = None) -> PersonEditForm:
    form = PersonEditForm(
        data, instance=person, prefix=f"p{person.pk}", initial={"version": person.version}
    )
    form.fields["name"].widget.attrs["autofocus"] = True
    return form


def _list(request: HttpRequest, status: int = 200, **overrides: Any) -> HttpResponse:
    editing: dict[int, PersonEditForm] = overrides.pop("editing", {})
    context: dict[str, Any] = {
        "rows": [(p, editing.get(p.pk)) for p in _visible_people(request)],
        "is_admin": permissions.is_admin(request.user),
        "form": PersonForm(),
        "invite_form": InviteForm(),
        "invited": None,
        "row_errors": {},
    }
    context.update(overrides)
    return render(request, "front/people.html", context, status=status)


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@login_required
@require_POST
def person_add(request: HttpRequest) -> HttpResponse:
    _admin(request, "add people")
    form = PersonForm(request.POST)
    if form.is_valid():
        try:
            person = operations.create_person(form.values())
        except operations.AccountRefused as refused:
            refusal_to_form(form, refused)
        else:
            messages.success(request, f"{person.name} added. Put them on a team from its page.")
            return redirect("people")
    return _list(request, 422, form=form)


def _row(request: HttpRequest, person: Person, form: PersonEditForm | None) -> HttpResponse:
    """One person's row, as text or as a form, for an htmx swap."""
    person = _visible_people(request).get(pk=person.pk)
    context = {"person": person, "edit": form, "is_admin": permissions.is_admin(request.user)}
    return HttpResponse(
        render_to_string("front/partials/person_row.html", context, request=request)
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the person's row as a form (``?cancel=1``: as text); POST: save it."""
    _admin(request, "change people or their managers")
    person = get_object_or_404(Person, pk=pk)
    if request.method == "GET":
        form = None if request.GET.get("cancel") else edit_form(person)
        if wants_partial(request):
            return _row(request, person, form)
        return _list(request, editing={person.pk: form} if form else {})
    form = edit_form(Person.objects.get(pk=person.pk), request.POST)
    status = 422
    if form.is_valid():
        try:
            operations.update_person(person, form.cleaned_data["version"], form.values())
        except operations.AccountRefused as refused:
            refusal_to_form(form, refused)
        except StaleVersion as stale:
            person.refresh_from_db()
            data = form.data.copy()
            data[form.add_prefix("version")] = str(person.version)
            form.data = data
            manager = person.manager.name if person.manager else "nobody"
            form.add_error(
                None,
                f"{stale} Theirs: {person.name}, {person.email or 'no address'}, managed by "
                f"{manager}. Your entries are still in the form; save again to replace theirs.",
            )
            status = 409
        else:
            if wants_partial(request):
                return _row(request, person, None)
            messages.success(request, f"{person.name} saved.")
            return redirect("people")
    if wants_partial(request):
        response = _row(request, person, form)
        response.status_code = status
        return response
    return _list(request, status, editing={person.pk: form})


@login_required
@require_POST
def person_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request, "delete people")
    person = get_object_or_404(Person, pk=pk)
    try:
        version = int(request.POST.get("version", ""))
        operations.delete_person(person, version)
    except ValueError:
        return _list(request, 400, row_errors={person.pk: "The form lost the version; try again."})
    except operations.AccountRefused as refused:
        return _list(request, 422, row_errors={person.pk: " ".join(refused.reasons)})
    except StaleVersion:
        why = "They were changed since you loaded this page; look again, then delete."
        return _list(request, 409, row_errors={person.pk: why})
    messages.success(request, f"{person.name} deleted.")
    return redirect("people")


@login_required
@require_POST
@never_cache
def person_invite(request: HttpRequest) -> HttpResponse:
    """Invite someone to the organisation without a team (admins; leads invite from their
    team's page)."""
    _admin(request, "invite someone to no team")
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _list(request, 422, invite_form=form)
    try:
        invited, queued = invite_and_send(
            form.cleaned_data["email"], form.cleaned_data["name"], None, "", request.user
        )
    except operations.AccountRefused as refused:
        refusal_to_form(form, refused)
        return _list(request, 422, invite_form=form)
    result = shown_result(request.user, invited, queued)
    return _list(request, invited=result)
