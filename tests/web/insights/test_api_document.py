"""The insights routes describe their answers truthfully in /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from django.test import Client

API = "/api/v1"


def _schema_of(document: dict[str, Any], ref: str) -> dict[str, Any]:
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def test_copied_passage_sources_and_incident_sources_are_two_schemas(db: None) -> None:
    # Found by the fuzzer: both were called SourceOut, so the document kept one of them and
    # every /ingest/sources answer "broke" the copied-passage source schema.
    document = Client().get(f"{API}/openapi.json").json()
    passages = document["components"]["schemas"]["CopiedPassageOut"]["properties"]["sources"]
    passage_source = _schema_of(document, passages["items"]["$ref"])
    answer = document["paths"][f"{API}/ingest/sources/{{source_id}}"]["get"]["responses"]["200"]
    incident_source = _schema_of(document, answer["content"]["application/json"]["schema"]["$ref"])
    assert {"postmortem_id", "incident", "line", "score"} <= set(passage_source["properties"])
    assert {"name", "kind", "secret_set", "endpoint_url"} <= set(incident_source["properties"])
