"""The impact: an "Impact" section, or, where there is none, the sentences anywhere in the
report (a summary, a lead paragraph, the contributing factors) that say what the failure did
to users or services ("all inbound traffic failed to reach the cluster", "access to AWS
resources from pods failed", "no packages were compromised"). Saying only what broke ("two
alerts were triggered", "a node entered NotReady state") is not stating the impact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from followthrough.core.document import Document, Genre, SectionKind
from followthrough.core.reading.commitments import sentences
from followthrough.core.regex import folds_plainly, lazy

K = SectionKind

_EFFECT_SOURCE = (
    r"\b(?:affect(?:ed|ing|s)?|impact(?:ed|ing)?|unable|not\s+able|could(?:n['’]t|\s+not)|"
    r"can(?:['’]t|not)|fail(?:ed|ing|s)?\s+to|inaccessible|unavailable|unreachable|downtime|"
    r"outages?|(?:went|was|were|is|are)\s+down|down\s+for|disrupt\w*|degrad\w*|slow(?:er|ness|down)?|"
    r"errors?|fail(?:ures?|ed|ing|s)|latenc(?:y|ies)|time(?:d)?\s?outs?|timed\s+out|lost|loss|missing|stuck|broken|"
    r"interrupt\w*|blocked|bounced|no\s+longer|not\s+(?:shipped|working|launching|reachable|"
    r"available|delivered|sent|received|processed|served)|returning\s+(?:\d{3}|errors?)|"
    r"exposed|exploited|(?:were|was)\s+(?:not\s+|ever\s+|never\s+)?(?:used|accessed|downloaded|"
    r"installed)|no\s+(?:\w+\s+){0,2}(?:traffic|requests|logs|metrics|data|access)|"
    r"not\s+(?:be\s+)?(?:received|routed|shipped|exported|scheduled|started)|"
    r"(?:status\s+)?[45]\d\d(?:s|\s+(?:errors?|responses?|messages?|status(?:es)?))|"
    r"return(?:ing|ed|s)?\s+(?:status\s+)?[45]\d\d)\b"
)
#: sections whose sentences may state the impact when no impact section does
_WHERE: Final = frozenset(
    {
        K.SUMMARY,
        K.ROOT_CAUSE,
        K.TRIGGER,
        K.WHYS,
        K.CONTRIBUTING_FACTORS,
        K.DETECTION,
        K.RESOLUTION,
        K.LESSONS,
        K.OTHER,
    }
)


# what an attack did: "the malicious versions were installed", "tokens were exfiltrated"
_ATTACK_EFFECT_SOURCE = (
    r"\b(?:compromised|malicious\s+(?:versions?|releases?|packages?|code|"
    r"crates?|files?)|exfiltrat\w+|"
    r"stolen|stole|harvest\w*|install(?:ed|s)\b|downloaded)\b"
)
_EITHER_SOURCE = f"{_EFFECT_SOURCE}|{_ATTACK_EFFECT_SOURCE}"
#: (ignore-case pattern, its lower-case twin for lower-cased text): the patterns are written
#: in lower case, and the twin lets the engine skip a branch at its first letter (3x faster)
_EFFECT = (lazy(_EFFECT_SOURCE, re.IGNORECASE), lazy(_EFFECT_SOURCE))
_EITHER = (lazy(_EITHER_SOURCE, re.IGNORECASE), lazy(_EITHER_SOURCE))


def _tells(effect: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> bool:
    """``effect[0].search(text) is not None``, searched case by case where it can be."""
    low = text.lower()
    if folds_plainly(text, low):
        return effect[1].search(low) is not None
    return effect[0].search(text) is not None


_Sentences = list[tuple[int, str]]
#: id(document) -> (document, its text, what was read of it): each read once per document,
#: several rules ask (an entry holds its document, so an id is never confused with another's)
_STATED: dict[int, tuple[Document, str, _Sentences]] = {}
_TOLD: dict[int, tuple[Document, str, _Sentences]] = {}


def _once(
    memo: dict[int, tuple[Document, str, _Sentences]],
    doc: Document,
    read: Callable[[Document], _Sentences],
) -> _Sentences:
    hit = memo.get(id(doc))
    if hit is not None and hit[0] is doc and hit[1] is doc.text:
        return hit[2]
    if len(memo) > 64:
        memo.clear()
    found = read(doc)
    memo[id(doc)] = (doc, doc.text, found)
    return found


def statements(doc: Document) -> list[tuple[int, str]]:
    """:func:`_statements`, once per document (two rules ask)."""
    return _once(_STATED, doc, _statements)


def _statements(doc: Document) -> list[tuple[int, str]]:
    """(line, sentence) of the sentences outside an impact section that state an effect of
    the failure on users or services (or, in a security report, of the attack), in document
    order."""
    effect = _EFFECT if doc.genre is Genre.INCIDENT_REPORT else _EITHER
    out: list[tuple[int, str]] = []
    if doc.title and doc.title_line and _tells(effect, doc.title):
        # "All services returning 503 in Kubernetes": the title says who was hit
        out.append((doc.title_line, doc.title))
    out.extend((n, t) for n, t in sentences_told(doc) if _tells(effect, t))
    return out


def sentences_told(doc: Document) -> list[tuple[int, str]]:
    """(line, sentence) of every sentence of the sections that may tell the impact."""
    return _once(_TOLD, doc, _sentences_told)


def _sentences_told(doc: Document) -> list[tuple[int, str]]:
    masked = doc.masked[1] if doc.masked is not None and doc.masked[0] is doc.text else doc.text
    lines = masked.split("\n")
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for section in doc.sections:
        if section.kind not in _WHERE:
            continue
        first, last = section.body_line, section.end_line
        body = [
            (n, lines[n - 1])
            for n in range(first, min(last, len(lines)) + 1)
            if n not in seen and lines[n - 1].lstrip()[:1] not in ("#", "|")
        ]
        seen.update(n for n, _ in body)
        out.extend(sentences(body))
    return out
