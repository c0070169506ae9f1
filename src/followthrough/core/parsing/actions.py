"""Action items: the action itself, and the owner / due / done-condition written around it.

Shapes understood (any mix, in any order)::

    - [ ] Add an alert on pool exhaustion (@alice, due 2026-03-04)
    - Add an alert — owner: Alice Smith, due: Mar 4, done when: the alert fires in staging
    - Owner: @bob. Add an alert [OPS-123] by 4 March 2026
    - @carol: add the index due next sprint

``due_text`` is kept as written even when it is not a date ("ASAP", "Q3", "TBD"). Relative
dates ("next sprint", "in two weeks") are never resolved (``due=None``). A date without a
year takes the year of the incident date when the document has one, else ``due=None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from followthrough.core.parsing.dates import (
    DATE_ANYWHERE,
    NAMED_PERIOD_AFTER_BY,
    find_date,
    named_period,
)
from followthrough.core.parsing.vocabulary import DONE_STATUSES, NO_OWNER
from followthrough.core.regex import lazy

# Annotation keys -> field. Matched case-insensitively, followed by ":" or "=".
FIELD_KEYS: Final[dict[str, str]] = {
    "owner": "owner",
    "owners": "owner",
    "owned by": "owner",
    "assignee": "owner",
    "assigned to": "owner",
    "assigned": "owner",
    "who": "owner",
    "dri": "owner",
    "responsible": "owner",
    "due": "due",
    "due date": "due",
    "due by": "due",
    "deadline": "due",
    "eta": "due",
    "target date": "due",
    "target": "due",
    "when": "due",
    "by": "due",
    "done when": "done_when",
    "done-when": "done_when",
    "done condition": "done_when",
    "done-condition": "done_when",
    "definition of done": "done_when",
    "verification": "done_when",
    "verify": "done_when",
    "verified by": "done_when",
    "acceptance": "done_when",
    "acceptance criteria": "done_when",
    "success criteria": "done_when",
    "status": "status",
    "state": "status",
    "type": "kind",
    "kind": "kind",
    "category": "kind",
    "priority": "priority",
    "ticket": "tracker",
    "bug": "tracker",
    "issue": "tracker",
    "tracker": "tracker",
    "tracking": "tracker",
    "jira": "tracker",
    "link": "tracker",
}

# Keys that are also everyday words ("the bug: ...", "by: ...").
WEAK_KEYS: Final[frozenset[str]] = frozenset(
    {
        "who",
        "when",
        "by",
        "target",
        "type",
        "kind",
        "category",
        "bug",
        "issue",
        "link",
        "tracking",
        "state",
        "verify",
        "assigned",
        "responsible",
    }
)

# Keys are found from their ":" or "=" backwards: the text before a colon, reversed, must
# start with a key (longest first), with a boundary (or the start) in front of the key. One
# short anchored match per colon instead of a search at every position of every line.
_KEY_BEFORE_COLON = lazy(
    r"[ \t]*(?P<stars>[*_]{0,2})(?P<key>"
    + "|".join(
        re.escape(k[::-1]).replace(r"\ ", r"[ \t]+")
        for k in sorted(FIELD_KEYS, key=len, reverse=True)
    )
    + r")(?P<lead>[*_]{0,2})(?=[\s,;(\[|—–.-]|\Z)",
    re.IGNORECASE,
)
_AFTER_COLON = lazy(r"[*_]{0,2}[ \t]*")
_KEY_WINDOW: Final = 200  # how far back from a colon a key (with its blanks) may start
_SPLIT_PARTS = lazy(r"[,;]")
_DASH_DIGIT = lazy(r"-\d")  # every tracker key ("OPS-123") has one


@dataclass(frozen=True)
class _Key:
    start: int  # where the key (with any emphasis in front of it) starts
    end: int  # after the separator and the blanks that follow it
    key: str  # normalised: lower case, single spaces


def _keys(text: str) -> list[_Key]:
    """Every ``key:`` / ``key=`` annotation in ``text``, left to right."""
    found: list[_Key] = []
    for sep in (":", "="):
        pos = text.find(sep)
        while pos >= 0:
            m = _KEY_BEFORE_COLON.match(text[max(0, pos - _KEY_WINDOW) : pos][::-1])
            if m is not None:
                after = _AFTER_COLON.match(text, pos + 1)
                end = after.end() if after is not None else pos + 1
                key = " ".join(m.group("key")[::-1].lower().split())
                found.append(_Key(pos - m.end("lead"), end, key))
            pos = text.find(sep, pos + 1)
    if len(found) < 2:
        return found
    # Left to right, and no key inside the text another key consumed (as a regex scan would).
    found.sort(key=lambda k: k.start)
    kept: list[_Key] = []
    for k in found:
        if not kept or k.start >= kept[-1].end:
            kept.append(k)
    return kept


_PAREN = lazy(r"\(([^()]{1,300})\)")
_HANDLE = lazy(r"(?<![\w.@/])@[A-Za-z0-9][\w.-]*(?<![.-])")
_EMAIL = lazy(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# The boundary is checked behind the first letter, so the pattern starts with a character
# class and the regex engine skips straight to capitals instead of trying every position.
_TRACKER_KEY = lazy(r"[A-Z](?<![\w-][A-Z])[A-Z0-9]{1,9}-\d+(?![\w-])")
_TRACKER_URL = lazy(
    r"https?://\S*(?:/browse/|/issues/|/pull/|/merge_requests/|linear\.app/|/tickets?/|atlassian\.net/)\S*"
)
_LINK = lazy(r"\[([^\]]{0,200})\]\((\S{1,500}?)\)")
_DUE_FREE = lazy(
    r"(?:^|(?<=[\s,;(\[—–-]))due(?![ \t]+to\b)(?:[ \t]+(?:by|on|before|date))?[ \t]+(?P<v>[^,;()\[\]|—–]{1,60}?)[ \t]*(?=$|[,;()\[\]|—–]|\s-\s|\.\s|\.$)",
    re.IGNORECASE,
)
_BY_DATE = lazy(
    r"(?:^|(?<=[\s,;(\[—–-]))(?:by|before|until|no later than)[ \t]+(?P<v>"
    + DATE_ANYWHERE.pattern[len(r"(?<![\w/-])") :]
    + r")",
    re.IGNORECASE,
)
_SENTENCE_END = lazy(r"\.\s+(?=[A-Z])|\s+[—–]\s+")
_TAIL_SEPARATOR = lazy(r"\s+(?:—|–|-{1,2}>?|=>|→|\|)\s+")
# A separator character after a blank: every _TAIL_SEPARATOR match holds one. A pattern that
# starts with a character class is scanned at C speed, stopping only at those characters.
_SEPARATOR_AFTER_BLANK = lazy(r"[—–=→|-](?<=\s.)")
_TRIM = " \t,;:|—–-.·"
# A trailing "— SRE team", "— Hannah Weiss", "(Mobile Platform)": capitalised words or a team.
_TEAM_WORDS = r"(?:team|squad|crew|guild|group|on-?call|rotation)"
_OWNERISH = lazy(
    r"(?:the\s+)?(?:[A-Z][\w'’.&-]*|"
    + _TEAM_WORDS
    + r")(?:\s+(?:[A-Z][\w'’.&-]*|and|&|"
    + _TEAM_WORDS
    + r")){0,3}"
)
_TEAMISH = lazy(r"\b" + _TEAM_WORDS + r"\b", re.IGNORECASE)
# Due dates as people write them when they are not dates.
_RELATIVE_DUE = lazy(
    r"(?:asap|tbd|tba|soon|later|eventually|someday|when we have time|"
    r"(?:by\s+)?(?:the\s+)?(?:end\s+of\s+)?(?:the\s+)?(?:this|next|following)\s+"
    r"(?:sprint|week|month|quarter|release|cycle|iteration)|(?:end\s+of\s+)?q[1-4](?:\s+\d{4})?)",
    re.IGNORECASE,
)
# What a month name can start with, lower-cased ("ſ" is an "s" to the regex engine).
_DATE_FIRSTS: Final = frozenset("jfmasondſ")
# What a _RELATIVE_DUE match can start with, lower-cased ("ſ" is an "s" to the regex engine).
_RELATIVE_FIRSTS: Final = frozenset("atslewbnfqſ")
_DONE_WHEN = lazy(r"(?:^|(?<=[\s.;,(]))done when\b[ \t]*(?P<v>.*)$", re.IGNORECASE | re.DOTALL)
_PLACEHOLDER_OWNER = lazy(r"<[^<>@]{1,40}>|\[[^\[\]@]{1,40}\]|\{[^{}@]{1,40}\}")
_EMPHASIS = lazy(r"(\*\*|__|~~)")
_SPACES = lazy(r"[ \t]{2,}")
_PLACEHOLDER = lazy(r"^\[fill in:[^\]]*\]$", re.IGNORECASE)


@dataclass
class Fields:
    owner: str | None = None
    due_text: str | None = None
    done_when: str | None = None
    kind: str | None = None
    tracker: str | None = None
    status: str | None = None
    priority: str | None = None

    def merge(self, other: Fields) -> None:
        """Take each of ``other``'s fields that this one lacks (spelled out: it runs for
        every part of every action item)."""
        if self.owner is None:
            self.owner = other.owner
        if self.due_text is None:
            self.due_text = other.due_text
        if self.done_when is None:
            self.done_when = other.done_when
        if self.kind is None:
            self.kind = other.kind
        if self.tracker is None:
            self.tracker = other.tracker
        if self.status is None:
            self.status = other.status
        if self.priority is None:
            self.priority = other.priority

    def empty(self) -> bool:
        return (
            self.owner is None
            and self.due_text is None
            and self.done_when is None
            and self.kind is None
            and self.tracker is None
            and self.status is None
            and self.priority is None
        )


def clean_value(value: str) -> str:
    if "**" in value or "__" in value or "~~" in value:
        value = _EMPHASIS.sub("", value)
    return value.strip(_TRIM + "`")


def _tail_separators(text: str) -> list[re.Match[str]]:
    """``_TAIL_SEPARATOR.finditer(text)``, started at the blanks before the first separator
    character that follows a blank (no match can start earlier)."""
    first = _SEPARATOR_AFTER_BLANK.search(text)
    if first is None:
        return []
    start = first.start() - 1
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return list(_TAIL_SEPARATOR.finditer(text, start))


def is_ticket_url(url: str) -> bool:
    """A link to an issue, a pull request or a ticket in a tracker."""
    return _TRACKER_URL.fullmatch(url) is not None


def owner_value(value: str) -> str | None:
    v = clean_value(value)
    if v.lower() in NO_OWNER or (v[:1] in _PLACEHOLDER_OPENS and _placeholder(v)):
        return None  # "TBD", "<owner>", "[name]": nobody yet
    if v.startswith("<") and v.endswith(">"):
        v = v[1:-1].strip()  # "<alice@example.com>"
    return v or None


#: what a placeholder owner starts with: most owners are names, asked no regex
_PLACEHOLDER_OPENS: Final = ("<", "[", "{")


def _placeholder(v: str) -> bool:
    return _PLACEHOLDER.match(v) is not None or _PLACEHOLDER_OWNER.fullmatch(v) is not None


def is_ownerish(text: str) -> bool:
    """Capitalised words or a team ("SRE team", "Hannah Weiss", "Mobile Platform")."""
    t = text.strip()
    return bool(t) and len(t) <= 60 and _OWNERISH.fullmatch(t) is not None


def is_done_status(value: str) -> bool:
    v = clean_value(value).lower()
    if not v:
        return False
    if v in DONE_STATUSES or "✅" in v or v in ("[x]",):
        return True
    first = v.split()[0].strip(".,:;!")
    return first in DONE_STATUSES and first not in ("x", "yes")


def due_date(due_text: str | None, default_year: int | None) -> date | None:
    if not due_text:
        return None
    return find_date(due_text, default_year)


def _set(fields: Fields, name: str, value: str) -> None:
    if name == "owner":
        v = owner_value(value)
        if v is not None and fields.owner is None:
            fields.owner = v
        return
    v = clean_value(value) if name != "done_when" else _EMPHASIS.sub("", value).strip(" \t,;|—–")
    if not v or (name == "due" and v in ("-", "—")):
        return
    attr = "due_text" if name == "due" else name
    if getattr(fields, attr) is None:
        setattr(fields, attr, v)


def keyed_fields(text: str) -> tuple[str, Fields]:
    """Split ``"Add X — owner: A, due: B"`` into ("Add X —", fields)."""
    fields = Fields()
    if ":" not in text and "=" not in text:
        return text, fields
    matches: list[_Key] = []
    for m in _keys(text):
        # Weak keys ("issue:", "type:") are everyday words: trusted only at the start of
        # the text or after a strong key ("owner:", "due:").
        if matches or m.start == 0 or m.key not in WEAK_KEYS:
            matches.append(m)
    if not matches:
        return text, fields
    leftovers: list[str] = []
    for k, m in enumerate(matches):
        end = matches[k + 1].start if k + 1 < len(matches) else len(text)
        name = FIELD_KEYS.get(m.key, "other")
        value = text[m.end : end]
        if name != "done_when":
            # "Owner: @bob. Add an alert": the value ends with its sentence.
            cut = _SENTENCE_END.search(value)
            if cut is not None:
                leftovers.append(value[cut.end() :])
                value = value[: cut.start()]
        _set(fields, name, value)
    return " ".join([text[: matches[0].start], *leftovers]), fields


_DUE_PREFIXES = ("due by ", "due on ", "due ", "by ", "before ", "until ")
_BY_WORDS = ("by", "before", "until", "no later")
# A name right after a separator and right before "by <date>": "— Alice Smith by ...".
_NAME_BEFORE_BY = lazy(
    r"(?:^|[,;:(\[|]|\s[—–-])\s*(?P<name>@[\w.-]+|[A-Z][a-z]+(?:\s+[A-Z][a-z'’-]+){0,2})\s*$"
)


def _loose_fields(part: str, fields: Fields, default_year: int | None) -> bool:
    """One comma-separated part of a parenthetical such as ``(@alice, due 2026-03-04)``."""
    p = clean_value(part)
    if not p:
        return False
    low = p.lower()
    for prefix in _DUE_PREFIXES if low.startswith(_DUE_PREFIXES) else ():
        if low.startswith(prefix):
            rest = p[len(prefix) :].strip()
            if low.startswith("due to "):
                break  # "due to a bug": a cause, not a deadline
            if prefix.startswith("due") or find_date(rest, 2000) is not None or named_period(rest):
                _set(fields, "due", rest)
                return True
    if p[:1].lower() in _RELATIVE_FIRSTS and _RELATIVE_DUE.fullmatch(p):
        _set(fields, "due", p)
        return True
    if len(p) <= 40 and named_period(p) and not p.isdigit():
        _set(fields, "due", p)
        return True
    # Each pattern is tried only when the part holds a character it needs.
    if "@" in p and (_HANDLE.fullmatch(p) or _EMAIL.fullmatch(p)):
        _set(fields, "owner", p)
        return True
    if ("-" in p and _TRACKER_KEY.fullmatch(p)) or (
        p.startswith("http") and _TRACKER_URL.fullmatch(p)
    ):
        _set(fields, "tracker", p)
        return True
    # The leftmost match starting at 0 is the match at 0: no need to search further. A date
    # starts with a digit or a month's first letter.
    m = DATE_ANYWHERE.match(p) if p[0].isdigit() or p[0].lower() in _DATE_FIRSTS else None
    if m is not None and len(p) - m.end() <= 1:
        _set(fields, "due", p)
        return True
    return False


def parse_annotations(text: str, default_year: int | None) -> tuple[str, Fields]:
    """The action text without its annotations, and the annotations.

    Each kind of annotation is looked for only when a character it needs is in the text
    ("(" for parentheticals, "@" for handles, ...): most action texts have few of them.
    """
    text = text[:2000]
    fields = Fields()
    # Markdown links to a tracker ("[OPS-12](https://...)") become the tracker.
    if "](" in text:
        for m in list(_LINK.finditer(text)):
            label, url = m.group(1), m.group(2)
            if _TRACKER_KEY.fullmatch(label.strip()) or _TRACKER_URL.fullmatch(url):
                if fields.tracker is None:
                    key = _TRACKER_KEY.fullmatch(label.strip())
                    fields.tracker = label.strip() if key else url
                text = text.replace(m.group(0), " ", 1)
    # Parenthesised annotations.
    if "(" in text:
        for m in list(_PAREN.finditer(text)):
            found, recognised = _parenthetical(m.group(1), default_year)
            if not recognised and not text[m.end() :].strip(_TRIM):
                # "Add a probe (Mobile Platform)": a trailing team or name is the owner.
                inner = m.group(1).strip()
                if is_ownerish(inner) and (len(inner.split()) > 1 or _TEAMISH.search(inner)):
                    found.owner, recognised = inner, True
            if recognised:
                fields.merge(found)
                text = text.replace(m.group(0), " ", 1)
    # "[OPS-123]" and bare tracker keys.
    if _DASH_DIGIT.search(text) is not None:
        for m in list(_TRACKER_KEY.finditer(text)):
            if fields.tracker is None:
                fields.tracker = m.group(0)
            start, end = m.start(), m.end()
            if text[start - 1 : start] == "[" and text[end : end + 1] == "]":
                text = text[: start - 1] + " " * (end - start + 2) + text[end + 1 :]
            elif not text[end:].strip(_TRIM + " "):
                text = text[:start] + " " * (end - start) + text[end:]
    if "http" in text:
        for m in list(_TRACKER_URL.finditer(text)):
            if fields.tracker is None:
                fields.tracker = m.group(0).rstrip(").,")
            if not text[m.end() :].strip(_TRIM):
                text = text[: m.start()]
    # "owner: x, due: y" segments.
    text, keyed = keyed_fields(text)
    fields.merge(keyed)
    # "due next sprint", "by 4 March 2026".
    if fields.due_text is None:
        m2 = _search_at((_DUE_FREE,), text, ("due",))
        if m2 is not None:
            fields.due_text = clean_value(m2.group("v"))
            text = text[: m2.start()] + text[m2.end() :]
        if fields.due_text is None:
            m3 = _search_at((_BY_DATE, NAMED_PERIOD_AFTER_BY), text, _BY_WORDS)
            if m3 is not None:
                fields.due_text = clean_value(m3.group("v"))
                head, tail = text[: m3.start()], text[m3.end() :]
                if fields.owner is None and not tail.strip(_TRIM):
                    # "..., Alice Smith by 2026-03-20": the name before the date owns it
                    name = _NAME_BEFORE_BY.search(head)
                    if name is not None:
                        fields.owner = name.group("name")
                        head = head[: name.start()]
                text = head + tail
    # "... Done when the alert fires in staging.": the done-condition, to the next separator.
    if fields.done_when is None and "done when" in text.lower():
        m4 = _search_at((_DONE_WHEN,), text, ("done when",))
        if m4 is not None:
            value = m4.group("v")
            cuts = _tail_separators(value)
            cut = cuts[0] if cuts else None
            after = value[cut.start() :] if cut is not None else ""
            value = value[: cut.start()] if cut is not None else value
            if value.strip(_TRIM):
                fields.done_when = value.strip(_TRIM.replace(".", "")).rstrip(".").strip()
                text = text[: m4.start()] + after
    # A trailing "— Alice, Mar 4" segment with at least one recognisable part.
    if "—" in text or "–" in text or "-" in text or "|" in text or "→" in text or "=>" in text:
        text = _tail_segment(text, fields, default_year)
    # Handles and e-mail addresses: the owner, removed only where they are an annotation.
    stripped = text.strip()
    if "@" in stripped:
        stripped = _handles(stripped, fields)
    return tidy(stripped), fields


def _search_at(
    patterns: tuple[re.Pattern[str], ...], text: str, words: tuple[str, ...]
) -> re.Match[str] | None:
    """The first of ``patterns`` to find a match, each one's ``pattern.search(text)`` in
    turn, for patterns that start with one of ``words`` (any case) at the start of the text
    or after a blank or one of ``,;([—–-.`` (every such pattern here says so): tried only
    where one of them occurs there, instead of at every position (found once for all)."""
    low = text.lower()
    if len(low) != len(text):  # lower() changed the length: positions would not line up
        if not any(w in low for w in words):
            return None
        for pattern in patterns:
            m = pattern.search(text)
            if m is not None:
                return m
        return None
    starts: list[int] = []
    for w in words:
        i = low.find(w)
        while i >= 0:
            if i == 0 or text[i - 1] in _WORD_LEAD or text[i - 1].isspace():
                starts.append(i)
            i = low.find(w, i + 1)
    if not starts:
        return None
    if len(words) > 1:  # one word's positions come in order already
        starts = sorted(set(starts))
    for pattern in patterns:
        for i in starts:
            m = pattern.match(text, i)
            if m is not None:
                return m
    return None


_WORD_LEAD: Final = frozenset(",;([—–-.")


def _parenthetical(inner: str, default_year: int | None) -> tuple[Fields, bool]:
    """``(@alice, due 2026-03-04)`` -> the fields, and whether anything was recognised."""
    found = Fields()
    recognised = False
    leftovers: list[str] = []
    parts = _SPLIT_PARTS.split(inner) if "," in inner or ";" in inner else (inner,)
    for part in parts:
        if ":" in part or "=" in part:  # keyed_fields finds nothing without one
            rest, keyed = keyed_fields(part.strip())
            if not keyed.empty():
                found.merge(keyed)
                recognised = True
                part = rest
        if _loose_fields(part, found, default_year):
            recognised = True
        elif part.strip():
            leftovers.append(part.strip())
    if (
        recognised
        and found.owner is None
        and len(leftovers) == 1
        and len(leftovers[0].split()) <= 4
    ):
        found.owner = owner_value(leftovers[0])
    return found, recognised


def _tail_segment(text: str, fields: Fields, default_year: int | None) -> str:
    separators = _tail_separators(text)
    if not separators:
        return text
    tail = Fields()
    parts = [p for p in _SPLIT_PARTS.split(text[separators[-1].end() :]) if p.strip(_TRIM)]
    known = [_loose_fields(p, tail, default_year) for p in parts]
    unknown_parts = [p for p, k in zip(parts, known, strict=True) if not k]
    if (
        len(unknown_parts) == 1
        and tail.owner is None
        and fields.owner is None
        and is_ownerish(clean_value(unknown_parts[0]))
    ):
        # "— SRE team", "— Mateo, next sprint": a name or a team is the owner.
        tail.owner = clean_value(unknown_parts[0])
        known = [True] * len(parts)
    if parts and any(known) and sum(not k for k in known) <= 1:
        unknown = [p for p, k in zip(parts, known, strict=True) if not k]
        if unknown and tail.owner is None and len(unknown[0].split()) <= 4:
            tail.owner = owner_value(unknown[0])
        fields.merge(tail)
        return text[: separators[-1].start()]
    return text


def _handles(stripped: str, fields: Fields) -> str:
    for pattern in (_HANDLE, _EMAIL):
        hits = list(pattern.finditer(stripped))
        if not hits:
            continue
        if fields.owner is None:
            fields.owner = (
                ", ".join(h.group(0) for h in hits) if len(hits) > 1 else hits[0].group(0)
            )
        first, last = hits[0], hits[-1]
        if first.start() == 0 and stripped[first.end() : first.end() + 1] in (
            ":",
            "-",
            "—",
            "–",
            "",
        ):
            stripped = stripped[first.end() :]
        elif not stripped[last.end() :].strip(_TRIM):
            head = stripped[: last.start()].rstrip()
            # "... — @alice @bob": drop every handle of the trailing run.
            while True:
                prev = list(pattern.finditer(head))
                if prev and not head[prev[-1].end() :].strip(_TRIM):
                    head = head[: prev[-1].start()].rstrip()
                else:
                    break
            stripped = head
    return stripped


def tidy(text: str) -> str:
    t = text.strip().strip(_TRIM.replace(".", "") + ">→").strip()
    if "  " in t or "\t" in t:  # _SPACES needs two blanks in a row
        t = _SPACES.sub(" ", t)
    if t.startswith("**") and t.endswith("**") and t.count("**") == 2:
        t = t[2:-2].strip()
    return t
