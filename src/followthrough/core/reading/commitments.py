"""Action items told in prose: the sentences of a paragraph that commit to a measure ("We
will be introducing rate limiting on this endpoint", "the crates.io team intends to work
with the Foundation ...") or report one in place ("on 2023-10-16 the crates.io team deployed
a change limiting ..."). Sentences that only explain belong to the item before them.

Each item starts where its sentence (or its clause: "... and we intend to look into ...")
starts, so a finding points at the line a reader would look at.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Final

from followthrough.core.parsing.text import strip_emphasis
from followthrough.core.regex import folds_plainly, lazy

_ITEM = lazy(r"^(?:[-*+•]|\d{1,3}[.)])\s+")
# the stop, then what may close the sentence and the space after it; a cut is at its end (a
# pattern that starts with the stop, not a look behind it, lets the engine skip to stops)
_SENTENCE_END = lazy(r"[.!?][\"'’)\]*_]*\s+(?=[\"'“(\[*_`]*[A-Z0-9])")
# a new clause with its own subject: "..., and we intend to ...", "; we will ...". Each form
# starts with the comma, semicolon or space it is cut after, consumed first and told apart
# behind it: a pattern that starts with a set of characters lets the engine skip to them
_CLAUSE_SOURCE = (
    r"[,;\s](?:"
    r"(?<=[,\s])\s*(?:and|but|while)\s+(?=(?:we|the\s+[\w.-]+(?:\s+[\w.-]+)?\s+team)\b)"
    r"|(?<=;)\s+(?=we\b)"
    # "Even if we continue to delete them, we should entertain ...": the main clause commits
    r"|(?<=,)\s+(?=(?:we|i)\s+(?:should|will|'ll|shall|need|must|intend|plan|hope|are\s+going)\b)"
    # "I have revoked the token, and will avoid creating one": a promise sharing the subject
    r"|(?<=,)\s*and\s+(?=(?:will|shall)\s))"
)
_CLAUSE = lazy(_CLAUSE_SOURCE, re.IGNORECASE)
# its twin for lower-cased text (see folds_plainly): a case-blind engine compares every
# letter through its case
_CLAUSE_LOWER = lazy(_CLAUSE_SOURCE)
# a clause that continues the writer's sentence without repeating its subject
_SUBJECTLESS = lazy(r"^(?:will|shall)\s", re.IGNORECASE)
_WRITER = lazy(r"^(?:we|i)\s", re.IGNORECASE)
# a state the measures brought about, told after a lead-in that says they are against a
# recurrence ("Cabotage is now entirely self-hosting", "builds no longer use ...")
_NOW_STATE = lazy(
    r"^(?:[\w`.-]+\s+){1,3}(?:is|are)\s+now\s+(?!back\b|up\b|healthy\b|working\b|running\b|stable\b|operational\b|resolved\b|fixed\b|restored\b)",
    re.I,
)
# Who commits: the writers ("we", "I", "our team", "the crates.io team"), not a third party.
_SUBJECT = r"(?:we|i|our\s+(?:[\w.-]+\s+)?team|the\s+[\w.-]+(?:\s+[\w.-]+)?\s+team)"
_ADVERBS = r"(?:(?:also|now|then|still|further|additionally|finally|further|soon|definitely)\s+)*"
# "would like to reiterate", "want to thank": words to the reader, not a measure; nor is
# what the post will tell ("We will also discuss the steps taken ...", "we'll explain why"),
# nor a compensation already decided ("we will be crediting all paid plans with ...")
_NOT_A_MEASURE = (
    r"(?!\s+(?:reiterate|remind|thank|apologi[sz]e|emphasi[sz]e|stress|note|point\s+out|"
    r"acknowledge|say|mention|share|highlight|recogni[sz]e|encourage|ask\s+(?:everyone|you))\b)"
    r"(?!\s+(?:also\s+|then\s+|now\s+|first\s+|briefly\s+|further\s+)*(?:be\s+)?"
    r"(?:(?:discuss|explain|describ|outlin|cover|detail|summari[sz]|walk\w*\s+(?:you\s+)?through|"
    r"go\w*\s+over)\w*\s+(?:(?:in\s+)?(?:this|the\s+following|the\s+next)\b|below\b|here\b|"
    r"(?:what|why|how|when|where)\b|(?:the|our|all)\s+(?:[\w-]+\s+){0,2}(?:taken|made)\b|"
    r"(?:the\s+)?(?:timeline|details|root\s+causes?|causes?|impact|events?)\b)|"
    r"(?:credit|refund|compensat|reimburs)\w*\s))"
)
_COMMITMENT = lazy(
    rf"\b{_SUBJECT}\s+{_ADVERBS}(?:"
    r"(?:will|'ll)(?!\s+(?:likely|probably|possibly|perhaps|maybe|continue)\b)|shall|"
    r"may\s+(?=follow\s+up|look\s+into|revisit|review|reach\s+out)|intends?\s+to|plans?\s+to|(?:is|are)\s+planning\s+to|aims?\s+to|"
    r"(?:is|are|'re)\s+(?:also\s+)?(?:looking\s+into|going\s+to|hoping\s+to|working\s+(?:on|to)|"
    r"committed\s+to)|hopes?\s+to|would\s+like\s+to|need\s+to|must|should|"
    r"agree\s+that\s+we\s+should)\b" + _NOT_A_MEASURE +
    # "the release process will be updated to include ...": a change promised in the passive
    r"|\b(?:process|policy|policies|documentation|docs|pipeline|check|checks|tests?|alerts?|"
    r"limits?|rules?|requirements?|procedure|runbook|monitoring)\s+will\s+be\s+[a-z]+ed\b",
    re.IGNORECASE,
)
# A lasting measure reported as done: "we deployed a change limiting ...", "the team has
# introduced a new check".
_MEASURE_DONE = lazy(
    rf"\b{_SUBJECT}\s+(?:have\s+|has\s+|'ve\s+)?{_ADVERBS}"
    r"(?:deployed|introduced|added|enabled|enforced|implemented|shipped|rolled\s+out|"
    r"put\s+in\s+place|merged\s+and\s+deployed)\s+(?:a|an|new|the\s+new)\s+"
    r"(?:[\w-]+\s+){0,2}(?:change|limit|limits|rule|restriction|policy|check|alert|alerts|"
    r"safeguard|protection|requirement|validation|test|tests)\b",
    re.IGNORECASE,
)
# "as mentioned above": a commitment said again, already counted where it was first made
_REPEATED = lazy(r"\bas\s+(?:mentioned|noted|said|described)\s+(?:above|earlier|before)\b", re.I)
_DEMONSTRATIVE = lazy(r"\b(?:this|that|these|those)\s+([a-z][a-z-]{3,})", re.IGNORECASE)
_STEM: Final = 5


@dataclass
class Measure:
    line: int  # where the sentence or clause starts
    text: str
    done: bool  # reported as done rather than promised
    tracker: str | None = None  # a ticket linked beside it


def sentences(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(line where it starts, sentence or clause) of a paragraph's lines."""
    parts: list[str] = []
    starts: list[tuple[int, int]] = []  # (offset in the joined text, line)
    offset = 0
    breaks: list[int] = []  # a list item or a new paragraph starts a new sentence
    blank = False
    for number, line in lines:
        text = line.strip()
        if not text:
            blank = True
            continue
        item = _ITEM.match(text)
        if item is not None or blank:
            breaks.append(offset)
            text = text[item.end() :] if item is not None else text
        blank = False
        starts.append((offset, number))
        parts.append(text)
        offset += len(text) + 1
    joined = " ".join(parts)
    cuts = [0, *breaks]
    for m in _SENTENCE_END.finditer(joined):
        cuts.append(m.end())
    low = joined.lower()
    if folds_plainly(joined, low):
        clauses = _CLAUSE_LOWER.finditer(low)
    else:
        clauses = _CLAUSE.finditer(joined)
    for m in clauses:
        cuts.append(m.end())
    cuts = sorted(set(cuts))
    offsets = [o for o, _ in starts]
    out: list[tuple[int, str]] = []
    for a, b in zip(cuts, [*cuts[1:], len(joined)], strict=True):
        piece = joined[a:b].strip()
        if not piece:
            continue
        # the line of the last part that starts at or before the cut
        out.append((starts[bisect_right(offsets, a) - 1][1], piece))
    return out


def measures(
    lines: list[tuple[int, str]], *, done_too: bool, states: bool = False
) -> list[Measure]:
    """The commitments in a paragraph (and, with ``done_too``, the lasting measures it
    reports as done), one per distinct measure. ``states``: the paragraph follows a lead-in
    that calls what comes the measures against a recurrence, and a state they brought about
    ("X is now self-hosting") is one of them."""
    found: list[Measure] = []
    subject = ""
    for line, sentence in sentences(lines):
        plain = strip_emphasis(sentence)
        writer = _WRITER.match(plain)
        if writer is not None:
            subject = writer.group(0)
        elif subject and _SUBJECTLESS.match(plain) is not None:
            plain = subject + plain  # "... token, and will avoid ...": I will avoid ...
        else:
            subject = ""
        if _REPEATED.search(plain):
            continue
        done = False
        if _COMMITMENT.search(plain) is None:
            if not done_too or (
                _MEASURE_DONE.search(plain) is None
                and not (states and _NOW_STATE.match(plain) is not None)
            ):
                continue
            done = True
        if found and _refers_back(plain, found[-1].text):
            continue  # "We will be deciding the exact wording of this policy ...": the same measure
        found.append(Measure(line, plain, done))
    return found


def _refers_back(sentence: str, before: str) -> bool:
    """Does ``sentence`` point back at the measure of ``before`` ("this policy")?"""
    low = before.lower()
    return any(m.group(1).lower()[:_STEM] in low for m in _DEMONSTRATIVE.finditer(sentence))
