"""The ``moment`` filter, a template builtin: every moment a page shows says its zone."""

from __future__ import annotations

from django import template

from followthrough.web.lib import viewer_time

register = template.Library()


@register.filter
def moment(value: object, style: str = "") -> str:
    """``{{ x|moment }}`` -> ``2026-03-04 14:05 CET``; styles: long, short, day, iso-day."""
    return viewer_time.moment(value, style)
