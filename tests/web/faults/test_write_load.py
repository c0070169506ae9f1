"""PostgreSQL backends terminated during a write load: the answer always says what happened.

Several clients create incidents through the API at once, each sending an
``Idempotency-Key`` and retrying with the same key and body on a 503 (as a client should),
while another connection terminates every server backend it finds, again and again. What
the issue found before: 133 of 175 creations answered 503 had been committed (derived
work after the commit failed and became the 503), so retries made duplicates; a 422
"constraint violated" where the database had gone away; a 500.

Afterwards every 201 names a committed incident, no 503 was committed (an attempt that
committed answered 201, or its retry replays that 201), there is one incident per key,
no other status appeared, and the derived work the creations queued (the similarity
index) is done by the worker once the database is back.
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.db import connections

from conftest import ApiClient
from followthrough.web.followup.worker import one_pass
from followthrough.web.incidents.models import Incident
from followthrough.web.insights.models import IncidentSignature

from .conftest import backend_pid, other_backends, postgres_only, terminate

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

CLIENTS = 4
PER_CLIENT = 12
RETRIES = 100
#: the storm ends once the clients have met this many terminated backends, so that every
#: client gets through in the end however slow the machine (a storm that outlasts the
#: clients' retries proves nothing more and fails on a loaded machine)
STORM_503S = 10 * CLIENTS


@dataclass
class Attempt:
    key: str
    status: int
    incident_id: int | None
    replayed: bool
    detail: str


def _create_with_retries(
    token: str, team_id: int, client_no: int, log: list[Attempt], crashes: list[str]
) -> None:
    api = ApiClient(token)
    try:
        for n in range(PER_CLIENT):
            key = str(uuid.uuid4())
            body = {
                "team_id": team_id,
                "title": f"Load {client_no}-{n} {key}",
                "severity": "P2",
                "summary": "Created under a storm of terminated connections.",
            }
            for _ in range(RETRIES):
                answer = api.post(
                    "/api/v1/incidents",
                    body,
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=key,
                )
                payload = (
                    answer.json()
                    if answer["Content-Type"].startswith(
                        ("application/json", "application/problem+json")
                    )
                    else {}
                )
                log.append(
                    Attempt(
                        key=key,
                        status=answer.status_code,
                        incident_id=payload.get("id") if answer.status_code == 201 else None,
                        replayed=answer.headers.get("Idempotent-Replayed") == "true",
                        detail=str(payload.get("detail", ""))[:200],
                    )
                )
                if answer.status_code != 503:
                    break
                time.sleep(0.05)
    except BaseException:  # noqa: BLE001 - an exception out of the service is a failure
        crashes.append(traceback.format_exc())  # where it came from, for the failure's message
    finally:
        connections.close_all()


def _kill_backends(
    stop: threading.Event, spare: int, killed: list[int], log: list[Attempt]
) -> None:
    """Terminate every backend of the test database but the test's own (``spare``),
    again and again, until ``stop`` or until the clients have met ``STORM_503S`` of them."""
    while not stop.is_set() and sum(a.status == 503 for a in list(log)) < STORM_503S:
        pids = [pid for pid in other_backends(spare) if pid != spare]
        if pids:
            terminate(*pids)
            killed.extend(pids)
        stop.wait(0.5)


def test_terminated_backends_under_write_load_leave_every_answer_true(cast: Cast) -> None:
    log: list[Attempt] = []
    crashes: list[str] = []
    stop = threading.Event()
    killed: list[int] = []
    killer = threading.Thread(target=_kill_backends, args=(stop, backend_pid(), killed, log))
    clients = [
        threading.Thread(
            target=_create_with_retries,
            args=(cast.tokens["alice"], cast.payments.pk, i, log, crashes),
        )
        for i in range(CLIENTS)
    ]
    killer.start()
    for t in clients:
        t.start()
    for t in clients:
        t.join(600)
    stop.set()
    killer.join(30)

    assert not crashes, "\n".join(crashes)
    assert killed, "no backend was terminated: the test proved nothing"
    statuses = {a.status for a in log}
    assert statuses <= {201, 503}, [a for a in log if a.status not in (201, 503)]
    assert sum(a.status == 503 for a in log) > 0, "no request met a terminated backend"

    by_key: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in log:
        by_key[attempt.key].append(attempt)
    assert len(by_key) == CLIENTS * PER_CLIENT
    for key, attempts in by_key.items():
        rows = list(Incident.objects.filter(title__endswith=key).values_list("pk", flat=True))
        final = attempts[-1]
        assert final.status == 201, (key, attempts)  # every client got there in the end
        assert rows == [final.incident_id], (key, rows, attempts)  # one row, the one answered
        fresh = [a for a in attempts if a.status == 201 and not a.replayed]
        # The attempt that committed answered 201 itself; a replay means an earlier attempt
        # committed, and with the test client every attempt got an answer: it must be that
        # fresh 201, never a 503.
        assert len(fresh) == 1, (key, attempts)

    # The derived work queued with each creation is done once the database is back.
    for _ in range(5):
        one_pass("load-test-worker")
    created = Incident.objects.filter(title__startswith="Load ")
    assert created.count() == CLIENTS * PER_CLIENT
    indexed = IncidentSignature.objects.filter(incident__in=created).count()
    assert indexed == created.count()
