"""One range of dates everywhere: 1970-01-01 to 2200-12-31, a clear 422 outside it.

A meeting at 9999-12-31T23:59:59Z was accepted, and then the editor and the .ics answered
500 for everyone and the invite job failed on every pass; ``?since=0001-01-01`` on the
history and ``?from=`` on the insights answered 500. Dates outside the range are now
refused wherever they come in (API bodies and query strings, page forms and filters, the
admin, the import), and a value stored before that is shown, not computed from.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse

from followthrough.web.integrations.calendar import invites_due, send_invite
from followthrough.web.postmortems.models import Meeting, Postmortem
from followthrough.web.postmortems.operations import start_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

END_OF_TIME = "9999-12-31T23:59:59Z"
RANGE = "Dates are accepted from 1970-01-01 to 2200-12-31"


@pytest.fixture
def postmortem(cast: Cast) -> Postmortem:
    return start_postmortem(cast.incident(), cast.alice)


def _messages(answer: Any) -> str:
    return " ".join(str(d["msg"]) for d in answer.json()["errors"])


def test_a_meeting_at_the_end_of_time_is_refused_by_the_api(
    cast: Cast, postmortem: Postmortem
) -> None:
    url = f"/api/v1/postmortems/{postmortem.pk}/meeting"
    answer = cast.api("alice").patch_json(url, {"version": 1, "scheduled_for": END_OF_TIME})
    assert answer.status_code == 422, answer.content
    assert RANGE in _messages(answer)
    assert answer.json()["errors"][0]["loc"] == ["body", "scheduled_for"]
    assert Meeting.objects.get(postmortem=postmortem).scheduled_for is None


def test_a_meeting_at_the_end_of_time_is_refused_by_the_page(
    cast: Cast, postmortem: Postmortem
) -> None:
    meeting = postmortem.meeting
    answer = cast.browser(cast.alice).post(
        reverse("meeting-save", args=[postmortem.incident_id]),
        {
            "meeting-version": meeting.version,
            "meeting-duration_minutes": 60,
            "meeting-scheduled_for": "9999-12-31T23:59",
        },
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 422
    assert RANGE in answer.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).scheduled_for is None


@pytest.mark.parametrize(
    "field,value",
    [
        ("started_at", "1969-12-31T23:59:59Z"),
        ("resolved_at", "2201-01-01T00:00:00Z"),
        ("resolved_at", "0001-01-01T00:00:00+05:00"),
        ("resolved_at", END_OF_TIME),
    ],
)
def test_an_incident_outside_the_range_is_refused(cast: Cast, field: str, value: str) -> None:
    body = {"team_id": cast.payments.pk, "title": "Checkout 502s", "severity": "P2", field: value}
    answer = cast.api("alice").post_json("/api/v1/incidents", body)
    assert answer.status_code == 422, answer.content
    assert answer.json()["errors"][0]["loc"] == ["body", field]


def _add_item(cast: Cast, postmortem: Postmortem, due_date: str) -> Any:
    item = {
        "title": "Alert on pool saturation",
        "owner_id": cast.frank.pk,
        "due_date": due_date,
        "done_condition": "The alert fires in staging.",
    }
    return cast.api("alice").post_json(f"/api/v1/postmortems/{postmortem.pk}/action-items", item)


def test_the_range_ends_are_accepted(cast: Cast, postmortem: Postmortem) -> None:
    body = {
        "team_id": cast.payments.pk,
        "title": "Checkout 502s",
        "severity": "P2",
        "started_at": "1970-01-01T00:00:00Z",
        "resolved_at": "2200-12-31T23:59:59Z",
    }
    assert cast.api("alice").post_json("/api/v1/incidents", body).status_code == 201
    assert _add_item(cast, postmortem, "2200-12-31").status_code == 201


def test_an_action_item_due_after_the_range_is_refused(cast: Cast, postmortem: Postmortem) -> None:
    answer = _add_item(cast, postmortem, "2201-01-01")
    assert answer.status_code == 422
    assert RANGE in _messages(answer)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/history?since=0001-01-01&until=9999-12-31",
        "/api/v1/history?until=9999-12-31",
        "/api/v1/insights?from=0001-01-01&to=9999-12-31",
        "/api/v1/insights?to=9999-12-31",
        "/api/v1/insights?from=1969-12-31",
    ],
)
def test_api_date_filters_outside_the_range_are_422(cast: Cast, url: str) -> None:
    answer = cast.api("alice").get(url)
    assert answer.status_code == 422, answer.content
    assert RANGE in _messages(answer)


@pytest.mark.parametrize(
    "url",
    [
        "/history/?since=0001-01-01&until=9999-12-31",
        "/history/?until=9999-12-31",
        "/insights/?from=0001-01-01&to=9999-12-31",
        "/insights/?to=9999-12-31",
        "/insights/export.csv?from=0001-01-01&to=9999-12-31",
    ],
)
def test_page_date_filters_outside_the_range_say_so(cast: Cast, url: str) -> None:
    answer = cast.browser(cast.alice).get(url)
    assert answer.status_code == 400, (url, answer.status_code)
    assert RANGE in answer.content.decode()


def test_the_admin_refuses_a_meeting_at_the_end_of_time(cast: Cast, postmortem: Postmortem) -> None:
    meeting = postmortem.meeting
    answer = cast.browser(cast.admin).post(
        f"/admin/postmortems/meeting/{meeting.pk}/change/",
        {
            "postmortem": postmortem.pk,
            "duration_minutes": 60,
            "scheduled_for_0": "9999-12-31",
            "scheduled_for_1": "23:59:59",
        },
    )
    assert answer.status_code == 200  # the form again, with the error
    assert RANGE in answer.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).scheduled_for is None


def test_a_meeting_stored_at_the_end_of_time_breaks_no_page_nor_the_invite_job(
    cast: Cast, postmortem: Postmortem
) -> None:
    # Stored before the range was enforced (or by a hand-made SQL update).
    Meeting.objects.filter(pk=postmortem.meeting.pk).update(
        scheduled_for=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    )
    browser = cast.browser(cast.alice)
    pk = postmortem.incident_id
    editor = browser.get(f"/incidents/{pk}/postmortem/")
    assert editor.status_code == 200
    ics = browser.get(f"/incidents/{pk}/postmortem/meeting.ics")
    assert ics.status_code == 404  # as for a meeting with no time: nothing to add to a calendar
    api = cast.api("alice").get(f"/api/v1/postmortems/{postmortem.pk}/meeting")
    assert api.status_code == 200
    assert postmortem.meeting.pk not in invites_due(datetime.now(UTC))
    assert send_invite(postmortem.meeting.pk) is False


def _date_format(schema: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """ "date" or "date-time" if the (possibly nullable, possibly referenced) schema is one."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _date_format(spec["components"]["schemas"][name], spec)
    for option in schema.get("anyOf", []):
        found = _date_format(option, spec)
        if found:
            return found
    fmt = schema.get("format")
    return fmt if fmt in ("date", "date-time") else None


def _body_dates(operation: dict[str, Any], spec: dict[str, Any]) -> dict[str, str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return {}
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found = {}
    for name, prop in schema.get("properties", {}).items():
        fmt = _date_format(prop, spec)
        if fmt:
            found[name] = fmt
    return found


FAR = {"date": "9999-12-31", "date-time": END_OF_TIME}


def test_every_date_the_api_takes_is_held_to_the_range(cast: Cast) -> None:
    """Walks the OpenAPI document: a date in any query string or body, on any route (new
    ones included), outside the range is a 422 that names the field and the range."""
    api = cast.api("admin")
    spec = api.get("/api/v1/openapi.json").json()
    checked = []
    for path, operations in spec["paths"].items():
        url = path
        for name in [p.strip("{}") for p in path.split("/") if p.startswith("{")]:
            url = url.replace("{" + name + "}", "1")
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                fmt = _date_format(param.get("schema", {}), spec)
                if param.get("in") != "query" or not fmt:
                    continue
                answer = api.generic(method.upper(), f"{url}?{param['name']}={FAR[fmt]}")
                assert answer.status_code == 422, (method, path, param["name"], answer.content)
                assert RANGE in _messages(answer), (method, path, param["name"])
                checked.append(f"{method} {path} ?{param['name']}")
            for name, fmt in _body_dates(operation, spec).items():
                answer = api.generic(
                    method.upper(), url, json.dumps({name: FAR[fmt]}), "application/json"
                )
                assert answer.status_code == 422, (method, path, name, answer.content)
                problems = answer.json()["errors"]
                assert any(p["loc"][-1] == name and RANGE in p["msg"] for p in problems), (
                    method,
                    path,
                    name,
                    problems,
                )
                checked.append(f"{method} {path} {name}")
    # The routes the issue named, at least, were among those checked.
    assert "get /api/v1/history ?since" in checked
    assert "get /api/v1/insights ?from" in checked
    assert "patch /api/v1/postmortems/{postmortem_id}/meeting scheduled_for" in checked
    assert "post /api/v1/incidents resolved_at" in checked


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_date_a_page_form_takes_is_held_to_the_range() -> None:
    """A model form's date fields are held by the model's validator (full_clean); a date
    field declared on a form of its own must carry the validator itself."""
    import importlib
    import pkgutil

    from django import forms
    from django.db import models

    import followthrough.web
    from followthrough.web.lib.dates import validate_in_range

    for module in pkgutil.walk_packages(followthrough.web.__path__, "followthrough.web."):
        if ".migrations" not in module.name and not module.name.endswith(".wsgi"):
            importlib.import_module(module.name)
    checked = []
    for form in _subclasses(forms.BaseForm):
        if not form.__module__.startswith("followthrough."):
            continue
        meta = getattr(form, "_meta", None)
        model = getattr(meta, "model", None)
        for name, field in form.base_fields.items():  # type: ignore[attr-defined]
            if not isinstance(field, forms.DateField | forms.DateTimeField):
                continue
            checked.append(f"{form.__name__}.{name}")
            if model is not None and any(f.name == name for f in model._meta.concrete_fields):
                model_field = model._meta.get_field(name)
                assert isinstance(model_field, models.DateField)
                assert validate_in_range in model_field.validators, (form, name)
            else:
                assert validate_in_range in field.validators, (form, name)
    assert {"MeetingForm.scheduled_for", "IncidentForm.resolved_at"} <= set(checked)
