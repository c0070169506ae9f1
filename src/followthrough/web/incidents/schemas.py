"""Request and response bodies of the incidents API (the shared types are in
``followthrough.web.api.schemas``)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, OuterRef, Q, QuerySet, When
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema

from followthrough.web.accounts.models import Person
from followthrough.web.accounts.schemas import PersonRef
from followthrough.web.api.access import user_of
from followthrough.web.api.moments import AsWritten, precise
from followthrough.web.api.schemas import (
    Answers,
    Decision,
    Id,
    In,
    PostmortemStatus,
    Severity,
    Tag,
    Text,
    Text200,
    Text300,
    Title,
    Versioned,
    request_now,
)
from followthrough.web.incidents.models import FLAGS, Incident, origin_of
from followthrough.web.lib.dates import Moment
from followthrough.web.lib.json_rows import JsonRows
from followthrough.web.lib.prepared import Prepared, Var, cursor, prepare
from followthrough.web.postmortems.derived import overdue_q
from followthrough.web.visibility import incident_q

# --- incidents -----------------------------------------------------------------------------


class PolicyOut(Schema):
    decision: Decision
    reasons: list[str]


class PostmortemRef(Schema):
    id: int
    status: PostmortemStatus


class IncidentOut(Schema):
    id: int
    key: str
    team_id: int
    title: str
    severity: Severity
    summary: str
    started_at: datetime | None
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    commander: PersonRef | None
    responders: list[PersonRef]
    customer_facing: bool
    data_loss: bool
    near_miss: bool
    security: bool
    process_failure: bool
    significant_impact: bool
    repeat_of_id: int | None
    failure_mode: str
    failure_tags: list[str]
    source: str
    source_label: str = Field(
        description="Where the incident came from, in words (“Imported from incident.io”)."
    )
    source_url: str = Field(description="The incident at the tool it was imported from.")
    external_id: str
    created_at: datetime
    updated_at: datetime
    version: int
    policy: PolicyOut
    postmortem: PostmortemRef | None
    overdue: bool = Field(description="A milestone or action item of its postmortem is overdue.")


#: an incident's responders in the order every answer lists them: by name, two of the same
#: name by id
RESPONDERS_IN_ORDER = Person.objects.order_by("name", "pk")


class IncidentIn(In):
    team_id: Id
    title: Title
    severity: Severity
    summary: Text = ""
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = Field(
        None, description="Resolution starts the postmortem clock (T+0)."
    )
    commander_id: Id | None = None
    responder_ids: list[Id] = []
    customer_facing: bool = False
    data_loss: bool = False
    near_miss: bool = False
    security: bool = False
    process_failure: bool = False
    significant_impact: bool = False
    repeat_of_id: Id | None = None
    failure_mode: Text300 = ""
    failure_tags: list[Tag] = []
    external_id: Text200 = Field(
        "", description="Your system's id for it; a second POST with the same id gets 409."
    )


# PATCH bodies: a default of None is never validated, so an absent field reads as None while
# an explicit null on a non-nullable field still fails validation (422).
class IncidentPatch(Versioned):
    team_id: Id = None  # type: ignore[assignment]
    title: Title = None  # type: ignore[assignment]
    severity: Severity = None  # type: ignore[assignment]
    summary: Text = None  # type: ignore[assignment]
    started_at: Moment | None = None
    detected_at: Moment | None = None
    mitigated_at: Moment | None = None
    resolved_at: Moment | None = None
    commander_id: Id | None = None
    responder_ids: list[Id] = None  # type: ignore[assignment]
    customer_facing: bool = None  # type: ignore[assignment]
    data_loss: bool = None  # type: ignore[assignment]
    near_miss: bool = None  # type: ignore[assignment]
    security: bool = None  # type: ignore[assignment]
    process_failure: bool = None  # type: ignore[assignment]
    significant_impact: bool = None  # type: ignore[assignment]
    repeat_of_id: Id | None = None
    failure_mode: Text300 = None  # type: ignore[assignment]
    failure_tags: list[Tag] = None  # type: ignore[assignment]


class IncidentRef(Schema):
    id: int
    key: str
    title: str
    severity: Severity
    team_id: int
    resolved_at: datetime | None


# --- every answer, read without the ORM's compiler or the schema ---------------------------
#
# The list, the detail and the writes' answers (POST, PATCH, a stale PATCH's "current")
# compile their SQL once per shape (the filters given, whether the viewer is an admin) with
# ``followthrough.web.lib.prepared`` and write each row straight into the dict IncidentOut
# dumps (same fields, order and values), answered by the API's own JSON renderer. IncidentOut
# itself only documents that form (OpenAPI). The query is still built by the code below from
# ``incident_q`` and ``overdue_q``, so visibility and "overdue" stay decided where they are;
# tests compare every answer with IncidentOut's read over the ORM
# (tests/web/api/test_incident_answers.py).


@dataclass(frozen=True)
class IncidentFilters:
    """What the list was asked for (the detail: ``pk``); None for a filter not given."""

    team: int | None = None
    severity: str | None = None
    decision: str | None = None
    status: str | None = None  # a postmortem status, or "none"
    overdue: bool | None = None
    term: str = ""
    key: int | None = None  # the incident the search term names ("INC-12"), if an id
    pk: int | None = None


def _answer_columns(moment: Callable[[str], Any]) -> tuple[Any, ...]:
    """The columns an answer is written from, as ``values_list`` names them, each date-time
    column as ``moment`` reads it."""
    return (
        "id",
        "team_id",
        "title",
        "severity",
        "summary",
        moment("started_at"),
        moment("detected_at"),
        moment("mitigated_at"),
        moment("resolved_at"),
        "commander_id",
        "commander__name",
        *FLAGS,
        "repeat_of_id",
        "failure_mode",
        "failure_tags",
        "source",
        "source_url",
        "external_id",
        moment("created_at"),
        moment("updated_at"),
        "version",
        "policy_decision",
        "policy_reasons",
        "postmortem__id",
        "postmortem__status",
    )


#: an answer's columns, its date-times already as the answer writes them (``api.moments``)
ANSWER_COLUMNS = _answer_columns(AsWritten)
#: the same, its date-times read as datetimes, for an answer that keeps their microseconds
PRECISE_COLUMNS = _answer_columns(lambda name: name)


def _like(value: Any, connection: BaseDatabaseWrapper) -> Any:
    return f"%{connection.ops.prep_for_like_query(value)}%"


def _moment(value: Any, connection: BaseDatabaseWrapper) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _today(value: Any, connection: BaseDatabaseWrapper) -> Any:
    # overdue_q compares due dates with the day of ``now`` in the active zone
    return connection.ops.adapt_datefield_value(timezone.localdate(value))


# Samples no constant of the query equals (ids stay in the 32-bit range of the user's id).
_VARS = {
    "viewer": Var((2_000_000_011, 2_000_000_012)),
    "team": Var((2_000_000_021, 2_000_000_022)),
    "severity": Var(("zqx-severity-a", "zqx-severity-b")),
    "decision": Var(("zqx-decision-a", "zqx-decision-b")),
    "status": Var(("zqx-status-a", "zqx-status-b")),
    "term": Var(("zqxterma", "zqxtermb"), (_like,)),
    "key": Var((2_000_000_031, 2_000_000_032)),
    "pk": Var((2_000_000_041, 2_000_000_042)),
    "now": Var(
        (datetime(2101, 2, 3, 4, 5, 6, 789012, UTC), datetime(2102, 3, 4, 5, 6, 7, 890123, UTC)),
        (_moment, _today),
    ),
}
#: whether the incident is overdue at the request's instant (``overdue_q``)
OVERDUE = "overdue_now"
EARLIER_SEEN = "repeat_of_seen"
RESPONDERS = "responders_json"
_SHAPES: dict[tuple[Any, ...], Prepared | None] = {}


def _values(filters: IncidentFilters, viewer: Any, now: datetime) -> dict[str, Any]:
    """The vars of the query: the filters given, the viewer (unless an admin) and ``now``."""
    values = {
        name: getattr(filters, name)
        for name in ("team", "severity", "decision", "status", "key", "pk")
        if getattr(filters, name) is not None
    }
    if filters.status == "none":
        del values["status"]
    if filters.term:
        values["term"] = filters.term
    if viewer.is_authenticated and not viewer.is_superuser:
        values["viewer"] = viewer.pk
    values["now"] = now
    return values


def _build(shape: tuple[Any, ...], values: Mapping[str, Any]) -> QuerySet[Any, Any]:
    """The query of ``shape`` for ``values`` (the samples when preparing it)."""
    authenticated, admin, status_none, overdue, microseconds = shape[:5]
    viewer = AnonymousUser() if not authenticated else get_user_model()(is_superuser=admin)
    if "viewer" in values:
        viewer.pk = values["viewer"]
    incidents = Incident.objects.filter(incident_q(viewer))
    if "pk" in values:
        incidents = incidents.filter(pk=values["pk"])
    if "team" in values:
        incidents = incidents.filter(team_id=values["team"])
    if "severity" in values:
        incidents = incidents.filter(severity=values["severity"])
    if status_none:
        incidents = incidents.filter(postmortem__isnull=True)
    elif "status" in values:
        incidents = incidents.filter(postmortem__status=values["status"])
    if "term" in values:
        term = values["term"]
        match = (
            Q(title__icontains=term) | Q(summary__icontains=term) | Q(failure_mode__icontains=term)
        )
        if "key" in values:
            match |= Q(pk=values["key"])
        incidents = incidents.filter(match)
    if "decision" in values:
        incidents = incidents.filter(policy_decision=values["decision"])
    now = values["now"]
    if overdue is not None:
        late = overdue_q(now)
        incidents = incidents.filter(late if overdue else ~late)
    late_now = Case(When(overdue_q(now), then=True), default=False)
    # the earlier incident is named only to a reader who may see it (resolve_repeat_of_id)
    readable = Incident.objects.filter(incident_q(viewer)).values("pk")
    earlier_seen = Case(When(repeat_of_id__in=readable, then=True), default=False)
    read = incidents.annotate(**{OVERDUE: late_now, EARLIER_SEEN: earlier_seen})
    columns = PRECISE_COLUMNS if microseconds else ANSWER_COLUMNS
    if not _responders_apart(values):
        responders = JsonRows(
            RESPONDERS_IN_ORDER.filter(incidents_responded=OuterRef("pk")).values("id", "name")
        )
        read = read.annotate(**{RESPONDERS: responders})
        columns = (*columns, OVERDUE, EARLIER_SEEN, RESPONDERS)
    else:
        columns = (*columns, OVERDUE, EARLIER_SEEN)
    if "pk" not in values:
        read = read.order_by("-started_at", "-pk")
    return read.values_list(*columns)


def _responders_apart(values: Mapping[str, Any]) -> bool:
    """Whether a list page reads its responders in a second statement (_responders) rather
    than in its rows (as the detail's one row always does).

    On SQLite, where a statement costs no round trip: in the page's own SELECT the subquery
    runs for every row sorted or skipped, not only the page's. PostgreSQL evaluates it after
    the sort and the LIMIT, for the page's rows only, and a statement fewer is a round trip
    fewer (and its parse, bind and execute)."""
    return "pk" not in values and connection.vendor != "postgresql"


def _prepared(
    filters: IncidentFilters, viewer: Any, values: Mapping[str, Any], microseconds: bool
) -> Prepared | None:
    """The shape's prepared SQL (None: it matches nothing, as for an anonymous reader)."""
    shape = (
        viewer.is_authenticated,
        viewer.is_authenticated and viewer.is_superuser,
        filters.status == "none",
        filters.overdue,
        microseconds,
        *sorted(values),
    )
    key = (connection.vendor, connection.alias, *shape)
    if key not in _SHAPES:
        try:
            _SHAPES[key] = prepare(
                lambda v: _build(shape, v), {name: _VARS[name] for name in values}
            )
        except EmptyResultSet:
            _SHAPES[key] = None
    return _SHAPES[key]


class IncidentAnswers(Answers):
    """The incidents ``request``'s viewer may read under ``filters``, newest first, each in
    the form :class:`IncidentOut` dumps.

    ``microseconds``: each date-time as :func:`~followthrough.web.api.moments.precise`
    writes it, not as the answer does (the "current" of a stale PATCH's 409 keeps them)."""

    def __init__(
        self, request: HttpRequest, filters: IncidentFilters, *, microseconds: bool = False
    ) -> None:
        self.request = request
        self.viewer = user_of(request)
        self.microseconds = microseconds
        self.values = _values(filters, self.viewer, request_now(request))
        self.prepared = _prepared(filters, self.viewer, self.values, microseconds)

    def page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if self.prepared is None:
            return []
        rows = self.prepared.rows(self.values, " LIMIT %s OFFSET %s", (limit, offset))
        if not _responders_apart(self.values):
            return [self._answer(row, row.pop()) for row in rows]  # the row ends with them
        responders = _responders([row[0] for row in rows])
        return [self._answer(row, responders.get(row[0], [])) for row in rows]

    def one(self) -> dict[str, Any] | None:
        if self.prepared is None:
            return None
        rows = self.prepared.rows(self.values)
        if not rows:
            return None
        row = rows[0]
        responders = row.pop()  # the detail's row ends with them (_build)
        return self._answer(row, responders)

    def count(self) -> int:
        return self.prepared.count(self.values) if self.prepared is not None else 0

    def _answer(self, row: list[Any], responders: list[dict[str, Any]]) -> dict[str, Any]:
        (
            pk,
            team_id,
            title,
            severity,
            summary,
            started_at,
            detected_at,
            mitigated_at,
            resolved_at,
            commander_id,
            commander_name,
            customer_facing,
            data_loss,
            near_miss,
            security,
            process_failure,
            significant_impact,
            repeat_of_id,
            failure_mode,
            failure_tags,
            source,
            source_url,
            external_id,
            created_at,
            updated_at,
            version,
            policy_decision,
            policy_reasons,
            postmortem_id,
            postmortem_status,
            overdue,
            earlier_seen,
        ) = row
        if self.microseconds:
            started_at, detected_at, mitigated_at, resolved_at, created_at, updated_at = (
                precise(moment)
                for moment in (
                    started_at,
                    detected_at,
                    mitigated_at,
                    resolved_at,
                    created_at,
                    updated_at,
                )
            )
        return {
            "id": pk,
            "key": f"INC-{pk}",
            "team_id": team_id,
            "title": title,
            "severity": severity,
            "summary": summary,
            "started_at": started_at,
            "detected_at": detected_at,
            "mitigated_at": mitigated_at,
            "resolved_at": resolved_at,
            "commander": None
            if commander_id is None
            else {"id": commander_id, "name": commander_name},
            "responders": responders,
            "customer_facing": customer_facing,
            "data_loss": data_loss,
            "near_miss": near_miss,
            "security": security,
            "process_failure": process_failure,
            "significant_impact": significant_impact,
            "repeat_of_id": repeat_of_id if earlier_seen else None,
            "failure_mode": failure_mode,
            "failure_tags": failure_tags,
            "source": source,
            "source_label": origin_of(source, external_id),
            "source_url": source_url,
            "external_id": external_id,
            "created_at": created_at,
            "updated_at": updated_at,
            "version": version,
            "policy": {"decision": policy_decision, "reasons": policy_reasons},
            "postmortem": None
            if postmortem_id is None
            else {"id": postmortem_id, "status": postmortem_status},
            "overdue": bool(overdue),
        }


def _responders(incident_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each incident's responders in the order of :data:`RESPONDERS_IN_ORDER`."""
    if not incident_ids:
        return {}
    through = Incident.responders.through._meta
    people = Person._meta
    name = connection.ops.quote_name
    incident = name(through.get_field("incident").column)
    person = name(through.get_field("person").column)
    sql = (
        f"SELECT r.{incident}, p.{name('id')}, p.{name('name')} "
        f"FROM {name(through.db_table)} r INNER JOIN {name(people.db_table)} p "
        f"ON p.{name('id')} = r.{person} "
        f"WHERE r.{incident} IN ({', '.join(['%s'] * len(incident_ids))}) "
        f"ORDER BY p.{name('name')} ASC, p.{name('id')} ASC"
    )
    found: dict[int, list[dict[str, Any]]] = {}
    with cursor(connection) as rows:
        rows.execute(sql, incident_ids)
        for incident_id, person_id, person_name in rows.fetchall():
            found.setdefault(incident_id, []).append({"id": person_id, "name": person_name})
    return found
