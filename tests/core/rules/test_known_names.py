"""Which capitalised words a document uses as people's names (rules/blame.KnownNames)."""

from __future__ import annotations

from followthrough.core.markdown import parse
from followthrough.core.rules.blame import known_names

DOC = """# Checkout outage

Authors: Zebulon Quist
IC: Ottoline

## Summary

Payments failed for an hour.
"""


def test_a_name_on_a_people_line_below_the_title_is_known_as_a_persons() -> None:
    names = known_names(parse(DOC, "pm.md"))
    assert "Zebulon" in names
    assert "Ottoline" in names


def test_a_word_that_only_names_a_thing_is_not_a_persons_name() -> None:
    assert "Payments" not in known_names(parse(DOC, "pm.md"))


def test_the_emphasis_around_a_people_lines_label_is_not_a_name() -> None:
    names = known_names(parse("# Outage\n\n**Authors:** Laila Haddad\n", "pm.md"))
    assert "Laila" in names
    assert "**" not in names
    assert "**Authors:**" not in names
