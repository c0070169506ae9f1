"""Action items on the postmortem editor: add, edit in place, change status (deprioritising
needs a reason). What a final or closed postmortem still lets change is decided in
:mod:`followthrough.web.actions.locking`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods, require_POST

from followthrough.web.actions.locking import open_item_for_edit
from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item, update_action_item
from followthrough.web.front.common import (
    login_required,
    refusal_to_form,
    visible_postmortem,
)
from followthrough.web.front.forms import ActionItemForm
from followthrough.web.postmortems.locking import DocumentLocked
from followthrough.web.postmortems.operations import Refused
from followthrough.web.postmortems.views.editor import (
    _editable_postmortem,
    done,
    form_response,
    item_edit_form,
    listed_row,
    locked_response,
    row_response,
    sends_back,
    status_form,
)
from followthrough.web.versioning import StaleVersion


@dataclass(frozen=True)
class ItemRows:
    """The action items panel, for ``row_response``."""

    panel: str = "actions"
    template: str = "action_row"
    forms_key: str = "edit_forms"


ITEM_ROWS = ItemRows()


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = ActionItemForm(request.POST, prefix="new-action", user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                sent_back = open_item_for_edit(
                    postmortem, request.user, send_back=sends_back(request)
                )
                create_action_item(postmortem, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DocumentLocked as refused:
            return locked_response(request, postmortem, "actions", refused, action_form=form)
        except Refused as refused:
            refusal_to_form(form, refused)
        else:
            return done(request, postmortem, "actions", "Action item added.", sent_back)
    return form_response(request, postmortem, "actions", 422, action_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """GET: the item as a form in its place (``?cancel=1``: as it was); POST: save it.

    Title, owner, due date, done-when and the three ratings, with the version read."""
    if request.method == "GET":
        postmortem = visible_postmortem(request, pk)
        item = listed_row(postmortem, "action_items", item_id)
        editing = None if request.GET.get("cancel") else item_edit_form(item, request.user)
        return row_response(request, postmortem, ITEM_ROWS, item, editing)
    postmortem = _editable_postmortem(request, pk)
    item = get_object_or_404(ActionItem, postmortem=postmortem, pk=item_id)
    form = item_edit_form(ActionItem.objects.get(pk=item.pk), request.user, request.POST)
    forms = {"edit_forms": {item.pk: form}}
    status = 422
    if form.is_valid():
        fields = form.changed_values()
        try:
            with transaction.atomic():
                sent_back = open_item_for_edit(
                    postmortem,
                    request.user,
                    item=item,
                    fields=fields,
                    send_back=sends_back(request),
                )
                update_action_item(item, form.cleaned_data["version"], request.user, fields)  # type: ignore[arg-type]
        except DocumentLocked as refused:
            return locked_response(request, postmortem, "actions", refused, **forms)
        except Refused as refused:
            refusal_to_form(form, refused)
        except StaleVersion as stale:
            item.refresh_from_db()
            form.with_version(item.version)
            owner = item.owner.name if item.owner else "nobody"
            due = item.due_date.isoformat() if item.due_date else "no date"
            form.add_error(
                None,
                f"{stale} Theirs: “{item.title}”, owner {owner}, due {due}, done when "
                f"“{item.done_condition or '—'}”. Your entries are still in the form; save "
                "again to replace theirs.",
            )
            status = 409
        else:
            return done(request, postmortem, "actions", f"“{item.title}” saved.", sent_back)
    return form_response(request, postmortem, "actions", status, **forms)


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    item = get_object_or_404(ActionItem, postmortem=postmortem, pk=item_id)
    form = status_form(ActionItem.objects.get(pk=item.pk), request.POST)
    forms = {"item_forms": {item.pk: form}}
    status = 422
    if form.is_valid():
        fields = form.changed_values()
        try:
            with transaction.atomic():
                open_item_for_edit(postmortem, request.user, item=item, fields=fields)
                update_action_item(
                    item,
                    form.cleaned_data["version"],
                    request.user,  # type: ignore[arg-type]
                    fields,
                )
        except DocumentLocked as refused:
            return locked_response(request, postmortem, "actions", refused, **forms)
        except Refused as refused:
            refusal_to_form(form, refused)
        except StaleVersion as stale:
            item.refresh_from_db()
            form.with_version(item.version)
            form.add_error(
                None,
                f"{stale} It is now “{item.get_status_display()}”. Save again to replace that.",
            )
            status = 409
        else:
            return done(
                request,
                postmortem,
                "actions",
                f"“{item.title}” is now {item.get_status_display().lower()}.",
            )
    return form_response(request, postmortem, "actions", status, **forms)
