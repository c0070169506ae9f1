"""Who may read what: team visibility and incident visibility, decided here and nowhere else.

The rule
--------
A **team** is visible to a signed-in user when it is public, or when the user is a member
of it (any role). Superusers (organisation admins) see every team. Anonymous users see none.

An **incident** is visible to a user when its team is visible to them, and, if the incident
is flagged ``security=True``, only when the user is also one of:

- a member of the incident's team (any role: viewer, editor, lead);
- a person named on the incident: its incident commander, one of its responders, the user
  who created the incident, the user who created its postmortem, the facilitator or an
  attendee of its postmortem meeting, or the owner of one of its action items (people are
  matched to users through ``Person.user``);
- a superuser (organisation admin).

Everything under an incident (its postmortem, whys, timeline, contributing factors,
meeting, action items, tracker links, similarity suggestions, copied-passage hits,
history rows) is visible exactly when the incident is. A row the user may not see is
answered exactly like a row that does not exist: 404 on pages and in the API, absent from
lists, search results, suggestions, drill-downs, exports and calendar downloads, and not
counted in the counts shown beside lists.

A team's **settings that only its leads manage** (its tracker settings, its incident
sources, the secrets of its follow-up settings) are visible to the team's leads (a member
with the lead role, or the person named as the team's lead) and to superusers; not to
its other members. A **person** is visible when they are on a team the user may see, on
no team at all, named on an incident the user may see, or the user themself; nobody
else's name is offered in a picker or listed by the API.

The one exception is the aggregate figures on the insights dashboard and its CSV/JSON
exports (medians, rates, counts per team or per month): they may include security
incidents, because a number reveals no title, text or person. Every drill-down behind
those figures lists only rows that pass :func:`incident_q`.

How to use it
-------------
- ``visible_incidents(user)``: the incidents a user may read.
- ``incident_q(user, "postmortem__incident")``: the same condition as a ``Q`` for any model
  that reaches an incident through ``path``; filter any queryset with one line.
- ``may_see_incident(user, incident)``: the same decision for one incident already loaded.
- ``visible_teams(user)`` / ``visible_team_ids(user)``: the teams a user may read.
- ``led_team_ids(user)`` / ``leads(user, team)``: the teams whose lead-only settings a
  user may read.
- ``visible_people(user)``: the people a user may see (pickers, the people page and API).
- ``is_restricted(incident)``: whether the incident is one this rule narrows (a message
  naming it marks that line or subject so ``notify`` can redact it per recipient).
- ``person_incident_q(person)`` / ``readable_incident_ids(person, ids)``: the same rule for
  the recipient of a message (a ``Person``, who may have no login). Messages name a
  security incident only to recipients who may read it; others get the line
  "a security incident (details restricted)". Slack messages about a security incident are
  always redacted: a message may land in a channel whose members nobody here knows.

Everything is expressed as ``IN (subquery)`` conditions, so a filter costs no extra query,
needs no ``.distinct()`` and does not multiply rows on joins.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.db.models import Q, QuerySet

from followthrough.web.accounts.models import Membership, Person, Team
from followthrough.web.accounts.visibility import _my_person_ids, _prefix
from followthrough.web.accounts.visibility import led_team_ids as led_team_ids
from followthrough.web.accounts.visibility import member_team_ids as member_team_ids
from followthrough.web.accounts.visibility import team_q as team_q
from followthrough.web.accounts.visibility import visible_team_ids as visible_team_ids
from followthrough.web.accounts.visibility import visible_teams as visible_teams
from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems.models import Meeting, Postmortem

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User: TypeAlias = AbstractBaseUser | AnonymousUser


def _named_q(p: str, user_id: int | None, me: Any) -> Q:
    """The condition 'the incident at prefix ``p`` names the reader'.

    ``me`` is the reader's person id(s) (a subquery or a list); ``user_id`` their login, if
    any. One condition per way of being named, combined with OR; each is a column comparison
    or an indexed ``IN (subquery)``, so no join multiplies the filtered rows.
    """
    responded = Incident.responders.through.objects.filter(person_id__in=me)
    facilitated = Meeting.objects.filter(facilitator_id__in=me)
    attended = Meeting.attendees.through.objects.filter(person_id__in=me)
    owned = ActionItem.objects.filter(owner_id__in=me)
    named = (
        Q(**{f"{p}commander_id__in": me})
        | Q(**{f"{p}pk__in": responded.values("incident_id")})
        | Q(**{f"{p}pk__in": facilitated.values("postmortem__incident_id")})
        | Q(**{f"{p}pk__in": attended.values("meeting__postmortem__incident_id")})
        | Q(**{f"{p}pk__in": owned.values("postmortem__incident_id")})
    )
    if user_id is not None:
        wrote = Postmortem.objects.filter(created_by_id=user_id)
        named |= Q(**{f"{p}created_by_id": user_id}) | Q(
            **{f"{p}pk__in": wrote.values("incident_id")}
        )
    return named


def _rule(p: str, user_id: int | None, me: Any, members_of: Any) -> Q:
    """The rule of the module docstring, for a reader who is not an admin."""
    # One hashed subquery of team ids rather than a join on the team: the whole rule is then
    # a filter on the incident's own columns, which the planner applies during its scan.
    readable_teams = Team.objects.filter(Q(is_private=False) | Q(pk__in=members_of)).values("pk")
    team_visible = Q(**{f"{p}team_id__in": readable_teams})
    cleared = (
        Q(**{f"{p}security": False})
        | Q(**{f"{p}team_id__in": members_of})
        | _named_q(p, user_id, me)
    )
    return team_visible & cleared


def incident_q(user: User, path: str = "") -> Q:
    """The condition 'the incident at ``path`` is visible to ``user``', as a ``Q``.

    ``path`` leads from the filtered model to an incident: ``""`` for incidents themselves,
    ``"incident"`` for postmortems, ``"postmortem__incident"`` for action items, whys,
    timeline events, factors and meetings, ``"action_item__postmortem__incident"`` for
    tracker links. A row whose path is empty (a nullable relation left unset) does not match
    unless the user is a superuser, so filter such rows with ``Q(path=None) | incident_q(...)``
    when they should be kept.
    """
    p = _prefix(path)
    if not user.is_authenticated:
        return Q(**{f"{p}pk__in": []})
    if user.is_superuser:
        return Q()
    return _rule(p, user.pk, _my_person_ids(user), member_team_ids(user))


def person_incident_q(person: Person, path: str = "") -> Q:
    """:func:`incident_q` for a person who is sent a message rather than signed in.

    A person with a login reads what their login reads. A person without one (an incident
    commander who never signed in) reads what the same rule gives their memberships and the
    places they are named.
    """
    user = person.user if person.user_id is not None else None
    if user is not None:
        return incident_q(user, path)
    members_of = Membership.objects.filter(person_id=person.pk).values("team_id")
    return _rule(_prefix(path), None, [person.pk], members_of)


def visible_incidents(user: User) -> QuerySet[Incident, Incident]:
    """The incidents ``user`` may read (see the module docstring for the rule)."""
    return Incident.objects.filter(incident_q(user))


def visible_incident_ids(user: User) -> QuerySet[Incident, Any]:
    """A subquery of the ids of :func:`visible_incidents`."""
    return visible_incidents(user).values("pk")


def is_restricted(incident: Incident) -> bool:
    """Whether ``incident`` is seen only by its team, the people named on it and admins
    (a message naming it must be redacted for anyone else, and always in a Slack channel)."""
    return bool(incident.security)


def may_see_incident(user: User, incident: Incident) -> bool:
    """Whether ``user`` may read ``incident`` (and everything under it)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True

    return bool(Incident.objects.filter(incident_q(user), pk=incident.pk).exists())


def readable_incident_ids(person: Person, incident_ids: Iterable[int]) -> set[int]:
    """Which of ``incident_ids`` ``person`` may read: one query, for a message's many lines."""
    wanted = set(incident_ids)
    if not wanted:
        return set()
    found = Incident.objects.filter(person_incident_q(person), pk__in=wanted)
    return set(found.values_list("pk", flat=True))


def person_q(user: User) -> Q:
    """The condition 'the person is visible to ``user``' (see the module docstring)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()

    incidents = visible_incident_ids(user)
    named = [
        Incident.objects.filter(pk__in=incidents).values("commander_id"),
        Incident.responders.through.objects.filter(incident_id__in=incidents).values("person_id"),
        Meeting.objects.filter(postmortem__incident_id__in=incidents).values("facilitator_id"),
        Meeting.attendees.through.objects.filter(
            meeting__postmortem__incident_id__in=incidents
        ).values("person_id"),
        ActionItem.objects.filter(postmortem__incident_id__in=incidents).values("owner_id"),
    ]
    condition = (
        Q(pk__in=Membership.objects.filter(team_id__in=visible_team_ids(user)).values("person_id"))
        | ~Q(pk__in=Membership.objects.values("person_id"))
        | Q(user_id=user.pk)
    )
    for people in named:
        condition |= Q(pk__in=people)
    return condition


def visible_people(user: User) -> QuerySet[Person, Person]:
    """The people ``user`` may see: pickers offer only them, the API lists only them."""
    return Person.objects.filter(person_q(user))
