"""One call to an OpenAI-compatible Chat Completions endpoint, through the outbound seam.

The documented contract, which OpenAI, Ollama, vLLM and llama.cpp's server all speak:
``POST {base}/v1/chat/completions`` with ``Authorization: Bearer <key>`` and a JSON body
``{"model": ..., "messages": [{"role": ..., "content": ...}, ...]}``; the answer's text is
``choices[0].message.content``. No SDK: ``followthrough.web.transport`` checks where the
request goes (a local server needs the operator's OUTBOUND_ALLOWED_HOSTS), caps the answer
and says what failed without repeating the remote body.
"""

from __future__ import annotations

from typing import Any

import httpx

from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.transport import ErrorKind, TransportError, request


class AssistantUnavailable(Exception):
    """The endpoint gave no usable answer; the message is ours and safe to show."""


def complete(config: AssistantSettings, messages: list[dict[str, str]]) -> str:
    """The endpoint's reply to ``messages``: ``choices[0].message.content``."""
    headers = {"Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    body: dict[str, Any] = {
        "model": config.model,
        "messages": messages,
        "temperature": 0.2,
        "stream": False,
    }
    timeout = httpx.Timeout(float(config.timeout_seconds), connect=min(5.0, config.timeout_seconds))
    try:
        answer = request("POST", config.endpoint, json=body, headers=headers, timeout=timeout)
    except TransportError as error:
        raise AssistantUnavailable(_why(error)) from None
    try:
        data = answer.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise AssistantUnavailable(
            "The assistant's endpoint answered, but not with a chat completion."
        ) from None
    if not isinstance(content, str) or not content.strip():
        raise AssistantUnavailable("The assistant's endpoint answered with no text.")
    return content


def _why(error: TransportError) -> str:
    if error.kind == ErrorKind.TIMEOUT:
        return (
            f"The assistant did not answer in time ({error}). Try again, or ask the admin "
            "for a faster model or a longer wait."
        )
    if error.kind == ErrorKind.AUTH:
        return "The assistant's endpoint refused the key; the admin should check it."
    if error.kind == ErrorKind.BLOCKED:
        return f"The assistant's endpoint is not allowed: {error}."
    return f"The assistant could not be reached: {error}."
