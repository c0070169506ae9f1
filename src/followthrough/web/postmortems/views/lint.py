"""The linter on the editor: findings of the saved postmortem or of the unsaved form, and the
postmortem as the Markdown file ``followthrough lint`` would check.

Both findings views answer with the same fragment: the document summary (the htmx target)
and every panel's findings list out of band, so a refresh never touches a form field.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from followthrough.web.front.common import (
    login_required,
    postmortem_of,
    visible_incident,
    wants_partial,
)
from followthrough.web.postmortems.linting import (
    PANELS,
    Review,
    postmortem_markdown,
    review,
    review_draft,
)
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.views.editor import _editable_postmortem

# Every panel's list but the document's, which lives inside the summary.
PANEL_KEYS: tuple[str, ...] = tuple(key for key, _ in PANELS if key != "document")


def open_panels(request: HttpRequest) -> tuple[str, ...]:
    """The findings lists on the page besides the document's: the open tab's (``open``)."""
    posted = request.POST.get("open") or request.GET.get("open") or ""
    return (posted,) if posted in PANEL_KEYS else ()


def findings_fragment(request: HttpRequest, postmortem: Postmortem, lint: Review) -> HttpResponse:
    context = {
        "incident": postmortem.incident,
        "postmortem": postmortem,
        "lint": lint,
        "panel_keys": open_panels(request),
    }
    return HttpResponse(
        render_to_string("front/partials/lint_refresh.html", context, request=request)
    )


@login_required
@require_GET
def lint_findings(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings of the saved postmortem (anyone who may read it)."""
    postmortem = postmortem_of(visible_incident(request, pk))
    if not wants_partial(request):
        return redirect(reverse("postmortem", args=[pk]) + "#lint")
    return findings_fragment(request, postmortem, review(postmortem))


@login_required
@require_POST
def lint_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings as if the posted section fields were saved; nothing is saved.

    Takes the sections form's fields (unknown ones are ignored, invalid ones are named and
    the saved value is checked instead). Needs edit rights, like every other POST.
    """
    postmortem = _editable_postmortem(request, pk)
    lint = review_draft(postmortem, request.POST.dict())
    return findings_fragment(request, postmortem, lint)


@login_required
@require_GET
def markdown_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem as Markdown in our template: the document the editor's findings are of."""
    incident = visible_incident(request, pk)
    postmortem = postmortem_of(incident)
    response = HttpResponse(
        postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{incident.key}.md"'
    return response
