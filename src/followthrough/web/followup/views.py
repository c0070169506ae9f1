"""Follow-up pages: an action item with its history, the weekly review with one-click updates,
a team's follow-up settings and a person's notification preferences."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from followthrough.web import visibility
from followthrough.web.accounts.models import Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import update_action_item
from followthrough.web.followup import mywork, tasks
from followthrough.web.followup.digest import team_review
from followthrough.web.followup.forms import (
    DeprioritiseForm,
    DoneForm,
    PreferencesForm,
    TeamSettingsForm,
    TimezoneForm,
    VersionForm,
)
from followthrough.web.followup.models import Preferences, TeamSettings
from followthrough.web.followup.notifications import troubled
from followthrough.web.front.common import (
    can_edit,
    in_team_time,
    login_required,
    wants_partial,
)
from followthrough.web.history.recording import history_of
from followthrough.web.lib.deferred import defer
from followthrough.web.postmortems.operations import Refused
from followthrough.web.versioning import StaleVersion

SORTS = {"priority": "priority", "due_date": "due date"}


def visible_teams(request: HttpRequest) -> QuerySet[Team]:
    return visibility.visible_teams(request.user)


def visible_item(request: HttpRequest, pk: int) -> ActionItem:
    """The item if the user may see its incident, else 404 (a change needs this first)."""
    return get_object_or_404(
        ActionItem.objects.select_related(
            "owner", "done_by", "deprioritised_by", "postmortem__incident__team"
        ).filter(visibility.incident_q(request.user, "postmortem__incident")),
        pk=pk,
    )


def is_lead(request: HttpRequest, team: Team) -> bool:
    return team.is_led_by(request.user)  # the one definition (TeamQuerySet.led_by)


@login_required
def action_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One action item: priority, status, done-condition, and its history (who, when, what)."""
    item = visible_item(request, pk)
    team = item.postmortem.incident.team
    changes = list(history_of(item)[:200])
    with in_team_time(team):
        return render(
            request,
            "followup/action_item.html",
            {
                "item": item,
                "team": team,
                "priority": item.priority(),
                "changes": changes,
                "escalations": item.escalations.select_related("to_person"),
                "problems": troubled(action_item=item)[:20],
                "can_edit": can_edit(request.user, team),
                "forms": _forms(item),
                "today": timezone.localdate(),
                "return_to": "item",
            },
        )


def _forms(item: ActionItem, **overrides: Any) -> dict[str, Any]:
    version = {"version": item.version}
    forms = {
        "done": DoneForm(initial=version, prefix=f"done-{item.pk}"),
        "deprioritise": DeprioritiseForm(initial=version, prefix=f"dep-{item.pk}"),
        "plain": VersionForm(initial=version, prefix=f"v-{item.pk}"),
    }
    forms.update(overrides)
    return forms


@login_required
def weekly_review(request: HttpRequest, slug: str) -> HttpResponse:
    """The weekly review of one team, for the team lead sync itself."""
    team = get_object_or_404(visible_teams(request), slug=slug)
    sort = request.GET.get("sort", "priority")
    if sort not in SORTS:
        sort = "priority"
    review = team_review(team, sort=sort, viewer=request.user)
    editable = can_edit(request.user, team)
    with in_team_time(team):
        return render(
            request,
            "followup/review.html",
            {
                "team": team,
                "review": review,
                "sort": sort,
                "sorts": SORTS,
                "can_edit": editable,
                "is_lead": is_lead(request, team),
                "groups": [
                    (
                        slug,
                        title,
                        [
                            (item, _forms(item), review.stalled_reasons.get(item.pk, ""))
                            for item in items
                        ],
                    )
                    for slug, title, items in review.groups
                ],
                "problems": troubled(team=team)[:20],
                "today": review.today,
                "return_to": "review",
            },
        )


OPERATIONS = ("progress", "done", "deprioritise", "push", "reopen")


@login_required
@require_POST
def item_update(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    """One click on an item: in progress, done (with evidence), deprioritise (with reason),
    push the due date by a week, or reopen. Answers the item's row for htmx."""
    if op not in OPERATIONS:
        raise Http404("No such update.")
    item = visible_item(request, pk)
    team = item.postmortem.incident.team
    if not can_edit(request.user, team):
        raise PermissionDenied("You can read this team's action items but not change them.")
    form: Any
    fields: dict[str, Any]
    if op == "done":
        form = DoneForm(request.POST, prefix=f"done-{item.pk}")
    elif op == "deprioritise":
        form = DeprioritiseForm(request.POST, prefix=f"dep-{item.pk}")
    else:
        form = VersionForm(request.POST, prefix=f"v-{item.pk}")
    status, notice = 422, ""
    if form.is_valid():
        fields = {
            "progress": lambda: {"status": ActionStatus.IN_PROGRESS},
            "done": lambda: {
                "status": ActionStatus.DONE,
                "evidence_url": form.cleaned_data["evidence_url"] or item.evidence_url,
            },
            "deprioritise": lambda: {
                "status": ActionStatus.DEPRIORITISED,
                "deprioritised_reason": form.cleaned_data["reason"],
            },
            "push": lambda: {"due_date": pushed_a_week(item)},
            "reopen": lambda: {"status": ActionStatus.OPEN},
        }[op]()
        try:
            with transaction.atomic():
                update_action_item(item, form.cleaned_data["version"], request.user, fields)
        except Refused as refused:
            for reason in refused.reasons:
                form.add_error(None, reason)
        except StaleVersion as stale:
            item.refresh_from_db()
            form.add_error(None, f"{stale} It is now “{item.get_status_display()}”.")
            status = 409
        else:
            item = visible_item(request, pk)
            status = 200
            notice = _done_notice(op, item)
    if not wants_partial(request):
        if status == 200:
            messages.success(request, notice)
        else:
            for error in form.non_field_errors() or [
                e for errors in form.errors.values() for e in errors
            ]:
                messages.error(request, error)
        if request.POST.get("return_to") == "item":
            return redirect("action-item", pk=item.pk)
        return redirect("weekly-review", slug=team.slug)
    overrides = {} if status == 200 else {_form_key(op): form}
    with in_team_time(team):
        return render(
            request,
            "followup/partials/review_item.html",
            {
                "item": item,
                "forms": _forms(item, **overrides),
                "can_edit": True,
                "notice": notice,
                "today": timezone.localdate(),
                "return_to": request.POST.get("return_to", "review"),
            },
            status=status,
        )


def pushed_a_week(item: ActionItem) -> date:
    """A week after the item's due date (today in the team's timezone when it has none),
    moved forward to a business day of the team's calendar."""
    calendar = item.postmortem.incident.team.calendar()
    start = item.due_date or calendar.local_date(timezone.now())
    return calendar.on_or_after(start + timedelta(days=7))


def _form_key(op: str) -> str:
    return {"done": "done", "deprioritise": "deprioritise"}.get(op, "plain")


def _done_notice(op: str, item: ActionItem) -> str:
    if op == "push":
        return f"“{item.title}” is now due {item.due_date:%a %d %b %Y}."
    return f"“{item.title}” is now {item.get_status_display().lower()}."


@login_required
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's follow-up settings: its lead (or an admin) changes them."""
    team = get_object_or_404(visible_teams(request), slug=slug)
    if not is_lead(request, team):
        raise PermissionDenied("Only the team's lead or an admin changes its follow-up settings.")
    conf = TeamSettings.of(team)
    form = TeamSettingsForm(request.POST or None, instance=conf)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "test-slack":
            if not conf.has_slack():
                messages.error(request, "Set a Slack webhook, or a bot token and channel, first.")
            else:
                defer(tasks.send_test_message, team.pk)
                messages.success(request, "A test message is queued; the worker sends it.")
            return redirect("team-followup-settings", slug=team.slug)
        if action == "test-teams":
            if conf.channel_settings("teams") is None:
                messages.error(request, "Set the Microsoft Teams webhook URL first.")
            else:
                defer(tasks.send_test_message, team.pk, "teams")
                messages.success(request, "A test message is queued; the worker sends it.")
            return redirect("team-followup-settings", slug=team.slug)
        if action == "digest-now":
            person = getattr(request.user, "person", None)
            if person is None:
                messages.error(request, "Your login has no person record to send the digest to.")
            else:
                defer(tasks.send_digest_now, team.pk, person.pk)
                messages.success(request, "The digest is queued; the worker sends it to you.")
            return redirect("team-followup-settings", slug=team.slug)
        if form.is_valid():
            form.save()
            messages.success(request, f"Saved {team.name}'s follow-up settings.")
            return redirect("team-followup-settings", slug=team.slug)
    recent = troubled(team=team)[:20]
    return render(
        request,
        "followup/team_settings.html",
        {"team": team, "form": form, "conf": conf, "problems": recent},
        status=422 if form.errors else 200,
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How follow-through reaches me: e-mail, Slack, the weekly digest."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404("Your login has no person record; an admin can add one.")
    prefs = Preferences.of(person)
    form = PreferencesForm(request.POST or None, instance=prefs)
    first_team = person.memberships.order_by("pk").values_list("team__timezone", flat=True).first()
    zone_form = TimezoneForm(
        request.POST or None, instance=person, prefix="tz", team_zone=first_team or "UTC"
    )
    if request.method == "POST" and form.is_valid() and zone_form.is_valid():
        form.save()
        zone_form.save()
        messages.success(request, "Saved your preferences.")
        return redirect("followup-preferences")
    recent = troubled(recipient=person)[:10]
    return render(
        request,
        "followup/preferences.html",
        {"form": form, "zone_form": zone_form, "person": person, "problems": recent},
        status=422 if form.errors or zone_form.errors else 200,
    )


@login_required
def my_work_page(request: HttpRequest) -> HttpResponse:
    """My open action items, the milestones I own and the meetings I facilitate, across teams."""
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404("Your login has no person record; an admin can add one.")
    sort = request.GET.get("sort", "priority")
    if sort not in mywork.SORTS:
        sort = "priority"
    now = timezone.now()
    return render(
        request,
        "followup/my_work.html",
        {
            "person": person,
            "entries": mywork.my_work(request.user, person, now, sort),
            "sort": sort,
            "sorts": mywork.SORTS,
        },
    )
