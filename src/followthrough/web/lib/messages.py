"""Django's one-time messages ("Postmortem of INC-12 started."), with their storage made only
for a request that touches them.

Django's ``MessageMiddleware`` builds the storage for every request: a cookie store (with
its signer, the key derived from ``SECRET_KEY``) and a session store, then asks it at the end
whether anything is to be saved. Most requests never read nor add a message (every API call,
every htmx fragment that shows none), so here the storage is a lazy object: made on first
use (``messages.success``, a template's ``{% if messages %}``), exactly as Django makes it.
A request that never touched it has nothing to save, so its answer is left as it is; one
that did is saved by Django's own code. A script's API call (``page_middleware.is_token_call``:
no session, no cookie) gets no storage at all, as it would get none without a session.
"""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from followthrough.web.lib.page_middleware import PassesTokenCalls


class MessageMiddleware(PassesTokenCalls, DjangoMessageMiddleware):
    """``django.contrib.messages``' middleware, its storage made on first use."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not touched(request):
            return response  # nothing was read or added: nothing to store, no cookie to set
        return super().process_response(request, response)  # type: ignore[no-any-return]


def touched(request: HttpRequest) -> bool:
    """Whether this request's message storage has been made (something used it)."""
    storage = getattr(request, "_messages", None)
    if type(storage) is SimpleLazyObject:
        return storage._wrapped is not empty  # type: ignore[attr-defined]
    return storage is not None
