"""Who is acting right now, for the history: the request's user, or a named non-human actor.

``HistoryMiddleware`` keeps the current request in a context variable for the length of the
request; the user is read from it when a change is recorded, not when the request starts,
because API bearer tokens set ``request.user`` only once the view is reached.

``acting_as(label, user=..., note=...)`` names the actor for a block of code: the worker
("worker"), an ingest source ("pagerduty webhook"), the CLI ("cli"), Slack commands
("slack /postmortem" on behalf of a person). The innermost block that names a user gives
the user, the innermost that names a label gives the label; a block that names neither
only adds its note (e.g. the reason an item was deprioritised) to the changes inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class Frame:
    label: str = ""
    user: AbstractBaseUser | AnonymousUser | None = None
    note: str = ""

    def names_someone(self) -> bool:
        return bool(self.label) or (self.user is not None and self.user.is_authenticated)


@dataclass(frozen=True)
class Actor:
    """Who a recorded change is attributed to: a user, a label, or both."""

    user: AbstractBaseUser | None
    label: str
    note: str


_request: ContextVar[HttpRequest | None] = ContextVar("history_request", default=None)
_frames: ContextVar[tuple[Frame, ...]] = ContextVar("history_frames", default=())

# Changes made with no request and no ``acting_as`` block: a shell, a migration, a script.
NOBODY = "system"


@contextmanager
def acting_as(
    label: str = "", *, user: AbstractBaseUser | AnonymousUser | None = None, note: str = ""
) -> Iterator[None]:
    """Attribute every change recorded inside the block to ``user`` and/or ``label``."""
    token = _frames.set((*_frames.get(), Frame(label=label[:100], user=user, note=note)))
    try:
        yield
    finally:
        _frames.reset(token)


def current_request() -> HttpRequest | None:
    return _request.get()


def current_actor() -> Actor:
    """The innermost named actor; else the request's signed-in user; else ``NOBODY``."""
    frames = _frames.get()
    note = next((f.note for f in reversed(frames) if f.note), "")
    if any(f.names_someone() for f in frames):
        users = (f.user for f in reversed(frames) if f.user is not None)
        user = next((u for u in users if u.is_authenticated), None)
        label = next((f.label for f in reversed(frames) if f.label), "")
        return Actor(user=user, label=label, note=note)  # type: ignore[arg-type]
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        return Actor(user=user, label="", note=note)
    return Actor(user=None, label="anonymous" if request is not None else NOBODY, note=note)


class HistoryMiddleware:
    """Keep the request at hand for the history while the request is handled."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
