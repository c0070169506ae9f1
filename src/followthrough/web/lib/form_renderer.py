"""The form renderer: Django's, with select boxes written out in Python.

A select box costs the template engine two includes per option (the option and its
attributes), about 0.15 ms each: the timezone picker's ~600 options and the holiday
countries' ~250 made a team's page take 150-200 ms of CPU. ``select_html`` writes the same
bytes as Django's ``select.html``, ``select_option.html`` and ``attrs.html`` (escaping and
all; tests/web/lib/test_form_renderer.py compares them); a box it cannot write the same way
(an option of another template, a label that is no string) goes to the templates.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class Unwritable(Exception):
    """The box holds something only the templates know how to write."""


def _text(value: Any) -> str:
    """``{{ value }}`` for the strings a select box holds."""
    if not isinstance(value, str | Promise):
        raise Unwritable
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: kept as it is when already safe, else escaped."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else str(escape(text))


def _attrs(attrs: dict[str, Any]) -> str:
    """``attrs.html``: ` name="value"`, a bare ` name` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(out)


def select_html(widget: dict[str, Any]) -> str:
    """A select box's HTML from its widget context, as Django's templates write it."""
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                raise Unwritable
            out.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # select_option.html's closing newline
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FormRenderer(DjangoTemplates):
    """Django's template renderer, except that select boxes are written by ``select_html``."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            try:
                return select_html(context["widget"])
            except Unwritable:
                pass
        return str(super().render(template_name, context, request))
