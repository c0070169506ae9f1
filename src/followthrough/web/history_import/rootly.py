"""Rootly: the incidents list of its REST API (JSON:API, ``GET /v1/incidents``) and, per
incident, its action items (``GET /v1/incidents/{id}/action_items``).

PATH is the saved incidents answer, or a folder holding ``incidents.json`` and
``action_items/<incident id>.json``. Cancelled incidents are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from followthrough.web.history_import.reading import (
    check_fields,
    csv_not_documented,
    data_attributes,
    day,
    each_row,
    looks_like_csv,
    moment,
    per_incident,
    read_list,
    text,
)
from followthrough.web.history_import.records import (
    ActionRecord,
    IncidentRecord,
    PersonRef,
    PostmortemRecord,
    Row,
    RowRefused,
    Skipped,
)

NAME = "rootly"
LABEL = "Rootly"
WHAT = "a Rootly incidents list (JSON:API)"

# Rootly's default severities by name (SEV0-SEV3) and by their level.
SEVERITIES = {f"sev{n}": f"P{n}" for n in range(4)} | {
    "critical": "P0",
    "high": "P1",
    "medium": "P2",
    "low": "P3",
}
ENVELOPE = frozenset({"data", "links", "meta", "included", "jsonapi"})
ROW_FIELDS = frozenset({"id", "type", "attributes", "relationships", "links"})
INCIDENT_FIELDS = frozenset(
    {
        "id", "title", "slug", "summary", "kind", "private", "severity", "status", "url",
        "short_url", "sequential_id", "source", "public_title", "parent_incident_id",
        "duplicate_incident_id", "started_at", "detected_at", "acknowledged_at",
        "mitigated_at", "resolved_at", "closed_at", "cancelled_at", "in_triage_at",
        "scheduled_for", "scheduled_until", "created_at", "updated_at", "user",
        "started_by", "mitigated_by", "resolved_by", "closed_by", "cancelled_by",
        "in_triage_by", "environments", "incident_types", "services", "functionalities",
        "groups", "causes", "labels", "slack_channel_id", "slack_channel_name",
        "slack_channel_url", "slack_channel_short_url", "slack_channel_deep_link",
        "mitigation_message", "resolution_message", "cancellation_message",
        "retrospective_progress_status", "jira_issue_id", "jira_issue_key",
        "jira_issue_url", "zoom_meeting_id", "zoom_meeting_join_url", "google_meeting_url",
        "incident_url", "roles", "events", "action_items", "feedbacks",
        "incident_post_mortem", "time_to_resolve", "time_to_detect",
        "time_to_internal_response",
    }
)  # fmt: skip
ACTION_FIELDS = frozenset(
    {
        "summary", "description", "kind", "assigned_to", "assigned_to_group_ids",
        "priority", "status", "due_date", "incident_id", "jira_issue_id",
        "jira_issue_key", "jira_issue_url", "url", "created_at", "updated_at",
    }
)  # fmt: skip
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")


def read(path: Path, *, strict: bool, notes: list[str]) -> list[Row]:
    if looks_like_csv(path):
        raise csv_not_documented(path, LABEL)
    folder, _, incidents = read_list(path, "incidents.json", "data", WHAT, ENVELOPE)

    def incident(raw: Any, where: str) -> Row:
        row = check_fields(raw, ROW_FIELDS, where, strict=strict, notes=notes)
        if row.get("type") != "incidents":
            raise RowRefused(f"{where} is a “{str(row.get('type'))[:40]}”, not an incident.")
        return _incident(row, where, folder, strict, notes)

    return each_row(incidents, "data", WHAT, incident)


def _user(value: Any) -> PersonRef | None:
    attributes = data_attributes(value)
    ref = PersonRef(
        name=text(attributes.get("full_name") or attributes.get("name"), "user name"),
        email=text(attributes.get("email"), "user email"),
    )
    return ref or None


def _severity(value: Any, where: str) -> str:
    if isinstance(value, str) or value is None:
        return text(value, where)
    attributes = data_attributes(value)
    return text(attributes.get("name") or attributes.get("severity"), where)


def _incident(
    row: dict[str, Any], where: str, folder: Path | None, strict: bool, notes: list[str]
) -> Row:
    external_id = text(row.get("id"), f"{where}.id")
    if not external_id:
        raise RowRefused(f"{where} has no id.")
    attributes = check_fields(
        row.get("attributes"), INCIDENT_FIELDS, f"{where}.attributes", strict=strict, notes=notes
    )
    label = attributes.get("sequential_id") or attributes.get("slug") or external_id
    where = f"{where} ({label})"
    if attributes.get("status") == "cancelled" or attributes.get("cancelled_at"):
        return Skipped(where, "cancelled in Rootly, not an incident")
    actions = []
    for n, raw in enumerate(
        per_incident(folder, "action_items", external_id, "Rootly action items", ENVELOPE)
    ):
        item_where = f"action_items/{external_id}.json data[{n}]"
        item = check_fields(raw, ROW_FIELDS, item_where, strict=strict, notes=notes)
        actions.append(_action(item.get("attributes"), item_where, strict, notes))
    summary = text(attributes.get("summary"), f"{where}.summary")
    resolution = text(attributes.get("resolution_message"), f"{where}.resolution_message")
    postmortem = PostmortemRecord(summary=summary, resolution=resolution) if actions else None
    return IncidentRecord(
        row=where,
        external_id=external_id,
        url=text(attributes.get("url"), f"{where}.url"),
        title=text(attributes.get("title"), f"{where}.title"),
        severity=_severity(attributes.get("severity"), f"{where}.severity"),
        summary=summary,
        started_at=moment(attributes.get("started_at"), f"{where}.started_at")
        or moment(attributes.get("created_at"), f"{where}.created_at"),
        detected_at=moment(attributes.get("detected_at"), f"{where}.detected_at"),
        mitigated_at=moment(attributes.get("mitigated_at"), f"{where}.mitigated_at"),
        resolved_at=moment(attributes.get("resolved_at"), f"{where}.resolved_at"),
        postmortem=postmortem,
        actions=actions,
    )


def _action(raw: Any, where: str, strict: bool, notes: list[str]) -> ActionRecord:
    attributes = check_fields(raw, ACTION_FIELDS, f"{where}.attributes", strict=strict, notes=notes)
    status = text(attributes.get("status"), f"{where}.status") or "open"
    if status not in ACTION_STATUSES:
        raise RowRefused(f"{where}: unknown action item status “{status[:40]}”.")
    return ActionRecord(
        title=text(attributes.get("summary"), f"{where}.summary"),
        description=text(attributes.get("description"), f"{where}.description"),
        owner=_user(attributes.get("assigned_to")),
        due_date=day(attributes.get("due_date"), f"{where}.due_date"),
        done=status == "done",
        deprioritised_reason="Cancelled in Rootly." if status == "cancelled" else "",
        tracker_url=text(attributes.get("jira_issue_url"), f"{where}.jira_issue_url"),
    )
