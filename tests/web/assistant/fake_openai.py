"""An OpenAI-compatible Chat Completions server on loopback, checking requests as the API
documents them: ``POST /v1/chat/completions``, ``Authorization: Bearer <key>``, a JSON body
with ``model`` (a string) and ``messages`` (a list of ``{"role", "content"}`` with a known
role), and only documented parameters. Errors are answered in the API's shape
(``{"error": {"message", "type", "param", "code"}}``); a completion as
``{"id", "object": "chat.completion", "created", "model", "choices": [{"index",
"message": {"role": "assistant", "content"}, "finish_reason"}], "usage"}``.

Ollama, vLLM and llama.cpp's server answer the same contract; this fake returns whatever
``reply`` holds as the assistant's content, so a test can hand back proposals the linter
rejects.
"""

from __future__ import annotations

import time
from typing import Any

from web.integrations.fakes.base import Answer, FakeServer, Request

ROLES = {"system", "user", "assistant", "developer", "tool"}
PARAMETERS = {
    "model", "messages", "temperature", "top_p", "n", "stream", "stop", "max_tokens",
    "max_completion_tokens", "presence_penalty", "frequency_penalty", "seed", "user",
    "response_format", "logit_bias", "tools", "tool_choice",
}  # fmt: skip


def error(status: int, message: str, kind: str, param: str | None = None) -> Answer:
    return Answer(
        status, {"error": {"message": message, "type": kind, "param": param, "code": None}}
    )


class FakeChatCompletions(FakeServer):
    def __init__(self, *, key: str = "sk-test-key", model: str = "llama3.1:8b") -> None:
        super().__init__()
        self.key = key
        self.model = model
        self.reply = "{}"
        self.delay = 0.0
        self.answer_override: Answer | None = None

    def handle(self, req: Request) -> Answer:
        if req.path != "/v1/chat/completions":
            return error(
                404, f"Unknown request URL: {req.method} {req.path}", "invalid_request_error"
            )
        if req.method != "POST":
            return error(405, "Method not allowed", "invalid_request_error")
        if self.key and req.headers.get("authorization") != f"Bearer {self.key}":
            return error(401, "Incorrect API key provided.", "invalid_request_error")
        if not req.headers.get("content-type", "").startswith("application/json"):
            return error(400, "Content-Type must be application/json", "invalid_request_error")
        try:
            body = req.json()
        except ValueError:
            return error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        problem = self._schema_problem(body)
        if problem:
            return error(400, problem[1], "invalid_request_error", problem[0])
        if body["model"] != self.model:
            return error(
                404,
                f"The model `{body['model']}` does not exist.",
                "invalid_request_error",
                "model",
            )
        if body.get("stream"):
            return error(
                400, "this fake answers without streaming", "invalid_request_error", "stream"
            )
        if self.delay:
            time.sleep(self.delay)
        if self.answer_override is not None:
            return self.answer_override
        return Answer(
            200,
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.reply},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            },
        )

    @staticmethod
    def _schema_problem(body: Any) -> tuple[str, str] | None:
        if not isinstance(body, dict):
            return "body", "The body must be a JSON object."
        unknown = set(body) - PARAMETERS
        if unknown:
            return sorted(unknown)[
                0
            ], f"Unrecognized request argument supplied: {sorted(unknown)[0]}"
        if not isinstance(body.get("model"), str) or not body["model"]:
            return "model", "you must provide a model parameter"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages", "'messages' must be a non-empty array"
        for n, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                return f"messages[{n}].role", "Invalid value for 'role'."
            if not isinstance(message.get("content"), str):
                return f"messages[{n}].content", "Invalid type for 'content': expected a string."
        return None

    def sent(self) -> list[dict[str, Any]]:
        """The bodies of the completions requested so far."""
        return [r.json() for r in self.requests if r.path == "/v1/chat/completions"]
