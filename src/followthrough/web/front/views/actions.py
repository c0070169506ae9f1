"""Action items on the postmortem editor: add, change status (deprioritising needs a reason)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import create_action_item, update_action_item
from followthrough.web.postmortems.operations import Refused
from followthrough.web.versioning import StaleVersion

from ..forms import ActionItemForm
from .common import login_required
from .postmortems import _editable_postmortem, done, panel_response, status_form


def _refusal_to_form(form: ActionItemForm | object, refused: Refused) -> None:
    field = refused.field if refused.field in getattr(form, "fields", {}) else None
    for reason in refused.reasons:
        form.add_error(field, reason)  # type: ignore[attr-defined]


@login_required
@require_POST
def action_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = ActionItemForm(request.POST, prefix="new-action", user=request.user)
    if form.is_valid():
        try:
            create_action_item(postmortem, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except Refused as refused:
            _refusal_to_form(form, refused)
        else:
            return done(request, postmortem, "actions", "Action item added.")
    return panel_response(request, postmortem, "actions", 422, action_form=form)


@login_required
@require_POST
def action_status(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    item = get_object_or_404(ActionItem, postmortem=postmortem, pk=item_id)
    form = status_form(ActionItem.objects.get(pk=item.pk), request.POST)
    status = 422
    if form.is_valid():
        try:
            update_action_item(
                item,
                form.cleaned_data["version"],
                request.user,
                form.changed_values(),  # type: ignore[arg-type]
            )
        except Refused as refused:
            _refusal_to_form(form, refused)
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
    return panel_response(request, postmortem, "actions", status, item_forms={item.pk: form})
