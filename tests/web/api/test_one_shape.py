"""An integrator learns the API once: every error is one problem shape (RFC 9457), every
list is one page shape. Walks the OpenAPI document, so a route added later is held to it
without anyone remembering to."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from .conftest import API, ok

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

PROBLEM_FIELDS = {"type", "title", "status", "detail", "errors"}
PAGE_FIELDS = {"items", "count", "limit", "offset", "next"}
METHODS = ("get", "post", "put", "patch", "delete")


def _document() -> dict[str, Any]:
    response = Client().get(f"{API}/openapi.json")
    return dict(json.loads(ok(response) and response.content))


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _json_schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    content = response.get("content", {})
    body = content.get("application/json") or content.get("application/problem+json")
    return _resolve(document, body["schema"]) if body else None


def _alternatives(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [_resolve(document, s) for s in schema[key]]
    return [schema]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_error_the_openapi_document_declares_is_the_one_problem_shape() -> None:
    document = _document()
    wrong = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not str(status).startswith("4"):
                continue
            body = response.get("content", {}).get("application/problem+json")
            if body is None:
                wrong.append(f"{method.upper()} {path} {status}: not application/problem+json")
                continue
            schema = _resolve(document, body["schema"])
            for alternative in _alternatives(document, schema):
                if not set(alternative.get("required", ())) >= PROBLEM_FIELDS:
                    wrong.append(f"{method.upper()} {path} {status}: {alternative.get('title')}")
    assert not wrong, "\n".join(wrong)


def test_every_list_the_openapi_document_declares_is_one_page_shape() -> None:
    document = _document()
    wrong = []
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not str(status).startswith("2"):
                continue
            schema = _json_schema(document, response)
            if schema is None:
                continue
            if schema.get("type") == "array":
                wrong.append(f"{method.upper()} {path}: a bare array")
            elif "items" in schema.get("properties", {}) and set(schema["properties"]) != (
                PAGE_FIELDS
            ):
                wrong.append(f"{method.upper()} {path}: {sorted(schema['properties'])}")
    assert not wrong, "\n".join(wrong)


def _url(path: str, operation: dict[str, Any], value: str) -> str:
    """``path`` with each path parameter replaced: integers by ``value``, others by a word."""
    kinds = {
        p["name"]: _param_type(p) for p in operation.get("parameters", ()) if p["in"] == "path"
    }

    def fill(match: re.Match[str]) -> str:
        return value if kinds.get(match.group(1)) == "integer" else "no-such-thing"

    return re.sub(r"\{(\w+)\}", fill, path)


def _param_type(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    return str(schema.get("type") or next(iter(schema.get("anyOf", [{}])), {}).get("type", ""))


def _call(client: Client, method: str, url: str, body: Any) -> Any:
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _assert_problem(response: Any, where: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (where, response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json", where
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS, (where, body)
    assert body["status"] == response.status_code, (where, body)
    assert body["type"].startswith("urn:followthrough:problem:"), (where, body)
    assert isinstance(body["detail"], str) and body["detail"], (where, body)
    assert isinstance(body["errors"], list), (where, body)
    return dict(body)


def test_every_route_answers_bad_input_with_the_one_problem_shape(cast: Cast) -> None:
    """Each route: without a token (401), with ids that cannot exist (422 or 404) and a
    body with a field nobody knows (422), as an admin, who may do anything."""
    document = _document()
    admin = cast.api("admin")
    kinds: set[str] = set()
    for path, method, operation in _operations(document):
        junk = {"no_such_field": True}
        where = f"{method.upper()} {path}"
        anonymous = _call(Client(), method, _url(path, operation, "1"), junk)
        kinds.add(_assert_problem(anonymous, where + " without a token")["type"])
        query = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "query"}
        if "{" not in path and method == "get" and not query:
            continue  # nothing to get wrong
        for value in ("0", str(2**62)):
            answer = _call(admin, method, _url(path, operation, value), junk)
            if "{" not in path and method == "get":
                bad = {name: "-1" if name != "from" else "not-a-day" for name in query}
                answer = admin.get(path, bad)
            kinds.add(_assert_problem(answer, f"{where} with {value}")["type"])
    assert {
        "urn:followthrough:problem:unauthenticated",
        "urn:followthrough:problem:validation",
        "urn:followthrough:problem:not-found",
    } <= kinds


def test_a_field_error_names_the_field_and_says_it_in_the_detail(cast: Cast) -> None:
    answer = cast.api("alice").post_json(
        f"{API}/incidents", {"team_id": cast.payments.pk, "title": "", "severity": "P9"}
    )
    body = _assert_problem(answer, "POST /incidents")
    assert body["type"] == "urn:followthrough:problem:validation"
    assert body["title"] == "Invalid request"
    fields = {e["loc"][-1] for e in body["errors"]}
    assert {"title", "severity"} <= fields
    assert body["detail"].startswith(("title: ", "severity: ")), body["detail"]
    assert "more problem" in body["detail"]


def test_a_stale_write_is_a_stale_version_problem_with_the_row_as_it_is_now(cast: Cast) -> None:
    incident = cast.incident()
    answer = cast.api("alice").patch_json(
        f"{API}/incidents/{incident.pk}", {"version": incident.version + 5, "title": "Later"}
    )
    assert answer.status_code == 409
    body = _assert_problem(answer, "PATCH /incidents/{id}")
    assert body["type"] == "urn:followthrough:problem:stale-version"
    assert body["current"]["id"] == incident.pk
    assert body["current"]["title"] != "Later"


def test_a_path_no_route_matches_and_a_method_a_route_lacks_are_problems_too(cast: Cast) -> None:
    admin = cast.api("admin")
    missing = _assert_problem(admin.get(f"{API}/no-such-route"), "GET /no-such-route")
    assert missing["type"] == "urn:followthrough:problem:not-found"
    answer = admin.put(f"{API}/incidents", "{}", content_type="application/json")
    assert answer.status_code == 405
    wrong = _assert_problem(answer, "PUT /incidents")
    assert wrong["type"] == "urn:followthrough:problem:method-not-allowed"
    assert "GET" in answer["Allow"] and "POST" in answer["Allow"]
