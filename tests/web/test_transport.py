"""Outbound HTTP: a real server on loopback answers; the seam classifies what went wrong."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from followthrough.web.transport import TransportError, request


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        status = int(self.path.strip("/") or 200)
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(b'{"ok": true}' if status == 200 else b"nope")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_2xx_answer_is_returned_with_its_json(server: str) -> None:
    assert request("POST", f"{server}/200", json={}).json() == {"ok": True}


def test_a_429_is_transient_and_says_how_long_to_wait(server: str) -> None:
    with pytest.raises(TransportError) as e:
        request("POST", f"{server}/429", json={})
    assert not e.value.permanent and e.value.retry_after == 7 and e.value.status == 429


def test_a_5xx_is_transient_and_a_4xx_permanent(server: str) -> None:
    with pytest.raises(TransportError) as e5:
        request("POST", f"{server}/503", json={})
    assert not e5.value.permanent
    with pytest.raises(TransportError) as e4:
        request("POST", f"{server}/401", json={})
    assert e4.value.permanent


def test_a_server_that_is_down_is_a_transient_error_naming_only_the_host() -> None:
    with pytest.raises(TransportError) as e:
        request("POST", "http://127.0.0.1:9/services/T000/B000/secret-token", json={})
    assert not e.value.permanent
    assert "secret-token" not in str(e.value)
