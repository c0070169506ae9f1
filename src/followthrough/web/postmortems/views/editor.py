"""The postmortem editor: sections, five whys, timeline, contributing factors, status.

The editor shows one section at a time (a tab, addressed by ``?section=<key>``: each of the
document's seven sections, the timeline, the whys, the factors, the action items, the
meeting), and renders only that one. Tabs are plain links; with htmx only the open section
is swapped. Every panel is a form that POSTs and redirects without JavaScript; with htmx the
same view answers with the panel alone (plus the milestone and status panels out of band,
since what you change may complete a milestone), and a change tells the page
(``HX-Trigger: postmortem-changed``) so the linter's findings are fetched afresh.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Model, Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from followthrough.web import recovery
from followthrough.web.actions.locking import open_item_for_edit
from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.notifications import troubled_for_postmortem
from followthrough.web.front.common import (
    can_edit,
    editable_incident,
    editable_postmortem,
    in_team_time,
    login_required,
    visible_postmortem,
    wants_partial,
)
from followthrough.web.front.forms import (
    SECTION_FIELDS,
    SECTIONS,
    ActionItemEditForm,
    ActionItemForm,
    ActionStatusForm,
    FactorEditForm,
    FactorForm,
    MeetingForm,
    SectionsForm,
    TimelineEventEditForm,
    TimelineEventForm,
    WhyEditForm,
    WhyForm,
)
from followthrough.web.front.trash import confirm_delete
from followthrough.web.postmortems.linting import review
from followthrough.web.postmortems.locking import DocumentLocked, open_for_edit
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.postmortems.operations import (
    Refused,
    add_timeline_event,
    append,
    move,
    transition,
)
from followthrough.web.versioning import StaleVersion, save_versioned

# The event a change sends the page: the linter's card listens for it (from:body) and
# fetches the findings afresh, with the sections form's unsaved text applied.
CHANGED = "postmortem-changed"


SENT_BACK = (
    "The postmortem went back to review with your change: the linter's gate applies again "
    "before it can be final."
)


# The editor's tabs: the document's sections (one form and one Save each), then the lists.
TABS: tuple[tuple[str, str], ...] = (
    *((key, title) for key, title, _ in SECTIONS),
    ("timeline", "Timeline"),
    ("whys", "Five whys"),
    ("factors", "Contributing factors"),
    ("actions", "Action items"),
    ("meeting", "Meeting"),
)
DOCUMENT_TABS: frozenset[str] = frozenset(key for key, _, _ in SECTIONS)
FIRST_TAB = TABS[0][0]
# The linter's panel of each tab (the meeting has none).
LINT_PANEL_OF_TAB: dict[str, str] = {
    **{key: key for key, _ in TABS if key not in ("actions", "meeting")},
    "actions": "action_items",
}
TAB_OF_LINT_PANEL: dict[str, str] = {panel: tab for tab, panel in LINT_PANEL_OF_TAB.items()}


def panel_of_tab(tab: str) -> str:
    """The partial a tab shows: ``sections`` for the document's sections, else the tab."""
    return "sections" if tab in DOCUMENT_TABS else tab


def tab_of(request: HttpRequest, panel: str) -> str:
    """The tab a change of ``panel`` answers with: for the sections form, the section it
    posted (its hidden ``section`` field); otherwise the panel itself."""
    if panel != "sections":
        return panel
    posted = request.POST.get("section", "")
    return posted if posted in DOCUMENT_TABS else FIRST_TAB


def editor_url(incident_id: int, tab: str, anchor: str = "") -> str:
    """The editor opened at ``tab`` (and scrolled to ``anchor``)."""
    url = reverse("postmortem", args=[incident_id]) + f"?section={tab}"
    return url + (f"#{anchor}" if anchor else "")


def why_form(why: Why, data: Any = None) -> WhyEditForm:
    return WhyEditForm(data, instance=why, prefix=f"why-{why.pk}", initial={"version": why.version})


def status_form(item: ActionItem, data: Any = None) -> ActionStatusForm:
    return ActionStatusForm(
        data, instance=item, prefix=f"action-{item.pk}", initial={"version": item.version}
    )


def _focused(form: Any, field: str) -> Any:
    """A form opened in place: its first field takes the focus when htmx swaps it in."""
    form.fields[field].widget.attrs["autofocus"] = True
    return form


def event_form(event: TimelineEvent, data: Any = None) -> TimelineEventEditForm:
    form = TimelineEventEditForm(
        data, instance=event, prefix=f"event-{event.pk}", initial={"version": event.version}
    )
    return _focused(form, "occurred_at")  # type: ignore[no-any-return]


def factor_form(factor: ContributingFactor, data: Any = None) -> FactorEditForm:
    form = FactorEditForm(
        data, instance=factor, prefix=f"factor-{factor.pk}", initial={"version": factor.version}
    )
    return _focused(form, "kind")  # type: ignore[no-any-return]


def item_edit_form(item: ActionItem, user: Any, data: Any = None) -> ActionItemEditForm:
    form = ActionItemEditForm(
        data,
        instance=item,
        prefix=f"edit-action-{item.pk}",
        initial={"version": item.version},
        user=user,
    )
    return _focused(form, "title")  # type: ignore[no-any-return]


def lock_context(request: HttpRequest, postmortem: Postmortem) -> dict[str, Any]:
    """Who may change what now: the team's editors, within what the status allows."""
    editable = can_edit(request.user, postmortem.incident.team)
    return {
        "can_edit": editable,
        "locked": postmortem.lock_reason(),
        # The document's forms: sections, timeline, whys, factors, meeting, new items.
        "edit_doc": editable and not postmortem.is_locked(),
        # The items' follow-through (status, owner, date): open until the postmortem closes.
        "edit_items": editable and postmortem.status != Status.CLOSED,
        "lock_refusal": None,
        # A panel whose forms stay shown on a locked postmortem: the input of a refused save.
        "show_forms": None,
    }


def read_lists(postmortem: Postmortem) -> None:
    """Read the postmortem's lists once for the page: the linter's Markdown and the open tab
    (or the row opened in place) share them. One query each: timeline, whys, factors, and
    the action items with their owners and tracker links. A postmortem that has them
    already (this request read them) is left as it is; ``refresh_from_db`` forgets them."""
    prefetch_related_objects(
        [postmortem],
        "timeline_events",
        "whys",
        "factors",
        Prefetch(
            "action_items", queryset=ActionItem.objects.select_related("owner", "tracker_link")
        ),
    )


def listed_row(postmortem: Postmortem, related_name: str, pk: int) -> Any:
    """The row ``pk`` of one of the postmortem's lists (``related_name``), as
    :func:`read_lists` read it for the page; 404 when the list has no such row."""
    read_lists(postmortem)
    for row in getattr(postmortem, related_name).all():
        if row.pk == pk:
            return row
    raise Http404(f"The postmortem has no such row in {related_name}.")


def editor_context(
    request: HttpRequest, postmortem: Postmortem, tab: str = FIRST_TAB, **overrides: Any
) -> dict[str, Any]:
    """What the editor shows with ``tab`` open: the page's frame (status, milestones, linter)
    and that one section; the other sections are neither read nor rendered. ``overrides``
    carry bound forms with errors or conflicts; a row with a form in
    ``event_forms``/``factor_forms``/``edit_forms`` is shown as a form."""
    incident = postmortem.incident
    panel = panel_of_tab(tab)
    read_lists(postmortem)
    transitions = postmortem.allowed_transitions()
    context: dict[str, Any] = {
        "postmortem": postmortem,
        "incident": incident,
        "team": incident.team,
        **lock_context(request, postmortem),
        "tabs": [
            {"key": key, "title": title, "url": editor_url(incident.pk, key)} for key, title in TABS
        ],
        "tab": tab,
        "tab_title": dict(TABS)[tab],
        "panel": panel,
        "lint_panel": LINT_PANEL_OF_TAB.get(tab, ""),
        "milestones": postmortem.milestones(),
        "transitions": [(s, Status(s).label) for s in transitions],
        "can_go_final": Status.FINAL in transitions,
        "lint": review(postmortem),
        "delivery_problems": troubled_for_postmortem(postmortem),  # lazy: full page only
        "notice": None,
        "conflict": None,
        "meeting_conflict": None,
    }
    context.update(PANEL_CONTEXT[panel](request, postmortem, tab, overrides))
    context.update(overrides)
    return context


def _sections_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    form = overrides.get("sections_form") or SectionsForm(
        instance=postmortem, initial={"version": postmortem.version}, section=tab
    )
    return {"sections_form": form, "section": form.sections()[0]}


def _whys_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    why_forms: dict[int, WhyEditForm] = overrides.pop("why_forms", {})
    return {
        "whys": [(why, why_forms.get(why.pk) or why_form(why)) for why in postmortem.whys.all()],
        "why_form": WhyForm(prefix="new-why"),
    }


def _timeline_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    event_forms: dict[int, TimelineEventEditForm] = overrides.pop("event_forms", {})
    return {
        "events": [
            (event, event_forms.get(event.pk)) for event in postmortem.timeline_events.all()
        ],
        "event_form": TimelineEventForm(prefix="new-event"),
    }


def _factors_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    factor_forms: dict[int, FactorEditForm] = overrides.pop("factor_forms", {})
    return {
        "factors": [(factor, factor_forms.get(factor.pk)) for factor in postmortem.factors.all()],
        "factor_form": FactorForm(prefix="new-factor"),
    }


def _actions_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    item_forms: dict[int, ActionStatusForm] = overrides.pop("item_forms", {})
    edit_forms: dict[int, ActionItemEditForm] = overrides.pop("edit_forms", {})
    items = sorted(postmortem.action_items.all(), key=ActionItem.priority_order)
    return {
        "items": [
            (
                item,
                item_forms.get(item.pk) or status_form(item),
                item.priority(),
                edit_forms.get(item.pk),
            )
            for item in items
        ],
        "action_form": ActionItemForm(prefix="new-action", user=request.user),
    }


def _meeting_context(
    request: HttpRequest, postmortem: Postmortem, tab: str, overrides: dict[str, Any]
) -> dict[str, Any]:
    meeting = postmortem.meeting
    prefetch_related_objects([meeting], "attendees")  # the form and the list share them
    return {
        "meeting": meeting,
        "meeting_form": MeetingForm(
            instance=meeting,
            prefix="meeting",
            initial={"version": meeting.version},
            user=request.user,
        ),
        "attendees": list(meeting.attendees.all()),
        "agenda": meeting.agenda(),
    }


PanelContext = Callable[[HttpRequest, Postmortem, str, dict[str, Any]], dict[str, Any]]
PANEL_CONTEXT: dict[str, PanelContext] = {
    "sections": _sections_context,
    "whys": _whys_context,
    "timeline": _timeline_context,
    "factors": _factors_context,
    "actions": _actions_context,
    "meeting": _meeting_context,
}


def panel_response(
    request: HttpRequest, postmortem: Postmortem, panel: str, status: int = 200, **overrides: Any
) -> HttpResponse:
    """The panel (htmx) or the whole editor (a form post without JavaScript that failed)."""
    with in_team_time(postmortem.incident.team):
        context = editor_context(request, postmortem, tab_of(request, panel), **overrides)
        if not wants_partial(request):
            return render(request, "front/postmortem.html", context, status=status)
        html = render_to_string(f"front/partials/{panel}.html", context, request=request)
        for extra in ("milestones", "status"):
            if extra != panel:
                html += render_to_string(
                    f"front/partials/{extra}.html", {**context, "oob": True}, request=request
                )
    return HttpResponse(html, status=status)


def locked_response(
    request: HttpRequest,
    postmortem: Postmortem,
    panel: str,
    refused: DocumentLocked,
    **overrides: Any,
) -> HttpResponse:
    """Not saved: the panel again with the editor's input kept, the reason, and (when the
    postmortem is final) the choice to send it back to review with the change."""
    postmortem.refresh_from_db()
    refusal = {"panel": panel, "reasons": refused.reasons, "can_send_back": refused.can_send_back}
    return panel_response(
        request, postmortem, panel, 422, lock_refusal=refusal, show_forms=panel, **overrides
    )


def sends_back(request: HttpRequest) -> bool:
    """The editor ticked "send it back to review with my change"."""
    return request.POST.get("send_back_to_review") == "1"


def done(
    request: HttpRequest,
    postmortem: Postmortem,
    panel: str,
    notice: str,
    sent_back: bool = False,
) -> HttpResponse:
    """A change went through: the fresh panel for htmx, else back to the editor at that panel.

    A change that sent the postmortem back to review reloads the whole editor: every panel
    becomes editable again, not only the one saved.
    """
    postmortem.refresh_from_db()
    target = editor_url(postmortem.incident_id, tab_of(request, panel), panel)
    if sent_back:
        messages.success(request, f"{notice} {SENT_BACK}")
        if wants_partial(request):
            # A reload, not a redirect: to the same address with a #fragment, the browser
            # would only scroll.
            return HttpResponseClientRefresh()
        return redirect(target)
    if wants_partial(request):
        response = panel_response(request, postmortem, panel, notice=notice)
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, notice)
    return redirect(target)


def _editable_postmortem(request: HttpRequest, pk: int) -> Postmortem:
    return editable_postmortem(request, pk)


def open_document(request: HttpRequest, postmortem: Postmortem, what: str) -> bool:
    """``open_for_edit`` with the editor's choice: True when it went back to review."""
    return open_for_edit(postmortem, request.user, send_back=sends_back(request), what=what)


def change_document(
    request: HttpRequest,
    postmortem: Postmortem,
    panel: str,
    what: str,
    write: Callable[[], object],
    notice: str,
    **overrides: Any,
) -> HttpResponse:
    """Make a change of the document under the final lock: the panel with ``notice``, or the
    lock's refusal with the editor's input (``overrides``) kept."""
    try:
        with transaction.atomic():
            sent_back = open_document(request, postmortem, what)
            write()
    except DocumentLocked as refused:
        return locked_response(request, postmortem, panel, refused, **overrides)
    return done(request, postmortem, panel, notice, sent_back)


def form_response(
    request: HttpRequest, postmortem: Postmortem, panel: str, status: int, **overrides: Any
) -> HttpResponse:
    """Not saved (invalid or stale input): the panel with the editor's input kept. On a
    final or closed postmortem the forms stay shown, with the lock's reason."""
    postmortem.refresh_from_db()
    if postmortem.is_locked():
        overrides.setdefault("show_forms", panel)
        overrides.setdefault(
            "lock_refusal",
            {
                "panel": panel,
                "reasons": [postmortem.lock_reason()],
                "can_send_back": postmortem.status == Status.FINAL,
            },
        )
    return panel_response(request, postmortem, panel, status, **overrides)


def row_response(
    request: HttpRequest,
    postmortem: Postmortem,
    rows: Any,
    row: Model,
    form: Any,
) -> HttpResponse:
    """One row of a list panel, as a form (``form``) or as text: in place for htmx, else the
    editor with that row open. ``rows`` says which panel (``Rows``, or the action items')."""
    overrides: dict[str, Any] = {rows.forms_key: {row.pk: form}} if form is not None else {}
    if form is not None and postmortem.is_locked():
        overrides["show_forms"] = rows.panel
        overrides["lock_refusal"] = {
            "panel": rows.panel,
            "reasons": [postmortem.lock_reason()],
            "can_send_back": postmortem.status == Status.FINAL,
        }
    with in_team_time(postmortem.incident.team):
        context = editor_context(request, postmortem, rows.panel, **overrides)
        if not wants_partial(request):
            return render(request, "front/postmortem.html", context)
        entries = context[ROW_LISTS[rows.forms_key]]
        for position, entry in enumerate(entries):
            if entry[0].pk == row.pk:
                context.update(
                    entry=entry,
                    first=position == 0,
                    last=position == len(entries) - 1,
                    counter=position + 1,
                )
        html = render_to_string(f"front/partials/{rows.template}.html", context, request=request)
    return HttpResponse(html)


# Which list of the editor's context holds the rows a forms override opens.
ROW_LISTS = {"event_forms": "events", "factor_forms": "factors", "edit_forms": "items"}


def _soft_delete(request: HttpRequest, row: Why | TimelineEvent | ContributingFactor) -> None:
    """Hide a row of a list section (restorable by an admin); a second click is a no-op."""
    with contextlib.suppress(recovery.AlreadyDeleted):
        recovery.delete(row, request.user)


def _shown(obj: Model, field: str) -> str:
    display = getattr(obj, f"get_{field}_display", None)
    value = display() if display else getattr(obj, field)
    return "" if value is None else str(value)


# --- a row of a list panel, edited in place ---------------------------------------------------


@dataclass(frozen=True)
class Rows:
    """A list panel whose rows are edited in place: where they hang, how they are shown."""

    related_name: str  # on the postmortem
    panel: str
    template: str  # the row's partial
    forms_key: str  # the editor_context override that opens a row as a form
    make_form: Callable[..., Any]
    what: str  # "the timeline", for the history's note when it is sent back to review
    saved: str
    theirs: Callable[[Any], str]  # the stored row in words, for a stale save


def _when(event: TimelineEvent) -> str:
    return date_format(localtime(event.occurred_at), "D j M, H:i T")


EVENT_ROWS = Rows(
    "timeline_events",
    "timeline",
    "event_row",
    "event_forms",
    lambda row, data=None: event_form(row, data),
    "the timeline",
    "Event saved.",
    lambda event: f"{_when(event)}, “{event.description}”",
)
FACTOR_ROWS = Rows(
    "factors",
    "factors",
    "factor_row",
    "factor_forms",
    lambda row, data=None: factor_form(row, data),
    "the contributing factors",
    "Contributing factor saved.",
    lambda factor: f"{factor.get_kind_display()}, “{factor.description}”",
)


def edit_in_place(request: HttpRequest, pk: int, row_id: int, rows: Rows) -> HttpResponse:
    """GET: the row as a form (``?cancel=1``: as text); POST: save it at the version read,
    under the final lock; a stale save keeps the entry and says what is stored."""
    if request.method == "GET":
        postmortem = visible_postmortem(request, pk)
        row = listed_row(postmortem, rows.related_name, row_id)
        with in_team_time(postmortem.incident.team):
            editing = None if request.GET.get("cancel") else rows.make_form(row)
        return row_response(request, postmortem, rows, row, editing)
    postmortem = _editable_postmortem(request, pk)
    row = get_object_or_404(getattr(postmortem, rows.related_name), pk=row_id)
    with in_team_time(postmortem.incident.team):
        form = rows.make_form(type(row).objects.get(pk=row.pk), request.POST)
        valid = form.is_valid()
    forms = {rows.forms_key: {row.pk: form}}
    if not valid:
        return form_response(request, postmortem, rows.panel, 422, **forms)
    try:
        with transaction.atomic():
            sent_back = open_document(request, postmortem, rows.what)
            save_versioned(row, form.cleaned_data["version"], form.changed_values())
    except DocumentLocked as refused:
        return locked_response(request, postmortem, rows.panel, refused, **forms)
    except StaleVersion:
        row.refresh_from_db()
        form.with_version(row.version)
        with in_team_time(postmortem.incident.team):
            theirs = rows.theirs(row)
        form.add_error(
            None,
            f"Someone else changed this meanwhile. Theirs: {theirs}. Your entry is still in "
            "the form; save again to replace theirs.",
        )
        return form_response(request, postmortem, rows.panel, 409, **forms)
    return done(request, postmortem, rows.panel, rows.saved, sent_back)


# --- the page --------------------------------------------------------------------------------


@login_required
def postmortem_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor with one section open (``?section=``, the summary by default). An htmx
    request for a tab gets the tabs and that section only (``#editor-pane``)."""
    postmortem = visible_postmortem(request, pk)
    incident = postmortem.incident
    tab = request.GET.get("section") or FIRST_TAB
    if tab not in dict(TABS):
        raise Http404(f"The editor has no section “{tab[:40]}”.")
    with in_team_time(incident.team):
        context = editor_context(request, postmortem, tab)
        if wants_partial(request) and request.headers.get("HX-Target") == "editor-pane":
            return render(request, "front/partials/editor_pane.html", context)
        return render(request, "front/postmortem.html", context)


# --- sections --------------------------------------------------------------------------------


@login_required
@require_POST
def sections_save(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    # One section's fields (the editor's tabs post ``section``); a post without it saves
    # every section, as a form of the whole document would.
    section = request.POST.get("section")
    if section is not None and section not in DOCUMENT_TABS:
        raise Http404(f"The postmortem has no section “{section[:40]}”.")
    form = SectionsForm(
        request.POST, instance=Postmortem.objects.get(pk=postmortem.pk), section=section
    )
    if not form.is_valid():
        # The form keeps the typed text; have the findings describe it again.
        response = form_response(request, postmortem, "sections", 422, sections_form=form)
        response["HX-Trigger"] = CHANGED
        return response
    version = form.cleaned_data["version"]
    try:
        with transaction.atomic():
            sent_back = open_for_edit(
                postmortem,
                request.user,
                send_back=sends_back(request),
                what="its sections",
                expected_version=version,
            )
            save_versioned(
                postmortem, postmortem.version if sent_back else version, form.changed_values()
            )
    except DocumentLocked as refused:
        return locked_response(request, postmortem, "sections", refused, sections_form=form)
    except StaleVersion as stale:
        postmortem.refresh_from_db()
        theirs = [
            {"label": form[name].label, "text": _shown(postmortem, name)}
            for name in SECTION_FIELDS
            if name in form.fields and getattr(postmortem, name) != form.cleaned_data.get(name)
        ]
        form.with_version(postmortem.version)
        conflict = {"version": stale.current_version, "theirs": theirs}
        response = form_response(
            request, postmortem, "sections", 409, sections_form=form, conflict=conflict
        )
        response["HX-Trigger"] = CHANGED  # someone else's save changed what is checked
        return response
    return done(
        request, postmortem, "sections", f"Saved (version {postmortem.version}).", sent_back
    )


# --- five whys -------------------------------------------------------------------------------


@login_required
@require_POST
def why_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = WhyForm(request.POST, prefix="new-why")
    if not form.is_valid():
        return form_response(request, postmortem, "whys", 422, why_form=form)

    def write() -> Why:
        return append(  # type: ignore[return-value]
            postmortem,
            "whys",
            question=form.cleaned_data["question"],
            answer=form.cleaned_data["answer"],
        )

    return change_document(
        request,
        postmortem,
        "whys",
        "the five whys",
        write,
        "Why added to the chain.",
        why_form=form,
    )


@login_required
@require_POST
def why_edit(request: HttpRequest, pk: int, why_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    why = get_object_or_404(postmortem.whys, pk=why_id)
    form = why_form(Why.objects.get(pk=why.pk), request.POST)
    if not form.is_valid():
        return form_response(request, postmortem, "whys", 422, why_forms={why.pk: form})
    try:
        with transaction.atomic():
            sent_back = open_document(request, postmortem, f"why {why.position + 1}")
            save_versioned(why, form.cleaned_data["version"], form.changed_values())
    except DocumentLocked as refused:
        return locked_response(request, postmortem, "whys", refused, why_forms={why.pk: form})
    except StaleVersion:
        why.refresh_from_db()
        form.with_version(why.version)
        form.add_error(
            None,
            f"Someone else changed this why meanwhile. Theirs: “{why.question}” — “{why.answer}”. "
            "Your text is still in the form; save again to replace theirs.",
        )
        return form_response(request, postmortem, "whys", 409, why_forms={why.pk: form})
    return done(request, postmortem, "whys", "Why saved.", sent_back)


@login_required
@require_POST
def why_delete(request: HttpRequest, pk: int, why_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    why = get_object_or_404(postmortem.whys, pk=why_id)
    return change_document(
        request,
        postmortem,
        "whys",
        "the five whys",
        lambda: _soft_delete(request, why),
        "Why removed (an admin can restore it).",
    )


def _move(postmortem: Postmortem, related_name: str, pk: int, direction: str) -> None:
    if direction not in ("up", "down"):
        raise Http404("Move up or down.")
    move(postmortem, related_name, pk, direction)


@login_required
@require_POST
def why_move(request: HttpRequest, pk: int, why_id: int, direction: str) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    why = get_object_or_404(postmortem.whys, pk=why_id)
    return change_document(
        request,
        postmortem,
        "whys",
        "the order of the whys",
        lambda: _move(postmortem, "whys", why.pk, direction),
        f"Moved “{why.question}” {direction}.",
    )


# --- timeline --------------------------------------------------------------------------------


@login_required
@require_POST
def event_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    with in_team_time(postmortem.incident.team):
        form = TimelineEventForm(request.POST, prefix="new-event")
        valid = form.is_valid()
    if not valid:
        return form_response(request, postmortem, "timeline", 422, event_form=form)
    return change_document(
        request,
        postmortem,
        "timeline",
        "the timeline",
        lambda: add_timeline_event(
            postmortem, form.cleaned_data["occurred_at"], form.cleaned_data["description"]
        ),
        "Event added to the timeline.",
        event_form=form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    """GET: the event as a form in its place (``?cancel=1``: as it was); POST: save it."""
    return edit_in_place(request, pk, event_id, EVENT_ROWS)


@login_required
@require_POST
def event_delete(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    event = get_object_or_404(postmortem.timeline_events, pk=event_id)
    return change_document(
        request,
        postmortem,
        "timeline",
        "the timeline",
        lambda: _soft_delete(request, event),
        "Event removed from the timeline (an admin can restore it).",
    )


# --- contributing factors --------------------------------------------------------------------


@login_required
@require_POST
def factor_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    form = FactorForm(request.POST, prefix="new-factor")
    if not form.is_valid():
        return form_response(request, postmortem, "factors", 422, factor_form=form)

    def write() -> ContributingFactor:
        return append(  # type: ignore[return-value]
            postmortem,
            "factors",
            kind=form.cleaned_data["kind"],
            description=form.cleaned_data["description"],
        )

    return change_document(
        request,
        postmortem,
        "factors",
        "the contributing factors",
        write,
        "Contributing factor added.",
        factor_form=form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def factor_edit(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    """GET: the factor as a form in its place (``?cancel=1``: as it was); POST: save it."""
    return edit_in_place(request, pk, factor_id, FACTOR_ROWS)


@login_required
@require_POST
def factor_delete(request: HttpRequest, pk: int, factor_id: int) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    factor = get_object_or_404(postmortem.factors, pk=factor_id)
    return change_document(
        request,
        postmortem,
        "factors",
        "the contributing factors",
        lambda: _soft_delete(request, factor),
        "Contributing factor removed (an admin can restore it).",
    )


@login_required
@require_POST
def factor_move(request: HttpRequest, pk: int, factor_id: int, direction: str) -> HttpResponse:
    postmortem = _editable_postmortem(request, pk)
    factor = get_object_or_404(postmortem.factors, pk=factor_id)
    return change_document(
        request,
        postmortem,
        "factors",
        "the order of the factors",
        lambda: _move(postmortem, "factors", factor.pk, direction),
        f"Moved a contributing factor {direction}.",
    )


# --- status ----------------------------------------------------------------------------------


@login_required
@require_POST
def status_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the postmortem on, or say every reason it cannot go (nothing changes)."""
    postmortem = _editable_postmortem(request, pk)
    to = request.POST.get("to", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    label = Status(to).label.lower() if to in Status.values else to
    try:
        transition(
            postmortem,
            to,
            version,
            request.user,  # type: ignore[arg-type]
            override_reason=request.POST.get("override_reason", ""),
        )
    except Refused as refused:
        messages.error(request, f"The postmortem cannot go to {label} yet:", extra_tags="refusal")
        for reason in refused.reasons:
            messages.error(request, reason, extra_tags="reason")
    except StaleVersion as stale:
        messages.error(request, str(stale))
    else:
        messages.success(request, f"The postmortem is now {label}.")
    return redirect(reverse("postmortem", args=[pk]) + "#status")  # the first tab


# --- action items ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def action_item_delete(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """Delete an action item, after a confirmation (an admin can restore it)."""
    incident = editable_incident(request, pk)
    item = get_object_or_404(ActionItem, postmortem__incident=incident, pk=item_id)
    postmortem = item.postmortem

    def lock(send_back: bool) -> None:
        open_item_for_edit(postmortem, request.user, send_back=send_back)

    return confirm_delete(
        request,
        item,
        what=f"action item “{item.title}”",
        consequences=[],
        cancel_url=item.get_absolute_url(),
        done_url=editor_url(incident.pk, "actions", "actions"),
        lock=lock,
        lock_reason=postmortem.lock_reason(),
        can_send_back=postmortem.status == Status.FINAL,
    )
