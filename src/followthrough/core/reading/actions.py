"""Action items: from lists, lines and tables, with owner, due date, done-condition, tracker,
and whether the work is already done (and why the reader thinks so).

Recognised by their heading, or by their content wherever they stand: a checklist
(``- [ ]``), a table with an action column beside an owner, due or status column, or a list
of imperative sentences ("Add ...", "Alice to ...") that carry owners, dates or tickets.

An item is **done** when the document says so in any common way: a ticked box, a status
("Done", "Completed", "Closed"), a note ("(done)", "DONE:", "completed on 2025-05-20"), a
check mark (✓ ✔ ✅ ☑), a struck-through item, a heading that says the work was done
("Actions taken", "Completed"), or the past tense ("We have removed ...", "The action has
been disabled", "Revoked the token"). Everything else is open.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from followthrough.core.document import ActionItem, SectionKind
from followthrough.core.parsing import blocks as bl
from followthrough.core.parsing.actions import (
    Fields,
    due_date,
    is_done_status,
    is_ticket_url,
    keyed_fields,
    owner_value,
    parse_annotations,
)
from followthrough.core.parsing.text import join, strip_emphasis, unlink
from followthrough.core.parsing.vocabulary import (
    DONE_VERBS,
    IMPERATIVE_VERBS,
    NO_OWNER,
    normalize_label,
)
from followthrough.core.reading import commitments
from followthrough.core.reading.context import Reading, Region
from followthrough.core.regex import folds_plainly, lazy

_REFERENCE = lazy(r"\[([^\]]{1,100})\](?!\()")
_REFERENCE_LEAD = lazy(r"^\s*\[[^\]]{1,100}\]\s*[:\-–—]?\s*")
_STATUS_SUFFIX = lazy(r"\s*\b(DONE|TODO|WIP|OPEN|CLOSED|FIXED)\s*$")
_STATUS_WORDS: Final = ("DONE", "TODO", "WIP", "OPEN", "CLOSED", "FIXED")
_CHECK_MARKS: Final = ("✅", "✔", "✓", "☑")
_DONE_NOTE = lazy(
    r"\((?:done|completed?|shipped|merged|fixed|closed|resolved|implemented|finished)\b(?!\s+when)[^)]*\)"
    r"|\[(?:done|completed?|fixed|closed)\]"
    r"|^\W*(?:done|completed?|shipped|merged|fixed|closed|resolved|finished)\s*[:\u2013\u2014-]"
    r"|[\u2013\u2014:-]\s*(?:done|completed?|shipped|merged|fixed|closed|resolved|finished)\W*$"
    r"|\b(?:done|completed|shipped|merged|fixed|closed|resolved|implemented)\s+(?:on|in)\s+\S*\d"
    r"|\balready\s+(?:done|in\s+place|implemented|completed|fixed|deployed)\b",
    re.IGNORECASE,
)
# _DONE_NOTE's forms one by one, for lower-case text (see folds_plainly): each starts with a
# character the engine can skip to (word boundaries checked behind the first letter); the
# note is the leftmost match, the earlier form first where two start at the same place
_DONE_NOTE_FORMS_LOWER = tuple(
    lazy(form)
    for form in (
        r"\((?:done|completed?|shipped|merged|fixed|closed|resolved|implemented|finished)\b(?!\s+when)[^)]*\)",
        r"\[(?:done|completed?|fixed|closed)\]",
        r"^\W*(?:done|completed?|shipped|merged|fixed|closed|resolved|finished)\s*[:\u2013\u2014-]",
        r"[\u2013\u2014:-]\s*(?:done|completed?|shipped|merged|fixed|closed|resolved|finished)\W*$",
        r"(?:d(?<!\w.)one|c(?<!\w.)ompleted|s(?<!\w.)hipped|m(?<!\w.)erged|f(?<!\w.)ixed|"
        r"c(?<!\w.)losed|r(?<!\w.)esolved|i(?<!\w.)mplemented)\s+(?:on|in)\s+\S*\d",
        r"a(?<!\w.)lready\s+(?:done|in\s+place|implemented|completed|fixed|deployed)\b",
    )
)
_DONE_PROBES: Final = ("done", "complete", "shipped", "merged", "fixed", "closed", "resolved")
_DONE_PROBES_MORE: Final = (*_DONE_PROBES, "finished", "implemented", "already")
_DONE_HEADING = lazy(
    r"\b(?:completed?|done|finished|taken|already|resolved|closed|implemented|mitigations?)\b"
    r"|\bwhat we (?:have |ve )?(?:did|done|changed|fixed)\b|\bimmediate (?:actions|response)\b",
)
_FUTURE_HEADING = lazy(r"\b(?:future|next|planned|todo|to do|open|pending|remaining|will)\b")
# "We have removed", "We've since enabled", "We enabled", "The action has been disabled",
# "Tokens were rotated", "is now enforced": the work is described as finished.
_ASIDE = (
    r"(?:(?:now|since|already|also|recently|previously|long|just|finally)\s+"
    r"|(?:for|since|over|in)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:years?|months?|weeks?|days?|time|past|\d{4})\s+)*"
)
_PAST = lazy(
    rf"^\W*(?:we(?:'ve|\u2019ve| have| had)?\s+{_ASIDE}(?P<we>[a-z]+)\b"
    rf"|.{{0,300}}?\b(?:has|have|had)\s+{_ASIDE}been\s+(?P<pp>[a-z]+)\b"
    rf"|.{{0,300}}?\b(?:was|were)\s+{_ASIDE}(?P<was>[a-z]+ed)\b"
    r"|.{0,300}?\bis\s+now\s+(?P<now>[a-z]+))",
    re.IGNORECASE | re.DOTALL,
)
_FUTURE = lazy(
    r"\b(?:will|shall|going to|plan(?:s|ned)? to|intend|need(?:s)? to|should|hop(?:e|es|ing) to|"
    r"aim(?:s|ing)? to|would like to|working on|looking into)\b",
    re.I,
)
_OWNER_TO = lazy(r"^(?P<who>@[\w.-]+|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+to\s+(?P<verb>[a-z]+)")
_FIRST_WORD = lazy(r"[A-Za-z][a-z]*")

# Column names of an action-item table -> the field they hold.
ACTION_COLUMNS: Final[dict[str, str]] = {
    "action": "action",
    "actions": "action",
    "action item": "action",
    "action items": "action",
    "item": "action",
    "task": "action",
    "description": "action",
    "what": "action",
    "title": "action",
    "summary": "action",
    "follow up": "action",
    "remediation": "action",
    "owner": "owner",
    "owners": "owner",
    "assignee": "owner",
    "assigned to": "owner",
    "who": "owner",
    "dri": "owner",
    "responsible": "owner",
    "bug": "tracker",
    "ticket": "tracker",
    "issue": "tracker",
    "link": "tracker",
    "jira": "tracker",
    "tracker": "tracker",
    "tracking": "tracker",
    "reference": "tracker",
    "ref": "tracker",
    "due": "due",
    "due date": "due",
    "when": "due",
    "deadline": "due",
    "target date": "due",
    "target": "due",
    "eta": "due",
    "by": "due",
    "done when": "done_when",
    "done condition": "done_when",
    "definition of done": "done_when",
    "verification": "done_when",
    "acceptance": "done_when",
    "acceptance criteria": "done_when",
    "success criteria": "done_when",
    "how we know": "done_when",
    "type": "kind",
    "kind": "kind",
    "category": "kind",
    "status": "status",
    "state": "status",
    "done": "done",
    "priority": "priority",
    "pri": "priority",
}


def column_role(name: str) -> str | None:
    role = ACTION_COLUMNS.get(name)
    if role is not None:
        return role
    words = set(name.split())
    if words & {"owner", "assignee", "who"}:
        return "owner"
    if words & {"due", "deadline"}:
        return "due"
    if "done" in words and len(words) > 1:
        return "done_when"
    if words & {"ticket", "bug", "issue", "jira"}:
        return "tracker"
    if words & {"action", "task", "item"}:
        return "action"
    return None


# --------------------------------------------------------------------------- recognising


def imperative(text: str) -> bool:
    """ "Add an alert", "Alice to add an alert", "@bob: add ...": an instruction."""
    plain = strip_emphasis(text).lstrip("*_`[( ")
    m = _OWNER_TO.match(plain)
    if m is not None:
        return m.group("verb") in IMPERATIVE_VERBS
    if plain[:1] == "@" and ":" in plain[:40]:
        plain = plain[plain.index(":") + 1 :].lstrip()
    first = _FIRST_WORD.match(plain)
    return first is not None and first.group().lower() in IMPERATIVE_VERBS


def recognise(blocks: list[bl.Block], default_year: int | None) -> str | None:
    """Why these blocks read as action items, or None."""
    items: list[bl.Item] = []
    for block in blocks:
        if isinstance(block, bl.Table):
            header = [normalize_label(c) for c in block.header or []]
            roles = {column_role(c) for c in header}
            if "action" in roles and roles & {"owner", "due", "status", "done", "tracker"}:
                return "a table of actions with an owner, due or status column"
        elif isinstance(block, bl.Item) and strip_emphasis(block.text):
            items.append(block)
    if not items:
        return None
    if sum(item.checked is not None for item in items) * 2 >= len(items):
        return "a checklist"
    commands = sum(imperative(item.text) for item in items)
    if len(items) < 2 or commands * 5 < len(items) * 3:
        return None
    annotated = 0
    for item in items:
        _, fields = parse_annotations(item.text, default_year)
        annotated += fields.owner is not None or fields.due_text is not None or bool(fields.tracker)
    if annotated * 2 >= len(items):
        return f"{commands} instructions with owners, dates or tickets"
    return None


_LEAD_IN = lazy(
    r"\b(?:actions?|measures?|next steps|changes|lessons|improvements|follow[- ]?ups?|"
    r"commitments|going forward|to-?dos?|remediations?|we (?:will|are going to|plan to))\b",
    re.IGNORECASE,
)
_READER = lazy(r"\byou(?:r|rs)?\b", re.IGNORECASE)


def lead_in(para: bl.Para, quoted: frozenset[int]) -> bool:
    """A sentence of ours that introduces a list of measures: "we have taken these actions
    today:", "The lessons that we are taking away from this incident are as follows:" (not
    advice to the reader, "the following steps to protect your projects:", nor a quotation)."""
    last = para.lines[-1][1].rstrip(" *_")
    if not last.endswith(":") or para.lines[-1][0] - 1 in quoted:
        return False
    text = " ".join(t for _, t in para.lines[-3:])
    return _LEAD_IN.search(text) is not None and _READER.search(text) is None


# --------------------------------------------------------------------------- done or open


def done_reason(text: str, heading: str = "") -> str | None:
    """Why the document says this item is already done, or None when it reads as open."""
    if "~~" in text:
        plain = text.strip().lstrip("-*+ ").strip()
        if plain.startswith("~~") and plain.rstrip(" .").endswith("~~"):
            return "struck through"
    for mark in _CHECK_MARKS:
        if mark in text:
            return f"check mark {mark}"
    low = text.lower()
    if any(probe in low for probe in _DONE_PROBES_MORE):
        note = _done_note(text, low)
        if note is not None:
            return f"marked done ({note.strip()!r})"
    past = past_tense(text)
    if past is not None:
        return f"written as done ({past!r})"
    if heading and _done_heading(heading):
        return f"under the heading {heading.strip()!r}"
    return None


@lru_cache(maxsize=256)
def _done_heading(heading: str) -> bool:
    """Does the heading say its items were done ("Actions taken", not "Next steps")? Asked
    for every item under it: the few headings of a folder are read once each."""
    label = normalize_label(heading)
    return _DONE_HEADING.search(label) is not None and _FUTURE_HEADING.search(label) is None


def _done_note(text: str, low: str) -> str | None:
    """What ``_DONE_NOTE.search(text)`` finds, given ``low = text.lower()``."""
    if not folds_plainly(text, low):
        note = _DONE_NOTE.search(text)
        return note.group() if note is not None else None
    first: re.Match[str] | None = None
    for form in _DONE_NOTE_FORMS_LOWER:
        m = form.search(low)
        if m is not None and (first is None or m.start() < first.start()):
            first = m
    return text[first.start() : first.end()] if first is not None else None


def past_tense(text: str) -> str | None:
    """The words that describe the work as finished ("has been disabled", "We removed",
    "Revoked the token"), or None."""
    low = text.lower()
    if not (
        " we" in f" {low[:12]}"
        or " been " in low
        or " was " in low
        or " were " in low
        or " is now " in low
        or low.lstrip("*_`[( ").split(" ", 1)[0] in DONE_VERBS
        or not DONE_VERBS.isdisjoint(low.split(None, 4)[1:4])
    ):
        return None  # none of the shapes below can match
    plain = unlink(strip_emphasis(text)).replace("[", "").replace("]", "").lstrip("*_`( ")
    if _FUTURE.search(plain[:160]) is not None:
        return None
    first = _FIRST_WORD.match(plain)
    if first is not None and first.group().lower() in DONE_VERBS:
        return first.group()
    m = _PAST.match(plain)
    if m is None:
        return _headline(plain)
    word = next(w for w in m.group("we", "pp", "was", "now") if w is not None).lower()
    if word in _PLANS or (word not in DONE_VERBS and not _participle(word)):
        return None
    if _TICKET_FILED.search(plain) is not None:
        return None  # "We have added a backlog task to ...": the work itself is still to do
    return m.group().strip()[-60:]


# a headline that reports the work done: "Script updated to handle pagination", "Deploy
# alerts routed to on-call" (a subject of up to three words, then the past participle)
_HEADLINE = lazy(
    r"^(?:the\s+|our\s+)?(?P<subject>[A-Za-z][\w./-]*(?:\s+[A-Za-z][\w./-]*){0,2}?)\s+"
    r"(?P<done>[a-z]+)(?=\s+(?:to|and|with|for|in|on|so|across|from|by|at|as|into)\b|\s*[.,;]|\s*$)"
)
_NOT_SUBJECTS: Final = frozenset(
    {"if", "when", "once", "after", "before", "until", "unless", "while", "we", "i", "they"}
)


def _headline(plain: str) -> str | None:
    """The words of a headline that reports the work done ("Script updated"), or None."""
    m = _HEADLINE.match(plain)
    if m is None or m.group("done") not in DONE_VERBS or imperative(plain):
        return None
    if m.group("subject").split()[0].lower() in _NOT_SUBJECTS:
        return None
    return m.group(0)


def _participle(word: str) -> bool:
    """A past form ("disabled", "tweaked"), not a word that only ends like one."""
    return word.endswith("ed") and word not in _NOT_PARTICIPLES


_NOT_PARTICIPLES: Final = frozenset({"need", "red", "bed", "shed", "seed", "feed", "speed"})
# Past forms that report a plan or a wish, not finished work ("has been scheduled", "We
# wanted to", "We decided to").
_PLANS: Final = frozenset(
    [
        "scheduled",
        "planned",
        "proposed",
        "suggested",
        "considered",
        "discussed",
        "prioritised",
        "prioritized",
        "needed",
        "wanted",
        "intended",
        "hoped",
        "tried",
        "decided",
        "agreed",
        "started",
        "began",
        "expected",
    ]
)
# Filing a ticket is not doing the work: "(issue created)", "An issue has been created",
# "We have added a backlog task to ...", "We've created tracking issues".
_TICKET_FILED = lazy(
    r"\b(?:issues?|tickets?|tasks?|backlog|stor(?:y|ies)|epics?|bugs?|jira)\b[^.;]{0,40}?"
    r"\b(?:created|added|filed|opened|raised|logged|made)\b"
    r"|\b(?:created|added|filed|opened|raised|logged)\b[^.;]{0,40}?"
    r"\b(?:issues?|tickets?|tasks?|backlog|stor(?:y|ies)|epics?|jira)\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- reading


def read(reading: Reading, region: Region) -> None:
    last: ActionItem | None = None
    for block in reading.blocks(region):
        if isinstance(block, bl.Item):
            last = _list(reading, region, block, "") or last
        elif isinstance(block, bl.Para):
            if _prose(block):
                _sentences(reading, region, block)
                last = None
                continue
            for number, line in block.lines:
                plain = line.strip()
                _, keyed = keyed_fields(strip_emphasis(plain))
                if last is not None and not keyed.empty() and _starts_with_key(plain):
                    _apply(last, keyed, reading.default_year)
                    continue
                text, fields = parse_annotations(plain, reading.default_year)
                if fields.owner is None and fields.due_text is None:
                    continue
                last = _new(reading, region, number, text, plain, fields, None, "")
        else:
            _table(reading, region, block)
            last = None


_NEXT_SENTENCE = lazy(r"[.!?]\s+[A-Z]")


def _prose(para: bl.Para) -> bool:
    """A paragraph of sentences rather than item lines ("Alice: add the alert by Friday",
    "Owner: Bob")."""
    lines = [strip_emphasis(t) for _, t in para.lines if t.strip()]
    one_sentence = len(lines) == 1 and _NEXT_SENTENCE.search(lines[0]) is None
    if one_sentence and (len(lines[0].split()) <= 25 or imperative(lines[0])):
        return False
    return not all(imperative(t) or _starts_with_key(t) for t in lines)


def _sentences(
    reading: Reading, region: Region, para: bl.Para, *, done_too: bool = True, states: bool = False
) -> None:
    """One item per sentence that commits to, or reports, a distinct measure; a ticket linked
    in the sentence after it ("This issue tracks that effort") is its ticket."""
    measures = commitments.measures(para.lines, done_too=done_too, states=states)
    if measures and "http" in " ".join(t for _, t in para.lines):
        for line, sentence in commitments.sentences(para.lines):
            _, fields = parse_annotations(sentence, reading.default_year)
            if fields.tracker is None:
                continue
            before = [m for m in measures if m.line <= line]
            if before and not before[-1].tracker:
                before[-1].tracker = fields.tracker
    for measure in measures:
        text, fields = parse_annotations(measure.text, reading.default_year)
        if fields.owner is None and measure.text.startswith("I "):
            fields.owner = "I (the author)"  # a signed post's "I" is one person; "we" is not
        if fields.tracker is None and measure.tracker:
            fields.tracker = measure.tracker
        item = _new(reading, region, measure.line, text, measure.text, fields, None, "")
        if measure.done and not item.done:
            item.done, item.done_reason = True, "written as done"
        elif not measure.done:
            item.done, item.done_reason = False, None  # a promise, whatever it says in passing
        reading.prose_actions.append(item)


def in_prose(reading: Reading, regions: list[Region], *, promises_only: bool = False) -> None:
    """A document with no action items anywhere: the commitments and lasting measures told
    in its prose (a summary, a response, lessons) are its action items. ``promises_only``:
    only what the writers commit to, not what they report done."""
    read: set[int] = set()  # a lead summary lies inside the title's region: read it once
    for region in regions:
        # a timeline told in prose holds the response's story: only promises are items there
        promises_only = promises_only or region.kind is SectionKind.TIMELINE
        quoted = reading.scan.quoted
        for block in reading.blocks(region):
            if (
                isinstance(block, bl.Para)
                and _prose(block)
                # a quotation (a policy cited in full) is someone else's words, not a promise
                and not all(n - 1 in quoted for n, _ in block.lines)
                and block.lines[0][0] not in read
            ):
                read.add(block.lines[0][0])
                _sentences(reading, region, block, done_too=not promises_only)


# "a few changes have been made to mitigate future risk", "to prevent this from happening
# again": what follows in the response are the lasting measures, not the story of the fix
_AGAINST_RECURRENCE = lazy(
    r"\b(?:(?:mitigate|prevent|reduce|avoid)\s+(?:the\s+)?(?:future|further)\b|"
    r"future\s+risk|(?:happening|occurring)\s+again|recurr(?:ence|ing))",
    re.IGNORECASE,
)


def after_recurrence_lead(reading: Reading, regions: list[Region]) -> None:
    """In a response that announces its lasting changes ("a few changes have been made to
    mitigate future risk of this kind of leak"), the measures told after that lead-in, done
    or promised, are action items; the steps before it are the story of the fix."""
    quoted = reading.scan.quoted
    for region in regions:
        led = False
        for block in reading.blocks(region):
            if not isinstance(block, bl.Para) or all(n - 1 in quoted for n, _ in block.lines):
                continue
            if led:
                if _prose(block):
                    _sentences(reading, region, block, done_too=True, states=True)
            elif _AGAINST_RECURRENCE.search(" ".join(t for _, t in block.lines)) is not None:
                led = True


def settle(reading: Reading) -> None:
    """Drop an item read from prose that repeats another item of the document (the prose
    "the release process will be updated to include a beta phase" beside the listed
    "Release process should include explicit beta test period")."""
    if not reading.prose_actions:
        return
    prose = {id(item) for item in reading.prose_actions}
    items = reading.doc.action_items
    listed = [_stems(item.text) for item in items if id(item) not in prose]
    kept: list[ActionItem] = []
    for item in items:
        if id(item) in prose:
            words = _stems(item.text)
            if any(len(words & other) * 2 >= min(len(words), len(other)) >= 2 for other in listed):
                continue
        kept.append(item)
    items[:] = kept


_WORD = lazy(r"[a-z][a-z0-9-]{3,}")
_COMMON: Final = frozenset(
    [
        "will",
        "would",
        "should",
        "shall",
        "also",
        "with",
        "that",
        "this",
        "these",
        "those",
        "from",
        "into",
        "have",
        "been",
        "more",
        "than",
        "what",
        "when",
        "which",
        "their",
        "there",
        "where",
        "about",
        "other",
        "some",
        "such",
        "them",
        "they",
        "were",
    ]
)


def _stems(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def _list(reading: Reading, region: Region, top: bl.Item, group_heading: str) -> ActionItem | None:
    last: ActionItem | None = None
    label = top.text.rstrip("*_ ")
    # "Improve coverage of probes" over "Reach out to teams ...", "Create a dashboard ...":
    # an entry whose sub-entries are themselves actions heads a group; sub-entries that are
    # notes or links belong to the item above them
    group = (
        bool(top.children)
        and top.checked is None
        and (label.endswith(":") or all(imperative(child.text) for child in top.children))
    )
    if not group:
        last = _from_item(reading, region, top, group_heading)
    for child in top.children:
        if group or child.checked is not None:
            last = (
                _list(reading, region, child, label.rstrip(":") if group else group_heading) or last
            )
        elif last is not None:
            _annotate(reading, last, child.text)
            for _, extra in child.cont:
                _annotate(reading, last, extra)
    return last


def _from_item(
    reading: Reading, region: Region, item: bl.Item, group_heading: str
) -> ActionItem | None:
    if not strip_emphasis(item.text) and not item.cont:
        return None  # an empty bullet or checkbox: nothing to do
    text, fields = parse_annotations(item.text, reading.default_year)
    raw = join(item.text, item.cont)
    action = _new(reading, region, item.line, text, raw, fields, item.checked, group_heading)
    for _, extra in item.cont:
        _annotate(reading, action, extra)
        if not action.done:
            reason = done_reason(extra)
            if reason is not None and not reason.startswith("written as done"):
                action.done, action.done_reason = True, reason
    return action


def _annotate(reading: Reading, action: ActionItem, text: str) -> None:
    plain = strip_emphasis(text).strip()
    rest, keyed = keyed_fields(plain)
    if keyed.empty():
        rest, keyed = parse_annotations(plain, reading.default_year)
        if keyed.empty():
            return
    _apply(action, keyed, reading.default_year)


def _apply(action: ActionItem, fields: Fields, default_year: int | None) -> None:
    if fields.owner is not None and action.owner is None:
        action.owner = fields.owner
    if fields.due_text is not None and action.due_text is None:
        action.due_text = fields.due_text
        action.due = due_date(fields.due_text, default_year)
    if fields.done_when is not None and action.done_when is None:
        action.done_when = fields.done_when
    if fields.kind is not None and action.kind is None:
        action.kind = fields.kind.lower()
    if fields.tracker is not None and action.tracker is None:
        action.tracker = fields.tracker
    if fields.status is not None and not action.done and is_done_status(fields.status):
        action.done, action.done_reason = True, f"status {strip_emphasis(fields.status)!r}"


def _starts_with_key(text: str) -> bool:
    rest, _ = keyed_fields(strip_emphasis(text))
    return not rest.strip()


def _new(
    reading: Reading,
    region: Region,
    number: int,
    text: str,
    raw: str,
    fields: Fields,
    checked: bool | None,
    group_heading: str,
) -> ActionItem:
    if fields.tracker is None and "[" in raw and reading.definitions():
        # "[#2226]: Add logging" with "[#2226]: https://github.com/.../issues/2226" below
        for label in _REFERENCE.findall(raw):
            url = reading.definitions().get(label.strip().lower())
            if url is not None and is_ticket_url(url):
                fields.tracker = url
                text = _REFERENCE_LEAD.sub("", text, count=1)
                break
    if fields.owner is None:
        # "Alice to rotate the partner keys": the person named before "to" owns it
        named = _OWNER_TO.match(strip_emphasis(text))
        if named is not None and named.group("who").split()[0].lower() not in IMPERATIVE_VERBS:
            fields.owner = named.group("who")
    action = ActionItem(line=number, text=strip_emphasis(text))
    _apply(action, fields, reading.default_year)
    if checked:
        action.done, action.done_reason = True, "ticked box"
    elif not action.done and checked is None:
        reason = done_reason(raw, group_heading or region.heading)
        if reason is not None:
            action.done, action.done_reason = True, reason
    if not action.done and action.due_text and is_done_status(action.due_text):
        action.done, action.done_reason = True, f"due column says {action.due_text!r}"
    reading.doc.action_items.append(action)
    return action


def _table(reading: Reading, region: Region, table: bl.Table) -> None:
    header = [normalize_label(c) for c in table.header] if table.header else []
    rows = table.rows
    if not header and rows:
        # A table whose separator row is missing: a first row of column names is its header.
        guess = [normalize_label(c) for c in rows[0][1]]
        if sum(1 for c in guess if c in ACTION_COLUMNS) * 2 >= len([c for c in guess if c]) > 0:
            header = guess
            rows = rows[1:]
    roles: dict[str, int] = {}
    for k, name in enumerate(header):
        role = column_role(name)
        if role is not None and role not in roles:
            roles[role] = k
    if "action" not in roles:
        used = set(roles.values())
        roles["action"] = next((k for k in range(max(len(header), 1)) if k not in used), 0)
    for number, raw_cells in rows:
        if not any(raw_cells):
            continue
        # The SRE book writes the status into the bug cell: "Bug 5554823 **TODO**".
        cells: list[str] = []
        marked: str | None = None
        for raw in raw_cells:
            plain = strip_emphasis(raw)
            # _STATUS_SUFFIX is tried at every position: first ask the cell's end
            m = _STATUS_SUFFIX.search(plain) if plain.rstrip().endswith(_STATUS_WORDS) else None
            if m is not None and m.start() > 0:
                if m.group(1) in ("DONE", "CLOSED", "FIXED") and marked is None:
                    marked = m.group(1)
                plain = plain[: m.start()].strip()
            cells.append(plain)

        def cell(role: str, cells: list[str] = cells) -> str:
            k = roles.get(role)
            return cells[k] if k is not None and k < len(cells) else ""

        raw_text = cell("action")
        text, fields = parse_annotations(raw_text, reading.default_year)
        # An explicit column wins over an annotation inside the action text.
        if cell("owner"):
            fields.owner = owner_value(cell("owner"))
        due_cell = strip_emphasis(cell("due"))
        if due_cell:
            fields.due_text = due_cell if due_cell not in ("-", "—") else None
        for role in ("done_when", "kind", "tracker", "status", "priority"):
            value = strip_emphasis(cell(role))
            if value and value not in ("-", "—"):
                setattr(fields, role, value)
        if fields.tracker is not None and fields.tracker.lower() in NO_OWNER:
            fields.tracker = None
        done_cell = cell("done")
        action = _new(reading, region, number, text, raw_text, fields, None, "")
        if action.done:
            continue
        if marked is not None:
            action.done, action.done_reason = True, f"marked {marked}"
        elif done_cell and is_done_status(done_cell):
            action.done, action.done_reason = True, f"done column says {done_cell!r}"
