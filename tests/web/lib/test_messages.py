"""One-time messages are made only for the requests that use them, and still shown once."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from followthrough.web.lib.messages import touched

pytestmark = pytest.mark.django_db


def _record(client: Any, cast: Any) -> Any:
    return client.post(
        reverse("incident-create"),
        {"team": cast.payments.pk, "title": "Card payments declined", "severity": "P2"},
    )


def test_a_recorded_incident_is_announced_on_the_next_page_and_only_there(cast: Any) -> None:
    bob = cast.browser(cast.bob)
    posted = _record(bob, cast)
    assert posted.status_code == 302
    assert touched(posted.wsgi_request)
    assert "messages" in posted.cookies  # carried to the next page in a cookie

    shown = bob.get(posted["Location"])
    said = [str(m) for m in shown.context["messages"]]
    assert len(said) == 1 and said[0].endswith(" recorded.")
    assert "recorded." in shown.content.decode()

    again = bob.get(posted["Location"])
    assert [str(m) for m in again.context["messages"]] == []
    assert "recorded." not in again.content.decode()


def test_an_api_read_neither_makes_message_storage_nor_sets_a_cookie(cast: Any) -> None:
    browser = cast.browser(cast.alice)  # the same-origin pages' call, with its session
    response = browser.get("/api/v1/incidents")
    assert response.status_code == 200
    assert not touched(response.wsgi_request)
    assert "messages" not in response.cookies


def test_a_request_that_shows_no_message_keeps_it_for_the_next_page(cast: Any) -> None:
    bob = cast.browser(cast.bob)
    _record(bob, cast)
    # An htmx fragment that never reads the messages: the pending one waits for a full page.
    fragment = bob.get("/api/v1/incidents")
    assert not touched(fragment.wsgi_request)
    assert "messages" not in fragment.cookies
    page = bob.get("/")
    assert [str(m) for m in get_messages(page.wsgi_request)][0].endswith(" recorded.")
    assert [str(m) for m in bob.get("/").context["messages"]] == []
