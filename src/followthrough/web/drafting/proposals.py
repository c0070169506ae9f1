"""A proposed timeline event, before it is stored: what every source reader returns.

Readers state facts in our words ("Acknowledged in PagerDuty by Ivan Petrov.") and give
what people wrote (a note, a Slack message) as what they wrote, marked as theirs. Whether a
quote holds analysis is the linter's to say (``facts.lint_descriptions``), not the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_DESCRIPTION = 600


@dataclass(frozen=True)
class Proposal:
    """One event a source proposes: ``origin`` is unique per draft (drafting twice adds only
    what is new); ``kind`` is "event" or "candidate" (a possible trigger)."""

    occurred_at: datetime
    description: str
    source: str
    link: str
    origin: str
    kind: str = "event"


def one_line(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """Text on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def quoted(who: str, text: str) -> str:
    """What someone wrote, as theirs: ``Ivan Petrov wrote: …``. Without quotation marks on
    purpose: the linter leaves quoted text alone, and these words must pass its rules."""
    return f"{who or 'Someone'} wrote: {one_line(text, MAX_DESCRIPTION - 40)}"
