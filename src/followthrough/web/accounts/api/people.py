"""People, the teams they are on (memberships, with roles), their managers, and invitations.

- People: anyone signed in lists the people of the teams they can see (and themselves);
  organisation admins create, change and delete them. A person's manager (who stalled
  action items escalate to) is ``manager_id``: set, changed or cleared with PATCH; a chain
  of managers never loops.
- Memberships: listed with the team; a team's leads (and admins) add people, change their
  role (viewer, editor, lead) and take them off.
- Invitations: a team's leads (and admins; without a team, admins only) invite someone by
  e-mail address. The link is e-mailed to the person; it lets them choose a password,
  once, within 7 days. An admin's answer also carries the link, once (``link``), to pass on
  another way; a lead's does not: otherwise a lead could take over the login of someone on
  other teams. Someone with a working login is just added to the team.

Every change is in the history. Who may do what: ``accounts.permissions``.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from followthrough.web.accounts import operations, permissions
from followthrough.web.accounts.api.teams import ACCOUNT_ERRORS, forbid, refusing
from followthrough.web.accounts.models import Invitation, Membership, Person, Team
from followthrough.web.accounts.schemas import PersonOut, PersonRef
from followthrough.web.accounts.visibility import visible_team_ids
from followthrough.web.api.access import NotFound, get_visible, person, user_of
from followthrough.web.api.errors import Conflict, FieldError
from followthrough.web.api.schemas import (
    ERRORS,
    MAX_VERSION,
    In,
    Pages,
    PathId,
    PeopleSearch,
    StaleDelete,
    TeamFilter,
    Versioned,
    search_words,
    stale,
)
from followthrough.web.api.schemas import Id as IdType
from followthrough.web.followup.invitations import invite_and_send, shown_link
from followthrough.web.versioning import StaleVersion
from followthrough.web.visibility import visible_people

router = Router(tags=["people"])

RoleName = Literal["viewer", "editor", "lead"]
Name = Annotated[str, Field(min_length=1, max_length=150, pattern=r"\S")]
Email = Annotated[str, Field(max_length=254, description="An e-mail address; one per person.")]
Handle = Annotated[str, Field(max_length=64, description="Chat handle, without @.")]
SlackId = Annotated[str, Field(max_length=32, description="Slack member id (U…).")]
Version = Annotated[
    int, Query(..., ge=1, le=MAX_VERSION, description="The version you read; a stale one gets 409.")
]

User = AbstractBaseUser | AnonymousUser


def _person(request: HttpRequest, pk: int) -> Person:
    found = visible_people(user_of(request)).filter(pk=pk).first()
    if found is None:
        raise NotFound("person", pk)
    return found


# --- people --------------------------------------------------------------------------------


class PersonIn(In):
    name: Name
    email: Email = ""
    handle: Handle = ""
    slack_user_id: SlackId = ""
    manager_id: IdType | None = Field(None, description="Who their stalled items escalate to.")


class PersonPatch(Versioned):
    name: Name = None  # type: ignore[assignment]
    email: Email = None  # type: ignore[assignment]
    handle: Handle = None  # type: ignore[assignment]
    slack_user_id: SlackId = None  # type: ignore[assignment]
    manager_id: IdType | None = None


@router.get("/people", response={200: list[PersonOut], **ERRORS})
@paginate(Pages)
def list_people(
    request: HttpRequest,
    team: TeamFilter = None,
    q: PeopleSearch = None,
) -> Any:
    """The people you may see: on the teams you can see, on no team, named on an incident
    you can see, and yourself (``?team=``: that team's members)."""
    people = visible_people(user_of(request))
    if team is not None:
        get_visible(request, Team.objects.all(), team, "team")
        people = people.filter(memberships__team_id=team)
    if term := search_words(q):
        people = people.filter(
            Q(name__icontains=term) | Q(email__icontains=term) | Q(handle__icontains=term)
        )
    return people.distinct().order_by("name", "pk")


@router.post("/people", response={201: PersonOut, **ACCOUNT_ERRORS})
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    """Record a person (organisation admins); to give them a login, invite them."""
    forbid(permissions.admin_refusal(user_of(request), "add people"))
    data = payload.model_dump()
    data["manager"] = person(data.pop("manager_id"), "manager_id")
    with refusing():
        made = operations.create_person(data)
    return Status(201, made)


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, person_id: PathId) -> Any:
    return _person(request, person_id)


@router.patch(
    "/people/{person_id}", response={200: PersonOut, 409: stale(PersonOut), **ACCOUNT_ERRORS}
)
def update_person(request: HttpRequest, person_id: PathId, payload: PersonPatch) -> Any:
    """Change a person's name, address, handle or manager (organisation admins)."""
    found = _person(request, person_id)
    forbid(permissions.admin_refusal(user_of(request), "change people or their managers"))
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    if "manager_id" in data:
        data["manager"] = person(data.pop("manager_id"), "manager_id")
    try:
        with transaction.atomic(), refusing():
            operations.update_person(found, version, data)
    except StaleVersion as e:
        current = PersonOut.model_validate(_person(request, person_id)).model_dump(mode="json")
        raise Conflict({"detail": str(e), "current": current}) from e
    return _person(request, person_id)


@router.delete("/people/{person_id}", response={204: None, 409: StaleDelete, **ACCOUNT_ERRORS})
def delete_person(request: HttpRequest, person_id: PathId, version: Version) -> Any:
    """Delete a person named on nothing and without a login (organisation admins)."""
    found = _person(request, person_id)
    forbid(permissions.admin_refusal(user_of(request), "delete people"))
    with refusing():
        operations.delete_person(found, version)
    return Status(204, None)


# --- memberships ---------------------------------------------------------------------------


class MembershipOut(Schema):
    id: int
    team_id: int
    person: PersonRef
    role: RoleName
    version: int
    updated_at: datetime


class MembershipIn(In):
    team_id: IdType
    person_id: IdType
    role: RoleName = "editor"


class MembershipPatch(Versioned):
    role: RoleName


def _team_to_manage(request: HttpRequest, team_id: int, what: str) -> Team:
    """The team named in a body: invisible or unknown is a field error, not yours a 403."""
    team = Team.objects.filter(pk=team_id, pk__in=visible_team_ids(user_of(request))).first()
    if team is None:
        raise FieldError("team_id", f"There is no team with id {team_id}.")
    forbid(permissions.team_refusal(user_of(request), team, what))
    return team


def _membership(request: HttpRequest, pk: int) -> Membership:
    found = (
        Membership.objects.select_related("team", "person")
        .filter(pk=pk, team_id__in=visible_team_ids(user_of(request)))
        .first()
    )
    if found is None:
        raise NotFound("membership", pk)
    return found


@router.get("/memberships", response={200: list[MembershipOut], **ERRORS})
@paginate(Pages)
def list_memberships(request: HttpRequest, team: TeamFilter = None) -> Any:
    """Who is on the teams you can see, with their role."""
    rows = Membership.objects.filter(team_id__in=visible_team_ids(user_of(request)))
    if team is not None:
        rows = rows.filter(team_id=team)
    return rows.select_related("person").order_by("team_id", "person__name", "pk")


@router.post("/memberships", response={201: MembershipOut, **ACCOUNT_ERRORS})
def add_membership(request: HttpRequest, payload: MembershipIn) -> Any:
    """Put a person on a team with a role (its leads, organisation admins)."""
    team = _team_to_manage(request, payload.team_id, "change its members")
    who = person(payload.person_id, "person_id")
    assert who is not None
    with refusing():
        made = operations.add_member(team, who, payload.role)
    return Status(201, _membership(request, made.pk))


@router.get("/memberships/{membership_id}", response={200: MembershipOut, **ERRORS})
def get_membership(request: HttpRequest, membership_id: PathId) -> Any:
    return _membership(request, membership_id)


@router.patch(
    "/memberships/{membership_id}",
    response={200: MembershipOut, 409: stale(MembershipOut), **ACCOUNT_ERRORS},
)
def change_membership(request: HttpRequest, membership_id: PathId, payload: MembershipPatch) -> Any:
    """Change someone's role on a team (its leads, organisation admins). The last lead of a
    team stays a lead unless an admin decides otherwise."""
    found = _membership(request, membership_id)
    forbid(permissions.team_refusal(user_of(request), found.team, "change its members"))
    try:
        with transaction.atomic(), refusing():
            operations.change_role(found, payload.version, payload.role, user_of(request))
    except StaleVersion as e:
        current = MembershipOut.model_validate(_membership(request, membership_id))
        raise Conflict({"detail": str(e), "current": current.model_dump(mode="json")}) from e
    return _membership(request, membership_id)


@router.delete(
    "/memberships/{membership_id}", response={204: None, 409: StaleDelete, **ACCOUNT_ERRORS}
)
def remove_membership(request: HttpRequest, membership_id: PathId, version: Version) -> Any:
    """Take someone off a team (its leads, organisation admins)."""
    found = _membership(request, membership_id)
    forbid(permissions.team_refusal(user_of(request), found.team, "change its members"))
    with refusing():
        operations.remove_member(found, version, user_of(request))
    return Status(204, None)


# --- invitations ---------------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    email: str
    person_id: int
    team_id: int | None
    role: str
    status: Literal["pending", "accepted", "revoked", "expired"]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None

    @staticmethod
    def resolve_status(obj: Invitation) -> str:
        return obj.status()


class InvitationIn(In):
    email: Email = Field(..., min_length=3)
    name: Annotated[str, Field(max_length=150)] = ""
    team_id: IdType | None = Field(None, description="The team to put them on (admins may omit).")
    role: RoleName = "editor"


class InvitedOut(Schema):
    person: PersonOut
    created: bool = Field(description="A new person was recorded for this address.")
    membership: MembershipOut | None
    invitation: InvitationOut | None = Field(
        description="None: they have a working login already, and were added to the team."
    )
    link: str | None = Field(
        description=(
            "The invitation link, to organisation admins only, this once (it is e-mailed to "
            "the person in any case): a link that sets someone's password is theirs alone."
        )
    )
    email_queued: bool


def _visible_invitations(request: HttpRequest) -> QuerySet[Invitation]:
    user = user_of(request)
    rows = Invitation.objects.all()
    if user.is_superuser:
        return rows
    return rows.filter(team_id__in=visible_team_ids(user))


@router.get("/invitations", response={200: list[InvitationOut], **ERRORS})
@paginate(Pages)
def list_invitations(request: HttpRequest, team: TeamFilter = None) -> Any:
    """Invitations to the teams you lead (organisation admins: all), newest first."""
    user = user_of(request)
    rows = _visible_invitations(request)
    if not user.is_superuser:
        rows = rows.filter(team__in=Team.objects.led_by(user))
    if team is not None:
        rows = rows.filter(team_id=team)
    return rows.order_by("-created_at", "-pk")


@router.post("/invitations", response={201: InvitedOut, **ACCOUNT_ERRORS})
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Any:
    """Invite someone by e-mail: onto a team you lead, with a role. The link is e-mailed and
    answered here once; it lets them choose a password, once, within 7 days."""
    user = user_of(request)
    if payload.team_id is None:
        forbid(permissions.admin_refusal(user, "invite someone to no team"))
        team = None
    else:
        team = _team_to_manage(request, payload.team_id, "invite people onto it")
    with refusing():
        invited, queued = invite_and_send(payload.email, payload.name, team, payload.role, user)
    membership = _membership(request, invited.membership.pk) if invited.membership else None
    return Status(
        201,
        {
            "person": invited.person,
            "created": invited.created,
            "membership": membership,
            "invitation": invited.invitation,
            "link": shown_link(user, invited.secret),
            "email_queued": queued,
        },
    )


@router.delete("/invitations/{invitation_id}", response={204: None, **ACCOUNT_ERRORS})
def revoke_invitation(request: HttpRequest, invitation_id: PathId) -> Any:
    """Revoke a pending invitation: its link stops working (its team's leads, admins)."""
    found = _visible_invitations(request).select_related("team").filter(pk=invitation_id).first()
    if found is None:
        raise NotFound("invitation", invitation_id)
    user = user_of(request)
    if found.team is None:
        forbid(permissions.admin_refusal(user, "revoke this invitation"))
    else:
        forbid(permissions.team_refusal(user, found.team, "revoke its invitations"))
    found.revoke()
    return Status(204, None)
