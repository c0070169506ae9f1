"""A vendor API on loopback: a threaded http.server that hands each request to the fake.

Each fake checks what the real API checks (auth header form, required fields) and answers
with bodies shaped like the vendor's documentation. Two switches simulate a tracker in
trouble: ``fail_next`` answers 503 before doing anything, ``lose_next_answer`` does the work
and then answers 503 (the answer lost on the way back: the retry must not do it twice).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


FIXTURES = Path(__file__).parent.parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """A vendor's published sample payload (``fixtures/SOURCES.md`` says whose)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


class FakeServer:
    """Subclasses implement ``handle(request) -> Answer``.

    ``tick()`` is the vendor's clock: every change gets a time strictly after the last one
    (``STEP`` apart at least: GitHub writes whole seconds), so that "older than what we
    know" is decided the way it would be against the real service.
    """

    STEP = timedelta(milliseconds=1)

    def __init__(self) -> None:
        self.clock = datetime.now(UTC) - timedelta(minutes=1)
        self.requests: list[Request] = []
        self.fail_next = 0
        self.lose_next_answer = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                req = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                answer = fake.dispatch(req)
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def dispatch(self, req: Request) -> Answer:
        with self.lock:
            self.requests.append(req)
            if self.fail_next:
                self.fail_next -= 1
                return Answer(503, {"message": "Service unavailable"}, {"Retry-After": "30"})
            answer = self.handle(req)
            if self.lose_next_answer and answer.status < 300:
                self.lose_next_answer -= 1
                return Answer(503, {"message": "Service unavailable"})
            return answer

    def lose_answer_of(self, operation: str) -> None:
        """Do ``operation`` (a method name) once more for real, then lose its answer."""
        original = getattr(self, operation)

        def done_then_lost(*args: Any) -> Answer:
            setattr(self, operation, original)
            answer: Answer = original(*args)
            self.lose_next_answer = 1
            return answer

        setattr(self, operation, done_then_lost)

    def tick(self) -> datetime:
        self.clock = max(datetime.now(UTC), self.clock + self.STEP)
        return self.clock

    def calls(self, method: str, path_part: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    def handle(self, req: Request) -> Answer:
        return Answer(404, {"message": f"No route for {req.method} {req.path}"})
