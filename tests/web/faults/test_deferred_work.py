"""Work that follows a write is queued with the write and done by the worker, retried until
done; none of it runs after the commit inside the request.

Before, the similarity index, the deadlines and the dashboard's facts were computed in
``on_commit`` hooks of the request: when they failed (the database went away after the
commit) the committed creation answered 503, and the work was lost.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

import followthrough.web
from followthrough.web.followup.worker import run_tasks
from followthrough.web.incidents.models import Incident
from followthrough.web.insights import repeats, tasks
from followthrough.web.insights.models import IncidentSignature
from followthrough.web.lib import deferred

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

REFRESH = "followthrough.web.insights.tasks.refresh_incident"


def test_nothing_in_the_service_runs_work_in_an_on_commit_hook() -> None:
    """on_commit work runs after the commit, inside the request: use lib.deferred.defer."""
    root = Path(followthrough.web.__file__).parent
    # deferred.py queues work; read_transactions.py stamps "last used" after a read's end
    # (robust: a failure is logged, never the answer), which is no work to queue.
    allowed = {root / "lib" / "deferred.py", root / "lib" / "read_transactions.py"}
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path not in allowed and re.search(r"\bon_commit\(", path.read_text("utf-8"))
    ]
    assert offenders == []


def test_a_creation_queues_its_derived_work_in_its_own_transaction(cast: Cast) -> None:
    api = cast.api("alice")
    body = {"team_id": cast.payments.pk, "title": "Checkout 502s", "severity": "P2"}
    answer = api.post_json("/api/v1/incidents", body)
    assert answer.status_code == 201
    incident_id = answer.json()["id"]
    queued = DBTaskResult.objects.filter(task_path=REFRESH, status=TaskResultStatus.READY)
    assert [r.args_kwargs["args"][0] for r in queued] == [incident_id]
    assert not IncidentSignature.objects.filter(incident_id=incident_id).exists()
    # A refused creation rolls back its queued work with it.
    assert api.post_json("/api/v1/incidents", {**body, "team_id": 10**9}).status_code == 422
    assert queued.count() == 1
    # The worker does it.
    assert run_tasks("test-worker") == 1
    assert IncidentSignature.objects.filter(incident_id=incident_id).exists()


def test_failed_derived_work_is_queued_again_later_until_it_gives_up(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []

    def broken(ids: Any) -> int:
        calls.append(ids)
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(repeats, "index_incidents", broken)
    incident = cast.incident()
    DBTaskResult.objects.all().delete()
    tasks.refresh_incident.enqueue(incident.pk, None)
    start = timezone.now()
    assert run_tasks("test-worker") == 1
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "index unavailable" in failed.traceback
    again = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert again.args_kwargs == {"args": [incident.pk, None], "kwargs": {"attempt": 2}}
    assert again.run_after >= start + deferred.BACKOFF[0]
    # The last attempt gives up: nothing more is queued.
    DBTaskResult.objects.all().delete()
    tasks.refresh_incident.enqueue(incident.pk, None, attempt=deferred.ATTEMPTS)
    run_tasks("test-worker")
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert len(calls) == 2


def test_work_whose_worker_died_is_queued_again_after_its_lease(cast: Cast) -> None:
    incident = cast.incident()
    DBTaskResult.objects.all().delete()
    result = tasks.refresh_incident.enqueue(incident.pk, None)
    started = timezone.now() - deferred.LEASE - timedelta(minutes=1)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started
    )
    fresh = tasks.refresh_incident.enqueue(incident.pk, 7)
    DBTaskResult.objects.filter(pk=fresh.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )  # still within its lease: left alone

    assert deferred.requeue_stuck(timezone.now()) == "requeued 1"

    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.FAILED
    ready = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert ready.args_kwargs == {"args": [incident.pk, None], "kwargs": {"attempt": 2}}
    assert DBTaskResult.objects.get(pk=fresh.id).status == TaskResultStatus.RUNNING
    assert run_tasks("test-worker") == 1
    assert IncidentSignature.objects.filter(incident_id=incident.pk).exists()
    assert Incident.objects.filter(pk=incident.pk).exists()
