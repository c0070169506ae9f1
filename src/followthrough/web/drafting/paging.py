"""Proposals from the paging events an incident received (PagerDuty v3 webhooks, Opsgenie
and Jira Service Management alert callbacks), read from the stored deliveries.

Every delivery applied to the incident keeps its event (``ingest.Delivery.payload``); each
supported event type is one sentence here. An event type without a sentence is left out
rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from followthrough.web.drafting.proposals import Proposal, one_line, quoted
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import Delivery

OPSGENIE_ALERT_URL = "https://app.opsgenie.com/alert/detail/{id}/details"


def _s(value: Any) -> str:
    return one_line(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _names(items: Any) -> str:
    if not isinstance(items, list):
        return ""
    return ", ".join(n for n in (_s(_get(i, "summary")) for i in items) if n)


def pagerduty_sentence(event: dict[str, Any]) -> tuple[str, str]:
    """(sentence, link) of a PagerDuty v3 webhook event; ("", "") for one we do not state."""
    kind = _s(event.get("event_type"))
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    agent = _s(_get(event, "agent", "summary"))
    by = f" by {agent}" if agent else ""
    link = _s(_get(data, "html_url")) or _s(_get(data, "incident", "html_url"))
    number = _s(_get(data, "number"))
    incident = f"PagerDuty incident #{number}" if number else "PagerDuty incident"
    if kind == "incident.triggered":
        service = _s(_get(data, "service", "summary"))
        on = f" on {service}" if service else ""
        return f"{incident} triggered{on}: {_s(_get(data, 'title'))}".rstrip(": "), link
    if kind == "incident.acknowledged":
        return f"{incident} acknowledged{by}.", link
    if kind == "incident.escalated":
        to = _names(_get(data, "assignees"))
        return f"{incident} escalated{f' to {to}' if to else ''}.", link
    if kind == "incident.responder.added":
        who = _s(_get(data, "user", "summary")) or _s(_get(data, "escalation_policy", "summary"))
        if who:
            return f"{who} added as a responder to {incident}{by}.", link
        return f"A responder was added to {incident}{by}.", link
    if kind == "incident.annotated":
        return f"Note on {incident}: {quoted(agent, _s(_get(data, 'content')))}", link
    if kind == "incident.priority_updated":
        priority = _s(_get(data, "priority", "summary"))
        return f"{incident} priority set to {priority or 'none'}{by}.", link
    if kind == "incident.resolved":
        return f"{incident} resolved{by}.", link
    if kind == "incident.reopened":
        return f"{incident} reopened{by}.", link
    return "", ""


OPSGENIE_VERBS = {
    "Create": "created",
    "Acknowledge": "acknowledged",
    "UnAcknowledge": "unacknowledged",
    "Close": "closed",
    "EscalateNext": "escalated to the next level",
}


def opsgenie_sentence(body: dict[str, Any], vendor: str) -> tuple[str, str]:
    """(sentence, link) of an Opsgenie (or JSM) alert callback; ("", "") for one we do not state."""
    action = _s(body.get("action"))
    alert = body.get("alert") if isinstance(body.get("alert"), dict) else {}
    tiny = _s(alert.get("tinyId"))
    name = f"{vendor} alert #{tiny}" if tiny else f"{vendor} alert"
    who = _s(alert.get("username"))
    by = f" by {who}" if who and who.lower() != "system" else ""
    alert_id = _s(alert.get("alertId"))
    link = OPSGENIE_ALERT_URL.format(id=alert_id) if alert_id and vendor == "Opsgenie" else ""
    if action == "Create":
        return f"{name} created: {_s(alert.get('message'))}".rstrip(": "), link
    if action in OPSGENIE_VERBS:
        return f"{name} {OPSGENIE_VERBS[action]}{by}.", link
    if action == "UpdatePriority":
        return f"{name} priority set to {_s(alert.get('priority')) or 'none'}{by}.", link
    if action == "UpdateMessage":
        return f"{name} message changed{by}: “{_s(alert.get('message'))}”.", link
    if action == "AddNote":
        return f"Note on {name}: {quoted(who, _s(alert.get('note')))}", link
    return "", ""


def from_deliveries(incident: Incident) -> Iterator[Proposal]:
    """A proposal for every stored paging event applied to ``incident``, oldest first."""
    rows = (
        Delivery.objects.filter(incident=incident, payload__isnull=False)
        .select_related("source")
        .order_by("occurred_at", "id")
    )
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else {}
        if row.source.kind == "pagerduty":
            sentence, link = pagerduty_sentence(payload)
        elif row.source.kind in ("opsgenie", "jsm"):
            label = "Opsgenie" if row.source.kind == "opsgenie" else "Jira Service Management"
            sentence, link = opsgenie_sentence(payload, label)
        else:
            continue
        when: datetime | None = row.occurred_at
        if not sentence or when is None:
            continue
        yield Proposal(
            occurred_at=when,
            description=sentence,
            source=row.source.kind_label.split(" (")[0],
            link=link,
            origin=f"delivery:{row.pk}",
        )
