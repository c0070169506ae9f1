"""The SCIM 2.0 wire format (RFC 7644): errors, filters, list responses and PATCH operations.

Nothing here knows about accounts; ``users`` maps them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
CONTENT_TYPE = "application/scim+json; charset=utf-8"

DEFAULT_COUNT = 100
MAX_COUNT = 200


class ScimError(Exception):
    """An answer in the SCIM error schema (RFC 7644, 3.12): status, detail, scimType."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def response(self) -> HttpResponse:
        body: dict[str, Any] = {
            "schemas": [ERROR_SCHEMA],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        response = answer(body, self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="followthrough SCIM"'
        return response


def answer(body: dict[str, Any] | None, status: int = 200) -> HttpResponse:
    if body is None:
        return HttpResponse(status=status)
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def body_of(raw: bytes) -> dict[str, Any]:
    """The request's JSON object, or 400 invalidSyntax."""
    try:
        data = json.loads(raw or b"null")
    except ValueError as e:
        raise ScimError(400, f"The request body is not JSON: {e}.", "invalidSyntax") from e
    if not isinstance(data, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return data


# attribute eq "value": the one operator providers use to look an account up (Okta, Entra).
_FILTER = re.compile(r'^\s*([A-Za-z][\w.$\[\] "]*?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.I)
_WORK_EMAIL = re.compile(r'^emails\[\s*type\s+eq\s+"work"\s*\]\.value$', re.I)


@dataclass(frozen=True)
class Filter:
    attribute: str  # userName, externalId, id, emails.value (lower-cased names)
    value: str


def parse_filter(text: str) -> Filter:
    """``userName eq "…"``, ``externalId eq "…"``, ``id eq "…"`` or ``emails.value eq "…"``
    (also ``emails[type eq "work"].value``); anything else is 400 invalidFilter."""
    match = _FILTER.match(text)
    if match is None:
        raise ScimError(
            400,
            f'Unsupported filter {text[:200]!r}: use attribute eq "value" with userName, '
            "externalId, id or emails.value.",
            "invalidFilter",
        )
    attribute = match.group(1).strip()
    try:
        value = str(json.loads(f'"{match.group(2)}"'))
    except ValueError as e:
        raise ScimError(400, "The filter's value is not a valid string.", "invalidFilter") from e
    if "\x00" in value:
        raise ScimError(400, "The filter's value contains a NUL character.", "invalidFilter")
    if _WORK_EMAIL.match(attribute):
        attribute = "emails.value"
    known = {"username": "userName", "externalid": "externalId", "id": "id"}
    known["emails.value"] = "emails.value"
    key = known.get(attribute.lower())
    if key is None:
        raise ScimError(
            400,
            f"Filtering on {attribute[:100]!r} is not supported: use userName, externalId, id "
            "or emails.value.",
            "invalidFilter",
        )
    return Filter(key, value)


def page(params: dict[str, str]) -> tuple[int, int]:
    """(startIndex, count) from the query (RFC 7644, 3.4.2.4): 1-based, count at most 200."""
    try:
        start = max(1, int(params.get("startIndex") or 1))
        count = int(params.get("count") or DEFAULT_COUNT)
    except ValueError as e:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from e
    return start, min(max(count, 0), MAX_COUNT)


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@dataclass(frozen=True)
class Operation:
    """One PATCH operation, with its op lower-cased (Entra sends "Replace", Okta "replace")."""

    op: str  # add, replace, remove
    path: str
    value: Any


def operations(body: dict[str, Any]) -> list[Operation]:
    """The operations of a PatchOp body; a path-less add or replace of an object becomes one
    operation per attribute (Okta sends ``{"op": "replace", "value": {"active": false}}``)."""
    raw = body.get("Operations")
    if not isinstance(raw, list) or not raw:
        raise ScimError(400, "A PATCH needs a non-empty Operations list.", "invalidSyntax")
    found: list[Operation] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = str(item.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(
                400,
                f"Unknown operation {item.get('op')!r}: add, replace or remove.",
                "invalidSyntax",
            )
        path = str(item.get("path") or "").strip()
        value = item.get("value")
        if path:
            found.append(Operation(op, path, value))
        elif op == "remove":
            raise ScimError(400, "A remove operation needs a path.", "noTarget")
        elif isinstance(value, dict):
            found.extend(Operation(op, str(k), v) for k, v in value.items())
        else:
            raise ScimError(
                400, "An operation without a path needs an object as its value.", "invalidValue"
            )
    return found


def boolean(value: Any, attribute: str) -> bool:
    """A SCIM boolean; "True"/"False" strings too (what Entra sent before its 2023 fix)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, f"{attribute} must be true or false, not {value!r}.", "invalidValue")
