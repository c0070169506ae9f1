"""The postmortem meeting: its time-boxed agenda, its facilitator, its attendees.

The seed ("The Postmortem Meeting") asks for a 60 to 90 minute meeting in five parts:

| Part                  | Minutes (of 90) |
|-----------------------|-----------------|
| Timeline review       | 15              |
| Impact review         | 10              |
| Root cause analysis   | 30              |
| Contributing factors  | 15              |
| Action items          | 20              |

A shorter meeting keeps the proportions: each part gets ``minutes * duration / 90``,
rounded to whole minutes by the largest-remainder method (floor every part, then hand
the minutes left over to the parts with the largest fractions, earlier parts first on a
tie), so the parts always add up to exactly the meeting's length. Within 60 to 90
minutes every part gets at least 6 minutes.

The facilitator is "someone not directly involved in the incident": the incident
commander and the responders are refused, with the reason. Attendees are everyone
involved, the team lead or manager, and optionally the affected stakeholders.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

MIN_MINUTES = 60
MAX_MINUTES = 90

AGENDA_PARTS: tuple[tuple[str, int, str], ...] = (
    (
        "Timeline review",
        15,
        "Walk through what happened, when. No analysis yet. Just facts.",
    ),
    (
        "Impact review",
        10,
        "What was the customer and business impact? Quantify if possible.",
    ),
    (
        "Root cause analysis",
        30,
        'Why did this happen? Use "5 whys" or similar technique to dig past proximate causes.',
    ),
    (
        "Contributing factors",
        15,
        "What else made this worse? (Detection delay, tooling gaps, communication issues)",
    ),
    (
        "Action items",
        20,
        "What are we going to do to prevent this? Be specific. Assign owners and due dates.",
    ),
)

_SEED_TOTAL = sum(minutes for _, minutes, _ in AGENDA_PARTS)


@dataclass(frozen=True)
class AgendaItem:
    """One time-boxed part of the meeting; minutes are counted from the meeting's start."""

    title: str
    minutes: int
    starts_at_minute: int
    guidance: str

    @property
    def ends_at_minute(self) -> int:
        """The minute this part hands over to the next one."""
        return self.starts_at_minute + self.minutes


def agenda(duration_minutes: int) -> list[AgendaItem]:
    """The seed's five parts scaled to a meeting of ``duration_minutes`` (60 to 90).

    Whole minutes that sum exactly to the duration (largest-remainder rounding). A
    duration outside 60..90, or not a whole number, raises ValueError.
    """
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not MIN_MINUTES <= duration_minutes <= MAX_MINUTES
    ):
        raise ValueError(
            f"A postmortem meeting runs {MIN_MINUTES} to {MAX_MINUTES} minutes; "
            f"got {duration_minutes!r}."
        )
    # Exact shares as integer numerators over _SEED_TOTAL: no floating-point rounding.
    numerators = [minutes * duration_minutes for _, minutes, _ in AGENDA_PARTS]
    allotted = [n // _SEED_TOTAL for n in numerators]
    left_over = duration_minutes - sum(allotted)
    by_largest_fraction = sorted(
        range(len(AGENDA_PARTS)), key=lambda i: (-(numerators[i] % _SEED_TOTAL), i)
    )
    for i in by_largest_fraction[:left_over]:
        allotted[i] += 1

    items: list[AgendaItem] = []
    start = 0
    for (title, _, guidance), minutes in zip(AGENDA_PARTS, allotted, strict=True):
        items.append(AgendaItem(title, minutes, start, guidance))
        start += minutes
    return items


def facilitator_refusal(
    candidate: Hashable,
    commander: Hashable | None,
    responders: Collection[Hashable],
    candidate_name: str = "This person",
) -> str | None:
    """Why ``candidate`` cannot facilitate this postmortem, or None if they can.

    People are compared with ``==`` (user ids, e-mail addresses, model instances).
    Someone who was both commander and responder is refused as the commander.
    """
    if commander is not None and candidate == commander:
        role = "the incident commander"
    elif candidate in responders:
        role = "a responder"
    else:
        return None
    return (
        f"{candidate_name} was {role}; the facilitator must be someone not directly "
        "involved in the incident."
    )


Person = TypeVar("Person", bound=Hashable)


def default_attendees(
    commander: Person | None,
    responders: Iterable[Person],
    team_lead: Person | None,
    stakeholders: Iterable[Person] = (),
) -> list[Person]:
    """Everyone involved (commander, then responders), the team lead, then stakeholders.

    Each person appears once, at their first place; None entries are skipped.
    """
    seen: set[Person] = set()
    attendees: list[Person] = []
    for person in (commander, *responders, team_lead, *stakeholders):
        if person is not None and person not in seen:
            seen.add(person)
            attendees.append(person)
    return attendees
