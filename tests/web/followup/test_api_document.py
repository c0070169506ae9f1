"""The follow-up routes describe their answers truthfully in /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.test import Client

API = "/api/v1"


def test_an_items_history_has_its_own_change_schema_beside_the_history_routes(db: None) -> None:
    # Found by the fuzzer: the item history's changes and GET /history's changes were both
    # called ChangeOut, so the document kept one and the other's answers broke it.
    document = Client().get(f"{API}/openapi.json").json()
    schemas: dict[str, Any] = document["components"]["schemas"]
    changes = schemas["ItemHistoryOut"]["properties"]["changes"]["items"]["$ref"]
    item_change = schemas[changes.rsplit("/", 1)[1]]
    assert set(item_change["required"]) == {"at", "who", "action", "note", "changed"}
