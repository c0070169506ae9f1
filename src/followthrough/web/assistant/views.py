"""The writing assistant's pages: the admin's settings, and the editor's panel.

The call to the endpoint runs inside the "Ask the assistant" request, with the admin's
short timeout (at most 25 s, under gunicorn's 30 s): proposals are for the person waiting
on the page, nothing is stored, and a slow or broken endpoint costs one clear message in
the panel while the editor keeps working. Accepting writes through the editor's own
operations: the final lock, the version check, and the history (noted "from the writing
assistant").
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from followthrough.web.actions.models import ActionItem
from followthrough.web.actions.operations import update_action_item
from followthrough.web.assistant import proposals as assist
from followthrough.web.assistant.client import AssistantUnavailable, complete
from followthrough.web.assistant.forms import ProposalForm, SettingsForm
from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.front.common import (
    can_edit,
    editable_incident,
    editable_postmortem,
    login_required,
    visible_postmortem,
)
from followthrough.web.history.context import acting_as
from followthrough.web.postmortems.locking import DocumentLocked, open_for_edit
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import Refused, append
from followthrough.web.versioning import StaleVersion, save_versioned

NOTE = "Accepted from the writing assistant."


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """The organisation's assistant: endpoint, model, key (write-only), on/off, security."""
    if not (request.user.is_active and request.user.is_superuser):
        raise Http404("There is no such page.")
    config = AssistantSettings.current()
    form = SettingsForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.updated_by = request.user
        saved.save()
        messages.success(
            request, f"Saved: the writing assistant is {'on' if saved.is_on else 'off'}."
        )
        return redirect("assistant-settings")
    context = {
        "form": form,
        "config": config,
        "has_key": bool(config.api_key),
        "sent": assist.SENT,
        "not_sent": assist.NOT_SENT,
        "system_prompt": assist.SYSTEM_PROMPT,
    }
    return render(request, "assistant/settings.html", context, status=422 if form.errors else 200)


def _panel_context(request: HttpRequest, pm: Postmortem, **extra: Any) -> dict[str, Any]:
    config = AssistantSettings.current()
    return {
        "incident": pm.incident,
        "postmortem": pm,
        "config": config,
        "refusal": assist.refusal(pm, config),
        "can_edit": can_edit(request.user, pm.incident.team),
        "is_admin": request.user.is_superuser,
        **extra,
    }


@login_required
@require_GET
def panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's assistant panel (loaded into the editor by htmx)."""
    pm = visible_postmortem(request, pk)
    return render(request, "assistant/panel.html", _panel_context(request, pm))


@transaction.non_atomic_requests  # no transaction held open while the endpoint thinks
@login_required
@require_POST
def proposals(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the endpoint, screen its proposals with the linter, show the clean ones.

    An endpoint that fails is an answer of this page like any other (200, the message in the
    panel, which htmx swaps in): followthrough did what was asked, the assistant did not.
    """
    pm = editable_postmortem(request, pk)
    config = AssistantSettings.current()
    context = _panel_context(request, pm)
    if context["refusal"]:
        return render(request, "assistant/proposals.html", context, status=409)
    try:
        content = complete(config, assist.messages_for(pm))
    except AssistantUnavailable as error:
        context["error"] = str(error)
        return render(request, "assistant/proposals.html", context)
    found = assist.read_answer(content, pm)
    if found is None:
        context["error"] = (
            "The assistant answered, but not with the JSON it was asked for; nothing to show."
        )
        return render(request, "assistant/proposals.html", context)
    screened = assist.screen(pm, found)
    items = {i.pk: i for i in pm.action_items.all()}
    context["screened"] = screened
    context["cards"] = [
        {
            "proposal": p,
            "was": items[p.item].title if p.item in items else "",
            "version": items[p.item].version if p.item in items else pm.version,
        }
        for p in screened.shown
    ]
    return render(request, "assistant/proposals.html", context)


def _back(pm: Postmortem, kind: str) -> HttpResponse:
    panel = {"why": "whys", "action": "actions"}.get(kind, "sections")
    return redirect(reverse("postmortem", args=[pm.incident_id]) + f"#{panel}")


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """Write one proposal into the document, if the linter still passes it and nobody changed
    what it was made against."""
    pm = editable_postmortem(request, pk)
    form = ProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That proposal could not be read; nothing was changed.")
        return _back(pm, "summary")
    data = form.cleaned_data
    proposal = assist.Proposal(
        kind=data["kind"],
        text=data["text"],
        question=data["question"],
        item=data["item"],
        owner=data["owner"],
        due=data["due"],
        done_when=data["done_when"],
    )
    if refused := assist.refusal(pm, AssistantSettings.current()):
        messages.error(request, f"Nothing was changed. {refused}")
        return _back(pm, proposal.kind)
    if problems := assist.check(pm, proposal):
        messages.error(
            request,
            f"Nothing was changed: the linter does not pass this proposal ({', '.join(problems)}).",
        )
        return _back(pm, proposal.kind)
    try:
        with transaction.atomic(), acting_as(user=request.user, note=NOTE):
            _write(request, pm, proposal, data["version"])
    except StaleVersion:
        messages.error(
            request,
            "Nothing was changed: the document changed since the assistant proposed this. "
            "Ask again for proposals that fit what is written now.",
        )
        return _back(pm, proposal.kind)
    except (DocumentLocked, Refused) as refused_change:
        messages.error(request, "Nothing was changed. " + " ".join(refused_change.reasons))
        return _back(pm, proposal.kind)
    messages.success(request, f"{proposal.label} accepted from the writing assistant.")
    return _back(pm, proposal.kind)


def _write(request: HttpRequest, pm: Postmortem, proposal: assist.Proposal, version: int) -> None:
    if proposal.kind == "action":
        # The item's text is part of the document: a final postmortem's stays as reviewed.
        open_for_edit(pm, request.user, what="an action item")
        item = ActionItem.objects.select_for_update().get(pk=proposal.item, postmortem=pm)
        update_action_item(
            item,
            version,
            request.user,  # type: ignore[arg-type]
            {
                "title": proposal.text,
                "owner": assist.owner_of(pm, proposal.owner),
                "due_date": assist.due_of(proposal),
                "done_condition": proposal.done_when,
            },
            note=NOTE,
        )
        return
    open_for_edit(pm, request.user, what="the document", expected_version=version)
    if proposal.kind in ("summary", "impact"):
        save_versioned(pm, version, {proposal.kind: proposal.text})
    else:
        # Appended to the chain as it stands (a why someone added meanwhile stays before
        # it); a page older than the postmortem's last change is refused all the same.
        if Postmortem.objects.filter(pk=pm.pk, version=version).count() != 1:
            raise StaleVersion(Postmortem.objects.get(pk=pm.pk).version)
        append(pm, "whys", question=proposal.question, answer=proposal.text)


@login_required
@require_POST
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    """A proposal set aside: nothing was stored, so the card simply goes."""
    editable_incident(request, pk)
    if getattr(request, "htmx", False):
        return HttpResponse("")
    return redirect(reverse("postmortem", args=[pk]))
