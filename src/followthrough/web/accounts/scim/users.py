"""Accounts as SCIM User resources (RFC 7643, 4.1), and the changes the provider sends.

What is kept, and where:

| SCIM attribute | followthrough |
| --- | --- |
| ``id`` | the account's id (read-only) |
| ``userName`` | the username (unique, case-insensitively) |
| ``name.givenName``, ``name.familyName`` | first and last name |
| ``displayName`` | the person's name (what pages show) |
| ``emails`` (the primary one, else the work one, else the first) | the address of the account, its person and its identity |
| ``externalId`` | the identity's ``scim_external_id``; a first sign-in whose ``sub`` equals it claims the account |
| ``active`` | enabled; ``false`` deprovisions (``accounts.deprovision``) |

Other attributes (title, locale, phone numbers, the enterprise extension, password, groups)
are accepted and ignored: passwords are never used (people sign in through the provider)
and roles come from the groups claim at sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from followthrough.web.accounts.deprovision import deprovision, is_deprovisioned, reactivate
from followthrough.web.accounts.identities import ensure_person
from followthrough.web.accounts.models import Person, SsoIdentity
from followthrough.web.accounts.scim.protocol import USER_SCHEMA, Operation, ScimError, boolean

SCIM_ACTOR = "scim"


def managed(issuer: str) -> QuerySet[Any]:
    """The accounts the provider manages: those with an identity of the configured issuer."""
    User = get_user_model()
    return (
        User.objects.filter(sso_identity__issuer=issuer)
        .select_related("sso_identity", "person")
        .order_by("pk")
    )


def _iso(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def resource(user: Any, request: HttpRequest) -> dict[str, Any]:
    """The account as a SCIM User."""
    identity: SsoIdentity = user.sso_identity
    person = Person.objects.filter(user=user).first()
    full_name = user.get_full_name()
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": full_name,
        },
        "displayName": (person.name if person else "") or full_name or user.username,
        "emails": ([{"value": user.email, "type": "work", "primary": True}] if user.email else []),
        "active": user.is_active,
        "meta": {
            "resourceType": "User",
            "created": _iso(user.date_joined),
            "lastModified": _iso(max(identity.updated_at, user.date_joined)),
            "location": request.build_absolute_uri(reverse("scim-user", args=[user.pk])),
        },
    }
    if identity.scim_external_id:
        body["externalId"] = identity.scim_external_id
    return body


@dataclass(frozen=True)
class Changes:
    """What the provider asks to change; None leaves a value as it is."""

    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    external_id: str | None = None
    active: bool | None = None

    def merged(self, other: Changes) -> Changes:
        later = {f.name: getattr(other, f.name) for f in fields(other)}
        return replace(self, **{k: v for k, v in later.items() if v is not None})


def _text(value: Any, attribute: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(400, f"{attribute} must be a string.", "invalidValue")
    if len(value) > limit or "\x00" in value:
        raise ScimError(
            400, f"{attribute} must be at most {limit} characters, without NUL.", "invalidValue"
        )
    return value.strip()


def _email_of(emails: Any) -> str:
    if emails in (None, []):
        return ""
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(400, "emails must be a list of objects.", "invalidValue")
    chosen = (
        next((e for e in emails if e.get("primary") in (True, "true", "True")), None)
        or next((e for e in emails if str(e.get("type", "")).lower() == "work"), None)
        or emails[0]
    )
    return _text(chosen.get("value"), "emails.value", 254)


def _name_of(name: Any) -> Changes:
    if name is None:
        return Changes(given_name="", family_name="")
    if not isinstance(name, dict):
        raise ScimError(400, "name must be an object.", "invalidValue")
    return Changes(
        given_name=_text(name.get("givenName"), "name.givenName", 150),
        family_name=_text(name.get("familyName"), "name.familyName", 150),
    )


def from_resource(data: dict[str, Any]) -> Changes:
    """The changes a whole User resource (POST, PUT) asks for; userName is required."""
    schemas = data.get("schemas")
    if schemas is not None and USER_SCHEMA not in (schemas if isinstance(schemas, list) else []):
        raise ScimError(400, f"schemas must include {USER_SCHEMA}.", "invalidValue")
    username = _text(data.get("userName"), "userName", 150)
    if not username:
        raise ScimError(400, "userName is required.", "invalidValue")
    changes = Changes(username=username)
    if "name" in data:
        changes = changes.merged(_name_of(data["name"]))
    if "displayName" in data:
        changes = replace(changes, display_name=_text(data["displayName"], "displayName", 150))
    if "emails" in data:
        changes = replace(changes, email=_email_of(data["emails"]))
    if "externalId" in data:
        changes = replace(changes, external_id=_text(data["externalId"], "externalId", 255))
    if "active" in data:
        changes = replace(changes, active=boolean(data["active"], "active"))
    return changes


def from_patch(ops: list[Operation]) -> Changes:
    """The changes PATCH operations ask for (paths are case-insensitive, RFC 7644, 3.10)."""
    changes = Changes()
    for op in ops:
        path = op.path.lower()
        value = None if op.op == "remove" else op.value
        if path == "active":
            if op.op == "remove":
                raise ScimError(400, "active cannot be removed.", "mutability")
            changes = replace(changes, active=boolean(value, "active"))
        elif path == "username":
            if op.op == "remove":
                raise ScimError(400, "userName cannot be removed.", "mutability")
            username = _text(value, "userName", 150)
            if not username:
                raise ScimError(400, "userName cannot be empty.", "invalidValue")
            changes = replace(changes, username=username)
        elif path == "name":
            changes = changes.merged(_name_of(value))
        elif path == "name.givenname":
            changes = replace(changes, given_name=_text(value, "name.givenName", 150))
        elif path == "name.familyname":
            changes = replace(changes, family_name=_text(value, "name.familyName", 150))
        elif path == "displayname":
            changes = replace(changes, display_name=_text(value, "displayName", 150))
        elif path == "externalid":
            changes = replace(changes, external_id=_text(value, "externalId", 255))
        elif path == "emails":
            changes = replace(changes, email=_email_of(value))
        elif path in ('emails[type eq "work"].value', "emails.value"):
            changes = replace(changes, email=_text(value, "emails.value", 254))
        # Anything else (title, locale, the enterprise extension, ...) is not kept.
    return changes


def _check(changes: Changes, user: AbstractBaseUser | None) -> None:
    User = get_user_model()
    if changes.username is not None:
        try:
            User.username_validator(changes.username)  # type: ignore[attr-defined]
        except ValidationError as e:
            raise ScimError(
                400,
                f"userName {changes.username!r} is not a valid username: letters, digits and "
                "@ . + - _ only.",
                "invalidValue",
            ) from e
        taken = User.objects.filter(username__iexact=changes.username)
        if user is not None:
            taken = taken.exclude(pk=user.pk)
        if taken.exists():
            raise ScimError(409, f"The userName {changes.username!r} is taken.", "uniqueness")
    if changes.email:
        try:
            validate_email(changes.email)
        except ValidationError as e:
            raise ScimError(
                400, f"{changes.email!r} is not an e-mail address.", "invalidValue"
            ) from e


def create(changes: Changes, issuer: str) -> Any:
    """A new account waiting for its first sign-in (an invitation for its address/externalId)."""
    _check(changes, None)
    User = get_user_model()
    user = User(
        username=changes.username,
        email=changes.email or "",
        first_name=changes.given_name or "",
        last_name=changes.family_name or "",
        is_active=changes.active is not False,
    )
    user.set_unusable_password()  # people sign in through the provider
    user.save()
    SsoIdentity.objects.create(
        user=user,
        issuer=issuer,
        email=changes.email or "",
        scim_external_id=changes.external_id or "",
    )
    name = changes.display_name or user.get_full_name()
    ensure_person(user, changes.email or "", name, trusted_address=True)
    return user


def update(user: Any, changes: Changes) -> None:
    """Apply the changes; ``active: false`` deprovisions, ``active: true`` enables again."""
    _check(changes, user)
    identity: SsoIdentity = user.sso_identity
    old_email = user.email
    account_fields = {
        "username": changes.username,
        "first_name": changes.given_name,
        "last_name": changes.family_name,
        "email": changes.email,
    }
    changed = [f for f, v in account_fields.items() if v is not None and getattr(user, f) != v]
    for field in changed:
        setattr(user, field, account_fields[field])
    if changed:
        user.save(update_fields=changed)
    identity_fields = {"email": changes.email, "scim_external_id": changes.external_id}
    moved = [f for f, v in identity_fields.items() if v is not None and getattr(identity, f) != v]
    for field in moved:
        setattr(identity, field, identity_fields[field])
    if moved:
        identity.save(update_fields=[*moved, "updated_at"])
    person = ensure_person(user, user.email, user.get_full_name(), trusted_address=False)
    if changes.display_name and person.name != changes.display_name:
        person.name = changes.display_name
        person.save(update_fields=["name"])
    if changes.email is not None and person.email.lower() in ("", old_email.lower()):
        person.email = changes.email
        person.save(update_fields=["email"])
    if changes.active is False and not is_deprovisioned(user):
        deprovision(user, by="SCIM")
    elif changes.active is True:
        reactivate(user, by="SCIM")


def remove(user: Any) -> None:
    """DELETE: deprovision, and forget the identity (the provider no longer sees the account;
    the account stays, disabled, with its history)."""
    if not is_deprovisioned(user):
        deprovision(user, by="SCIM (deleted)")
    user.sso_identity.delete()
