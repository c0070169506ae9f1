"""The history part of the REST API, mounted under /api/v1/ by followthrough.web.api.urls.

``GET /history`` lists the changes you may see, newest first, with the filters of the
/history/ page; ``GET /history/{type}/{object_id}`` is one object's history. You see a
change exactly when you may see its object (see ``history.queries``).
"""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError, ValidationError
from ninja.pagination import paginate

from followthrough.web.api.access import user_of
from followthrough.web.api.schemas import ERRORS, MAX_ID, Pages
from followthrough.web.history.models import Change
from followthrough.web.history.queries import (
    FilterError,
    Filters,
    changed_fields,
    content_types,
    kind_of,
    kinds,
    led_teams,
    readable,
    visible_changes,
)
from followthrough.web.lib.dates import Day

router = Router(tags=["history"])


class ChangeOut(Schema):
    id: int
    at: datetime
    action: str = Field(description="create, update, delete or restore.")
    type: str = Field(description="The object's type, e.g. incident, action-item.")
    object_id: str
    object_repr: str = Field(description="The object's name when the change was made.")
    who: str = Field(description="The user's name, or the non-human actor (worker, webhook).")
    actor: str | None = Field(description="The username, when a user acted.")
    actor_label: str
    note: str
    team_id: int | None
    incident_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed: dict[str, list[Any]] = Field(description="Field -> [before, after], changed only.")

    @staticmethod
    def resolve_type(obj: Change) -> str:
        return kind_of(obj.content_type_id).replace(" ", "-")

    @staticmethod
    def resolve_actor(obj: Change) -> str | None:
        return obj.actor.get_username() if obj.actor is not None else None

    @staticmethod
    def resolve_before(obj: Change, context: Any) -> dict[str, Any] | None:
        return None if obj.before is None else readable(obj, _led(context))[0]

    @staticmethod
    def resolve_after(obj: Change, context: Any) -> dict[str, Any] | None:
        return None if obj.after is None else readable(obj, _led(context))[1]

    @staticmethod
    def resolve_changed(obj: Change, context: Any) -> dict[str, list[Any]]:
        return {k: [b, a] for k, (b, a) in changed_fields(obj, _led(context)).items()}


def _led(context: Any) -> frozenset[int]:
    """The teams the reader leads, looked up once per request (secrets show to leads only)."""
    request = context["request"]
    led = getattr(request, "_history_led_teams", None)
    if led is None:
        led = led_teams(user_of(request))
        request._history_led_teams = led
    return led


@router.get("/history", response={200: list[ChangeOut], **ERRORS})
@paginate(Pages)
def list_changes(
    request: HttpRequest,
    team: Annotated[str | None, Query(max_length=50, description="Team id or slug.")] = None,
    type: Annotated[str | None, Query(max_length=50, description="Object type.")] = None,
    actor: Annotated[str | None, Query(max_length=150, description="Username or label.")] = None,
    action: Annotated[str | None, Query(max_length=10)] = None,
    since: Annotated[Day | None, Query(description="From this day (inclusive).")] = None,
    until: Annotated[Day | None, Query(description="To this day (inclusive).")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the name.")] = None,
    incident: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Changes under this incident.")
    ] = None,
) -> Any:
    user = user_of(request)
    filters = Filters(
        team=(team or "").strip(),
        type=(type or "").strip(),
        actor=(actor or "").strip(),
        action=(action or "").strip(),
        since=since,
        until=until,
        q=q or "",
        incident=incident,
    )
    try:
        return filters.apply(visible_changes(user), user)
    except FilterError as e:
        raise ValidationError(
            [{"loc": ["query", e.name], "msg": str(e), "type": "value_error"}]
        ) from None


@router.get("/history/{type}/{object_id}", response={200: list[ChangeOut], **ERRORS})
@paginate(Pages)
def object_changes(
    request: HttpRequest,
    type: Annotated[str, Path(max_length=50, description="Object type, e.g. action-item.")],
    object_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> Any:
    label = kinds().get(type)
    if label is None:
        raise HttpError(404, f"Unknown object type “{type}”; use one of: {', '.join(kinds())}.")
    (content_type,) = content_types([label])
    changes = visible_changes(user_of(request)).filter(
        content_type=content_type, object_id=str(object_id)
    )
    if not changes.exists():
        raise HttpError(404, f"There is no {type} with id {object_id} whose history you may see.")
    return changes
