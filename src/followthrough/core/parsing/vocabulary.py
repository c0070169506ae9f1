"""The words postmortems use, as data a reviewer can read and extend.

Headings are compared after :func:`normalize_label`: lower case, Markdown emphasis, emoji
and punctuation removed, a leading number ("3.", "III.", "Step 2:") dropped, "(s)" folded
into "s" and "&" read as "and". A heading is looked up in :data:`SECTION_HEADINGS` first
(exact phrase), then matched against :data:`SECTION_KEYWORDS` in order (first hit wins).
Bold labels ("**Impact:**") only use the exact table: a bold phrase in running text must
not turn into a section by accident.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from followthrough.core.document import RootCauseCategory, SectionKind
from followthrough.core.regex import lazy

K = SectionKind

# Exact headings (after normalisation) -> section.
SECTION_HEADINGS: Final[dict[str, SectionKind]] = {
    # title / metadata
    "title": K.TITLE,
    "title of the incident": K.TITLE,
    "incident title": K.TITLE,
    "metadata": K.METADATA,
    "incident metadata": K.METADATA,
    "details": K.METADATA,
    "incident details": K.METADATA,
    "incident information": K.METADATA,
    "incident info": K.METADATA,
    "incident timing": K.METADATA,
    "stats": K.METADATA,
    "statistics": K.METADATA,
    "key facts": K.METADATA,
    "at a glance": K.METADATA,
    # summary
    "summary": K.SUMMARY,
    "issue summary": K.SUMMARY,
    "incident summary": K.SUMMARY,
    "executive summary": K.SUMMARY,
    "background": K.SUMMARY,
    "overview": K.SUMMARY,
    "outage description": K.SUMMARY,
    "incident description": K.SUMMARY,
    "issue description": K.SUMMARY,
    "problem description": K.SUMMARY,
    "description": K.SUMMARY,
    "what happened": K.SUMMARY,
    "tl dr": K.SUMMARY,
    "tldr": K.SUMMARY,
    "tl dr summary": K.SUMMARY,
    "in short": K.SUMMARY,
    "in brief": K.SUMMARY,
    # impact
    "impact": K.IMPACT,
    "summary of impact": K.IMPACT,
    "customer impact": K.IMPACT,
    "end user impact": K.IMPACT,
    "user impact": K.IMPACT,
    "business impact": K.IMPACT,
    "infrastructure impact": K.IMPACT,
    "productivity impact": K.IMPACT,
    "affected users": K.IMPACT,
    "impact assessment": K.IMPACT,
    "blast radius": K.IMPACT,
    "who was affected": K.IMPACT,
    "what was impacted": K.IMPACT,
    "what was affected": K.IMPACT,
    "who was impacted": K.IMPACT,
    # timeline
    "timeline": K.TIMELINE,
    "incident timeline": K.TIMELINE,
    "detailed timeline": K.TIMELINE,
    "chronology": K.TIMELINE,
    "chain of events": K.TIMELINE,
    "sequence of events": K.TIMELINE,
    "timeline of events": K.TIMELINE,
    "event log": K.TIMELINE,
    "timeline of the incident": K.TIMELINE,
    "what happened when": K.TIMELINE,
    # root cause
    "root cause": K.ROOT_CAUSE,
    "root causes": K.ROOT_CAUSE,
    "root cause analysis": K.ROOT_CAUSE,
    "rca": K.ROOT_CAUSE,
    "root cause and mitigation": K.ROOT_CAUSE,
    "root cause statement": K.ROOT_CAUSE,
    "what caused the incident": K.ROOT_CAUSE,
    "what caused the outage": K.ROOT_CAUSE,
    "why did it happen": K.ROOT_CAUSE,
    "why did this happen": K.ROOT_CAUSE,
    "cause": K.ROOT_CAUSE,
    "causes": K.ROOT_CAUSE,
    "causal analysis": K.ROOT_CAUSE,
    "analysis": K.ROOT_CAUSE,
    "incident analysis": K.ROOT_CAUSE,
    "why it happened": K.ROOT_CAUSE,
    "why this happened": K.ROOT_CAUSE,
    "why it broke": K.ROOT_CAUSE,
    "how did this happen": K.ROOT_CAUSE,
    "how did it happen": K.ROOT_CAUSE,
    "how this happened": K.ROOT_CAUSE,
    "how it happened": K.ROOT_CAUSE,
    "fault": K.ROOT_CAUSE,
    "identified cause": K.ROOT_CAUSE,
    "investigation": K.ROOT_CAUSE,
    # trigger
    "trigger": K.TRIGGER,
    "triggers": K.TRIGGER,
    "triggering event": K.TRIGGER,
    "proximate cause": K.TRIGGER,
    "leadup": K.TRIGGER,
    "lead up": K.TRIGGER,
    # whys
    "five whys": K.WHYS,
    "5 whys": K.WHYS,
    "the five whys": K.WHYS,
    "the 5 whys": K.WHYS,
    "whys": K.WHYS,
    "5 whys analysis": K.WHYS,
    "five whys analysis": K.WHYS,
    "why": K.WHYS,
    # contributing factors
    "contributing factors": K.CONTRIBUTING_FACTORS,
    "contributing factor": K.CONTRIBUTING_FACTORS,
    "contributing conditions": K.CONTRIBUTING_FACTORS,
    "contributing conditions analysis": K.CONTRIBUTING_FACTORS,
    "process breakdowns": K.CONTRIBUTING_FACTORS,
    "process breakdown": K.CONTRIBUTING_FACTORS,
    "what made it worse": K.CONTRIBUTING_FACTORS,
    "recurrence": K.CONTRIBUTING_FACTORS,
    # detection
    "detection": K.DETECTION,
    "how was it detected": K.DETECTION,
    "how we found out": K.DETECTION,
    "how we found it": K.DETECTION,
    "how we noticed": K.DETECTION,
    "how it was detected": K.DETECTION,
    "detection and response": K.DETECTION,
    "monitoring and detection": K.DETECTION,
    # resolution
    "resolution": K.RESOLUTION,
    "resolution and recovery": K.RESOLUTION,
    "mitigation and resolution": K.RESOLUTION,
    "mitigation": K.RESOLUTION,
    "recovery": K.RESOLUTION,
    "response": K.RESOLUTION,
    "response and recovery": K.RESOLUTION,
    "how was it fixed": K.RESOLUTION,
    "how it was fixed": K.RESOLUTION,
    "how we fixed it": K.RESOLUTION,
    "fix": K.RESOLUTION,
    "action taken": K.RESOLUTION,
    "actions taken": K.RESOLUTION,
    "immediate actions": K.RESOLUTION,
    # action items
    "action items": K.ACTION_ITEMS,
    "action item": K.ACTION_ITEMS,
    "actions": K.ACTION_ITEMS,
    "action items and followups": K.ACTION_ITEMS,
    "action items and follow ups": K.ACTION_ITEMS,
    "corrective and preventative measures": K.ACTION_ITEMS,
    "corrective and preventive measures": K.ACTION_ITEMS,
    "corrective actions": K.ACTION_ITEMS,
    "preventive actions": K.ACTION_ITEMS,
    "preventative actions": K.ACTION_ITEMS,
    "next steps": K.ACTION_ITEMS,
    "recommendations": K.ACTION_ITEMS,
    "follow up actions": K.ACTION_ITEMS,
    "followup actions": K.ACTION_ITEMS,
    "follow ups": K.ACTION_ITEMS,
    "followups": K.ACTION_ITEMS,
    "follow up": K.ACTION_ITEMS,
    "remediation": K.ACTION_ITEMS,
    "remediations": K.ACTION_ITEMS,
    "remediation items": K.ACTION_ITEMS,
    "todo": K.ACTION_ITEMS,
    "to do": K.ACTION_ITEMS,
    "todos": K.ACTION_ITEMS,
    "what we are changing": K.ACTION_ITEMS,
    "what we re changing": K.ACTION_ITEMS,
    "what we will change": K.ACTION_ITEMS,
    "what we will do": K.ACTION_ITEMS,
    "what we ll do": K.ACTION_ITEMS,
    "what we re doing about it": K.ACTION_ITEMS,
    "what we are doing about it": K.ACTION_ITEMS,
    "future measures": K.ACTION_ITEMS,
    "prevention": K.ACTION_ITEMS,
    "preventive measures": K.ACTION_ITEMS,
    "preventative measures": K.ACTION_ITEMS,
    "long term changes": K.ACTION_ITEMS,
    "improvements": K.ACTION_ITEMS,
    # lessons
    "lessons learned": K.LESSONS,
    "lessons learnt": K.LESSONS,
    "lessons": K.LESSONS,
    "learnings": K.LESSONS,
    "takeaways": K.LESSONS,
    "what went well": K.LESSONS,
    "what went wrong": K.LESSONS,
    "what went badly": K.LESSONS,
    "what didn t go well": K.LESSONS,
    "what did not go well": K.LESSONS,
    "what could have gone better": K.LESSONS,
    "where we got lucky": K.LESSONS,
    "where did we get lucky": K.LESSONS,
    "where we were lucky": K.LESSONS,
    "open questions": K.LESSONS,
    "thoughts": K.LESSONS,
    # people
    "attendees": K.PEOPLE,
    "postmortem attendees": K.PEOPLE,
    "meeting attendees": K.PEOPLE,
    "participants": K.PEOPLE,
    "names of people involved": K.PEOPLE,
    "people involved": K.PEOPLE,
    "responders": K.PEOPLE,
    "people": K.PEOPLE,
    "thanks": K.PEOPLE,
    "thank you": K.PEOPLE,
    "acknowledgements": K.PEOPLE,
    "acknowledgments": K.PEOPLE,
    "credits": K.PEOPLE,
    # appendix
    "appendix": K.APPENDIX,
    "supporting information": K.APPENDIX,
    "supporting documents": K.APPENDIX,
    "supporting material": K.APPENDIX,
    "references": K.APPENDIX,
    "links": K.APPENDIX,
    "glossary": K.APPENDIX,
    "provide feedback": K.APPENDIX,
    "feedback": K.APPENDIX,
    "indicators of compromise": K.APPENDIX,
    "iocs": K.APPENDIX,
}

# Headings that name no part of a postmortem. Opening the document they mean what the table
# says ("## Overview" first is the summary); after the summary, a reader learns from their
# paragraphs whether they hold the cause, the impact or the context (reading/topic.py).
GENERIC_HEADINGS: Final[frozenset[str]] = frozenset(
    {
        "details",
        "more details",
        "technical details",
        "background",
        "overview",
        "analysis",
        "contents",
        "description",
    }
)

# Fallback when the exact table has no entry: first pattern found in the heading wins.
# Order matters: "Root cause and mitigation" is a root cause, not a resolution.
SECTION_KEYWORDS: Final[tuple[tuple[re.Pattern[str], SectionKind], ...]] = tuple(
    (lazy(pattern), kind)
    for pattern, kind in (
        (r"\b(?:5|five) whys?\b|\bwhys\b", K.WHYS),
        (r"\bcontributing\b|\bprocess breakdowns?\b", K.CONTRIBUTING_FACTORS),
        (
            r"\broot ?causes?\b|\brca\b|\bwhat caused\b|\bwhy (?:did|does|do|is|was|were)\b|"
            r"\bcause[sd]?\b|"
            r"\bhow (?:did )?(?:this|it) happen|\bfaults?\b|\bunderlying (?:issue|problem)s?\b",
            K.ROOT_CAUSE,
        ),
        (r"\bactions? taken\b", K.RESOLUTION),
        (r"\btriggers?\b|\blead ?up\b", K.TRIGGER),
        (
            r"\baction items?\b|\bfollow ?ups?\b|\bnext steps\b|\bremediations?\b|"
            r"\bcorrective\b|\bpreventa?tive\b|\bprevent(?:ion|ing)?\b|\brecommendations\b|"
            r"\bto ?dos?\b|\bactions\b|\bmeasures\b|\b(?:long|short|medium|near) term\b|"
            r"\bimprovements\b|\bdoing about it\b|\bwhat we (?:are|re|will|ll) (?:do|chang)|"
            r"\bhow (?:can|will|should|do) (?:we|\w+) improve\b",
            K.ACTION_ITEMS,
        ),
        (
            r"\blessons?\b|\bwent (?:well|wrong|badly|right)\b|\b(?:got|get|were) lucky\b|"
            r"\bgone better\b|\bopen questions\b|\btakeaways\b|\blearnings\b|\bthoughts\b|"
            r"\blearn(?:ed|t)?\b|\bwhat (?:you|users|maintainers) (?:can|should) do\b|"
            r"\bwhat can you do\b|\bcall to action\b|\bprotecting (?:yourself|your)\b|"
            r"\bhow to protect\b",
            K.LESSONS,
        ),
        (r"\btimeline\b|\bchronology\b|\b(?:chain|sequence) of events\b", K.TIMELINE),
        (r"\bimpact(?:ed)?\b|\baffected\b", K.IMPACT),
        (r"\bdetect(?:ion|ed)?\b", K.DETECTION),
        (r"\bresolution\b|\brecovery\b|\bmitigation\b", K.RESOLUTION),
        (r"\bsummary\b|\boverview\b|\bbackground\b|\bwhat happened\b|\btl ?dr\b", K.SUMMARY),
        (
            r"\battendees\b|\bparticipants\b|\bpeople involved\b|\bthanks\b|"
            r"\backnowledge?ments\b",
            K.PEOPLE,
        ),
        (r"\bappendix\b|\bsupporting\b|\bindicators of compromise\b", K.APPENDIX),
    )
)

# Root cause categories: the seed's five, with the words teams use for them.
CATEGORY_WORDS: Final[dict[str, RootCauseCategory]] = {
    "process": RootCauseCategory.PROCESS,
    "procedure": RootCauseCategory.PROCESS,
    "procedural": RootCauseCategory.PROCESS,
    "tooling": RootCauseCategory.TOOLING,
    "tool": RootCauseCategory.TOOLING,
    "tools": RootCauseCategory.TOOLING,
    "automation": RootCauseCategory.TOOLING,
    "knowledge": RootCauseCategory.KNOWLEDGE,
    "training": RootCauseCategory.KNOWLEDGE,
    "capacity": RootCauseCategory.CAPACITY,
    "scaling": RootCauseCategory.CAPACITY,
    "communication": RootCauseCategory.COMMUNICATION,
    "communications": RootCauseCategory.COMMUNICATION,
    "comms": RootCauseCategory.COMMUNICATION,
}

# Metadata keys (normalised like headings) -> the Document field they fill.
METADATA_KEYS: Final[dict[str, str]] = {
    "title": "title",
    "incident title": "title",
    "title of the incident": "title",
    "date": "date",
    "incident date": "date",
    "date of incident": "date",
    "start date": "date",
    "start time": "date",
    "start date time": "date",
    "start": "date",
    "started": "date",
    "started at": "date",
    "incident start": "date",
    "occurred": "date",
    "occurred on": "date",
    "severity": "severity",
    "sev": "severity",
    "severity level": "severity",
    "incident severity": "severity",
    "priority": "severity",
    "incident priority": "severity",
    "failure mode": "failure_mode",
    "failure modes": "failure_mode",
    "status": "status",
    "authors": "authors",
    "author": "authors",
    "by": "authors",
    "written by": "authors",
    "prepared by": "authors",
    "name": "authors",
    "names": "authors",
    "report status": "status",
    "owner": "authors",
    "incident commander": "people",
    "ic": "people",
    "facilitator": "people",
    "end date": "other",
    "end date time": "other",
    "end time": "other",
    "duration": "other",
    "category": "other",
    "time to detection": "other",
    "time to recovery": "other",
    "time to resolve": "other",
}

# Owner values that mean "nobody": the unowned rule should see ``owner=None``.
NO_OWNER: Final[frozenset[str]] = frozenset(
    {
        "",
        "-",
        "--",
        "—",
        "–",
        "n/a",
        "na",
        "none",
        "nobody",
        "tbd",
        "tba",
        "?",
        "??",
        "unassigned",
        "unknown",
    }
)

# Action-item status values that mean the item is finished.
DONE_STATUSES: Final[frozenset[str]] = frozenset(
    {
        "done",
        "closed",
        "complete",
        "completed",
        "resolved",
        "fixed",
        "finished",
        "shipped",
        "merged",
        "✅",
        "✔",
        "✔️",
        "x",
        "yes",
    }
)

_NUMBERING = lazy(
    r"^\s*(?:(?:step|section|part|phase)\s+\d+\s*[.:)-]?|(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.):]|\d+\b)\s*",
    re.IGNORECASE,
)
_LINK = lazy(r"\[([^\]]*)\]\([^)]*\)")
_NON_WORD = lazy(r"[^\w\s]+")
_SPACES = lazy(r"\s+")


@lru_cache(maxsize=8192)
def normalize_label(text: str) -> str:
    """A heading or key reduced to lower-case words, for table look-ups."""
    t = _LINK.sub(r"\1", text[:200]).lower()
    t = t.replace("(s)", "s").replace("&", " and ").replace("_", " ")
    t = _NUMBERING.sub("", t.strip(" \t*`~>#"), count=1)
    t = _NON_WORD.sub(" ", t)
    return _SPACES.sub(" ", t).strip()


_QUALIFIER = lazy(r"\([^()]*\)")
_ONE_WORD_HEADINGS: Final = tuple(h for h in SECTION_HEADINGS if " " not in h and len(h) >= 7)


def _one_edit_away(label: str) -> str | None:
    """A one-word heading of seven letters or more misspelt by one letter ("Atendees",
    "Timline", "Resolutoin"): the heading it means, else None."""
    if " " in label or not 6 <= len(label) <= 20:
        return None
    for known in _ONE_WORD_HEADINGS:
        if abs(len(known) - len(label)) <= 1 and _edits(label, known) <= 1:
            return known
    return None


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, where a swap of two neighbouring letters counts as one."""
    if a == b:
        return 0
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        ):
            return 1
        return len(diff)
    short, long = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long)):
        if long[:i] + long[i + 1 :] == short:
            return 1
    return 2


@lru_cache(maxsize=8192)
def section_kind(heading: str, *, exact_only: bool = False) -> SectionKind:
    """The section a heading names, or OTHER."""
    label = normalize_label(heading)
    kind = SECTION_HEADINGS.get(label)
    if kind is not None:
        return kind
    if label.endswith("s") and label[:-1] in SECTION_HEADINGS:
        return SECTION_HEADINGS[label[:-1]]
    typo = _one_edit_away(label)
    if typo is not None:
        return SECTION_HEADINGS[typo]
    if "(" in heading and ")" in heading:
        # "Provide feedback (customer survey)", "Timeline (all times UTC)": the qualifier aside
        bare = _QUALIFIER.sub(" ", heading)
        if bare.strip() and bare != heading:
            kind = section_kind(bare, exact_only=True)
            if kind is not K.OTHER:
                return kind
    if exact_only:
        return K.OTHER
    for pattern, found in SECTION_KEYWORDS:
        if pattern.search(label):
            return found
    return K.OTHER


# Verbs an action item starts with when it is an instruction ("Add ...", "Alice to migrate
# ..."): the common verbs of engineering work, in the base form.
IMPERATIVE_VERBS: Final[frozenset[str]] = frozenset(
    [
        "add",
        "adjust",
        "adopt",
        "alert",
        "align",
        "allow",
        "archive",
        "audit",
        "automate",
        "backfill",
        "block",
        "build",
        "bump",
        "change",
        "check",
        "clarify",
        "clean",
        "cleanup",
        "codify",
        "communicate",
        "configure",
        "consolidate",
        "convert",
        "create",
        "decommission",
        "define",
        "delete",
        "deploy",
        "deprecate",
        "design",
        "detect",
        "disable",
        "document",
        "drop",
        "educate",
        "enable",
        "enforce",
        "ensure",
        "escalate",
        "establish",
        "evaluate",
        "expand",
        "explore",
        "extend",
        "figure",
        "fix",
        "follow",
        "formalise",
        "formalize",
        "gate",
        "harden",
        "identify",
        "implement",
        "improve",
        "include",
        "increase",
        "install",
        "instrument",
        "integrate",
        "introduce",
        "investigate",
        "isolate",
        "keep",
        "limit",
        "look",
        "lower",
        "make",
        "map",
        "mark",
        "measure",
        "merge",
        "migrate",
        "monitor",
        "move",
        "notify",
        "onboard",
        "pin",
        "plan",
        "prevent",
        "prioritise",
        "prioritize",
        "promote",
        "provide",
        "publish",
        "raise",
        "read",
        "record",
        "reduce",
        "refactor",
        "register",
        "reject",
        "release",
        "remove",
        "rename",
        "repair",
        "replace",
        "report",
        "require",
        "research",
        "restrict",
        "restructure",
        "retire",
        "review",
        "revisit",
        "revoke",
        "rewrite",
        "roll",
        "rotate",
        "run",
        "scan",
        "schedule",
        "scope",
        "separate",
        "set",
        "setup",
        "share",
        "ship",
        "simplify",
        "split",
        "standardise",
        "standardize",
        "start",
        "stop",
        "streamline",
        "switch",
        "teach",
        "test",
        "track",
        "train",
        "tune",
        "turn",
        "unify",
        "update",
        "upgrade",
        "use",
        "validate",
        "verify",
        "write",
        "agree",
        "analyse",
        "analyze",
        "annotate",
        "approve",
        "ask",
        "assess",
        "backport",
        "backup",
        "benchmark",
        "budget",
        "buy",
        "cache",
        "call",
        "cap",
        "clarify",
        "collect",
        "confirm",
        "consider",
        "contact",
        "coordinate",
        "decide",
        "deprovision",
        "describe",
        "determine",
        "discuss",
        "downgrade",
        "draft",
        "encrypt",
        "explain",
        "find",
        "freeze",
        "fund",
        "fuzz",
        "gather",
        "get",
        "give",
        "hire",
        "hold",
        "inform",
        "label",
        "learn",
        "lint",
        "lock",
        "offboard",
        "organise",
        "organize",
        "page",
        "pilot",
        "practice",
        "practise",
        "prepare",
        "procure",
        "prototype",
        "provision",
        "prune",
        "purge",
        "put",
        "queue",
        "reach",
        "reconfigure",
        "redeploy",
        "redesign",
        "reevaluate",
        "refresh",
        "renew",
        "replicate",
        "reproduce",
        "rerun",
        "resize",
        "restore",
        "retry",
        "revert",
        "rework",
        "rollback",
        "route",
        "scale",
        "send",
        "shard",
        "sign",
        "simulate",
        "snapshot",
        "spike",
        "staff",
        "sunset",
        "tag",
        "talk",
        "throttle",
        "trial",
        "unpin",
    ]
)


# Past forms that say a piece of work is finished when an item opens with them ("Added a
# probe", "We removed ...", "... has been disabled"). Adjectives that look like past forms
# ("automated", "improved", "dedicated") are left out: "Automated inventory for AWS" is a
# noun phrase, still to do.
DONE_VERBS: Final[frozenset[str]] = frozenset(
    [
        "added",
        "adjusted",
        "archived",
        "audited",
        "backfilled",
        "blocked",
        "built",
        "bumped",
        "changed",
        "cleaned",
        "configured",
        "consolidated",
        "converted",
        "created",
        "decommissioned",
        "deleted",
        "deployed",
        "deprecated",
        "disabled",
        "documented",
        "dropped",
        "enabled",
        "enforced",
        "established",
        "expanded",
        "extended",
        "fixed",
        "hardened",
        "implemented",
        "increased",
        "installed",
        "instrumented",
        "integrated",
        "introduced",
        "isolated",
        "limited",
        "lowered",
        "merged",
        "migrated",
        "moved",
        "notified",
        "patched",
        "pinned",
        "promoted",
        "published",
        "raised",
        "reduced",
        "refactored",
        "released",
        "removed",
        "renamed",
        "repaired",
        "replaced",
        "restricted",
        "retired",
        "reverted",
        "reviewed",
        "revoked",
        "rewrote",
        "rewritten",
        "rolled",
        "rotated",
        "shipped",
        "simplified",
        "split",
        "switched",
        "tightened",
        "turned",
        "unified",
        "updated",
        "upgraded",
        "validated",
        "verified",
        "wrote",
        "written",
        "requested",
        "contacted",
        "reset",
        "resolved",
        "mitigated",
        "sanitised",
        "sanitized",
        "replaced",
    ]
)
