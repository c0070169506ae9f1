"""PostgreSQL restarted during requests: the request fails cleanly with 503 and Retry-After,
nothing is half-written (one transaction per request), and the next request succeeds on a
fresh connection."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.history import signals as history_signals
from followthrough.web.history.models import Change
from followthrough.web.postmortems.models import Why
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import backend_pid, postgres_only, terminate

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

WHY = {"new-why-question": "Why did checkout fail?", "new-why-answer": "The pool ran out."}


def test_a_page_post_after_a_restart_gets_503_and_the_next_one_succeeds(cast: Cast) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    browser = cast.browser(cast.alice)
    page = f"/incidents/{postmortem.incident_id}/postmortem/"
    assert browser.get(page).status_code == 200
    before = backend_pid()

    terminate(before)
    response = browser.post(page + "whys/", WHY, HTTP_HX_REQUEST="true")

    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert b"Service unavailable" in response.content and b"Traceback" not in response.content
    assert Why.objects.filter(postmortem=postmortem).count() == 0
    assert backend_pid() != before  # reconnected
    again = browser.post(page + "whys/", WHY, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert Why.objects.filter(postmortem=postmortem).count() == 1


def test_a_restart_in_the_middle_of_an_api_write_leaves_nothing_half_written(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    api = cast.api("alice")
    url = f"/api/v1/postmortems/{postmortem.pk}/action-items"
    body = {
        "title": "Alert on connection pool exhaustion",
        "owner_id": cast.frank.pk,
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "done_condition": "The alert fires in staging when the pool is 90% used.",
    }
    changes = Change.objects.count()
    original = history_signals.record
    killed: list[int] = []

    def record_after_a_restart(*args: Any, **kwargs: Any) -> Any:
        # The item row is inserted; the server restarts before its history is written.
        if not killed:
            killed.append(backend_pid())
            terminate(killed[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(history_signals, "record", record_after_a_restart)
    response = api.post_json(url, body)

    assert killed and response.status_code == 503, response.content
    assert response.json()["retry_after"] == int(response["Retry-After"])
    assert "nothing was saved" in response.json()["detail"]
    assert ActionItem.objects.filter(postmortem=postmortem).count() == 0
    assert Change.objects.count() == changes
    again = api.post_json(url, body)
    assert again.status_code == 201, again.content
    assert ActionItem.objects.filter(postmortem=postmortem).count() == 1


def test_reads_after_a_restart_succeed_on_the_first_retry(cast: Cast) -> None:
    incident = cast.incident()
    api = cast.api("alice")
    assert api.get(f"/api/v1/incidents/{incident.pk}").status_code == 200
    terminate(backend_pid())
    assert api.get(f"/api/v1/incidents/{incident.pk}").status_code == 503
    assert api.get(f"/api/v1/incidents/{incident.pk}").status_code == 200
