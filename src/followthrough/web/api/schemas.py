"""What the request and response bodies of the REST API share: the field types, the bases of
input bodies, pagination and the problem (error) bodies. Each app's own bodies are in its
``schemas`` module (``followthrough.web.incidents.schemas``, ...).

Input schemas forbid unknown fields (a misspelt field is a 422, not silently ignored) and
take only timezone-aware datetimes, and dates only from 1970-01-01 to 2200-12-31
(``followthrough.web.lib.dates``: ``Day`` and ``Moment``). PATCH schemas declare every field optional without
accepting null for fields that cannot be empty: an absent field is left alone, an explicit
``null`` on a required field is a 422.

Computed fields (policy, milestones, priority, agenda) come from the models and the core
through resolvers, so the API shows what the core computes and never recomputes it.
"""

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Path, Query, Schema
from ninja.pagination import LimitOffsetPagination
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator, ConfigDict, StringConstraints, create_model

from followthrough.core.policy import Decision as PolicyDecision
from followthrough.web.actions.models import ActionStatus as ActionItemStatus
from followthrough.web.incidents.models import Severity as IncidentSeverity
from followthrough.web.postmortems.models import RootCauseCategory as RootCause
from followthrough.web.postmortems.models import (
    Status,
)

# --- shared types ---------------------------------------------------------------------------

# The models' and the core's own enums, so the API cannot drift from what they accept.
Severity = IncidentSeverity
Decision = PolicyDecision
PostmortemStatus = Status
# The model's categories, or "" for none yet: one Literal, so a bad value is one error.
RootCauseCategory = Literal[(*RootCause.values, "")]  # type: ignore[valid-type]
ActionStatus = ActionItemStatus
Rating = Annotated[int, Field(ge=1, le=5)]
# Ids are 64-bit in the database: a bigger number names nothing and must not reach SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_VERSION = 2**31 - 1


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL cannot store NUL characters; say so instead of failing on the INSERT.
    if value is not None and "\x00" in value:
        raise ValueError("Text cannot contain NUL (\\x00) characters.")
    return value


_NO_NUL = AfterValidator(_no_nul)


# Free text: NUL-free; the "Required" kinds must hold more than whitespace (which is trimmed).
Text = Annotated[str, _NO_NUL]
Text200 = Annotated[str, StringConstraints(max_length=200), _NO_NUL]
Text300 = Annotated[str, StringConstraints(max_length=300), _NO_NUL]
RequiredText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _NO_NUL]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), _NO_NUL]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _NO_NUL
]
Title300 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), _NO_NUL
]
Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _NO_NUL
]

# Query-string filters.
TeamFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Team id.")]
OwnerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Person id of the owner.")]
PostmortemFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Postmortem id.")]
IncidentSearch = Annotated[
    str | None,
    Query(max_length=200, description="Words of the title, summary or failure mode, or a key."),
]
PeopleSearch = Annotated[
    str | None, Query(max_length=200, description="Part of a name, e-mail address or handle.")
]


def search_words(q: str | None) -> str:
    """The search text, trimmed; NUL characters (which PostgreSQL refuses) are dropped."""
    return (q or "").replace("\x00", "").strip()


class In(Schema):
    """Base of every request body: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Versioned(In):
    version: int = Field(
        ...,
        ge=1,
        le=MAX_VERSION,
        description="The version you read; a stale one gets 409 and changes nothing.",
    )


# --- pagination -----------------------------------------------------------------------------


class Page(Schema):
    """Every list the API answers: one page of ``items``, the ``count`` of all of them, the
    ``limit`` and ``offset`` that chose the page, and ``next``, the URL of the next page
    (null on the last one)."""

    items: list[Any]
    count: int
    limit: int
    offset: int
    next: str | None = Field(description="The URL of the next page; null on the last one.")


def _next_url(request: HttpRequest, limit: int, offset: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset + limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class Answers(ABC):
    """A list read straight into its answer's form (the dicts its schema would dump), for
    a hot read that skips the schema's validation: a route returning one from under
    ``@paginate(Pages)`` and :func:`answered` answers its page as JSON as it is."""

    @abstractmethod
    def page(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """The answers from ``offset``, at most ``limit`` of them, in the list's order."""

    @abstractmethod
    def count(self) -> int:
        """How many answers the whole list holds."""


class AnsweredPage(dict[str, Any]):
    """A page of :class:`Answers`, already in its answer's form."""


#: the API's own renderer (NinjaAPI's default), so an answer written here is byte for byte
#: what the schema's answer would be
RENDERER = JSONRenderer()


def json_answer(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    """``data`` (in the form a schema dumps) as the API's answer, as ninja would send it
    (same body, status and content type)."""
    return HttpResponse(
        RENDERER.render(request, data, response_status=status),
        status=status,
        content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}",
    )


def answered(view: Callable[..., Any]) -> Callable[..., Any]:
    """Put over ``@paginate(Pages)``: a page of :class:`Answers` goes out as JSON as it is,
    anything else to the route's schema as usual (the OpenAPI document is the same)."""

    @functools.wraps(view)
    def answer(request: HttpRequest, **kwargs: Any) -> Any:
        result = view(request, **kwargs)
        return json_answer(request, dict(result)) if isinstance(result, AnsweredPage) else result

    return answer


class Pages(LimitOffsetPagination):
    """``?limit=`` (1..200, default 50) and ``?offset=``; answers a :class:`Page`."""

    Output = Page

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="At most 200.")
        offset: int = Field(0, ge=0, le=MAX_VERSION)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=200, **kwargs)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = pagination.offset
        limit = min(pagination.limit, self.max_limit)
        ready = isinstance(queryset, Answers)
        items = queryset.page(offset, limit) if ready else queryset[offset : offset + limit]
        if isinstance(items, QuerySet):
            items = list(items)
        if len(items) < limit and (items or offset == 0):
            # a short page is the last one: the count is known without asking for it
            count = offset + len(items)
        else:
            count = queryset.count() if ready else self._items_count(queryset)
        page = {
            "items": items,
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": _next_url(request, limit, offset, count),
        }
        return AnsweredPage(page) if ready else page


@functools.cache
def paged(schema: type[Schema]) -> Any:
    """The page schema of ``schema``, for a route that answers a whole list at once (a
    reorder): the same shape, named as ``@paginate(Pages)`` names it."""
    return create_model(f"Paged{schema.__name__}", __base__=Page, items=(list[schema], ...))  # type: ignore[valid-type]


def whole_page(items: list[Any]) -> dict[str, Any]:
    """Every item on one page (see :func:`paged`)."""
    return {"items": items, "count": len(items), "limit": len(items), "offset": 0, "next": None}


# --- errors (documented in OpenAPI) --------------------------------------------------------


class FieldProblem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class Problem(Schema):
    """Every error (RFC 9457 problem details; ``followthrough.web.lib.problems``)."""

    type: str = Field(description="urn:followthrough:problem:<kind>; switch on this.")
    title: str
    status: int
    detail: str = Field(description="A sentence a person can act on.")
    errors: list[FieldProblem] = Field(description="The fields at fault; often empty.")


class Refusal(Problem):
    reasons: list[str]


class StaleDelete(Problem):
    current_version: int


class AlreadyExists(Problem):
    id: int


@functools.cache
def stale(schema: type[Schema]) -> Any:
    """The 409 body of a stale write: the problem and the row as it is now."""
    name = "Stale" + schema.__name__.removesuffix("Out")
    return create_model(name, __base__=Problem, current=(schema, ...))


ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem, 429: Problem}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 422: Problem}


def _request(context: Any) -> HttpRequest | None:
    return context.get("request") if isinstance(context, dict) else None


def request_now(request: HttpRequest | None) -> datetime:
    """One "now" per request, so a list judges every row against the same instant."""
    if request is None:
        return timezone.now()
    now = getattr(request, "_followthrough_now", None)
    if now is None:
        now = timezone.now()
        request._followthrough_now = now  # type: ignore[attr-defined]
    return now
