"""The server warms itself at start: a person's request compiles no template and no pattern."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.template import base as template_base

from followthrough.commands.service import gunicorn_argv
from followthrough.core import regex
from followthrough.web.postmortems.operations import start_postmortem
from followthrough.web.warmup import warm_up

if TYPE_CHECKING:
    from conftest import Cast


@pytest.fixture
def warmed(django_assert_num_queries: Any) -> Iterator[None]:
    with django_assert_num_queries(0):  # a connection opened before the fork would be shared
        warm_up()
    try:
        yield
    finally:
        gc.unfreeze()


def test_after_the_warm_up_pages_compile_no_template_and_no_pattern(
    cast: Cast, warmed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = cast.incident(failure_mode="connection pool exhaustion on orders-db")
    start_postmortem(incident, cast.alice)
    compiled: list[str] = []
    template_init = template_base.Template.__init__
    compile_kept = regex.compile_kept

    def counting_template(self: Any, *args: Any, **kwargs: Any) -> None:
        compiled.append(f"template {str(args[0])[:40] if args else ''}")
        template_init(self, *args, **kwargs)

    def counting_pattern(pattern: str, flags: int = 0) -> Any:
        compiled.append(f"pattern {pattern[:40]}")
        return compile_kept(pattern, flags)

    monkeypatch.setattr(template_base.Template, "__init__", counting_template)
    monkeypatch.setattr(regex, "compile_kept", counting_pattern)
    browser = cast.browser(cast.bob)
    for url in (
        "/",
        "/history/",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/postmortem/",
        f"/incidents/{incident.pk}/similar/",
        "/teams/payments/",
    ):
        assert browser.get(url).status_code == 200, url
    assert compiled == []


def test_serve_loads_the_application_once_and_forks_the_workers_from_it() -> None:
    assert "--preload" in gunicorn_argv("127.0.0.1", 8000, 2)
