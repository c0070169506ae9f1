"""The seed's postmortem meeting: a 60 to 90 minute agenda, an uninvolved facilitator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from followthrough.core.agenda import (
    AGENDA_PARTS,
    MAX_MINUTES,
    MIN_MINUTES,
    AgendaItem,
    agenda,
    default_attendees,
    facilitator_refusal,
)


def test_a_ninety_minute_meeting_follows_the_seeds_five_time_boxes() -> None:
    assert agenda(90) == [
        AgendaItem(
            "Timeline review",
            15,
            0,
            "Walk through what happened, when. No analysis yet. Just facts.",
        ),
        AgendaItem(
            "Impact review",
            10,
            15,
            "What was the customer and business impact? Quantify if possible.",
        ),
        AgendaItem(
            "Root cause analysis",
            30,
            25,
            'Why did this happen? Use "5 whys" or similar technique to dig past proximate causes.',
        ),
        AgendaItem(
            "Contributing factors",
            15,
            55,
            "What else made this worse? (Detection delay, tooling gaps, communication issues)",
        ),
        AgendaItem(
            "Action items",
            20,
            70,
            "What are we going to do to prevent this? Be specific. Assign owners and due dates.",
        ),
    ]


def test_the_seeds_parts_add_up_to_ninety_minutes() -> None:
    assert sum(minutes for _, minutes, _ in AGENDA_PARTS) == MAX_MINUTES == 90
    assert MIN_MINUTES == 60


def test_a_sixty_minute_meeting_keeps_the_proportions_in_whole_minutes() -> None:
    assert [(item.title, item.minutes) for item in agenda(60)] == [
        ("Timeline review", 10),
        ("Impact review", 7),
        ("Root cause analysis", 20),
        ("Contributing factors", 10),
        ("Action items", 13),
    ]


def test_leftover_minutes_go_to_the_parts_with_the_largest_fractions() -> None:
    # 89 minutes: exact shares 14.83, 9.89, 29.67, 14.83, 19.78; four minutes left after
    # flooring go to 9.89, then the two 14.83s (earlier first), then 19.78.
    assert [item.minutes for item in agenda(89)] == [15, 10, 29, 15, 20]


@pytest.mark.parametrize("duration", range(MIN_MINUTES, MAX_MINUTES + 1))
def test_every_allowed_length_sums_exactly_and_gives_each_part_at_least_five_minutes(
    duration: int,
) -> None:
    items = agenda(duration)
    assert [item.title for item in items] == [title for title, _, _ in AGENDA_PARTS]
    assert sum(item.minutes for item in items) == duration
    assert all(item.minutes >= 5 for item in items)
    assert items[0].starts_at_minute == 0
    for before, after in zip(items, items[1:], strict=False):
        assert after.starts_at_minute == before.ends_at_minute
    assert items[-1].ends_at_minute == duration
    for item, (_, seed_minutes, _) in zip(items, AGENDA_PARTS, strict=True):
        assert abs(item.minutes - seed_minutes * duration / 90) < 1


def test_root_cause_analysis_always_gets_the_most_time() -> None:
    for duration in range(MIN_MINUTES, MAX_MINUTES + 1):
        items = agenda(duration)
        assert max(items, key=lambda item: item.minutes).title == "Root cause analysis"


@pytest.mark.parametrize("duration", [45, 59, 91, 120, 0, -60])
def test_a_meeting_shorter_than_an_hour_or_longer_than_ninety_minutes_is_refused(
    duration: int,
) -> None:
    with pytest.raises(ValueError) as error:
        agenda(duration)
    assert str(error.value) == f"A postmortem meeting runs 60 to 90 minutes; got {duration}."


@pytest.mark.parametrize("duration", [75.0, "75", True])
def test_a_meeting_length_must_be_a_whole_number_of_minutes(duration: object) -> None:
    with pytest.raises(ValueError, match="A postmortem meeting runs 60 to 90 minutes; got"):
        agenda(duration)  # type: ignore[arg-type]


def test_a_facilitator_who_was_the_incident_commander_is_refused() -> None:
    assert facilitator_refusal("alice", "alice", ["bob"], "Alice") == (
        "Alice was the incident commander; the facilitator must be someone not directly "
        "involved in the incident."
    )


def test_a_facilitator_who_was_a_responder_is_refused() -> None:
    assert facilitator_refusal(2, 1, [2, 3]) == (
        "This person was a responder; the facilitator must be someone not directly involved "
        "in the incident."
    )


def test_someone_not_directly_involved_may_facilitate() -> None:
    assert facilitator_refusal("dana", "alice", {"bob", "charlie"}, "Dana") is None
    assert facilitator_refusal("dana", None, []) is None


def test_a_commander_who_also_responded_is_refused_as_the_commander() -> None:
    refusal = facilitator_refusal("alice", "alice", ["alice", "bob"], "Alice")
    assert refusal is not None and refusal.startswith("Alice was the incident commander;")


@dataclass(frozen=True)
class Member:
    email: str


def test_people_are_compared_by_equality_so_model_like_objects_work() -> None:
    alice, bob = Member("alice@example.com"), Member("bob@example.com")
    refusal = facilitator_refusal(Member("bob@example.com"), alice, [bob], "Bob")
    assert refusal is not None and refusal.startswith("Bob was a responder;")


def test_attendees_are_everyone_involved_and_the_team_lead_once_each_in_order() -> None:
    assert default_attendees("alice", ["bob", "alice", "charlie", "bob"], "erin") == [
        "alice",
        "bob",
        "charlie",
        "erin",
    ]


def test_a_team_lead_who_responded_is_not_invited_twice() -> None:
    assert default_attendees("alice", ["bob"], "bob") == ["alice", "bob"]


def test_affected_stakeholders_may_be_invited_after_the_team() -> None:
    assert default_attendees(None, ["bob"], None, ["sales", "bob", "support"]) == [
        "bob",
        "sales",
        "support",
    ]
