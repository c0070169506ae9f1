"""What kind of report a document is, from what it says: an incident report, a security
disclosure, an analysis of an attack, or a template nobody has filled in yet. The genre
decides which sections a reader expects (a disclosure owes no action items; a template owes
nothing but to be filled in)."""

from __future__ import annotations

import re
from typing import Final

from followthrough.core.document import Document, Genre, Section, SectionKind
from followthrough.core.regex import lazy

#: words of prose (outside headings, tables, quotations, comments and code) below which a
#: document of headings is a template
TEMPLATE_WORDS: Final = 40
TEMPLATE_HEADINGS: Final = 4
_BARE_WORDS: Final = 4
_NOT_CONTENT: Final = frozenset(
    {SectionKind.TITLE, SectionKind.METADATA, SectionKind.PEOPLE, SectionKind.APPENDIX}
)  # a section with fewer words under it than this is not filled in
_WORD = lazy(r"[A-Za-z]{3,}")
_ATTACK = lazy(
    r"\b(?:attackers?|attacks?|malware|malicious|phishing|phished|typo-?squat\w*|"
    r"supply[- ]chain|exfiltrat\w*|CVE-\d{4}-\d+|protestware|backdoor\w*|threat actors?)\b",
    re.IGNORECASE,
)
_SECURITY = lazy(
    r"\b(?:vulnerabilit(?:y|ies)|vulnerable|security (?:incident|advisory|issue|researcher|"
    r"report|disclosure|response)|compromised?|leak(?:ed|s)?|exploit(?:ed|s|able)?|"
    r"unauthori[sz]ed|impersonat\w*|credentials?|privileges?|disclos\w+)\b",
    re.IGNORECASE,
)
#: distinct security words a report needs (a cert expiry that mentions "credentials" is not one)
MIN_SECURITY_WORDS: Final = 2
_STEM: Final = 7


def read(doc: Document) -> Genre:
    masked = doc.masked[1] if doc.masked is not None else doc.text
    titled = [s for s in doc.sections if s.heading and s.kind not in _NOT_CONTENT]
    # the cheap tests first (a document with action items is no template, and its sections
    # need not be read); then bare sections: a document whose sections are written is no
    # template either, and its words need not be counted
    if (
        len(titled) >= TEMPLATE_HEADINGS
        and not doc.action_items
        and _bare(titled) * 5 >= len(titled) * 3
        and _prose_words(masked) < TEMPLATE_WORDS
    ):
        return Genre.TEMPLATE
    head = f"{doc.title or ''}\n{masked[:3000]}"
    low = head.lower()
    if not any(key in low for key in _KEYS):
        return Genre.INCIDENT_REPORT  # no word of security at all: the regexes need not run
    attack = {m.group().lower()[:_STEM] for m in _ATTACK.finditer(head)}
    security = {m.group().lower()[:_STEM] for m in _SECURITY.finditer(head)}
    if len(attack | security) < MIN_SECURITY_WORDS:
        return Genre.INCIDENT_REPORT
    return Genre.ATTACK_ANALYSIS if len(attack) >= 2 else Genre.SECURITY_DISCLOSURE


# every security word holds one of these
_KEYS: Final = (
    "attack",
    "malware",
    "malicious",
    "phish",
    "typo",
    "supply",
    "exfiltrat",
    "cve-",
    "protestware",
    "backdoor",
    "threat",
    "vulnerab",
    "secur",
    "compromis",
    "leak",
    "exploit",
    "unauthori",
    "impersonat",
    "credential",
    "privilege",
    "disclos",
)


def _bare(titled: list[Section]) -> int:
    """How many of these sections have next to nothing written under them."""
    return sum(1 for s in titled if len(s.body) < 80 and len(_WORD.findall(s.body)) < _BARE_WORDS)


def _prose_words(masked: str) -> int:
    """Words of prose: outside headings, tables, quotations, comments and code."""
    return sum(
        len(_WORD.findall(line))
        for line in masked.split("\n")
        if line.strip() and line.lstrip()[:1] not in ("#", "|")
    )
