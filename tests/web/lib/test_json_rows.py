"""A related list read in its parent's row comes back as the queryset would list it: its
rows in its order, each object's keys in the order ``values()`` names them, [] for none."""

from __future__ import annotations

import pytest
from django.db.models import OuterRef

from conftest import Cast
from followthrough.web.accounts.models import Person, Team
from followthrough.web.lib.json_rows import JsonRows


def members(*fields: str, order: tuple[str, ...] = ("-name", "pk")) -> JsonRows:
    return JsonRows(
        Person.objects.filter(memberships__team=OuterRef("pk")).order_by(*order).values(*fields)
    )


def test_each_team_lists_its_members_as_the_queryset_orders_them(cast: Cast) -> None:
    empty = Team.objects.create(name="Nobody here", slug="nobody-here")
    read = dict(Team.objects.annotate(people=members("name", "id")).values_list("pk", "people"))
    for team in Team.objects.all():
        people = Person.objects.filter(memberships__team=team).order_by("-name", "pk")
        expected = [{"name": p.name, "id": p.pk} for p in people]
        assert read[team.pk] == expected, team.name
        # the keys in the order values() names them, on every database
        assert [list(person) for person in read[team.pk]] == [["name", "id"]] * len(expected)
    assert read[empty.pk] == []
    assert any(len(people) > 1 for people in read.values())


def test_a_descending_order_on_the_key_alone(cast: Cast) -> None:
    read = Team.objects.annotate(people=members("id", order=("-pk",))).values_list("pk", "people")
    for team, people in read:
        ids = Person.objects.filter(memberships__team=team).order_by("-pk")
        assert people == [{"id": pk} for pk in ids.values_list("pk", flat=True)]


def test_ordering_by_a_field_not_listed_is_refused(cast: Cast) -> None:
    with pytest.raises(ValueError, match="selected fields only"):
        list(Team.objects.annotate(people=members("id", order=("name",))).values("people"))
