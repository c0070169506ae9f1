"""Checking every record the way the API would, then writing them all, or nothing.

A run is refused as a whole when any row is refused; rows already imported (same source,
same id at the source) are skipped, so a second run of the same export creates nothing.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError

from followthrough.core.policy import SEVERITIES
from followthrough.web.accounts.models import Person, Team
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import create_action_item
from followthrough.web.actions.schemas import ActionItemIn
from followthrough.web.history.context import acting_as
from followthrough.web.history_import.records import (
    IncidentRecord,
    PersonRef,
    Refusal,
    Row,
    Skipped,
    SourceRefused,
)
from followthrough.web.incidents.models import Incident, Source
from followthrough.web.incidents.schemas import IncidentIn
from followthrough.web.postmortems.models import (
    PROSE_FIELDS,
    ContributingFactor,
    Postmortem,
    Status,
    TimelineEvent,
    Why,
)
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.postmortems.schemas import FactorIn, TimelineEventIn, WhyIn

ACTOR = "history import"
# Times before 1970 or from 2200 on are typing mistakes, not history.
FIRST_YEAR, LAST_YEAR = 1970, 2199
# An owner written as a group ("SRE team", "the platform squad") is not one person.
GROUP_OWNER = re.compile(r"\b(team|squad|group|crew|guild|everyone|all)\b", re.IGNORECASE)
MAP_ENTRY = re.compile(r"^\s*(?P<vendor>[^=]+?)\s*=\s*(?P<ours>[Pp][0-3])\s*$")


@dataclass
class Line:
    row: str
    outcome: str  # "created", "skipped", "refused" or "ready" (fine, but the run was refused)
    detail: str

    def text(self) -> str:
        """ "row: detail", unless the detail already starts by naming the row."""
        if self.detail.startswith(self.row.split(" (")[0]):
            return self.detail
        return f"{self.row}: {self.detail}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    people_created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def refused(self) -> bool:
        return self.count("refused") > 0


def parse_severity_map(entries: Iterable[str]) -> dict[str, str]:
    """``["Critical=P0", "sev5=P3,none=P3"]`` -> ``{"critical": "P0", ...}``; ValueError says
    which entry is not ``NAME=P0..P3``. ``none`` maps rows that carry no severity."""
    mapping: dict[str, str] = {}
    for entry in entries:
        for part in entry.split(","):
            if not part.strip():
                continue
            match = MAP_ENTRY.match(part)
            if match is None:
                raise ValueError(
                    f"--severity-map “{part.strip()[:60]}” is not NAME=P0..P3 (e.g. SEV5=P3)."
                )
            mapping[match["vendor"].lower()] = match["ours"].upper()
    return mapping


@dataclass
class _Plan:
    record: IncidentRecord
    team: Team
    severity: str
    key: str


def import_rows(
    source: str,
    defaults: dict[str, str],
    rows: list[Row],
    *,
    team_slug: str | None = None,
    severity_map: dict[str, str] | None = None,
    notes: list[str] | None = None,
) -> Report:
    """Check ``rows`` of ``source`` and write them in one transaction if none is refused.

    ``defaults`` maps the source's own severity names (lower case) to P0-P3;
    ``severity_map`` (from --severity-map) overrides it.
    """
    report = Report(notes=list(notes or []))
    default_team = None
    if team_slug:
        default_team = Team.objects.filter(slug=team_slug).first()
        if default_team is None:
            known = ", ".join(Team.objects.order_by("slug").values_list("slug", flat=True))
            raise SourceRefused(
                [f"--team: no team “{team_slug[:60]}” (teams: {known or 'none yet'})."]
            )
    severities = {**defaults, **(severity_map or {})}
    plans: list[_Plan] = []
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, Refusal):
            report.lines.append(Line(row.row, "refused", row.reason))
            continue
        if isinstance(row, Skipped):
            report.lines.append(Line(row.row, "skipped", row.reason))
            continue
        key = f"{source}:{row.external_id}"
        existing = Incident.objects.filter(source=Source.IMPORT, external_id=key).first()
        if existing is not None:
            report.lines.append(Line(row.row, "skipped", f"already imported as {existing.key}"))
            continue
        if key in seen:
            report.lines.append(
                Line(row.row, "refused", "the same id appears twice in this export")
            )
            continue
        seen.add(key)
        team, problems = _team(row, default_team)
        severity = _severity(row.severity, severities, problems)
        if team is not None and severity is not None:
            problems += _problems(row, team, severity, key)
        if problems or team is None or severity is None:
            report.lines.append(Line(row.row, "refused", " ".join(problems)))
            continue
        plans.append(_Plan(row, team, severity, key))
    if report.refused:
        for plan in plans:
            report.lines.append(Line(plan.record.row, "ready", "would be created; nothing written"))
        return _in_order(report, rows)
    try:
        with transaction.atomic(), acting_as(ACTOR):
            people = _People(report)
            for plan in plans:
                incident = _write(plan, people, report)
                report.lines.append(Line(plan.record.row, "created", _created(incident)))
    except (IntegrityError, ValidationError) as exc:
        # Another run writing the same incidents at the same moment: the unique key held.
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise SourceRefused([f"nothing written: {first}; run the import again."]) from None
    report.written = True
    return _in_order(report, rows)


def _in_order(report: Report, rows: list[Row]) -> Report:
    """The report's lines in the order of the rows of the export."""
    order = {row.row: n for n, row in enumerate(rows)}
    report.lines.sort(key=lambda line: order.get(line.row, len(order)))
    return report


def _created(incident: Incident) -> str:
    pm = Postmortem.objects.filter(incident=incident).first()
    if pm is None:
        return f"{incident.key} “{incident.title[:60]}”"
    items = pm.action_items.count()
    return (
        f"{incident.key} “{incident.title[:60]}”, postmortem {pm.get_status_display().lower()}, "
        f"{items} action item{'' if items == 1 else 's'}"
    )


def _team(row: IncidentRecord, default: Team | None) -> tuple[Team | None, list[str]]:
    if row.team:
        named = Team.objects.filter(Q(slug=row.team) | Q(name__iexact=row.team)).first()
        if named is None:
            return None, [f"Team “{row.team[:60]}” does not exist here; create it or pass --team."]
        return named, []
    if default is None:
        return None, ["It names no team; pass --team SLUG."]
    return default, []


def _severity(written: str, severities: dict[str, str], problems: list[str]) -> str | None:
    name = written.strip()
    if not name:
        if "none" in severities:
            return severities["none"]
        problems.append("It has no severity; map rows without one with --severity-map none=P3.")
        return None
    mapped = severities.get(name.lower()) or (name.upper() if name.upper() in SEVERITIES else None)
    if mapped is None:
        problems.append(
            f"Severity “{name[:40]}” has no P0-P3 equivalent; map it with "
            f"--severity-map '{name[:40]}=P2' (or the level it means)."
        )
    return mapped


def _schema_problems(schema: type[BaseModel], data: dict[str, Any], where: str) -> list[str]:
    try:
        schema.model_validate(data)
    except SchemaError as exc:
        return [
            f"{where}{'.'.join(str(part) for part in error['loc'])}: {error['msg'].rstrip('.')}."
            for error in exc.errors()
        ]
    return []


def _aware(value: datetime | None, team: Team) -> datetime | None:
    """A naive time (a Markdown timeline without a zone) is in the team's time zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zoneinfo.ZoneInfo(team.timezone))


def _year_problem(value: date | None, where: str) -> list[str]:
    if value is None or FIRST_YEAR <= value.year <= LAST_YEAR:
        return []
    return [f"{where} {value.isoformat()} is outside the years {FIRST_YEAR}-{LAST_YEAR}."]


def _person_problems(ref: PersonRef | None, where: str) -> list[str]:
    if not ref:
        return []
    problems = []
    if "\x00" in ref.name + ref.email + ref.handle:
        problems.append(f"{where}: a name cannot contain NUL (\\x00) characters.")
    if len(ref.name) > 150 or len(ref.handle) > 64:
        problems.append(f"{where}: “{ref.label()[:40]}…” is too long for a name.")
    if ref.email:
        try:
            validate_email(ref.email)
        except ValidationError:
            problems.append(f"{where}: “{ref.email[:60]}” is not an e-mail address.")
    return problems


def _problems(row: IncidentRecord, team: Team, severity: str, key: str) -> list[str]:
    times = {
        name: _aware(getattr(row, name), team)
        for name in ("started_at", "detected_at", "mitigated_at", "resolved_at")
    }
    problems = _schema_problems(
        IncidentIn,
        {
            "team_id": team.pk,
            "title": row.title,
            "severity": severity,
            "summary": row.summary,
            "failure_mode": row.failure_mode,
            "external_id": key,
            **times,
        },
        "",
    )
    for name, value in times.items():
        problems += _year_problem(value, name)
    if not problems:
        try:
            Incident(title=row.title, severity=severity, **times).clean()
        except ValidationError as exc:
            problems += [m for messages in exc.message_dict.values() for m in messages]
    problems += _url_problems(row.url, "url")
    problems += _person_problems(row.commander, "commander")
    for n, responder in enumerate(row.responders):
        problems += _person_problems(responder, f"responders[{n}]")
    pm = row.postmortem
    if pm is not None:
        for name in PROSE_FIELDS:
            if "\x00" in getattr(pm, name):
                problems.append(f"postmortem {name}: Text cannot contain NUL (\\x00) characters.")
        for n, (at, text) in enumerate(pm.timeline):
            aware = _aware(at, team)
            problems += _year_problem(aware, f"timeline[{n}]")
            problems += _schema_problems(
                TimelineEventIn, {"occurred_at": aware, "description": text}, f"timeline[{n}]."
            )
        for n, (question, answer) in enumerate(pm.whys):
            problems += _schema_problems(
                WhyIn, {"question": question or "Why?", "answer": answer}, f"whys[{n}]."
            )
        for n, text in enumerate(pm.factors):
            problems += _schema_problems(FactorIn, {"description": text}, f"factors[{n}].")
    for n, action in enumerate(row.actions):
        where = f"actions[{n}]."
        problems += _schema_problems(
            ActionItemIn,
            {
                "title": action.title,
                "description": action.description,
                "due_date": action.due_date,
                "done_condition": action.done_condition,
                "tracker_url": action.tracker_url,
                "deprioritised_reason": action.deprioritised_reason,
            },
            where,
        )
        problems += _year_problem(action.due_date, f"{where}due_date")
        problems += _year_problem(action.done_at, f"{where}done_at")
        problems += _person_problems(action.owner, f"{where}owner")
        problems += _url_problems(action.tracker_url, f"{where}tracker_url")
    return problems


def _url_problems(url: str, where: str) -> list[str]:
    """An address kept from the export is a web address (no javascript:, no file:)."""
    if not url:
        return []
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return [f"{where}: “{url[:60]}” is not a web address."]
    if len(url) > 500:
        return [f"{where}: a web address of {len(url):,} characters is too long (500 at most)."]
    return []


class _People:
    """Persons by e-mail, then handle, then name (when one only); created when nobody matches."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def __call__(self, ref: PersonRef | None, where: str) -> Person | None:
        if not ref:
            return None
        if not ref.email and not ref.handle and GROUP_OWNER.search(ref.name):
            self.report.notes.append(
                f"{where}: “{ref.name[:60]}” is a group, not one person; left without an owner."
            )
            return None
        found = self._match(ref)
        if found is not None:
            return found
        name = ref.name or (ref.email.split("@")[0] if ref.email else ref.handle)
        person = Person.objects.create(name=name, email=ref.email, handle=ref.handle)
        self.report.people_created.append(ref.label())
        return person

    @staticmethod
    def _match(ref: PersonRef) -> Person | None:
        people = Person.objects.order_by("pk")
        if ref.email:
            found = people.filter(email__iexact=ref.email).first()
            if found is not None:
                return found
        if ref.handle:
            found = people.filter(handle__iexact=ref.handle).first()
            if found is not None:
                return found
        if ref.name:
            named = list(people.filter(name__iexact=ref.name)[:2])
            if len(named) == 1:
                return named[0]
        return None


def _write(
    plan: _Plan, people: Callable[[PersonRef | None, str], Person | None], report: Report
) -> Incident:
    row, team = plan.record, plan.team
    times = {
        name: _aware(getattr(row, name), team)
        for name in ("started_at", "detected_at", "mitigated_at", "resolved_at")
    }
    incident = Incident(
        team=team,
        title=row.title.strip(),
        severity=plan.severity,
        summary=row.summary,
        failure_mode=row.failure_mode.strip(),
        commander=people(row.commander, f"{row.row} commander"),
        source=Source.IMPORT,
        external_id=plan.key,
        source_url=row.url,
        **times,
    )
    incident.full_clean()
    incident.save()
    responders = [people(ref, f"{row.row} responder") for ref in row.responders]
    incident.responders.set([p for p in responders if p is not None])
    if row.postmortem is None and not row.actions:
        return incident
    postmortem = start_postmortem(incident, None)
    pm = row.postmortem
    if pm is not None:
        for name in PROSE_FIELDS:
            setattr(postmortem, name, getattr(pm, name))
        for n, (question, answer) in enumerate(pm.whys):
            Why.objects.create(
                postmortem=postmortem, position=n, question=question or "Why?", answer=answer
            )
        for n, text in enumerate(pm.factors):
            ContributingFactor.objects.create(postmortem=postmortem, position=n, description=text)
        for at, text in pm.timeline:
            TimelineEvent.objects.create(
                postmortem=postmortem, occurred_at=_aware(at, team), description=text
            )
    # History: the analysis was finished at the source; "final" from when it was resolved.
    finished = times["resolved_at"] or times["started_at"] or incident.created_at
    postmortem.status = Status.FINAL
    postmortem.finalized_at = finished
    if pm is not None and pm.timeline:
        postmortem.timeline_documented_at = finished
    postmortem.save()
    for n, action in enumerate(row.actions):
        status = (
            ActionStatus.DONE
            if action.done
            else ActionStatus.DEPRIORITISED
            if action.deprioritised_reason
            else ActionStatus.OPEN
        )
        item = create_action_item(
            postmortem,
            None,
            actor_label=ACTOR,
            title=action.title.strip(),
            description=action.description,
            owner=people(action.owner, f"{row.row} actions[{n}] owner"),
            due_date=action.due_date,
            done_condition=action.done_condition,
            status=status,
            deprioritised_reason=action.deprioritised_reason,
            tracker_url=action.tracker_url,
        )
        if status == ActionStatus.DONE and action.done_at is not None:
            ActionItem.objects.filter(pk=item.pk).update(done_at=action.done_at)
    return incident
