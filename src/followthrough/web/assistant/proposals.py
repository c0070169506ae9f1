"""What the assistant is sent, what it proposes, and the linter's screen in between.

Decided here and nowhere else:

- **What is sent** is ``SENT``: the fields listed on the settings page, built by
  ``sent_context`` and nothing else. A security incident is never sent unless the admin
  allowed it (``refusal``).
- **What is shown** is a proposal the linter finds nothing wrong with. Each is written into
  the postmortem's Markdown where it would go (the summary or impact in place of the typed
  one, a why after the chain, an action item in place of the weak one) and checked by
  ``followthrough.core``'s rules, the same engine as the editor and the CLI; an error or a
  warning on the proposal drops it, and the page says how many were dropped and by which
  rules, never their text. An action item must also name an owner of the team and a date.
- **Accepting** goes through ``check`` again: what comes back from the browser is screened
  like what came from the endpoint.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from followthrough.core.lint import Finding, Severity, lint_document
from followthrough.core.markdown import parse
from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem
from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.postmortems.linting import _cell, postmortem_markdown, review_draft
from followthrough.web.postmortems.models import Postmortem

# Exactly what leaves followthrough, as the settings page lists it.
SENT: tuple[tuple[str, str], ...] = (
    ("Incident", "title, severity, failure mode; started, detected, mitigated, resolved times"),
    ("Impact numbers", "users affected, duration in minutes, failed requests, revenue impact"),
    ("Postmortem text", "summary, impact and root cause as written"),
    ("Timeline", "each event's time and text"),
    ("Five whys", "each question and answer"),
    ("Action items", "number, title, owner's name, due date, done-when, the linter's remarks"),
    ("Team", "the names of the team's members (to propose owners from)"),
    ("Today's date", "so that proposed due dates lie ahead"),
)
NOT_SENT = (
    "e-mail addresses, handles, comments, meeting notes, tracker links, evidence links, "
    "contributing factors, the incident commander and responders, anything of other incidents"
)

MAX_TEXT = 5000
TITLE_MAX = ActionItem._meta.get_field("title").max_length or 300
BLOCKING = (Severity.ERROR, Severity.WARNING)
KINDS = ("summary", "impact", "why", "action")

SYSTEM_PROMPT = """\
You help an engineering team write a blameless postmortem. You are given the incident's
facts as JSON. Propose improvements; a person will accept or discard each one.

Rules: blameless (describe systems and decisions, never blame a person); quantify impact
with the numbers given; no speculation beyond the facts; plain English.

Answer with one JSON object and nothing else:
{"summary": "2-4 sentences: what failed, for whom, how long, how it was fixed",
 "impact": "who was affected and how much, using the numbers given",
 "whys": [{"question": "Why ...?", "answer": "..."}],
 "action_items": [{"number": 1, "title": "a specific, verifiable change",
                   "owner": "a name from team_members", "due": "YYYY-MM-DD",
                   "done_when": "an observable condition"}]}
"whys" continues the chain written so far (at most 2 new whys). "action_items" rewrites
only the items whose "remarks" are not empty; keep "number" of the item rewritten.
Leave out any key you have nothing good for."""


@dataclass(frozen=True)
class Proposal:
    """One proposed change: ``kind`` is summary, impact, why or action."""

    kind: str
    text: str = ""
    question: str = ""
    item: int | None = None  # the action item's id
    owner: str = ""
    due: str = ""
    done_when: str = ""

    @property
    def label(self) -> str:
        return {
            "summary": "Summary",
            "impact": "Impact",
            "why": "Next why",
            "action": "Action item rewrite",
        }[self.kind]


@dataclass
class Screened:
    """What the endpoint proposed, split by the linter: ``shown`` and why others were not."""

    shown: list[Proposal] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)  # reason (rule codes) -> count

    @property
    def dropped_reasons(self) -> list[tuple[str, int]]:
        return sorted(self.dropped.items())

    @property
    def dropped_count(self) -> int:
        return sum(self.dropped.values())


def refusal(pm: Postmortem, config: AssistantSettings) -> str:
    """Why nothing of this postmortem may be sent ("" when it may)."""
    if not config.is_on:
        return "The writing assistant is off."
    if pm.incident.security and not config.allow_security:
        return (
            "This is a security incident: nothing about it is sent to the writing assistant "
            "(an admin can allow it in the assistant's settings)."
        )
    return ""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _items(pm: Postmortem) -> list[ActionItem]:
    # The order postmortem_markdown writes them in: row n of its table is item n.
    return list(pm.action_items.select_related("owner"))


def sent_context(pm: Postmortem) -> dict[str, Any]:
    """Everything the endpoint is sent about ``pm``: ``SENT``, and nothing more."""
    incident = pm.incident
    remarks = _item_remarks(pm)
    return {
        "incident": {
            "title": incident.title,
            "severity": incident.severity,
            "failure_mode": incident.failure_mode,
            "started_at": _iso(incident.started_at),
            "detected_at": _iso(incident.detected_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
        },
        "impact_numbers": {
            "users_affected": pm.users_affected,
            "duration_minutes": pm.impact_minutes,
            "failed_requests": pm.failed_requests,
            "revenue_impact": str(pm.revenue_impact) if pm.revenue_impact is not None else None,
        },
        "summary": pm.summary,
        "impact": pm.impact,
        "root_cause": pm.root_cause,
        "timeline": [
            {"at": _iso(e.occurred_at), "event": e.description} for e in pm.timeline_events.all()
        ],
        "whys": [{"question": w.question, "answer": w.answer} for w in pm.whys.all()],
        "action_items": [
            {
                "number": n,
                "title": item.title,
                "owner": item.owner.name if item.owner else "",
                "due": _iso(item.due_date),
                "done_when": item.done_condition,
                "remarks": remarks.get(item.pk, []),
            }
            for n, item in enumerate(_items(pm), start=1)
        ],
        "team_members": sorted(
            Person.objects.filter(memberships__team=incident.team).values_list("name", flat=True)
        ),
        "today": timezone.localdate().isoformat(),
    }


def messages_for(pm: Postmortem) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(sent_context(pm), ensure_ascii=False)},
    ]


# --- reading the answer ----------------------------------------------------------------------

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def read_answer(content: str, pm: Postmortem) -> list[Proposal] | None:
    """The proposals in the endpoint's reply; None when the reply is not the JSON asked for.

    Models wrap JSON in a code fence or a sentence now and then: the outermost ``{...}`` is
    read. Anything not asked for is ignored.
    """
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found: list[Proposal] = []
    for kind in ("summary", "impact"):
        if value := _text(data.get(kind)):
            found.append(Proposal(kind, text=value))
    whys = data.get("whys")
    for why in whys[:5] if isinstance(whys, list) else []:
        if isinstance(why, dict) and _text(why.get("answer")):
            found.append(
                Proposal("why", text=_text(why["answer"]), question=_text(why.get("question")))
            )
    items = _items(pm)
    actions = data.get("action_items")
    for action in actions[:20] if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            continue
        number = action.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= len(items):
            continue
        found.append(
            Proposal(
                "action",
                text=_text(action.get("title")),
                item=items[number - 1].pk,
                owner=_text(action.get("owner")),
                due=_text(action.get("due")),
                done_when=_text(action.get("done_when")),
            )
        )
    return found


# --- the linter's screen ---------------------------------------------------------------------


def _lint(markdown: str, pm: Postmortem) -> list[Finding]:
    return lint_document(parse(markdown, path=f"{pm.incident.key}.md"))


def _section_lines(lines: list[str], heading: str) -> tuple[int, int] | None:
    """The index of ``## heading`` and of the line after its section's last line."""
    try:
        start = lines.index(f"## {heading}")
    except ValueError:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end


def _item_rows(lines: list[str]) -> list[int]:
    """Indexes of the action items' table rows, in item order."""
    where = _section_lines(lines, "Action items")
    if where is None:
        return []
    start, end = where
    return [i for i in range(start + 4, end) if lines[i].startswith("|")]


def _item_remarks(pm: Postmortem) -> dict[int, list[str]]:
    """What the linter says of each action item now (item id -> messages): the weak ones."""
    lines = postmortem_markdown(pm).split("\n")
    findings = _lint("\n".join(lines), pm)
    remarks: dict[int, list[str]] = {}
    for item, row in zip(_items(pm), _item_rows(lines), strict=False):
        said = [f.message for f in findings if f.line == row + 1 and f.severity in BLOCKING]
        if said:
            remarks[item.pk] = said
    return remarks


def owner_of(pm: Postmortem, name: str) -> Person | None:
    """A member of the incident's team by the name (or @handle) the proposal gives."""
    wanted = name.strip().removeprefix("@").casefold()
    if not wanted:
        return None
    for person in Person.objects.filter(memberships__team=pm.incident.team):
        if wanted in (person.name.casefold(), (person.handle or "").casefold()):
            return person
    return None


def due_of(proposal: Proposal) -> date | None:
    try:
        due = date.fromisoformat(proposal.due)
    except ValueError:
        return None
    return due if timezone.localdate() <= due <= date(2200, 12, 31) else None


def check(pm: Postmortem, proposal: Proposal) -> list[str]:
    """Why ``proposal`` may not be shown or accepted (rule codes or a reason); [] when clean."""
    if proposal.kind not in KINDS:
        return ["unknown kind"]
    if not proposal.text.strip():
        return ["empty"]
    if max(len(proposal.text), len(proposal.question), len(proposal.done_when)) > MAX_TEXT:
        return ["too long"]
    if proposal.kind in ("summary", "impact"):
        found = review_draft(pm, {proposal.kind: proposal.text}).panel(proposal.kind)
        return sorted({f.rule for f in found if f.severity in BLOCKING})
    lines = postmortem_markdown(pm).split("\n")
    if proposal.kind == "why":
        where = _section_lines(lines, "Five whys")
        if where is None:
            return ["no five whys section"]
        question = _cell(proposal.question)
        if question and not question.endswith("?"):
            question += "?"
        number = sum(1 for line in lines[where[0] : where[1]] if re.match(r"^\d+\. ", line)) + 1
        # After the last why, or below the heading of an empty chain.
        at = where[1] if where[1] > where[0] + 1 else where[0] + 2
        lines.insert(at, f"{number}. {question} {_cell(proposal.text)}".rstrip())
    else:
        items = _items(pm)
        rows = _item_rows(lines)
        index = next((n for n, item in enumerate(items) if item.pk == proposal.item), None)
        if index is None or index >= len(rows):
            return ["no such action item"]
        if items[index].is_closed():
            return ["action item already settled"]
        if len(proposal.text) > TITLE_MAX:
            return ["title too long"]
        problems = []
        owner = owner_of(pm, proposal.owner)
        if owner is None:
            problems.append("owner not on the team")
        if due_of(proposal) is None:
            problems.append("no due date ahead")
        if problems:
            return problems
        assert owner is not None
        at = rows[index]
        lines[at] = (
            f"| {_cell(proposal.text)} | {_cell(owner.name)} | {proposal.due} "
            f"| {_cell(proposal.done_when)} | {items[index].status} |"
        )
    found = _lint("\n".join(lines), pm)
    return sorted({f.rule for f in found if f.line == at + 1 and f.severity in BLOCKING})


def screen(pm: Postmortem, proposals: list[Proposal]) -> Screened:
    """The proposals the linter passes, and a count of the others by reason."""
    result = Screened()
    for proposal in proposals:
        problems = check(pm, proposal)
        if problems:
            result.dropped[", ".join(problems)] += 1
        else:
            result.shown.append(proposal)
    return result
