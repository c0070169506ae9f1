"""Work the document reports as done outside an item's own words: the timeline says it, or
the measures around it put it in force.

A team often lists as a follow-up the change it already made during the incident: the
timeline raises it ("Issue raised to make the AMI configurable in our terraform") and later
closes it ("Work on terraform complete and tested, merged"). A reader who has read the
timeline knows the item is done; so does this module, when

- a timeline entry names the same work as the item (most of the item's words), and
- that entry, or a later one that shares a word of its own with it ("terraform"), says the
  work was finished (completed, merged, deployed, ...).

Raising a ticket or starting work is not finishing it.

A rule stated for a whole class of things, with no one to do any work ("All pull requests
will require a maintainer's review"), listed among measures the document reports done (the
bots that approved them were removed), is the state those measures brought about: in force,
so done. Among open items it is still a plan.
"""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.document import Document, SectionKind, TimelineEvent
from followthrough.core.regex import folds_plainly, lazy

_WORD = lazy(r"[a-z][a-z0-9-]{3,}")
_FINISHED = lazy(
    r"\b(?:complete[ds]?|finished|merged|deployed|shipped|released|rolled\s+out|"
    r"in\s+place|done)\b",
    re.IGNORECASE,
)
# _FINISHED for lower-case text (see folds_plainly), each word's boundary checked behind its
# first letter: the engine skips to those letters instead of trying every position
_FINISHED_LOWER = lazy(
    r"(?:c(?<!\w.)omplete[ds]?|f(?<!\w.)inished|m(?<!\w.)erged|d(?<!\w.)eployed|"
    r"s(?<!\w.)hipped|r(?<!\w.)eleased|r(?<!\w.)olled\s+out|i(?<!\w.)n\s+place|d(?<!\w.)one)\b"
)
# words that say nothing about which work an entry is about
_COMMON: Final = frozenset(
    {
        "with",
        "that",
        "this",
        "from",
        "into",
        "have",
        "been",
        "were",
        "will",
        "when",
        "which",
        "their",
        "there",
        "after",
        "before",
        "about",
        "work",
        "issue",
        "issues",
        "raised",
        "started",
        "complete",
        "completed",
        "tested",
        "merged",
        "deployed",
        "master",
        "main",
        "branch",
        "change",
        "changes",
        "team",
        "teams",
        "make",
        "sure",
    }
)
# "All X will require ...", "Every deploy now needs ...": a rule for a class, no actor
_RULE = lazy(
    r"^(?:all|every|each|any)\s+[^.;:]{1,80}?\s+(?:will\s+(?:now\s+|still\s+)?"
    r"(?:require|need|be\s+required\s+to)|(?:now\s+)?(?:requires?|needs?)|"
    r"must\s+(?:now\s+)?(?:be|have|pass|go))\b",
    re.IGNORECASE,
)
#: the first three letters of every _RULE match, lower-cased (none folds specially)
_RULE_OPENS: Final = frozenset({"all", "eve", "eac", "any"})
#: the share of an item's words a timeline entry must name to be about the same work
SAME_WORK: Final = 0.6
#: and at least this many of them
MIN_SHARED: Final = 3
_STEM: Final = 6


def _stems(text: str) -> set[str]:
    return {w[:_STEM] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def mark(doc: Document) -> None:
    """Mark done the open action items whose work the timeline reports finished, and the
    rules in force among measures taken."""
    _rules_in_force(doc)
    if not doc.action_items:
        return
    entries = [e for e in doc.timeline if e.text]
    lows = [e.text.lower() for e in entries]
    told = "\n".join(lows)
    says_finished: bool | None = None  # does any entry say so (asked once, when needed)
    stems: dict[int, set[str]] = {}  # an entry's words, split only for entries that may match
    for item in doc.action_items:
        if item.done:
            continue
        words = _stems(item.text)
        if len(words) < MIN_SHARED:
            continue
        need = max(MIN_SHARED, SAME_WORK * len(words))
        if not _named_enough(words, told, need):
            continue  # the timeline never names this work
        if says_finished is None:
            # asked after the cheaper test above: most items are not named by the timeline
            says_finished = _says_finished(told)
        if not says_finished:
            return  # no entry says any work was finished
        for k, low in enumerate(lows):
            # a substring test first (C speed): most entries share no word with the item
            if not _named_enough(words, low, need):
                continue
            if k not in stems:
                stems[k] = _stems(entries[k].text)
            if len(words & stems[k]) < need:
                continue
            finished = _finished_from(entries, stems, k, words)
            if finished is not None:
                item.done = True
                item.done_reason = f"the timeline says it was done (line {finished.line})"
                break


def _named_enough(words: set[str], low: str, need: float) -> bool:
    """``sum(w in low for w in words) >= need``, stopping as soon as too many words are
    missing for the sum to reach ``need`` (most items share few words with the timeline)."""
    hits, left = 0, len(words)
    for w in words:
        left -= 1
        if w in low:
            hits += 1
        elif hits + left < need:
            return False
    return hits >= need


def _says_finished(low: str) -> bool:
    """``_FINISHED.search(low)`` for lower-case text."""
    if folds_plainly(low, low):
        return _FINISHED_LOWER.search(low) is not None
    return _FINISHED.search(low) is not None


def _finished_from(
    entries: list[TimelineEvent], stems: dict[int, set[str]], k: int, item_words: set[str]
) -> TimelineEvent | None:
    """The entry at ``k`` or a later one about the same work that says it was finished."""
    if _FINISHED.search(entries[k].text):
        return entries[k]
    own = stems[k] - item_words  # "terraform": how the entry itself names the work
    for j in range(k + 1, len(entries)):
        if _FINISHED.search(entries[j].text):
            if j not in stems:
                stems[j] = _stems(entries[j].text)
            if own & stems[j]:
                return entries[j]
    return None


def _rules_in_force(doc: Document) -> None:
    for section in doc.sections:
        if section.kind is not SectionKind.ACTION_ITEMS:
            continue
        items = [a for a in doc.action_items if section.line <= a.line <= section.end_line]
        rules = [
            a
            for a in items
            if not a.done and a.text[:3].lower() in _RULE_OPENS and _RULE.match(a.text) is not None
        ]
        others = [a for a in items if a not in rules]
        if rules and sum(a.done for a in others) * 2 > len(others):
            for item in rules:
                item.done, item.done_reason = True, "a rule in force among measures taken"
