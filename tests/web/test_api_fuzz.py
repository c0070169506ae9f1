"""schemathesis against /api/v1/openapi.json: no 5xx, and no answer that breaks the schema.

Bounded for CI: every operation of the document, as the admin and as an editor (bob), with
a few valid and invalid examples each, derandomized (the same cases every run), no
deadline. (schemathesis's own pytest plugin does not run under pytest 9 yet, so the cases
come from its hypothesis strategies, checked with its checks.) Generated ids of an existing kind are
mostly mapped onto rows the fixture made (an incident with its postmortem, a why, a
timeline event, a factor, an action item and the meeting), so the fuzzer reaches the
handlers behind the 404s, not only the lookups.

Every operation of the document takes part, whichever app defines it (followup, ingest,
integrations, insights and history included), so a new route is fuzzed the day it lands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, get_args

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from followthrough.web.api.urls import api
from followthrough.web.followup.models import Escalation, Notification
from followthrough.web.integrations.models import TrackerLink
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

PREFIX = "/api/v1"
# Examples per operation, valid and invalid requests mixed: the admin passes every access
# check and so reaches the deepest code; the editor walks the same routes more briefly.
EXAMPLES = {"admin": 4, "bob": 3}


def known_rows(cast: Cast) -> dict[str, list[int]]:
    """One of everything the API names by id, made through the API; ids by path parameter.

    Payments gets an incident with a postmortem (a why, a timeline event, a factor, an owned
    action item with its tracker issue, an escalation and a failed message), an earlier
    incident like it (a similarity suggestion, rejected once), a tracker and an incident
    source. Security, which only dana and the admin see, gets an incident too.
    """
    earlier = cast.incident(
        title="Checkout returned 502 for EU shoppers",
        failure_mode="connection pool exhaustion on orders-db",
        started_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 2, 1, 11, 0, tzinfo=UTC),
    )
    incident = cast.incident(failure_mode="orders-db ran out of pool connections")
    hidden = cast.incident(cast.security, title="Leaked signing key rotated")
    postmortem = start_postmortem(incident, cast.alice)
    alice = cast.api("alice")
    base = f"{PREFIX}/postmortems/{postmortem.pk}"
    team = f"{PREFIX}/teams/{cast.payments.pk}"

    def made(path: str, body: dict[str, Any], key: str = "id") -> int:
        response = alice.put_json(path, body) if key == "team_id" else alice.post_json(path, body)
        assert response.status_code == 201, response.content
        return int(response.json()[key])

    made(
        f"{team}/tracker",
        {"kind": "github", "repository": "shop/checkout", "api_token": "ghp_fuzz-token"},
        key="team_id",
    )
    why = made(f"{base}/whys", {"question": "Why did checkout fail?", "answer": "Pool exhausted"})
    event = made(
        f"{base}/timeline",
        {"occurred_at": "2026-03-02T13:10:00Z", "description": "Alert fired for 502s"},
    )
    factor = made(f"{base}/factors", {"description": "No alert on pool saturation"})
    item = made(
        f"{base}/action-items",
        {"title": "Alert when the pool is 80% used", "owner_id": cast.person(cast.bob).pk},
    )
    source = made(
        f"{PREFIX}/ingest/sources",
        {
            "name": "Checkout pager",
            "kind": "webhook",
            "team_id": cast.payments.pk,
            "secret": "fuzz-signing-secret",
        },
    )
    decided = alice.put_json(
        f"{PREFIX}/incidents/{incident.pk}/similar/{earlier.pk}", {"decision": "rejected"}
    )
    assert decided.status_code == 200, decided.content
    assert TrackerLink.objects.filter(action_item_id=item).exists()
    Escalation.objects.create(
        item_id=item,
        episode=datetime(2026, 3, 10, tzinfo=UTC),
        level=1,
        to_person=cast.person(cast.alice),
        reason="Stalled for 14 days",
    )
    Notification.objects.create(
        dedupe_key="fuzz-failed-reminder",
        kind="reminder",
        channel="email",
        recipient=cast.person(cast.bob),
        action_item_id=item,
        subject="Your action item is due",
        text="Alert when the pool is 80% used",
        status="failed",
        attempts=5,
        last_error="550 mailbox unavailable",
    )
    return {
        "team_id": [cast.payments.pk, cast.security.pk],
        "incident_id": [incident.pk, earlier.pk, hidden.pk],
        "candidate_id": [earlier.pk, incident.pk, hidden.pk],
        "postmortem_id": [postmortem.pk],
        "why_id": [why],
        "event_id": [event],
        "factor_id": [factor],
        "item_id": [item],
        "source_id": [source],
    }


def load_schema() -> Any:
    config = SchemathesisConfig.from_dict({"seed": 20260302})
    schema = schemathesis.openapi.from_wsgi(
        f"{PREFIX}/openapi.json", get_wsgi_application(), config=config
    )
    return schema


def fuzz(operation: Any, token: str, rows: dict[str, list[int]], examples: int) -> None:
    """Valid and invalid requests for one operation; the first failure, shrunk, is raised."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )
    )
    def run(case: Any) -> None:
        for name, value in list((case.path_parameters or {}).items()):
            # Three generated ids in four name a row that exists; the fourth stays as generated.
            if name in rows and isinstance(value, int) and value % 4:
                case.path_parameters[name] = rows[name][value % len(rows[name])]
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()


@contextmanager
def connection_kept_open() -> Iterator[None]:
    """Keep the test's database connection open across requests, as Django's test client does.

    The real WSGI handler closes connections when a request starts and finishes; on
    PostgreSQL that would end the test's transaction, and its data, at the first request.
    (Enter it after any test-client request: the client puts the handlers back each time.)
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "bob"])
def test_no_operation_answers_5xx_or_breaks_its_schema(
    cast: Cast, role: str, settings: Any
) -> None:
    settings.API_RATE_LIMIT = (100_000, 60)  # the fuzzer is one token making many requests
    rows = known_rows(cast)
    failures = []
    operations = 0
    with connection_kept_open():
        for result in load_schema().get_all_operations():
            operation = result.ok()
            operations += 1
            try:
                fuzz(operation, cast.tokens[role], rows, EXAMPLES[role])
            except Exception as failure:  # every operation is fuzzed; all failures are reported
                failures.append(f"{operation.label}: {failure}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_a_time_with_an_offset_postgresql_cannot_store_is_kept_in_utc(cast: Cast) -> None:
    # Found by the fuzzer: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows.
    rows = known_rows(cast)
    alice = cast.api("alice")
    base = f"{PREFIX}/postmortems/{rows['postmortem_id'][0]}/timeline"
    response = alice.post_json(
        base, {"occurred_at": "2026-03-02T21:02:00-21:49", "description": "Paged the on-call"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["occurred_at"].startswith("2026-03-03T18:51:00")
    response = alice.post_json(
        base, {"occurred_at": "9999-12-31T23:00:00-05:00", "description": "Far future"}
    )
    assert response.status_code == 422
    assert "outside the years 1-9999" in response.content.decode()


def schema_classes() -> dict[str, set[type[BaseModel]]]:
    """Our schema classes reachable from the API's operations, by class name."""
    found: dict[str, set[type[BaseModel]]] = {}
    seen: set[Any] = set()

    def walk(annotation: Any) -> None:
        for arg in get_args(annotation):
            walk(arg)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return
            seen.add(annotation)
            if annotation.__module__.startswith("followthrough."):
                found.setdefault(annotation.__name__, set()).add(annotation)
            for field in annotation.model_fields.values():
                walk(field.annotation)

    for _prefix, router, *_ in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    walk(model)
    return found


def test_no_two_schemas_of_the_document_share_a_name() -> None:
    # The document keeps one schema per name: a second class of the same name (two apps'
    # SourceOut, two ChangeOut) silently describes the other's answers with the wrong fields.
    classes = schema_classes()
    assert len(classes) >= 30
    shared = {name: sorted(c.__module__ for c in found) for name, found in classes.items()}
    assert {name: m for name, m in shared.items() if len(m) > 1} == {}
