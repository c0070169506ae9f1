"""incident.io: the API v2 list of incidents (``GET /v2/incidents``) and, beside it, the list
of follow-ups (``GET /v2/follow-ups``).

PATH is either the saved incidents response, or a folder holding ``incidents.json`` and
optionally ``follow_ups.json``. Declined, merged and cancelled incidents are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from followthrough.web.history_import.reading import (
    check_fields,
    csv_not_documented,
    day,
    each_row,
    looks_like_csv,
    moment,
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
    Skipped,
)

NAME = "incident-io"
LABEL = "incident.io"
WHAT = "an incident.io incidents list (API v2)"

# incident.io's default severities (Critical, Major, Minor); others need --severity-map.
SEVERITIES = {"critical": "P0", "major": "P1", "minor": "P2"}

ENVELOPE = frozenset({"incidents", "pagination_meta", "follow_ups"})
INCIDENT_FIELDS = frozenset(
    {
        "id", "name", "reference", "severity", "incident_status", "incident_type",
        "created_at", "updated_at", "summary", "postmortem_document_url",
        "incident_timestamp_values", "incident_role_assignments", "custom_field_entries",
        "creator", "mode", "visibility", "slack_channel_id", "slack_channel_name",
        "slack_team_id", "call_url", "permalink", "external_issue_reference",
        "duration_metrics", "has_debrief", "workload_minutes_late",
        "workload_minutes_sleeping", "workload_minutes_total", "workload_minutes_working",
    }
)  # fmt: skip
FOLLOW_UP_FIELDS = frozenset(
    {
        "id", "incident_id", "title", "description", "status", "assignee", "creator",
        "completed_at", "created_at", "updated_at", "priority", "external_issue_reference",
        "labels",
    }
)  # fmt: skip
SKIPPED_STATUSES = {"declined", "merged", "canceled", "cancelled"}

# incident_timestamp_values are named by the organisation; these words find ours.
TIMESTAMPS = (
    ("started_at", ("impact started", "started")),
    ("detected_at", ("detected", "reported", "identified")),
    ("mitigated_at", ("mitigated", "stabilised", "stabilized", "fixed")),
    ("resolved_at", ("resolved", "closed")),
)


def read(path: Path, *, strict: bool, notes: list[str]) -> list[Row]:
    if looks_like_csv(path):
        raise csv_not_documented(path, LABEL)
    folder, document, incidents = read_list(path, "incidents.json", "incidents", WHAT, ENVELOPE)
    follow_ups: list[Any] = list(document.get("follow_ups") or [])
    if folder is not None and (folder / "follow_ups.json").exists():
        follow_ups += read_list(
            folder / "follow_ups.json", "", "follow_ups", "an incident.io follow-ups list",
            frozenset({"follow_ups", "pagination_meta"}),
        )[2]  # fmt: skip

    def follow_up(raw: Any, where: str) -> tuple[str, ActionRecord | None]:
        item = check_fields(raw, FOLLOW_UP_FIELDS, where, strict=strict, notes=notes)
        return text(item.get("incident_id"), f"{where}.incident_id"), _follow_up(item, where)

    by_incident: dict[str, list[ActionRecord]] = {}
    rows: list[Row] = []
    for read_item in each_row(follow_ups, "follow_ups", WHAT, follow_up):
        if isinstance(read_item, Refusal):
            rows.append(read_item)
        elif read_item[1] is not None:
            by_incident.setdefault(read_item[0], []).append(read_item[1])

    def incident(raw: Any, where: str) -> Row:
        fields = check_fields(raw, INCIDENT_FIELDS, where, strict=strict, notes=notes)
        return _incident(fields, where, by_incident)

    return rows + each_row(incidents, "incidents", WHAT, incident)


def _person(value: Any) -> PersonRef | None:
    if not isinstance(value, dict):
        return None
    ref = PersonRef(name=text(value.get("name"), "name"), email=text(value.get("email"), "email"))
    return ref or None


def _incident(raw: dict[str, Any], where: str, by_incident: dict[str, list[ActionRecord]]) -> Row:
    external_id = text(raw.get("id"), f"{where}.id")
    if not external_id:
        raise RowRefused(f"{where} has no id.")
    label = text(raw.get("reference"), f"{where}.reference") or external_id
    where = f"{where} ({label})"
    status = raw.get("incident_status") or {}
    category = str(status.get("category", "")).lower() if isinstance(status, dict) else ""
    if category in SKIPPED_STATUSES:
        return Skipped(where, f"{category} in incident.io, not an incident")
    severity = raw.get("severity")
    times: dict[str, Any] = {}
    for entry in raw.get("incident_timestamp_values") or []:
        if not isinstance(entry, dict):
            raise RowRefused(f"{where}: incident_timestamp_values holds something not an object.")
        name = str((entry.get("incident_timestamp") or {}).get("name", "")).lower()
        value = moment((entry.get("value") or {}).get("value"), f"{where} timestamp “{name}”")
        for field, words in TIMESTAMPS:
            if value is not None and field not in times and any(w in name for w in words):
                times[field] = value
    started = times.get("started_at") or moment(raw.get("created_at"), f"{where}.created_at")
    commander, responders = roles(
        (((a or {}).get("role") or {}).get("role_type") == "lead", _person(a.get("assignee")))
        for a in raw.get("incident_role_assignments") or []
    )
    actions = by_incident.get(external_id, [])
    summary = text(raw.get("summary"), f"{where}.summary")
    document_url = text(raw.get("postmortem_document_url"), f"{where}.postmortem_document_url")
    postmortem = None
    if document_url or actions:
        body = summary + (f"\n\nPostmortem document: {document_url}" if document_url else "")
        postmortem = PostmortemRecord(summary=body.strip())
    return IncidentRecord(
        row=where,
        external_id=external_id,
        url=text(raw.get("permalink"), f"{where}.permalink"),
        title=text(raw.get("name"), f"{where}.name"),
        severity=text(severity.get("name"), f"{where}.severity.name")
        if isinstance(severity, dict)
        else text(severity, f"{where}.severity"),
        summary=summary,
        started_at=started,
        detected_at=times.get("detected_at"),
        mitigated_at=times.get("mitigated_at"),
        resolved_at=times.get("resolved_at"),
        commander=commander,
        responders=responders,
        postmortem=postmortem,
        actions=actions,
    )


def _follow_up(raw: dict[str, Any], where: str) -> ActionRecord | None:
    status = text(raw.get("status"), f"{where}.status")
    if status == "deleted":
        return None
    if status not in ("outstanding", "completed", "not_doing"):
        raise RowRefused(f"{where}: unknown follow-up status “{status[:40]}”.")
    issue = raw.get("external_issue_reference") or {}
    return ActionRecord(
        title=text(raw.get("title"), f"{where}.title"),
        description=text(raw.get("description"), f"{where}.description"),
        owner=_person(raw.get("assignee")),
        done=status == "completed",
        done_at=moment(raw.get("completed_at"), f"{where}.completed_at"),
        deprioritised_reason="Marked “not doing” in incident.io." if status == "not_doing" else "",
        tracker_url=text(issue.get("issue_permalink"), f"{where}.external_issue_reference")
        if isinstance(issue, dict)
        else "",
        due_date=day(raw.get("due_date"), f"{where}.due_date") if "due_date" in raw else None,
    )
