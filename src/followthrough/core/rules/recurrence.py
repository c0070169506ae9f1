"""What a postmortem says about earlier incidents: its own back-references.

A reader sees a repeat incident first where the authors say so: "the second occurrence",
"we had seen this issue before", "the same problem as PM2021-005", "see the previous
postmortem", a link to an earlier postmortem. Two kinds are read here:

- **recurrence words**: the document says this incident happened before, without saying
  which one ("second occurrence", "happened again", "same issue as last month"). Naming an
  earlier incident is not saying this one repeats it ("a previous incident broke
  publishing"): "previous incident" counts only with a word of sameness ("similar to the
  previous incident"). Read in
  the title and the prose, never in the timeline (where "second occurrence" counts events
  of this incident) nor in footnotes, code or quotes. "Again" alone means "working again"
  as often as "failed again", so it counts only in a title.
- **references**: a link whose target is another postmortem's file, a link whose text is
  another postmortem's title, or another postmortem's identifier written out ("PM2021-005",
  "INC-2291"): the leading letters-and-digits of its file name.

Which earlier postmortem recurrence words point at is left to the caller (the one most alike).

Both are read without running a pattern over every character of a folder: recurrence words
only around a few key words found with ``str.find``, identifiers only where a folder's own
identifier prefix ("pm", "inc") starts a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from followthrough.core.document import Document, SectionKind
from followthrough.core.regex import lazy

_EVENT = r"(?:occurr?[ae]n[cs]es?|incidents?|outages?|instances?|episodes?)"
_TROUBLE = r"(?:issues?|problems?|failures?|incidents?|outages?|errors?|bugs?|faults?)"
_WRITE_UP = r"(?:postmortems?|post-mortems?|incident\s+reports?)"
#: The phrases that say this incident happened before, each under the key word it starts
#: with (lower-case): a text is searched with ``str.find`` for the key words, and a phrase
#: is tried only where its key word starts a word, never at every character.
RECURRENCE: dict[str, re.Pattern[str]] = {
    key: lazy(pattern)
    for key, pattern in (
        ("second", rf"second\s+(?:[\w-]+\s+){{0,2}}?{_EVENT}\b"),
        ("third", rf"third\s+(?:[\w-]+\s+){{0,2}}?{_EVENT}\b"),
        ("fourth", rf"fourth\s+(?:[\w-]+\s+){{0,2}}?{_EVENT}\b"),
        ("another", rf"another\s+(?:[\w-]+\s+){{0,2}}?{_EVENT}\b"),
        ("repe", rf"(?:repeated\s+{_EVENT}|(?:repeat|repetition)\s+of)\b"),
        ("happened", r"happened\s+(?:again|before)\b"),
        ("occur", r"occurr?ed\s+(?:again|before)\b"),
        ("recurr", r"recurr(?:ed\b|ence\s+of\b)"),
        ("seen", rf"seen\s+(?:this|it|that|the\s+same|a\s+similar)(?:\s+{_TROUBLE})?\s+before\b"),
        ("experienced", rf"experienced\s+(?:this|the\s+same|a\s+similar)\s+{_TROUBLE}\s+before\b"),
        ("same", rf"same\s+(?:{_TROUBLE}|root\s+cause|failure\s+mode)\s+(?:as|that|which)\b"),
        ("once again", r"once\s+again\b"),
        ("identical", rf"identical\s+(?:[\w-]+\s+){{0,2}}?{_EVENT}\b"),
        (
            "similar to",
            rf"similar\s+to\s+(?:the|an?|other|previous|earlier)\s+(?:[\w-]+\s+){{0,2}}?"
            rf"(?:{_EVENT}|postmortems?)\b",
        ),
    )
}
_REOCCURRED = lazy(r"occurr?ed\b")
#: key words that say it only after one of these ("almost identical incident")
_QUALIFIED = {"identical": ("almost ", "nearly ")}
#: in a title, "again" and "once more" say it too ("Checkout pool exhausted again")
TITLE_RECURRENCE = lazy(r"\b(?:again|once\s+more|recurr\w*|repeat\w*)\b", re.IGNORECASE)
#: sections where the authors say what this incident was, why, and what they learnt: not
#: the timeline (which counts events of this incident), the impact, the detection, the
#: action items, the five whys (each answers about this incident), nor a section a reader
#: cannot place
_SAID_IN = frozenset(
    {
        SectionKind.SUMMARY,
        SectionKind.ROOT_CAUSE,
        SectionKind.TRIGGER,
        SectionKind.CONTRIBUTING_FACTORS,
        SectionKind.LESSONS,
    }
)
#: an identifier at the start of a file name: letters, then digits ("PM2021-005", "INC-2291")
_IDENTIFIER = lazy(r"[a-z]{2,}[-_]?\d{2,}(?:[-_]\d+)*")
_LINK = lazy(r"\[([^\]\n]{1,200})\]\(\s*<?([^)\s>]{1,500})>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = lazy(r"^\s*(?:```|~~~)", re.MULTILINE)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def stem_of(path: str) -> str:
    """A file's name without folders and extension, lower-case: what a link names."""
    name = unquote(path).replace("\\", "/").rsplit("/", 1)[-1].lower()
    for ext in (".markdown", ".md", ".html", ".htm", ".txt"):
        if name.endswith(ext):
            return name[: -len(ext)].strip()
    return name.strip()


def names_of(path: str, title: str | None) -> list[str]:
    """The names another postmortem may call the one at ``path`` by: its file name, the
    identifier its file name starts with, and its ``title`` of three words or more
    (lower-case)."""
    stem = stem_of(path)
    out = [stem] if stem else []
    match = _IDENTIFIER.match(stem)
    if match and match[0] != stem:
        out.append(match[0])
    if title and len(title.split()) >= 3:
        out.append(" ".join(title.lower().split()))
    return out


def said_text(doc: Document) -> str:
    """The lower-case text a back-reference is read in: the title and the bodies of the
    sections that say what the incident was, without fenced code, quotes or footnotes."""
    bodies = [doc.title or ""]
    bodies.extend(
        section.body for section in doc.sections if section.kind in _SAID_IN and section.body
    )
    text = "\n".join(bodies).lower()
    if "```" in text or "~~~" in text or "\n>" in text or "[^" in text:
        text = _prose_only(text)
    return text


def _prose_only(body: str) -> str:
    kept = []
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and not line.lstrip().startswith((">", "[^")):
            kept.append(line)
    return "\n".join(kept)


def recurrence_words(doc: Document, text: str | None = None) -> str:
    """The words with which ``doc`` says its incident happened before ("second occurrence",
    "seen this issue before"), as written; "" when it does not. ``text`` is its
    :func:`said_text`, when known."""
    found = TITLE_RECURRENCE.search(doc.title or "")
    if found:
        return found[0]
    if text is None:
        text = said_text(doc)
    if text:
        for key, pattern in RECURRENCE.items():
            qualifiers = _QUALIFIED.get(key, ("",))
            at = text.find(key)
            while at >= 0:
                if key == "occur" and text.endswith(("re", "re-"), max(0, at - 3), at):
                    # "reoccurred", "re-occurred"
                    match = _REOCCURRED.match(text, at)
                    if match:
                        return text[at - (3 if text[at - 1] == "-" else 2) : match.end()]
                # a phrase starts at its key word, where the key word starts a word
                elif at == 0 or text[at - 1] not in _WORD_CHARS:
                    match = pattern.match(text, at)
                    if match:
                        for word in qualifiers:
                            if text.startswith(word, at - len(word)):
                                return " ".join(f"{word}{match[0]}".split())
                at = text.find(key, at + len(key))
    return ""


class Names:
    """The names of a folder's postmortems (file names, identifiers, titles), to find which
    of them a postmortem names."""

    def __init__(self, named: Sequence[tuple[str, str | None]]) -> None:
        """``named``: each postmortem's path and title."""
        self._by_name: dict[str, list[int]] = {}
        prefixes: set[str] = set()
        for d, (path, title) in enumerate(named):
            for name in names_of(path, title):
                self._by_name.setdefault(name, []).append(d)
                match = _IDENTIFIER.fullmatch(name)
                if match:
                    prefixes.add(re.match(r"[a-z]+", name)[0])  # type: ignore[index]
        self._prefixes = tuple(sorted(prefixes))

    def named_by(self, doc: Document, d: int, text: str | None = None) -> dict[int, str]:
        """The other postmortems ``doc`` (number ``d``) names, each with the name used.
        ``text`` is its :func:`said_text`, when known."""
        return self.named_in(references(said_text(doc) if text is None else text), d)

    def named_in(self, refs: References, d: int) -> dict[int, str]:
        """The other postmortems that document ``d``, whose :func:`references` are
        ``refs``, names, each with the name used."""
        found: dict[int, str] = {}

        def take(name: str) -> None:
            for other in self._by_name.get(name, ()):
                if other != d and other not in found:
                    found[other] = name

        links, identifiers = refs
        for name in links:
            take(name)
        for prefix in self._prefixes:
            for identifier in identifiers:
                if identifier.startswith(prefix):
                    take(identifier)
        return found


#: the names a text may call other postmortems by: each link's target file name and label,
#: then each identifier that starts a word, in the order they come
References = tuple[tuple[str, ...], tuple[str, ...]]
#: an identifier where a word starts (no identifier starts inside another one)
_WORD_IDENTIFIER = lazy(r"(?<![a-z0-9])" + _IDENTIFIER.pattern)


def references(text: str) -> References:
    """What a :func:`said_text` may name another postmortem by (:meth:`Names.named_in`
    keeps those that name one): read where the document is, without the folder."""
    links: list[str] = []
    if "](" in text:
        for label, target in _LINK.findall(text):
            links += (stem_of(target.split("#", 1)[0]), " ".join(label.split()))
    return tuple(links), _identifiers(text)


#: each character of a text as one byte (``encode("ascii", "replace")``), for the scan of
#: :func:`_identifiers`: a letter, ``-`` or ``_`` as ``a``; a digit, or what may be one (a
#: character not ASCII, which "replace" writes ``?``), as ``0``; anything else a space
_ID_MARKS = bytes(
    ord("a") if c in "abcdefghijklmnopqrstuvwxyz-_" else ord("0") if c in "0123456789?" else 32
    for c in map(chr, range(256))
)
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def _identifiers(text: str) -> tuple[str, ...]:
    """``m[0] for m in _WORD_IDENTIFIER.finditer(text)``, the pattern tried only where an
    identifier's letters end before two digits: the text's characters are marked by one
    byte translation and the marks searched for a letter (or ``-``, ``_``) before two
    digits (a few dozen places) instead of the pattern being tried at every word start
    (thousands)."""
    found: list[str] = []
    end = 0  # where the last identifier found ends: none starts inside it
    marks = text.encode("ascii", "replace").translate(_ID_MARKS)
    digits = marks.find(b"a00") + 1
    while digits:
        if digits >= end and text[digits : digits + 2].isdecimal():
            at = digits - 1 if text[digits - 1] in "-_" else digits
            start = at
            while start and text[start - 1] in _LETTERS:
                start -= 1
            if at - start >= 2:  # the pattern decides the rest (what comes before, the tail)
                match = _WORD_IDENTIFIER.match(text, start)
                if match:
                    found.append(match[0])
                    end = match.end()
        digits = marks.find(b"a00", digits + 2) + 1
    return tuple(found)
