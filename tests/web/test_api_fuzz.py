"""schemathesis against /api/v1/openapi.json: no 5xx, and no answer that breaks the schema.

Bounded for CI: every operation of the document, as the admin and as an editor (bob), with
a few valid and invalid examples each, derandomized (the same cases every run), no
deadline. (schemathesis's own pytest plugin does not run under pytest 9 yet, so the cases
come from its hypothesis strategies, checked with its checks.) Generated ids of an existing kind are
mostly mapped onto rows the fixture made (incidents of both teams, a postmortem with a
why, a timeline event, a factor, an owned action item with its tracker issue, escalation and
failed message, a tracker, an incident source, a similarity decision; history object types),
so the fuzzer reaches the handlers behind the 404s, not only the lookups.

Every operation of the document takes part, whichever app defines it (followup, ingest,
integrations, insights and history included), so a new route is fuzzed the day it lands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from followthrough.web.api.urls import api
from followthrough.web.followup.models import Escalation, Notification
from followthrough.web.ingest.models import IngestSource
from followthrough.web.integrations.models import TrackerLink
from followthrough.web.integrations.pagerduty.verify import (
    expected_signature as pagerduty_signature,
)
from followthrough.web.integrations.slack.verify import expected_signature as slack_signature
from followthrough.web.integrations.webhook.verify import expected_signature as webhook_signature
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

PREFIX = "/api/v1"
# Examples per operation, valid and invalid requests mixed: the admin passes every access
# check and so reaches the deepest code; the editor walks the same routes more briefly.
EXAMPLES = {"admin": 6, "bob": 4}
HISTORY_TYPES = ("incident", "action-item", "why")


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
        {
            "kind": "github",
            "settings": {"repository": "shop/checkout"},
            "api_token": "ghp_fuzz-token",
        },
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
        "object_id": [incident.pk, item, why],
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
            # The history's object types, likewise: three in four name a type it tracks.
            if name == "type" and isinstance(value, str) and len(value) % 4:
                case.path_parameters[name] = HISTORY_TYPES[len(value) % len(HISTORY_TYPES)]
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


# --- the signed receiving endpoints ----------------------------------------------------------
# /ingest/<vendor>/<source_id>/ and /ingest/slack/commands/ are not in the API document: they
# authenticate by the vendor's signature, not a token. Half the cases are signed with the
# source's secret, so garbled but authentic payloads reach the parsers and the incident they
# open or update; the other half carry made-up signatures.

WORDS = [
    "event",
    "event_type",
    "event_id",
    "action",
    "type",
    "id",
    "data",
    "incident",
    "alert",
    "title",
    "summary",
    "message",
    "description",
    "severity",
    "priority",
    "urgency",
    "status",
    "service",
    "team",
    "teams",
    "tags",
    "tag",
    "source",
    "started_at",
    "resolved_at",
    "occurred_at",
    "created_at",
    "html_url",
    "url",
    "external_id",
    "failure_mode",
]
VALUES = [
    "P0",
    "P1",
    "P4",
    "critical",
    "high",
    "low",
    "triggered",
    "acknowledged",
    "resolved",
    "incident.triggered",
    "incident.resolved",
    "Create",
    "Close",
    "AcknowledgeAlert",
    "2026-03-02T13:00:00Z",
    "not-a-date",
]
SECRETS = {
    "webhook": "walk-webhook-secret",
    "pagerduty": "pd-secret-1234",
    "opsgenie": "og-token-1234",
}
SLACK_SECRET = "slack-signing-secret"

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(VALUES)
)
payloads = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(WORDS), inner),
    max_leaves=20,
)
FIXTURES = Path(__file__).parent / "ingest" / "fixtures"


def vendor_examples(kind: str) -> list[Any]:
    """The vendor's documented payloads the ingest tests replay: the fuzzer's seeds."""
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / kind).glob("*.json"))]


def mutated(data: st.DataObject, value: Any) -> Any:
    """``value`` with some keys dropped, some values replaced by anything, the rest kept."""
    if isinstance(value, list):
        return [mutated(data, item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        fate = data.draw(st.sampled_from(["keep", "keep", "keep", "keep", "drop", "replace"]))
        if fate == "replace":
            out[key] = data.draw(payloads)
        elif fate == "keep":
            out[key] = mutated(data, item)
    return out


def signed_headers(kind: str, body: bytes, signed: bool, noise: str) -> dict[str, str]:
    now = str(int(time.time()))
    if kind == "webhook":
        signature = webhook_signature(SECRETS[kind], now, body) if signed else noise
        return {"HTTP_X_FOLLOWTHROUGH_SIGNATURE": f"t={now},v1={signature}"}
    if kind == "pagerduty":
        return {
            "HTTP_X_PAGERDUTY_SIGNATURE": pagerduty_signature(SECRETS[kind], body)
            if signed
            else noise
        }
    if kind == "opsgenie":
        return {"HTTP_X_FOLLOWTHROUGH_TOKEN": SECRETS[kind] if signed else noise}
    signature = slack_signature(SLACK_SECRET, now, body) if signed else noise
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": now, "HTTP_X_SLACK_SIGNATURE": signature}


@pytest.mark.django_db
def test_the_signed_receiving_endpoints_never_answer_5xx(cast: Cast) -> None:
    sources = {
        kind: IngestSource.objects.create(
            name=f"Fuzzed {kind}", kind=kind, team=cast.payments, secret=secret
        )
        for kind, secret in {**SECRETS, "slack": SLACK_SECRET}.items()
    }
    incident = cast.incident()
    seeds = {kind: vendor_examples(kind) for kind in sources}
    for form in seeds["slack"]:
        form["text"] = form["text"].replace("{incident}", str(incident.pk))
    client = Client()
    answered: set[int] = set()

    @settings(max_examples=80, deadline=None, derandomize=True, database=None)
    @given(
        kind=st.sampled_from(sorted(sources)),
        data=st.data(),
        raw=st.none() | st.none() | st.binary(max_size=64),
        signed=st.booleans(),
        noise=st.text(max_size=40).filter(lambda s: "\n" not in s and "\r" not in s),
        wrong_source=st.booleans(),
    )
    def run(
        kind: str,
        data: st.DataObject,
        raw: bytes | None,
        signed: bool,
        noise: str,
        wrong_source: bool,
    ) -> None:
        example = data.draw(st.sampled_from(seeds[kind]) | payloads)
        if kind == "slack":
            form = mutated(data, example) if isinstance(example, dict) else {"text": example}
            body = raw if raw is not None else urlencode(form).encode()
            path, content_type = "/ingest/slack/commands/", "application/x-www-form-urlencoded"
        else:
            body = raw if raw is not None else json.dumps(mutated(data, example)).encode()
            pk = sources["opsgenie" if kind == "webhook" and wrong_source else kind].pk
            path, content_type = f"/ingest/{kind}/{pk}/", "application/json"
        headers = signed_headers(kind, body, signed, noise)
        response = client.post(path, body, content_type=content_type, **headers)
        assert response.status_code < 500, (kind, body, response.content)
        assert "detail" in response.json() or "status" in response.json() or kind == "slack"
        answered.add(response.status_code)

    run()
    # The cases reached past the signature: some were applied, some refused as malformed.
    assert {401, 400} <= answered and answered & {200, 201}
