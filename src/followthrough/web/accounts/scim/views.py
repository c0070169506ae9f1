"""The SCIM endpoints: /scim/v2/Users, /scim/v2/Users/{id}, and the discovery documents.

Every request: 404 while single sign-on is off; a bearer token with the ``scim`` scope of
an active admin, else 401; the work in one transaction, so an answer in the error schema
has changed nothing; every change recorded in the history as the token's owner through
"scim".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from followthrough.web.accounts import oidc
from followthrough.web.accounts.models import ApiToken, TokenScope
from followthrough.web.accounts.scim import users
from followthrough.web.accounts.scim.protocol import (
    CONFIG_SCHEMA,
    LIST_SCHEMA,
    MAX_COUNT,
    PATCH_SCHEMA,
    RESOURCE_TYPE_SCHEMA,
    USER_SCHEMA,
    ScimError,
    answer,
    body_of,
    list_response,
    operations,
    page,
    parse_filter,
)
from followthrough.web.history.context import acting_as

View = Callable[..., HttpResponse]


def _token_of(request: HttpRequest) -> ApiToken:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    token = (
        ApiToken.objects.authenticate(credential.strip(), scopes=(TokenScope.SCIM,))
        if scheme.lower() == "bearer" and credential.strip()
        else None
    )
    if token is None or not token.user.is_active or not token.user.is_superuser:
        raise ScimError(
            401,
            "A SCIM token is required: Authorization: Bearer ft_… with the scim scope, "
            "of an active admin (followthrough scim-token). It is unknown, revoked, expired "
            "or not a SCIM token.",
        )
    return token


def scim(view: View) -> View:
    """Single sign-on on, a SCIM token, one transaction, errors in the SCIM schema."""

    @csrf_exempt
    @wraps(view)
    def handle(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if not oidc.enabled():
                raise ScimError(404, "SCIM provisioning needs single sign-on, which is off.")
            token = _token_of(request)
            token.mark_used()
            note = f"{request.method} {request.path}"
            with transaction.atomic(), acting_as(users.SCIM_ACTOR, user=token.user, note=note):
                return view(request, *args, **kwargs)
        except ScimError as e:
            return e.response()

    return handle


def _issuer() -> str:
    return str(settings.OIDC_ISSUER)


def _user_or_404(pk: str) -> Any:
    user = users.managed(_issuer()).filter(pk=int(pk)).first() if pk.isdigit() else None
    if user is None:
        raise ScimError(404, f"User {pk[:64]} not found.")
    return user


@scim
def users_view(request: HttpRequest) -> HttpResponse:
    """GET: the accounts, filtered and paged; POST: a new account."""
    if request.method == "GET":
        found = users.managed(_issuer())
        if text := request.GET.get("filter", "").strip():
            wanted = parse_filter(text)
            lookups = {
                "userName": "username__iexact",
                "externalId": "sso_identity__scim_external_id",
                "emails.value": "email__iexact",
            }
            if wanted.attribute == "id":
                found = (
                    found.filter(pk=int(wanted.value)) if wanted.value.isdigit() else found.none()
                )
            else:
                found = found.filter(**{lookups[wanted.attribute]: wanted.value})
        start, count = page(request.GET)  # type: ignore[arg-type]
        total = found.count()
        chosen = list(found[start - 1 : start - 1 + count]) if count else []
        resources = [users.resource(u, request) for u in chosen]
        return answer(list_response(resources, total, start))
    if request.method == "POST":
        changes = users.from_resource(body_of(request.body))
        created = users.resource(users.create(changes, _issuer()), request)
        response = answer(created, 201)
        response["Location"] = created["meta"]["location"]
        return response
    raise ScimError(405, f"{request.method} is not supported here: GET or POST.")


@scim
def user_view(request: HttpRequest, pk: str) -> HttpResponse:
    """GET, PUT (replace), PATCH (operations) or DELETE one account."""
    user = _user_or_404(pk)
    if request.method == "GET":
        return answer(users.resource(user, request))
    if request.method == "PUT":
        users.update(user, users.from_resource(body_of(request.body)))
    elif request.method == "PATCH":
        body = body_of(request.body)
        schemas = body.get("schemas")
        if schemas is not None and PATCH_SCHEMA not in (
            schemas if isinstance(schemas, list) else []
        ):
            raise ScimError(400, f"schemas must include {PATCH_SCHEMA}.", "invalidValue")
        users.update(user, users.from_patch(operations(body)))
    elif request.method == "DELETE":
        users.remove(user)
        return answer(None, 204)
    else:
        raise ScimError(405, f"{request.method} is not supported here: GET, PUT, PATCH or DELETE.")
    return answer(users.resource(_user_or_404(pk), request))


@scim
def service_provider_config(request: HttpRequest) -> HttpResponse:
    """What this endpoint supports (RFC 7643, 5)."""
    return answer(
        {
            "schemas": [CONFIG_SCHEMA],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A followthrough token with the scim scope.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig"},
        }
    )


@scim
def resource_types(request: HttpRequest) -> HttpResponse:
    """The one resource type provisioned here: User (RFC 7643, 6)."""
    user_type = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType"},
    }
    return answer({**list_response([user_type], 1, 1), "schemas": [LIST_SCHEMA]})


@scim
def not_here(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise ScimError(
        404,
        "Only /Users is provisioned here (roles come from the groups claim at sign-in).",
    )
