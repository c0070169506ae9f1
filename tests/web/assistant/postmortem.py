"""A draft postmortem with numbers, one why and one weak action item, and what an
OpenAI-compatible endpoint might propose for it: some sound, some the linter rejects."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from followthrough.web.actions.models import ActionItem
from followthrough.web.postmortems.models import Postmortem, Why
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

SOUND_SUMMARY = (
    "Checkout returned 502 errors for EU customers for 47 minutes after the database "
    "connection pool was exhausted; 12,400 checkout attempts failed until the pool size "
    "was raised."
)
BLAMING_SUMMARY = "Checkout failed because Bob carelessly deployed a bad config without checking."
SOUND_IMPACT = (
    "3,100 customers could not check out for 47 minutes; 12,400 checkout requests failed."
)
VAGUE_IMPACT = "Some customers were affected for a while."
SOUND_WHY = (
    "A new report query held connections for minutes because it scanned the orders table "
    "without an index."
)
BLAMING_WHY = "Because Bob was careless and should have known better."
SOUND_ACTION = "Add an alert when the checkout database pool is above 80% for 5 minutes"
VAGUE_ACTION = "Improve monitoring"
SOUND_TEXTS = (SOUND_SUMMARY, SOUND_IMPACT, SOUND_WHY, SOUND_ACTION)
REJECTED_TEXTS = (BLAMING_SUMMARY, VAGUE_IMPACT, BLAMING_WHY, "Look into the pool")


def draft_postmortem(cast: Cast, **incident: Any) -> Postmortem:
    pm = start_postmortem(cast.incident(**incident), cast.alice)
    Postmortem.objects.filter(pk=pm.pk).update(
        users_affected=3100, impact_minutes=47, failed_requests=12400
    )
    Why.objects.create(
        postmortem=pm,
        position=0,
        question="Why did checkout fail?",
        answer="The database ran out of connections.",
    )
    ActionItem.objects.create(postmortem=pm, title=VAGUE_ACTION)
    pm.refresh_from_db()
    return pm


def due() -> str:
    return (date.today() + timedelta(days=14)).isoformat()


def action(title: str, owner: str = "Frank Osei", done_when: str = "") -> dict[str, Any]:
    return {"number": 1, "title": title, "owner": owner, "due": due(), "done_when": done_when}


def reply(
    summary: str = SOUND_SUMMARY,
    impact: str = VAGUE_IMPACT,
    whys: tuple[str, ...] = (SOUND_WHY, BLAMING_WHY),
    actions: tuple[dict[str, Any], ...] = (),
) -> str:
    """The endpoint's answer in the JSON the assistant asks for, wrapped in a code fence as
    chat models often do. By default: a sound summary and why, a vague impact and a blaming
    why; ``MIXED`` adds a sound rewrite of the action item and two rejected ones."""
    data = {
        "summary": summary,
        "impact": impact,
        "whys": [
            {"question": "Why did the database run out of connections?", "answer": w} for w in whys
        ],
        "action_items": list(actions),
    }
    return "```json\n" + json.dumps(data, indent=2) + "\n```"


def mixed() -> str:
    """Four sound proposals and three the linter (or the team list) rejects."""
    return reply(
        summary=SOUND_SUMMARY,
        impact=SOUND_IMPACT,
        whys=(SOUND_WHY, BLAMING_WHY),
        actions=(
            action(SOUND_ACTION, done_when="The alert fires in the staging drill."),
            action(VAGUE_ACTION),
            action("Look into the pool", owner="Nobody Known"),
        ),
    )
