"""FireHydrant: the incidents list of its API (``GET /v1/incidents``) and, per incident, its
tasks (``GET /v1/incidents/{id}/tasks``), or the CSV of FireHydrant's own incident exporter.

PATH is the saved incidents answer, or a folder holding ``incidents.json`` and
``tasks/<incident id>.json``, or a ``.csv`` file. Times come from the incident's fields and
its milestones.

The CSV's columns are those FireHydrant's exporter writes (github.com/firehydrant/
csv-incident-parser, ``index.js``: one row per incident of ``GET /v1/incidents``, the
milestones' times as columns, the commander's name). It carries no incident id, so a CSV
row is keyed on the incident's number (``firehydrant:#42``), and it has no tasks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from followthrough.web.history_import.reading import (
    check_fields,
    day,
    each_row,
    looks_like_csv,
    moment,
    per_incident,
    read_csv,
    read_list,
    roles,
    text,
)
from followthrough.web.history_import.records import (
    ActionRecord,
    IncidentRecord,
    PersonRef,
    PostmortemRecord,
    Refusal,
    Row,
    RowRefused,
)

NAME = "firehydrant"
LABEL = "FireHydrant"
WHAT = "a FireHydrant incidents list (API v1)"

# FireHydrant's default severities SEV1 (the worst) to SEV4; SEV5 and others need a map.
SEVERITIES = {"sev1": "P0", "sev2": "P1", "sev3": "P2", "sev4": "P3"}
ENVELOPE = frozenset({"data", "pagination"})
INCIDENT_FIELDS = frozenset(
    {
        "id", "name", "number", "description", "summary", "customer_impact_summary",
        "severity", "severity_color", "severity_impact", "severity_condition", "priority",
        "current_milestone", "milestones", "started_at", "created_at", "updated_at",
        "discarded_at", "active", "private", "labels", "tags", "tag_list", "role_assignments",
        "impacts", "services", "environments", "functionalities", "teams", "team_assignments",
        "incident_url", "report_id", "incident_tickets", "ticket", "created_by", "channel_id",
        "channel_name", "channel_reference", "channel_status", "conference_bridges",
        "context_object", "customer_impact", "last_note", "organization", "organization_id",
        "restricted", "incident_type", "incident_channels", "field_values", "followups",
        "active_runbooks", "lessons_learned", "retro_exports", "status_pages", "events",
        # The rest of IncidentEntity in FireHydrant's own SDK (firehydrant/firehydrant-
        # typescript-sdk, src/models/components/incidententity.ts): a current answer has them.
        "severity_impact_object", "severity_condition_object", "private_id",
        "lifecycle_phases", "lifecycle_measurements", "private_status_page_url",
        "customers_impacted", "monetary_impact", "monetary_impact_cents", "last_update",
        "ai_incident_summary", "conversations", "custom_fields", "field_requirements",
    }
)  # fmt: skip
TASK_FIELDS = frozenset(
    {
        "id", "title", "description", "state", "assignee", "created_by", "due_at",
        "created_at", "updated_at", "task_list_id", "position",
    }
)  # fmt: skip
MILESTONES = {
    "started_at": ("started",),
    "detected_at": ("detected", "acknowledged"),
    "mitigated_at": ("mitigated",),
    "resolved_at": ("resolved", "closed"),
}
TASK_STATES = ("open", "in_progress", "done", "cancelled")

CSV_WHAT = "a FireHydrant incidents CSV (the columns of FireHydrant's exporter)"
CSV_COLUMNS = frozenset(
    {
        "number", "name", "severity", "environment", "functionality", "service", "started",
        "detected", "acknowledged", "first_action", "mitigated", "resolved", "opened_at",
        "started_by", "elapsed_time", "customers_impacted", "incident_commander", "tickets",
        "slack",
    }
)  # fmt: skip
CSV_REQUIRED = ("number", "name")


def read(path: Path, *, strict: bool, notes: list[str]) -> list[Row]:
    if looks_like_csv(path):
        return read_csv_export(path, strict=strict, notes=notes)
    folder, _, incidents = read_list(path, "incidents.json", "data", WHAT, ENVELOPE)

    def incident(raw: Any, where: str) -> Row:
        fields = check_fields(raw, INCIDENT_FIELDS, where, strict=strict, notes=notes)
        return _incident(fields, where, folder, strict, notes)

    return each_row(incidents, "data", WHAT, incident)


def _person(value: Any) -> PersonRef | None:
    if not isinstance(value, dict):
        return None
    ref = PersonRef(name=text(value.get("name"), "name"), email=text(value.get("email"), "email"))
    return ref or None


def _incident(
    raw: dict[str, Any], where: str, folder: Path | None, strict: bool, notes: list[str]
) -> Row:
    external_id = text(raw.get("id"), f"{where}.id")
    if not external_id:
        raise RowRefused(f"{where} has no id.")
    where = f"{where} (#{raw.get('number') or external_id})"
    times: dict[str, Any] = {}
    for milestone in _milestones(raw, where):
        kind = str(milestone.get("type") or milestone.get("slug") or "")
        at = moment(milestone.get("occurred_at"), f"{where} milestone “{kind[:40]}”")
        for field, kinds in MILESTONES.items():
            if at is not None and kind in kinds and field not in times:
                times[field] = at
    started = moment(raw.get("started_at"), f"{where}.started_at") or times.get("started_at")
    commander, responders = roles(
        (
            "commander" in str(((a or {}).get("incident_role") or {}).get("name", "")).lower(),
            _person(a.get("user")),
        )
        for a in raw.get("role_assignments") or []
    )
    actions = []
    for n, task in enumerate(
        per_incident(folder, "tasks", external_id, "FireHydrant tasks", ENVELOPE)
    ):
        task_where = f"tasks/{external_id}.json data[{n}]"
        actions.append(
            _task(
                check_fields(task, TASK_FIELDS, task_where, strict=strict, notes=notes), task_where
            )
        )
    description = text(raw.get("description"), f"{where}.description")
    summary = text(raw.get("summary"), f"{where}.summary") or description
    impact = text(raw.get("customer_impact_summary"), f"{where}.customer_impact_summary")
    postmortem = PostmortemRecord(summary=summary, impact=impact) if actions else None
    severity = raw.get("severity")
    return IncidentRecord(
        row=where,
        external_id=external_id,
        url=text(raw.get("incident_url"), f"{where}.incident_url"),
        title=text(raw.get("name"), f"{where}.name"),
        severity=text(
            severity.get("slug") if isinstance(severity, dict) else severity, f"{where}.severity"
        ),
        summary=summary,
        started_at=started or moment(raw.get("created_at"), f"{where}.created_at"),
        detected_at=times.get("detected_at"),
        mitigated_at=times.get("mitigated_at"),
        resolved_at=times.get("resolved_at"),
        commander=commander,
        responders=responders,
        postmortem=postmortem,
        actions=actions,
    )


def _milestones(raw: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The incident's milestones: ``milestones`` (``type``, ``occurred_at``), or, where
    FireHydrant no longer sends that deprecated list, those of its ``lifecycle_phases``
    (``slug``, ``occurred_at``)."""
    found: list[Any] = list(raw.get("milestones") or [])
    if not found:
        for phase in raw.get("lifecycle_phases") or []:
            if not isinstance(phase, dict):
                raise RowRefused(f"{where}: lifecycle_phases holds something not an object.")
            found += phase.get("milestones") or []
    if not all(isinstance(m, dict) for m in found):
        raise RowRefused(f"{where}: milestones holds something not an object.")
    return found


def _task(raw: dict[str, Any], where: str) -> ActionRecord:
    state = text(raw.get("state"), f"{where}.state") or "open"
    if state not in TASK_STATES:
        raise RowRefused(f"{where}: unknown task state “{state[:40]}”.")
    return ActionRecord(
        title=text(raw.get("title"), f"{where}.title"),
        description=text(raw.get("description"), f"{where}.description"),
        owner=_person(raw.get("assignee")),
        due_date=day(raw.get("due_at"), f"{where}.due_at"),
        done=state == "done",
        deprioritised_reason="Cancelled in FireHydrant." if state == "cancelled" else "",
    )


def read_csv_export(path: Path, *, strict: bool, notes: list[str]) -> list[Row]:
    """The rows of FireHydrant's incidents CSV; a row that cannot be read is refused with
    its line number, and unknown columns refuse every row unless left out on purpose."""
    lines, unknown = read_csv(path, CSV_WHAT, CSV_COLUMNS, CSV_REQUIRED)
    if unknown:
        message = f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
        if strict:
            return [
                Refusal(where, f"{message} (pass --ignore-unknown-fields to leave them out).")
                for where, _ in lines
            ]
        notes.append(f"{path.name}: {message}, left out.")
    rows: list[Row] = []
    for where, cells in lines:
        try:
            rows.append(_csv_incident(cells, where))
        except RowRefused as exc:
            rows.append(Refusal(where, str(exc)))
    return rows


def _cell(cells: dict[str, str], name: str) -> str:
    """A cell, with the exporter's spelling of nothing ("null", as json-2-csv writes it)."""
    value = cells.get(name, "")
    return "" if value == "null" else value


def _csv_incident(cells: dict[str, str], where: str) -> IncidentRecord:
    if "" in cells:
        raise RowRefused(f"{where}: {cells['']}.")
    number = _cell(cells, "number")
    if not number.isdigit():
        raise RowRefused(f"{where}: number “{number[:40]}” is not an incident number.")
    where = f"{where} (#{number})"
    commander = _cell(cells, "incident_commander")
    return IncidentRecord(
        row=where,
        external_id=f"#{int(number)}",
        title=_cell(cells, "name"),
        severity=_cell(cells, "severity"),
        started_at=moment(_cell(cells, "started"), f"{where} started")
        or moment(_cell(cells, "opened_at"), f"{where} opened_at"),
        detected_at=moment(_cell(cells, "detected"), f"{where} detected")
        or moment(_cell(cells, "acknowledged"), f"{where} acknowledged"),
        mitigated_at=moment(_cell(cells, "mitigated"), f"{where} mitigated"),
        resolved_at=moment(_cell(cells, "resolved"), f"{where} resolved"),
        commander=PersonRef(name=commander) if commander else None,
    )
