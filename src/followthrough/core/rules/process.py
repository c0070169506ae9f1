"""PM7xx: process. Seed, "Follow-Through": "The postmortem is not done when the document is
written. It is done when the action items are complete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from followthrough.core.document import Document, SectionKind
from followthrough.core.regex import lazy
from followthrough.core.rules import wordlists as W
from followthrough.core.rules.base import Finding, Rule, Severity, view_of

if TYPE_CHECKING:
    from followthrough.core.config import LintConfig

_WORD = lazy(r"[a-z][a-z0-9'-]*")
_PLACEHOLDER = lazy(r"\[\s*fill[ -]?in\b", re.IGNORECASE)
_GENERIC = frozenset(
    [
        "cause",
        "caused",
        "causes",
        "root",
        "because",
        "why",
        "happen",
        "happened",
        "happening",
        "failure",
        "failed",
        "fail",
        "fails",
        "error",
        "errors",
        "during",
        "time",
        "times",
        "wasn't",
        "weren't",
        "didn't",
        "without",
        "lack",
        "lacked",
        "missing",
        "gap",
        "any",
        "every",
        "often",
        "still",
        "able",
        "unable",
        "allow",
        "allowed",
        "allows",
        "like",
        "well",
        "many",
        "much",
    ]
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ion"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


#: run of word characters -> the stem of its word, or "" for a word that says nothing about
#: the subject; filled as met
_STEMS: dict[str, str] = {}
_WORD_CHARACTERS = b"abcdefghijklmnopqrstuvwxyz0123456789'-"
#: UTF-8 bytes -> themselves when ``_WORD`` may match them, else a space (every byte of a
#: non-ASCII character too: the pattern matches ASCII only)
_RUNS = bytes(byte if byte in _WORD_CHARACTERS else 32 for byte in range(256))
_NOT_WORD_START = "0123456789'-"


def content_stems(text: str) -> set[str]:
    """The words that say what a sentence is about, lightly stemmed.

    Its words are ``_WORD.findall(text.lower())``, found at C speed: the runs of the
    characters ``_WORD`` matches, each from its first letter (a run with none holds no word)."""
    stems = _STEMS
    runs = text.lower().encode().translate(_RUNS).decode().split()
    try:  # every run met before: looked up at C speed
        out = set(map(stems.__getitem__, runs))
    except KeyError:
        out = set()
        for run in runs:
            stem = stems.get(run)
            if stem is None:
                word = run.lstrip(_NOT_WORD_START)
                keep = len(word) > 2 and word not in W.STOPWORDS and word not in _GENERIC
                stem = _stem(word) if keep else ""
                if len(stems) < 1 << 16:
                    stems[run] = stem
            out.add(stem)
    out.discard("")
    return out


class UnaddressedCause(Rule):
    """Finds a root cause or contributing factor that no action item addresses: none of
    the action items shares its key words. Only checked when the postmortem has action
    items at all (a missing action items section is its own finding).

    Why: the seed's agenda moves from root cause and contributing factors straight to
    "Action items: What are we going to do to prevent this?". A cause nobody acts on will
    cause the next incident ("Track repeat incidents. If the same failure mode recurs, the
    postmortem failed.").

    Bad:
        ## Root cause
        There is no review checklist for schema changes.
        ## Action items
        - Add an index on orders.customer_id (@bob, 2026-03-10)

    Good:
        ## Root cause
        There is no review checklist for schema changes.
        ## Action items
        - Add a schema-change checklist to the PR template (@bob, 2026-03-10)
    """

    code = "PM701"
    name = "process.unaddressed-cause"
    category = "process"
    severity = Severity.INFO
    summary = "A root cause or contributing factor that no action item addresses."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        if not doc.action_items:
            return
        # one call for every item: a run of word characters never crosses the space between
        covered = content_stems(
            " ".join(
                f"{item.text} {item.done_when}" if item.done_when else item.text
                for item in doc.action_items
            )
        )
        view = view_of(doc)
        causes = [
            (rc.line, rc.text, "Root cause", SectionKind.ROOT_CAUSE) for rc in doc.root_causes
        ]
        causes += [
            (f.line, f.text, "Contributing factor", SectionKind.CONTRIBUTING_FACTORS)
            for f in doc.factors
        ]
        for line, text, label, kind in causes:
            if _PLACEHOLDER.search(text):
                continue
            words = content_stems(text)
            if len(words) < 2:
                continue
            shared = words & covered
            if len(shared) >= min(2, len(words)):
                continue
            yield self.finding(
                config,
                line,
                f"{label} not addressed by any action item",
                view.excerpt(line),
                fix="Add an action item that removes or detects this cause, or say why it is accepted.",
                section=kind,
            )


class NoDoneCondition(Rule):
    """Finds open action items with no done-condition (a "Done when" column or a
    "done when: ..." annotation).

    Why: the seed's "Action Items That Work": "Verifiable: You can tell when it is done."
    and "Follow-Through": an item closes when its condition holds, not when someone is tired
    of seeing it.

    Bad:
        | Action | Owner | Due |
        | Add alerting for pool exhaustion | @alice | 2026-03-04 |

    Good:
        | Action | Owner | Due | Done when |
        | Add alerting for pool exhaustion | @alice | 2026-03-04 | the alert fires in the staging load test |
    """

    code = "PM702"
    name = "process.no-done-condition"
    category = "process"
    severity = Severity.INFO
    summary = "An open action item has no done-condition."

    def check(self, doc: Document, config: LintConfig) -> Iterator[Finding]:
        view = view_of(doc)
        for item in doc.action_items:
            if item.done or item.done_when:
                continue
            yield self.finding(
                config,
                item.line,
                "Action item has no done-condition",
                view.excerpt(item.line),
                fix="Add 'done when: ...': the observable fact that proves it is done.",
                section=SectionKind.ACTION_ITEMS,
            )


class UnusedSuppression(Rule):
    """Finds ``<!-- followthrough: disable=... -->`` comments that suppress nothing: the
    named rule found nothing there, or the name is not a rule at all. The engine reports
    these after the other rules have run.

    Why: a suppression is a decision the team made about one finding; when the text
    changes and the finding goes away, the stale comment silences the next real problem
    in that place. Silent misconfiguration is a bug (STYLE.md, "The rule engine").

    Bad:
        <!-- followthrough: disable=PM201 -->
        - Add a pool-exhaustion alert (@alice, 2026-03-04)

    Good:
        <!-- followthrough: disable=PM201 -->
        - Add a pool-exhaustion alert (owner: payments on-call rotation, 2026-03-04)
    """

    code = "PM790"
    name = "process.unused-suppression"
    category = "process"
    severity = Severity.WARNING
    summary = "A disable comment that suppresses nothing (stale, or an unknown rule)."
