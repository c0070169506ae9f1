"""Words for the core's enums, as the pages show them."""

from __future__ import annotations

from django import template

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
