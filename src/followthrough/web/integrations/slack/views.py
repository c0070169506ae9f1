"""Slack's endpoint and pages.

- ``POST /ingest/slack/commands/``: the Request URL of the ``/postmortem`` command, one for
  every workspace. The path of every signed inbound request, with the workspace deciding the
  secret: size (413) -> the workspace the request claims, bound to a source (404) -> signed
  with that source's secret, timestamp within 5 minutes (401) -> source enabled (403) ->
  form (400) -> answered once (a replay within the 5 minutes is told so). Slack shows
  non-200 answers as a failure, so once the request is authentic every answer, refusals
  included, is a 200 with an ephemeral message. ``ssl_check=1`` requests (Slack checking
  the certificate) are answered 200 and nothing else.
- ``/slack/link/<token>/``: the signed-in page where a member confirms ``/postmortem link``.
- ``/sources/<pk>/slack/``: an admin binds the workspace and manages who is who in it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from followthrough.web.accounts.models import Person
from followthrough.web.front.common import login_required
from followthrough.web.ingest.events import BadSignature, Malformed
from followthrough.web.ingest.models import (
    Delivery,
    IngestSource,
    Kind,
    SlackIdentity,
    SlackLinkRequest,
    SlackWorkspace,
)
from followthrough.web.ingest.receiving import TooBig, read_body, reply, too_big

from . import binding, linking
from .commands import handle, say
from .parse import SLACK_ID, claimed_team_id, is_ssl_check, parse
from .verify import replay_key, verify

logger = logging.getLogger("followthrough.ingest")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def slash_command(request: HttpRequest) -> HttpResponse:
    try:
        body = read_body(request)
    except TooBig:
        return too_big()
    if is_ssl_check(body, request.GET):
        return HttpResponse(status=200)  # Slack checking our certificate: nothing to do
    if request.method != "POST":
        return reply(405, "Slack posts slash commands; nothing else is answered here.")
    team_id = claimed_team_id(body)
    workspace = (
        SlackWorkspace.objects.select_related("source").filter(team_id=team_id).first()
        if team_id
        else None
    )
    if workspace is None:
        return reply(
            404,
            "This Slack workspace is not bound to a Slack source here; an admin binds it on "
            "the source's page.",
        )
    source = workspace.source
    if not source.secret:
        return reply(401, "The Slack source has no signing secret; an admin sets it.")
    try:
        verify(source.secret, request.headers, body, time.time())
    except BadSignature as e:
        logger.warning("ingest slack source %s: refused: %s", source.pk, e)
        return reply(401, str(e))
    if not source.enabled:
        return reply(403, f"The source “{source.name}” is disabled.")
    try:
        command = parse(body, request.headers)
    except Malformed as e:
        return reply(400, f"Malformed slash command: {e}")
    if not _first_time(source, replay_key(request.headers, body), command.subcommand):
        return JsonResponse(say("This exact request was received before; nothing was done again."))
    return JsonResponse(handle(command, workspace))


def _first_time(source: IngestSource, key: str, subcommand: str) -> bool:
    """Record the signed request once; False when it was recorded before (a replay)."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                source=source,
                event_id=key,
                event_type=f"slash {subcommand}"[:64],
                outcome="handled",
            )
    except IntegrityError:
        return False
    return True


# --- linking a member to a person -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def link_page(request: HttpRequest, token: str) -> HttpResponse:
    pending = SlackLinkRequest.usable(token)
    if request.method == "POST" and pending is not None:
        try:
            identity = linking.confirm(token, request.user)  # type: ignore[arg-type]
        except linking.LinkRefused as e:
            messages.error(request, str(e))
        else:
            messages.success(
                request,
                f"Linked: Slack member {identity.slack_user_id} in "
                f"{identity.workspace.label} now acts as you.",
            )
            return redirect("incident-list")
    person = Person.objects.filter(user=request.user).first()
    current = (
        SlackIdentity.objects.filter(workspace=pending.workspace, person=person).first()
        if pending is not None and person is not None
        else None
    )
    return render(
        request,
        "integrations/slack/link.html",
        {"pending": pending, "person": person, "current": current},
        status=200 if pending is not None else 410,
    )


# --- the admin's page: binding and who is who -------------------------------------------------


class BindForm(forms.Form):
    team_id = forms.CharField(
        label="Workspace id",
        max_length=32,
        help_text="T… (in the address of app.slack.com/client/T…).",
    )
    name = forms.CharField(label="Workspace name", max_length=100, required=False)
    signing_secret = forms.CharField(
        label="Signing secret",
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The Slack app's Signing Secret (Basic Information → App Credentials).",
    )


class LinkForm(forms.Form):
    slack_user_id = forms.RegexField(
        label="Slack member id",
        regex=SLACK_ID,
        max_length=32,
        help_text="U… (a member's profile → ⋮ → Copy member ID).",
    )
    person = forms.ModelChoiceField(queryset=Person.objects.all(), label="Person")


@login_required
@require_http_methods(["GET", "POST"])
def workspace_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not binding.may_bind(request.user):
        raise PermissionDenied(binding.ADMINS_ONLY)
    source = get_object_or_404(IngestSource, pk=pk, kind=Kind.SLACK)
    workspace = SlackWorkspace.objects.filter(source=source).first()
    action = request.POST.get("action", "")
    bind_form = BindForm(request.POST if action == "bind" else None)
    link_form = LinkForm(request.POST if action == "link" else None)
    if request.method == "POST":
        done = _act(request, source, workspace, action, bind_form, link_form)
        if done:
            return redirect("slack-workspace", pk=source.pk)
        workspace = SlackWorkspace.objects.filter(source=source).first()
    identities = (
        SlackIdentity.objects.filter(workspace=workspace).select_related("person", "linked_by")
        if workspace is not None
        else SlackIdentity.objects.none()
    )
    return render(
        request,
        "integrations/slack/workspace.html",
        {
            "source": source,
            "workspace": workspace,
            "bind_form": bind_form,
            "link_form": link_form,
            "identities": identities,
        },
        status=422 if request.method == "POST" else 200,
    )


def _act(
    request: HttpRequest,
    source: IngestSource,
    workspace: SlackWorkspace | None,
    action: str,
    bind_form: BindForm,
    link_form: LinkForm,
) -> bool:
    """Carry out one POSTed action; True when it succeeded (the page redirects)."""
    user: Any = request.user
    if action == "bind" and bind_form.is_valid():
        try:
            bound = binding.bind(
                source,
                bind_form.cleaned_data["team_id"],
                bind_form.cleaned_data["signing_secret"],
                user,
                name=bind_form.cleaned_data["name"],
            )
        except binding.BindingRefused as e:
            bind_form.add_error(e.field or None, e.reason)
            return False
        messages.success(request, f"Bound workspace {bound.label} to {source.name}.")
        return True
    if action == "unbind" and workspace is not None:
        binding.unbind(source, user)
        messages.success(request, f"Unbound {workspace.label}; its commands are refused now.")
        return True
    if action == "link" and workspace is not None and link_form.is_valid():
        identity = linking.link(
            workspace,
            link_form.cleaned_data["slack_user_id"],
            link_form.cleaned_data["person"],
            user,
        )
        messages.success(request, f"{identity.slack_user_id} now acts as {identity.person}.")
        return True
    if action == "unlink" and workspace is not None:
        raw = request.POST.get("identity", "")
        identity = (
            SlackIdentity.objects.filter(workspace=workspace, pk=int(raw)).first()
            if raw.isdigit() and len(raw) < 18
            else None
        )
        if identity is not None:
            linking.unlink(identity, user)
            messages.success(request, f"{identity.slack_user_id} acts as nobody now.")
            return True
    return False
