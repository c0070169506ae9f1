"""The postmortem document as the linter and the exporters see it: plain dataclasses.

Every element remembers the 1-based line of the source it came from, so a finding can
point at the exact place. A document built from the database (not from a file) uses the
lines of its Markdown rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum


class SectionKind(StrEnum):
    """The canonical sections every postmortem layout is mapped onto."""

    TITLE = "title"
    METADATA = "metadata"
    SUMMARY = "summary"
    IMPACT = "impact"
    TIMELINE = "timeline"
    ROOT_CAUSE = "root_cause"
    TRIGGER = "trigger"
    WHYS = "whys"
    CONTRIBUTING_FACTORS = "contributing_factors"
    DETECTION = "detection"
    RESOLUTION = "resolution"
    ACTION_ITEMS = "action_items"
    LESSONS = "lessons"
    PEOPLE = "people"
    APPENDIX = "appendix"
    OTHER = "other"


class Genre(StrEnum):
    """What kind of report a document is; it decides which sections a reader expects."""

    INCIDENT_REPORT = "incident_report"  # a failure of the team's own system or operation
    SECURITY_DISCLOSURE = "security_disclosure"  # a vulnerability in, or compromise of, it
    ATTACK_ANALYSIS = "attack_analysis"  # an outside attacker or threat, and the response
    TEMPLATE = "template"  # headings with nothing written under them yet


class RootCauseCategory(StrEnum):
    """The seed's common root cause categories."""

    PROCESS = "process"
    TOOLING = "tooling"
    KNOWLEDGE = "knowledge"
    CAPACITY = "capacity"
    COMMUNICATION = "communication"


#: the level of a section without a heading of its own (a lead paragraph read as the summary,
#: a run of timestamped lines read as the timeline): deeper than any heading
UNTITLED_LEVEL = 7


@dataclass
class Section:
    """One part of the postmortem: its kind, heading and body, with their lines."""

    kind: SectionKind
    heading: str  # the heading text as written ("What went wrong?"); "" when untitled
    line: int  # line of the heading (or bold label); the first line of an untitled section
    end_line: int  # last line of the section's body
    body: str  # the body text, without the heading
    body_line: int  # line where the body starts
    level: int = 2  # heading level; a bold label counts as 6, an untitled section as 7
    #: why the reader gave it its kind, when not from the heading's words alone
    #: ("content: 12 entries that start with a time or a date", "lead paragraph")
    found_by: str = ""


@dataclass
class TimelineEvent:
    """One timeline entry.

    ``at`` needs a date (written on the entry, above it, or the incident date); ``clock`` is
    set whenever a time of day was read, with or without a date, so entries of a document
    that never states its date still compare: order by ``at`` when both entries have one
    with the same awareness (both zoned or both naive), else by ``clock``.
    """

    line: int
    text: str  # what happened, without the time
    time_text: str  # the time as written ("14:02 UTC", "2:02 PM")
    at: datetime | None = None  # resolved time where it could be; naive if no zone was given
    clock: time | None = None  # the time of day as written (24h, naive), even without a date


@dataclass
class Why:
    """One step of a five-whys chain: the question (when written) and its answer."""

    line: int
    question: str  # "Why did the outage happen?" (may be empty when only answers are listed)
    answer: str


@dataclass
class RootCause:
    """A root cause as stated, with its category when the document gives one."""

    line: int
    text: str
    category: RootCauseCategory | None = None


@dataclass
class ContributingFactor:
    """A contributing factor as stated."""

    line: int
    text: str


@dataclass
class ActionItem:
    """One action item: the action, and its owner, due date, done condition, kind and
    tracker as written, and whether the document says it is done."""

    line: int
    text: str  # the action itself, without owner/due annotations
    owner: str | None = None  # as written: "@alice", "Alice Smith", "alice@example.com", "SRE team"
    due: date | None = None
    due_text: str | None = None  # as written: "2026-03-04", "Mar 4", "ASAP", "next sprint"
    done_when: str | None = None  # the verifiable done-condition, when given
    kind: str | None = None  # "prevent", "mitigate", "detect", "process" ... when given
    tracker: str | None = None  # "JIRA-123", a URL ...
    done: bool = False  # the document says the work is finished
    done_reason: str | None = None  # why it reads as done: "ticked box", "status 'Closed'" ...

    @property
    def state(self) -> str:
        return "done" if self.done else "open"


@dataclass
class Document:
    """One postmortem. ``text`` and ``lines`` are the source; the rest is what was understood."""

    path: str
    text: str
    title: str | None = None
    title_line: int | None = None
    incident_date: date | None = None
    severity: str | None = None  # "P0".."P3" / "SEV1" as written in metadata, if any
    failure_mode: str | None = None
    genre: Genre = Genre.INCIDENT_REPORT
    sections: list[Section] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    whys: list[Why] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    factors: list[ContributingFactor] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    # line -> rule codes disabled there by <!-- followthrough: disable=CODE -->; line 0 = whole file
    suppressions: dict[int, set[str]] = field(default_factory=dict)
    #: (text, the text with front matter, code, comments and block quotes blanked) from the
    #: parse that read ``text``; the rules' view starts from it instead of scanning again
    masked: tuple[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> list[str]:
        """The lines of ``text``, split at "\\n" as the parser and the rules number them."""
        lines = self.text.split("\n")
        if lines[-1] == "":
            lines.pop()
        return [line.removesuffix("\r") for line in lines]

    def section(self, kind: SectionKind) -> Section | None:
        """The first section of this kind, if the document has one."""
        return next((s for s in self.sections if s.kind == kind), None)

    def sections_of(self, kind: SectionKind) -> list[Section]:
        return [s for s in self.sections if s.kind == kind]

    def section_at(self, line: int) -> Section | None:
        """The section whose heading or body holds this line: the innermost one that names
        a part of the postmortem (an unrecognised sub-heading belongs to the section above
        it; an untitled run inside another section is its own)."""
        found: Section | None = None
        for s in self.sections:
            if s.line <= line <= s.end_line and (found is None or s.kind is not SectionKind.OTHER):
                found = s
        return found
