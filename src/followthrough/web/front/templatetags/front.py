"""Words for the core's enums, as the pages show them."""

from __future__ import annotations

from typing import Any

from django import template

from followthrough.core.rules.base import Severity
from followthrough.web.postmortems.linting import PANEL_LABELS, Review
from followthrough.web.postmortems.models import Postmortem

from ..forms import SectionsForm

register = template.Library()

DECISIONS = {"required": "Required", "recommended": "Recommended", "not_required": "Not required"}
STATES = {
    "pending": "pending",
    "done_on_time": "done on time",
    "done_late": "done late",
    "overdue": "overdue",
}


@register.filter
def decision_label(decision: object) -> str:
    """``required`` -> ``Required``; ``not_required`` -> ``Not required``."""
    return DECISIONS.get(str(decision), str(decision))


@register.filter
def state_label(state: object) -> str:
    """A milestone state in words: pending, done on time, done late, overdue."""
    return STATES.get(str(state), str(state))


@register.filter
def severity_label(severity: object) -> str:
    """A finding's severity in words: Error, Warning, Note."""
    try:
        return Severity(str(severity)).label
    except ValueError:
        return str(severity)


@register.inclusion_tag("front/partials/findings.html", takes_context=True)
def findings(context: template.Context, key: str, oob: bool = False) -> dict[str, Any]:
    """The linter's findings of one editor panel (``lint`` in the context is a Review).

    ``oob``: rendered out of band, when a refresh replaces every panel's list at once.
    """
    lint: Review | None = context.get("lint")
    return {
        "key": key,
        "label": PANEL_LABELS.get(key, key),
        "findings": lint.panel(key) if lint is not None else [],
        "oob": oob,
    }


@register.filter
def editor_tab(panel: str) -> str:
    """The editor's tab that shows a linter panel's findings (``action_items`` -> ``actions``;
    the whole document's findings sit beside every tab: the first one)."""
    from followthrough.web.postmortems.views.editor import FIRST_TAB, TAB_OF_LINT_PANEL

    return TAB_OF_LINT_PANEL.get(str(panel), FIRST_TAB)


@register.filter
def field_label(name: str) -> str:
    """A postmortem field's name as the sections form labels it."""
    labels: dict[str, str] = SectionsForm.Meta.labels
    if name in labels:
        return labels[name]
    return str(Postmortem._meta.get_field(name).verbose_name).capitalize()
