"""Template filters of the insights pages."""

from __future__ import annotations

from django import template

from followthrough.web.insights.charts import fmt

register = template.Library()


@register.filter
def metric_value(value: float | None, unit: str) -> str:
    """A metric value as people read it: 42%, 31.5 h, 4.2 d."""
    return fmt(value, unit)


@register.filter
def percent(value: float | None) -> str:
    return fmt(value, "ratio")
