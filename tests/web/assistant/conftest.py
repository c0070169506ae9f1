from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .fake_openai import FakeChatCompletions


@pytest.fixture
def chat(allow_loopback: None) -> Iterator[FakeChatCompletions]:
    server = FakeChatCompletions().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def assistant_on(chat: FakeChatCompletions, db: None) -> Any:
    from followthrough.web.assistant.models import AssistantSettings

    return AssistantSettings.objects.create(
        enabled=True, base_url=chat.url, model=chat.model, api_key=chat.key, timeout_seconds=5
    )
