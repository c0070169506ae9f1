"""Prioritizing action items: likelihood and severity against effort.

The seed rates every action item on three questions, each answered 1 (low) to 5 (high):
how likely is a recurrence, how bad would it be, how much work is the fix. It fixes the
two ends: high likelihood + high severity + low effort = do it now; low likelihood + low
severity + high effort = do not bother.

The score is the risk the fix removes per unit of effort, as in a risk matrix divided
by job size (the idea behind "weighted shortest job first")::

    score = likelihood x severity / effort          (0.2 .. 25)

| score            | bucket        | e.g. (likelihood, severity, effort)  |
|------------------|---------------|--------------------------------------|
| 8 or more        | do it now     | (4, 4, 2) = 8, (5, 5, 1) = 25        |
| 4 up to 8        | schedule next | (4, 3, 3) = 4, (5, 5, 4) = 6.25      |
| 2 up to 4        | plan it       | (3, 3, 4) = 2.25, (5, 2, 5) = 2      |
| more than 1 to 2 | do later      | (3, 2, 4) = 1.5, (1, 5, 4) = 1.25    |
| 1 or less        | do not bother | (2, 2, 4) = 1, (1, 1, 5) = 0.2       |

Reading "high" as 4 or 5 and "low" as 1 or 2, every high/high/low item scores at least
4 x 4 / 2 = 8 (do it now) and every low/low/high item at most 2 x 2 / 4 = 1 (do not
bother), so the seed's two sentences hold. The score grows with likelihood and severity
and shrinks with effort, and the bucket depends on the score alone, so rating an item
more likely, more severe or cheaper never lowers its priority.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

RATING_MIN = 1
RATING_MAX = 5


class Bucket(StrEnum):
    """What to do with an action item, from most to least urgent."""

    DO_NOW = "do it now"
    NEXT = "schedule next"
    PLAN = "plan it"
    LATER = "do later"
    DO_NOT_BOTHER = "do not bother"

    @property
    def rank(self) -> int:
        """4 for "do it now" down to 0 for "do not bother": sort buckets with this."""
        return _RANK[self]


_RANK: dict[Bucket, int] = {
    Bucket.DO_NOW: 4,
    Bucket.NEXT: 3,
    Bucket.PLAN: 2,
    Bucket.LATER: 1,
    Bucket.DO_NOT_BOTHER: 0,
}

# (bucket, smallest likelihood*severity/effort that earns it, inclusive?) from the top.
# Compared as whole numbers (risk >= threshold * effort), so no float lands on the
# wrong side of a boundary.
_THRESHOLDS: tuple[tuple[Bucket, int, bool], ...] = (
    (Bucket.DO_NOW, 8, True),
    (Bucket.NEXT, 4, True),
    (Bucket.PLAN, 2, True),
    (Bucket.LATER, 1, False),
)


@functools.total_ordering
@dataclass(frozen=True, eq=True)
class Priority:
    """An action item's bucket and score; priorities sort by score (higher = more urgent)."""

    bucket: Bucket
    score: float

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Priority):
            return NotImplemented
        return self.score < other.score


def _rating(name: str, value: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (RATING_MIN <= value <= RATING_MAX)
    ):
        raise ValueError(
            f"{name} must be a whole number from {RATING_MIN} to {RATING_MAX}; got {value!r}."
        )
    return value


def priority(likelihood: int, severity: int, effort: int) -> Priority:
    """Bucket and score for an action item rated 1..5 on each question (see module table).

    A rating that is not a whole number from 1 to 5 raises ValueError naming it.
    """
    risk = _rating("likelihood", likelihood) * _rating("severity", severity)
    effort = _rating("effort", effort)
    bucket = Bucket.DO_NOT_BOTHER
    for candidate, threshold, inclusive in _THRESHOLDS:
        limit = threshold * effort
        if risk > limit or (inclusive and risk == limit):
            bucket = candidate
            break
    return Priority(bucket, round(risk / effort, 2))
