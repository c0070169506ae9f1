"""Fixtures for the API tests: an incident with its postmortem, made through the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

API = "/api/v1"


@pytest.fixture
def incident(cast: Cast) -> Incident:
    """A resolved P1 of Payments: ivan commanded, rita responded."""
    return cast.incident()


@pytest.fixture
def postmortem(cast: Cast, incident: Incident) -> Postmortem:
    return start_postmortem(incident, cast.alice)


def ok(response: Any, status: int = 200) -> Any:
    """The JSON body, after checking the status (the body is in the message when it is wrong)."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response.json() if response.content else None


def field_errors(response: Any) -> dict[str, str]:
    """``{"field": "message"}`` of a 422 validation problem (``errors[].loc`` ["body", field])."""
    assert response.status_code == 422, (response.status_code, response.content[:2000])
    body = response.json()
    assert body["type"] == "urn:followthrough:problem:validation", body
    assert isinstance(body["detail"], str) and body["errors"], body
    return {".".join(str(p) for p in e["loc"][1:]): e["msg"] for e in body["errors"]}
