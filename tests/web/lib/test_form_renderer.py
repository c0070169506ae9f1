"""The form renderer writes select boxes in Python: the same bytes as Django's templates."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.signals import template_rendered
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from followthrough.web.accounts.models import Person
from followthrough.web.front.forms import TeamForm
from followthrough.web.lib.form_renderer import SELECT, FormRenderer

TRICKY = [
    ("", "---------"),
    ("a&b", 'Quotes " and <tags> & ampersands'),
    ("Europe/Berlin", "Europe/Berlin"),
    (mark_safe("<safe>"), mark_safe("<b>already safe</b>")),
    ("lazy", gettext_lazy("A lazy label")),
    ((1, 2), "a pair of values"),
]
GROUPED = [
    ("Europe", [("Europe/Berlin", "Berlin"), ("Europe/Paris", "Paris")]),
    ("", [("UTC", "UTC")]),
    ("plain", "A plain choice beside the groups"),
]

CASES: list[tuple[str, forms.Widget, Any, dict[str, Any] | None]] = [
    ("plain, nothing chosen", forms.Select(choices=TRICKY), None, None),
    ("one chosen", forms.Select(choices=TRICKY), "a&b", None),
    ("a safe value chosen", forms.Select(choices=TRICKY), mark_safe("<safe>"), None),
    (
        "attributes of every kind",
        forms.Select(choices=TRICKY, attrs={"class": 'x"y', "data-n": 0}),
        "",
        {"id": "id_f", "required": True, "disabled": False, "autofocus": True},
    ),
    ("groups", forms.Select(choices=GROUPED), "Europe/Paris", None),
    ("several chosen", forms.SelectMultiple(choices=TRICKY), ["a&b", "lazy"], None),
    ("yes, no, unknown", forms.NullBooleanSelect(), True, None),
    ("numbers as values", forms.Select(choices=[(1, "one"), (2, "two")]), 2, None),
    ("no options", forms.Select(choices=[]), None, None),
]


def _context(widget: forms.Widget, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
    return widget.get_context("field", value, attrs)


@pytest.mark.parametrize(("name", "widget", "value", "attrs"), CASES, ids=[c[0] for c in CASES])
def test_a_select_box_is_written_byte_for_byte_as_djangos_templates_write_it(
    name: str, widget: forms.Widget, value: Any, attrs: dict[str, Any] | None
) -> None:
    context = _context(widget, value, attrs)
    expected = DjangoTemplates().render(SELECT, context)
    assert "<select" in expected
    assert FormRenderer().render(SELECT, context) == expected


@pytest.mark.django_db
def test_a_box_of_people_is_written_as_the_templates_write_it() -> None:
    Person.objects.create(name="Ada <Lovelace>", handle="ada")
    Person.objects.create(name="Ben & Co", handle="ben")
    field = forms.ModelChoiceField(queryset=Person.objects.order_by("name"))
    chosen = Person.objects.get(handle="ben").pk
    context = _context(field.widget, chosen, {"id": "id_person"})
    expected = DjangoTemplates().render(SELECT, context)
    assert "Ada &lt;Lovelace&gt;" in expected
    assert FormRenderer().render(SELECT, context) == expected


def test_options_of_another_template_and_labels_that_are_no_string_go_to_the_templates() -> None:
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    for widget in (Custom(choices=[("a", "A")]), forms.Select(choices=[(3, 3)])):
        context = _context(widget, None, None)
        assert FormRenderer().render(SELECT, context) == DjangoTemplates().render(SELECT, context)


def test_the_team_forms_timezone_picker_renders_without_a_template_per_option() -> None:
    rendered: list[str] = []

    def seen(sender: object, template: Any, **kwargs: object) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        html = str(TeamForm(initial={"timezone": "Europe/Berlin"})["timezone"])
    finally:
        template_rendered.disconnect(seen)
    assert isinstance(get_default_renderer(), FormRenderer)
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in html
    assert html.count("<option") > 400
    assert "django/forms/widgets/select_option.html" not in rendered
