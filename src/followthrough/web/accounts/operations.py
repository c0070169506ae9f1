"""Teams, people, memberships, manager links and invitations: the only way pages and the API
change them, each change atomic and recorded in the history (the models are tracked).

Who may do what is decided in :mod:`followthrough.web.accounts.permissions`; here are the
rules of the data:

- A team's calendar must be one the business-day engine knows (timezone, country,
  subdivision); names and slugs are unique. A team with incidents (deleted ones too: an
  admin may restore them) cannot be deleted.
- A person's e-mail address names one person (invitations and sign-in match on it). A
  person named on incidents, meetings or action items, or managing someone, is not deleted:
  their name stays on the record; take them off their teams instead.
- Manager links never loop (escalation walks up the chain).
- A team keeps a lead once it has one, unless an admin decides otherwise; the person named
  the team's lead is a lead member.
- An invitation creates the person (and a login without a password) when needed, makes them
  a member of the team, and gives a link that sets the password once. Someone who already
  has a working login is added to the team and gets no link: a link must never reset the
  password of an account someone already uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from followthrough.web.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    Person,
    Role,
    Team,
)
from followthrough.web.versioning import StaleVersion, save_versioned

Actor = AbstractBaseUser | AnonymousUser | None


class AccountRefused(ValueError):
    """A change the rules do not allow; ``reasons`` in words, ``field`` the one at fault."""

    def __init__(self, reasons: list[str] | str, field: str | None = None) -> None:
        self.reasons = [reasons] if isinstance(reasons, str) else reasons
        super().__init__(" ".join(self.reasons))
        self.field = field


def _is_admin(user: Actor) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_superuser)


# --- teams ---------------------------------------------------------------------------------

TEAM_FIELDS = ("name", "timezone", "holiday_country", "holiday_subdivision", "is_private")


def _check_team(team: Team) -> None:
    """The model's checks (calendar, lengths, uniqueness) as one refusal per field."""
    try:
        team.full_clean(exclude=["lead", "slug"])
    except ValidationError as e:
        field, messages = next(iter(e.message_dict.items()))
        raise AccountRefused(messages, None if field == "__all__" else field) from e
    others = Team.objects.exclude(pk=team.pk)
    if others.filter(name__iexact=team.name).exists():
        raise AccountRefused(f"There is a team named “{team.name}” already.", "name")


# Slugs a team page's address cannot take: they are pages of their own (/teams/new/).
RESERVED_SLUGS = frozenset({"new"})


def _free_slug(name: str, exclude: int | None = None) -> str:
    base = slugify(name)[:40] or "team"
    slug, n = base, 2
    if base in RESERVED_SLUGS:
        slug = f"{base}-team"
    while Team.objects.exclude(pk=exclude).filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_team(fields: dict[str, Any], lead: Person | None = None) -> Team:
    """A new team; ``lead`` (optional) becomes its lead and a lead member."""
    team = Team(**{k: v for k, v in fields.items() if k in TEAM_FIELDS})
    team.holiday_country = (team.holiday_country or "").upper()
    team.holiday_subdivision = (team.holiday_subdivision or "").upper()
    _check_team(team)
    team.slug = _free_slug(team.name)
    team.save()
    if lead is not None:
        set_team_lead(team, team.version, lead)
    return team


@transaction.atomic
def update_team(team: Team, expected_version: int, fields: dict[str, Any]) -> Team:
    """Change a team's name or calendar (``lead`` goes through ``set_team_lead``)."""
    changes = {k: v for k, v in fields.items() if k in TEAM_FIELDS}
    for name in ("holiday_country", "holiday_subdivision"):
        if name in changes:
            changes[name] = (changes[name] or "").upper()
    candidate = Team.objects.get(pk=team.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _check_team(candidate)
    if "name" in changes and changes["name"] != team.name:
        changes["slug"] = _free_slug(changes["name"], exclude=team.pk)
    if "lead" in fields:
        lead = fields["lead"]
        if changes:
            save_versioned(team, expected_version, changes)
            expected_version = team.version
        return set_team_lead(team, expected_version, lead)
    save_versioned(team, expected_version, changes)
    return team


@transaction.atomic
def set_team_lead(team: Team, expected_version: int, person: Person | None) -> Team:
    """Name the team's lead (who is invited to its meetings and gets its digest). The person
    becomes a lead member; None names nobody (their membership stays as it is)."""
    save_versioned(team, expected_version, {"lead": person})
    if person is not None:
        membership = Membership.objects.filter(team=team, person=person).first()
        if membership is None:
            Membership.objects.create(team=team, person=person, role=Role.LEAD)
        elif membership.role != Role.LEAD:
            save_versioned(membership, membership.version, {"role": Role.LEAD})
    return team


@transaction.atomic
def delete_team(team: Team, expected_version: int) -> None:
    incidents = team.incidents.model._base_manager.filter(team=team).count()
    if incidents:
        raise AccountRefused(
            f"{team.name} has {incidents} incident(s) (deleted ones count: an admin may "
            "restore them). Move them to another team first; a team's records are not "
            "deleted with it."
        )
    current = Team.objects.filter(pk=team.pk).values_list("version", flat=True).first()
    if current != expected_version:
        raise StaleVersion(current or 0)
    team.delete()


# --- people --------------------------------------------------------------------------------

PERSON_FIELDS = ("name", "email", "handle", "slack_user_id", "manager")


def _check_email(email: str, exclude: int | None = None) -> None:
    if email and Person.objects.exclude(pk=exclude).filter(email__iexact=email).exists():
        raise AccountRefused(
            f"{email} is the address of someone else already: one address names one person.",
            "email",
        )


def manager_loop(person: Person, manager: Person | None) -> str:
    """Why ``manager`` cannot manage ``person`` (a loop), or ""."""
    if manager is None or person.pk is None:
        return ""
    if manager.pk == person.pk:
        return f"{person.name} cannot be their own manager."
    seen = {person.pk}
    chain = [manager]
    current: Person | None = manager
    while current is not None and current.manager_id is not None:
        if current.manager_id in seen:
            names = " → ".join(p.name for p in chain)
            return (
                f"{manager.name} reports to {person.name} already ({person.name} ← {names}): "
                "a chain of managers cannot loop, or escalations would go round in circles."
            )
        seen.add(current.pk)
        current = Person.objects.filter(pk=current.manager_id).first()
        if current is not None:
            chain.append(current)
    return ""


def _check_person(person: Person) -> None:
    try:
        person.full_clean(exclude=["user", "manager"])
    except ValidationError as e:
        field, messages = next(iter(e.message_dict.items()))
        raise AccountRefused(messages, None if field == "__all__" else field) from e
    _check_email(person.email, exclude=person.pk)


@transaction.atomic
def create_person(fields: dict[str, Any]) -> Person:
    person = Person(**{k: v for k, v in fields.items() if k in PERSON_FIELDS})
    person.name = person.name.strip()
    _check_person(person)
    person.save()
    return person


@transaction.atomic
def update_person(person: Person, expected_version: int, fields: dict[str, Any]) -> Person:
    """Change a person's name, address, handle or manager."""
    changes = {k: v for k, v in fields.items() if k in PERSON_FIELDS}
    candidate = Person.objects.get(pk=person.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _check_person(candidate)
    if "manager" in changes:
        # Read under a row lock: two changes made at once cannot close a loop between them.
        list(Person.objects.select_for_update().filter(manager__isnull=False).values("pk"))
        if why := manager_loop(person, changes["manager"]):
            raise AccountRefused(why, "manager")
    save_versioned(person, expected_version, changes)
    if person.user_id is not None and "email" in changes:
        get_user_model().objects.filter(pk=person.user_id).update(email=person.email)
    return person


def named_on(person: Person) -> list[str]:
    """What keeps a person from being deleted, in words (deleted records count: an admin may
    restore them)."""

    def rows(relation: Any, field: str) -> int:
        return int(relation.model._base_manager.filter(**{field: person}).count())

    counts = [
        (rows(person.incidents_commanded, "commander"), "incident(s) as commander"),
        (rows(person.incidents_responded, "responders"), "incident(s) as responder"),
        (rows(person.action_items, "owner"), "action item(s) as owner"),
        (rows(person.meetings_facilitated, "facilitator"), "meeting(s) as facilitator"),
        (rows(person.meetings_attended, "attendees"), "meeting(s) as attendee"),
        (rows(person.teams_led, "lead"), "team(s) as their lead"),
        (rows(person.reports, "manager"), "people as their manager"),
    ]
    return [f"{count} {what}" for count, what in counts if count]


@transaction.atomic
def delete_person(person: Person, expected_version: int) -> None:
    if person.user_id is not None:
        raise AccountRefused(
            f"{person.name} has a login: take them off their teams instead, so that their "
            "name stays on what they did."
        )
    if named := named_on(person):
        raise AccountRefused(
            f"{person.name} is named on {', '.join(named)}; their name stays on those "
            "records. Take them off their teams instead."
        )
    current = Person.objects.filter(pk=person.pk).values_list("version", flat=True).first()
    if current != expected_version:
        raise StaleVersion(current or 0)
    person.delete()


# --- memberships ---------------------------------------------------------------------------


def _leads(team: Team) -> int:
    return Membership.objects.filter(team=team, role=Role.LEAD).count()


def _keeps_a_lead(membership: Membership, actor: Actor, new_role: str | None) -> None:
    """A lead cannot leave the team without one (an admin can: they manage every team)."""
    if _is_admin(actor) or membership.role != Role.LEAD or new_role == Role.LEAD:
        return
    if _leads(membership.team) <= 1:
        raise AccountRefused(
            f"{membership.person.name} is the only lead of {membership.team.name}: make "
            "someone else a lead first, or ask an organisation admin.",
            "role",
        )


@transaction.atomic
def add_member(team: Team, person: Person, role: str) -> Membership:
    if role not in Role.values:
        raise AccountRefused(f"A role is one of: {', '.join(Role.values)}.", "role")
    if Membership.objects.filter(team=team, person=person).exists():
        raise AccountRefused(f"{person.name} is on {team.name} already.", "person")
    return Membership.objects.create(team=team, person=person, role=role)


@transaction.atomic
def change_role(
    membership: Membership, expected_version: int, role: str, actor: Actor
) -> Membership:
    if role not in Role.values:
        raise AccountRefused(f"A role is one of: {', '.join(Role.values)}.", "role")
    _keeps_a_lead(membership, actor, role)
    save_versioned(membership, expected_version, {"role": role})
    team = membership.team
    if role != Role.LEAD and team.lead_id == membership.person_id:
        save_versioned(team, team.version, {"lead": None})
    return membership


@transaction.atomic
def remove_member(membership: Membership, expected_version: int, actor: Actor) -> None:
    _keeps_a_lead(membership, actor, None)
    current = Membership.objects.filter(pk=membership.pk).values_list("version", flat=True).first()
    if current != expected_version:
        raise StaleVersion(current or 0)
    team = membership.team
    if team.lead_id == membership.person_id:
        save_versioned(team, team.version, {"lead": None})
    membership.delete()


# --- invitations ---------------------------------------------------------------------------

USERNAME = re.compile(r"[^\w.@+-]")


def free_username(email: str) -> str:
    """A login name from the address's local part, unique among logins."""
    users = get_user_model().objects
    base = USERNAME.sub("", email.split("@", 1)[0])[:140] or "member"
    name, n = base, 2
    while users.filter(username__iexact=name).exists():
        name, n = f"{base}{n}", n + 1
    return name


@dataclass
class Invited:
    """What an invitation did: the person, whether they were new, their membership, and the
    link's secret (None when they have a working login already: no link then)."""

    person: Person
    created: bool
    membership: Membership | None
    invitation: Invitation | None
    secret: str | None


@transaction.atomic
def invite(
    email: str,
    name: str,
    team: Team | None,
    role: str,
    invited_by: Actor,
) -> Invited:
    """Invite someone by e-mail address, onto ``team`` with ``role`` (``team`` None: an admin
    inviting someone to the organisation only)."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as e:
        raise AccountRefused(f"“{email}” is not an e-mail address.", "email") from e
    if role and role not in Role.values:
        raise AccountRefused(f"A role is one of: {', '.join(Role.values)}.", "role")
    person = Person.objects.select_related("user").filter(email__iexact=email).first()
    created = person is None
    if person is None:
        person = create_person({"name": name.strip() or email.split("@", 1)[0], "email": email})
    membership = None
    if team is not None:
        membership = Membership.objects.filter(team=team, person=person).first()
        if membership is None:
            membership = add_member(team, person, role or Role.EDITOR)
    if person.has_working_login():
        return Invited(person, created, membership, None, None)
    if person.user is None:
        user = get_user_model()(username=free_username(email), email=email)
        user.set_unusable_password()
        user.save()
        Person.objects.filter(pk=person.pk).update(user=user)
        person.refresh_from_db()
    inviter = invited_by if invited_by is not None and invited_by.is_authenticated else None
    invitation, secret = Invitation.issue(person, team, role, inviter)  # type: ignore[arg-type]
    return Invited(person, created, membership, invitation, secret)


@transaction.atomic
def accept(invitation: Invitation, username: str, password: str) -> AbstractBaseUser:
    """Set the invited person's login name and password; the link is spent."""
    person = invitation.person
    user = person.user
    if user is None or person.has_working_login():
        raise AccountRefused("This invitation cannot be used any more.")
    taken = get_user_model().objects.exclude(pk=user.pk).filter(username__iexact=username)
    if taken.exists():
        raise AccountRefused(f"The login name “{username}” is taken; choose another.", "username")
    if not invitation.accept():
        raise AccountRefused("This invitation was used, revoked or expired meanwhile.")
    user.username = username
    user.set_password(password)
    user.is_active = True
    user.save()
    return user


def admins() -> list[AbstractBaseUser]:
    """The organisation's admins, for pages that must say whom to ask."""
    return list(get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk"))


def first_run() -> bool:
    """No team yet: the organisation still has to be set up."""
    return not Team.objects.exists()


def organisation_name(name: str) -> None:
    org = Organisation.current()
    if name.strip() and name.strip() != org.name:
        org.name = name.strip()[:100]
        org.save()
