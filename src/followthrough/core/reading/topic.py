"""What a passage of prose is about, when its heading does not say.

"Details", "Background", "Overview", "Analysis", "Contents" name no part of a postmortem: a
reader learns what such a section is from its paragraphs. Three things a reader tells apart:

- the impact: what was exposed or hit, counted ("downloaded over 119k times", "total
  exposure time 2h 32m", "no evidence that any of these crates were downloaded");
- the cause: how the failure or the attack came about ("was introduced in", "which is not a
  cryptographically secure generator", "files that would attempt to send ...");
- context: facts from before the incident that explain its setting (the history of a policy,
  how a feature came to be), with neither.

The signals are counted by phrase (word lists below, data a reviewer can extend); quoted
lines (a policy cited in full) are the quoted text's words, not the author's, and are not
counted.
"""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.document import SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.regex import lazy

K = SectionKind

# What was exposed, hit or counted (downloads, installs, exposure times, evidence of use or
# its absence) and how the failure or the attack came about: counted by plain substring of
# the lower-cased text (C speed; a few more hits inside other words do not change which
# signal dominates).
_EXPOSURE_WORDS: Final = (
    "download",
    "install",
    "exposure",
    "exposed",
    "exploited",
    "no evidence",
    "affected",
    "impacted",
    "compromised",
    "victim",
)
_CAUSE_WORDS: Final = (
    "because",
    "due to",
    "caused",
    "causing",
    "led to",
    "as a result",
    "resulted in",
    "root cause",
    " cause",
    " introduced",
    "this means",
    "this meant",
    "this would mean",
    "which means",
    "which is not",
    "which was not",
    "vulnerab",
    "flaw",
    "bug",
    "malicious",
    "would attempt",
    "an attacker could",
    "failed to",
    "did not",
    "didn't",
    "didn’t",
    "not checked",
    "not validated",
    "not excluded",
    "not secure",
)
# counts of things and spans of time: "119k times", "1,935 organizations", "2h 32m"
_COUNTED = lazy(
    r"\d\s*k?\+?\s*(?:times|users|downloads|installs|packages|projects|crates|accounts|"
    r"customers|requests|tokens|organi[sz]ations|versions|releases)\b|"
    r"\d\s*(?:h|hours?)\s*\d+\s*(?:m|min|minutes?)\b",
    re.IGNORECASE,
)
#: signals of what was exposed a section under a heading that names no part needs to be
#: read as the impact (and more of them than causal signals)
MIN_EXPOSURE: Final = 2
#: the same under a heading that names something else ("What is PyPI doing to mitigate
#: malware?" over download counts and exposure times): the content must say it plainly,
#: twice as often as it explains
MIN_EXPOSURE_AGAINST_HEADING: Final = 4


def signals(blocks: list[bl.Block], quoted: frozenset[int]) -> tuple[int, int] | None:
    """(exposure, cause) phrase counts of a passage of prose, or None when it is not prose
    (a list, a table: fields, entries or items, which their own readers recognise)."""
    exposure = cause = 0
    prose = False
    for block in blocks:
        if not isinstance(block, bl.Para):
            if isinstance(block, bl.Table):
                return None
            continue
        text = " ".join(t for n, t in block.lines if n - 1 not in quoted)
        if not text.strip():
            continue
        prose = True
        low = text.lower()
        exposure += sum(low.count(word) for word in _EXPOSURE_WORDS)
        cause += sum(low.count(word) for word in _CAUSE_WORDS)
        if any(c.isdigit() for c in low):
            exposure += len(_COUNTED.findall(low))
    return (exposure, cause) if prose else None


def impact(counts: tuple[int, int], *, against_heading: bool = False) -> bool:
    """Does a passage with these (exposure, cause) counts state what was exposed or hit,
    more than it explains? ``against_heading``: its heading names something else."""
    exposure, cause = counts
    if against_heading:
        return exposure >= MIN_EXPOSURE_AGAINST_HEADING and exposure >= 2 * cause
    return exposure >= MIN_EXPOSURE and exposure > cause


def about(counts: tuple[int, int]) -> tuple[SectionKind, str]:
    """What a passage under a heading that names no part is about: the impact, the cause,
    or (neither) the context it sets."""
    exposure, cause = counts
    if impact(counts):
        return K.IMPACT, f"prose that counts what was exposed or hit ({exposure} phrases)"
    if cause:
        return K.ROOT_CAUSE, f"prose that says how it came about ({cause} causal phrases)"
    return K.APPENDIX, "prose that sets the context, neither cause nor impact"
