"""The optional semantic mode's engine: incidents compared by meaning (issue 6)."""

from __future__ import annotations

import os
import socket
from typing import Any

import pytest

from followthrough.core import repeats, semantic


@pytest.fixture(scope="module")
def embedder() -> semantic.Embedder:
    if not semantic.available():
        reason = f"The semantic extra is not installed ({semantic.INSTALL_HINT})."
        if os.environ.get("FOLLOWTHROUGH_REQUIRE_SEMANTIC") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return semantic.Embedder()  # the model is loaded once per process


def _text(title: str, failure_mode: str, *tags: str) -> str:
    return repeats.IncidentText(
        title=title, summary="", failure_mode=failure_mode, tags=tags, root_cause=""
    ).all_text()


def test_vectors_are_normalised_float32_little_endian(embedder: semantic.Embedder) -> None:
    (vector,) = embedder.embed(["connection pool exhausted"])
    assert len(vector) == semantic.DIMENSIONS * 4
    assert abs(semantic.cosine(vector, vector) - 1.0) < 1e-5


def test_a_paraphrase_that_shares_no_words_is_close_and_an_unrelated_failure_is_not(
    embedder: semantic.Embedder,
) -> None:
    dns = repeats.IncidentText(
        title="Site down",
        summary="",
        failure_mode="DNS record deleted by mistake",
        tags=("dns",),
        root_cause="",
    )
    paraphrase = repeats.IncidentText(
        title="Website unreachable",
        summary="",
        failure_mode="domain name entry removed accidentally",
        tags=(),
        root_cause="",
    )
    # words alone (even normalised: "down" and "unreachable" are one word) do not find it
    words = repeats.score(repeats.signature(dns), repeats.signature(paraphrase))
    assert words < repeats.DEFAULT_THRESHOLD
    a, b, cert = embedder.embed(
        [
            dns.all_text(),
            paraphrase.all_text(),
            _text("TLS certificate expired", "certificate expiry not monitored", "tls"),
        ]
    )
    assert embedder.cosine(a, b) >= 0.5
    assert embedder.cosine(a, cert) < 0.3


def test_the_model_is_read_from_the_package_without_the_network(
    embedder: semantic.Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the semantic mode opened a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert len(semantic.Embedder().embed(["disk full"])) == 1
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_without_the_extra_the_embedder_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semantic, "_MODEL", None)
    monkeypatch.setattr(semantic, "available", lambda: False)
    with pytest.raises(semantic.SemanticUnavailable, match=r"followthrough\[semantic\]"):
        semantic.Embedder()


def test_vectors_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        semantic.cosine(b"\0" * 8, b"\0" * 12)
