"""Every operation of the API, called by every role, answers the class of answer it must.

The operations come from the OpenAPI document itself, and each must be classified in
``ROUTES`` (a new route fails ``test_every_operation_of_the_document_is_classified`` until
someone says who may call it). Each is then called, with a valid request built for it, by
anonymous, charlie (outsider), vera (viewer), bob (editor), alice (lead) and the admin,
against rows of Payments (alice's public team), rows under a Payments incident flagged as a
security incident (its team sees them, charlie does not), and rows of Security (private:
only dana and the admin see it):

- anonymous: 401;
- a row of a team you cannot see: 404, never 403 and never 200 (existence does not leak);
  a body naming such a team: 422 on ``team_id``, as for a team that does not exist;
- a read you may do: 200;
- a write you may not do: 403 with a sentence saying why (viewers, outsiders; editors on
  lead-only settings);
- a write you may do: its success status, with a valid body, so the write really happened.

A read-scoped token (bob's, the admin's) reads as its owner would and gets 403 on every write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from followthrough.web.accounts.models import ApiToken, Membership, Person, Team
from followthrough.web.actions.models import ActionItem
from followthrough.web.api.urls import api
from followthrough.web.incidents.models import Incident
from followthrough.web.insights.models import RepeatDecision
from followthrough.web.integrations.models import TrackerConfig
from followthrough.web.postmortems.models import (
    ContributingFactor,
    Meeting,
    Postmortem,
    TimelineEvent,
    Why,
)

from .conftest import API

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "charlie", "vera", "bob", "alice", "admin")
EDITORS = {"bob", "alice", "admin"}
LEADS = {"alice", "admin"}
# Titles that no answer may show to someone who cannot see them.
SECRET_TITLE = "Leaked signing key rotated"  # Security's incident: only dana and the admin
FLAGGED_TITLE = "Card skimmer found on the checkout page"  # Payments, flagged security=True

# Who may call an operation.
READ = "read"  # anyone who can see the row's team
WRITE = "write"  # editors and leads of the row's team, and admins
LEAD = "lead"  # leads of the team, and admins (settings, trackers, incident sources, members)
ADMIN = "admin"  # admins only (creating teams and people, manager links, binding a Slack workspace)
LIST = "list"  # anyone signed in; the answer holds only what they may see
SELF = "self"  # anyone signed in, about themselves

# Path parameters naming a row under an incident (the security flag applies to those).
INCIDENT_ROWS = ("{incident_id}", "{postmortem_id}", "{why_id}", "{event_id}", "{factor_id}")
INCIDENT_ROWS += ("{item_id}", "{object_id}")


@dataclass
class Rows:
    """The ids of one set of rows, all made through the API by the admin."""

    team: Team
    flagged: bool  # its incidents are security incidents
    incident: int
    earlier: int
    postmortem: int
    why: int
    event: int
    factor: int
    item: int
    source: int
    spare: int  # a person on the team nobody else relies on (their role and record change)
    spare_membership: int


class World:
    """One of everything the API names by id, three times over.

    ``payments``: alice's public team. ``flagged``: Payments again, under a security
    incident (its team sees it; charlie, who can see Payments, must not). ``security``: the
    private team only dana and the admin see.
    """

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.admin = cast.api("admin")
        for team in (cast.payments, cast.security):
            self.made(
                f"/teams/{team.pk}/tracker",
                {
                    "kind": "github",
                    "settings": {"repository": "shop/checkout"},
                    "api_token": "ghp_walk-token",
                },
                put=True,
            )
        bob, dana = cast.person(cast.bob), cast.person(cast.dana)
        self.rows = {
            "payments": self._rows(cast.payments, "Checkout returned 502 for EU customers", bob),
            "flagged": self._rows(cast.payments, FLAGGED_TITLE, bob, flagged=True),
            "security": self._rows(cast.security, SECRET_TITLE, dana),
        }

    def made(self, path: str, body: dict[str, Any], status: int = 201, put: bool = False) -> Any:
        send = self.admin.put_json if put else self.admin.post_json
        response = send(f"{API}{path}", body)
        assert response.status_code == status, (path, response.content[:2000])
        return response.json()

    def incident(self, team: Team, title: str = "Card payments declined", **fields: Any) -> int:
        body = {
            "team_id": team.pk,
            "title": title,
            "severity": "P1",
            "started_at": "2026-03-02T13:00:00Z",
            "resolved_at": "2026-03-02T15:00:00Z",
            "failure_mode": "connection pool exhaustion on orders-db",
            "significant_impact": True,
            **fields,
        }
        return int(self.made("/incidents", body)["id"])

    def _rows(self, team: Team, title: str, owner: Person, flagged: bool = False) -> Rows:
        earlier = self.incident(
            team,
            f"{title} (first time)",
            started_at="2026-02-01T09:00:00Z",
            resolved_at="2026-02-01T11:00:00Z",
            security=flagged,
        )
        incident = self.incident(team, title, security=flagged)
        pm = self.made(f"/incidents/{incident}/postmortem", {})["id"]
        made = self.made
        return Rows(
            team=team,
            flagged=flagged,
            incident=incident,
            earlier=earlier,
            postmortem=pm,
            why=made(f"/postmortems/{pm}/whys", {"question": "Why?", "answer": "Pool full"})["id"],
            event=made(f"/postmortems/{pm}/timeline", EVENT)["id"],
            factor=made(f"/postmortems/{pm}/factors", {"description": "No pool alert"})["id"],
            item=made(
                f"/postmortems/{pm}/action-items",
                {"title": "Alert when the pool is 80% used", "owner_id": owner.pk},
            )["id"],
            source=made(
                "/ingest/sources",
                {"name": f"{team.name} pager {incident}", "kind": "webhook", "team_id": team.pk}
                | {"secret": "walk-signing-secret"},
            )["id"],
            **self.spare(team, f"Spare {title[:20]}"),
        )

    def spare(self, team: Team, name: str) -> dict[str, int]:
        person = self.made("/people", {"name": name})["id"]
        body = {"team_id": team.pk, "person_id": person, "role": "editor"}
        return {"spare": person, "spare_membership": self.made("/memberships", body)["id"]}


EVENT = {"occurred_at": "2026-03-02T13:10:00Z", "description": "Alert fired for 502s"}

# A request: the path (with its query string) and the JSON body, or None for no body.
Call = tuple[str, dict[str, Any] | None]


def version(model: Any, pk: int) -> int:
    return int(model._default_manager.get(pk=pk).version)


def fresh_incident(w: World, r: Rows) -> int:
    return w.incident(r.team, security=r.flagged)


def fresh_why(w: World, r: Rows) -> int:
    body = {"question": "Why again?", "answer": "Nobody watched the pool"}
    return int(w.made(f"/postmortems/{r.postmortem}/whys", body)["id"])


def fresh_event(w: World, r: Rows) -> int:
    return int(w.made(f"/postmortems/{r.postmortem}/timeline", EVENT)["id"])


def fresh_factor(w: World, r: Rows) -> int:
    return int(w.made(f"/postmortems/{r.postmortem}/factors", {"description": "No runbook"})["id"])


def fresh_item(w: World, r: Rows) -> int:
    body = {"title": "Write the pool runbook"}
    return int(w.made(f"/postmortems/{r.postmortem}/action-items", body)["id"])


def fresh_team(w: World, r: Rows) -> int:
    body = {"name": f"Spare team {Team.objects.count()}", "is_private": r.team.is_private}
    return int(w.made("/teams", body)["id"])


def fresh_person(w: World, r: Rows) -> int:
    """A person on the row's team (so they are as visible as the team)."""
    return w.spare(r.team, f"Newcomer {Person.objects.count()}")["spare"]


def fresh_membership(w: World, r: Rows) -> int:
    return w.spare(r.team, f"Newcomer {Person.objects.count()}")["spare_membership"]


def fresh_invitation(w: World, r: Rows) -> int:
    body = {"email": f"guest{Person.objects.count()}@example.com", "team_id": r.team.pk}
    return int(w.made("/invitations", body)["invitation"]["id"])


def toggle_role(w: World, r: Rows) -> Call:
    membership = Membership.objects.get(pk=r.spare_membership)
    role = "viewer" if membership.role == "editor" else "editor"
    return f"/memberships/{membership.pk}", {"role": role, "version": membership.version}


def fresh_source(w: World, r: Rows) -> int:
    body = {
        "name": "Spare pager",
        "kind": "webhook",
        "team_id": r.team.pk,
        "secret": "spare-secret",
    }
    return int(w.made("/ingest/sources", body)["id"])


def fresh_slack_source(w: World, r: Rows) -> int:
    body = {"name": "Spare Slack", "kind": "slack", "team_id": r.team.pk}
    return int(w.made("/ingest/sources", body)["id"])


def slack_binding(w: World, r: Rows) -> Call:
    source = fresh_slack_source(w, r)
    return (
        f"/ingest/sources/{source}/slack-workspace",
        {"team_id": f"T0WALK{source}", "signing_secret": "walk-slack-signing-secret"},
    )


TRACKER = {"kind": "github", "settings": {"repository": "shop/checkout", "labels": ["postmortem"]}}


def transition(w: World, r: Rows) -> Call:
    """Back and forth between draft and review: every call is a move the rules allow."""
    pm = Postmortem.objects.get(pk=r.postmortem)
    if not pm.summary:
        Postmortem.objects.filter(pk=pm.pk).update(summary="Checkout failed for 2 hours.")
    to = "in_review" if pm.status == "draft" else "draft"
    return f"/postmortems/{pm.pk}/transition", {"to": to, "version": pm.version}


def tracker_to_delete(w: World, r: Rows) -> Call:
    if not TrackerConfig.objects.filter(team=r.team).exists():
        w.made(f"/teams/{r.team.pk}/tracker", TRACKER | {"api_token": "ghp_walk"}, put=True)
    return f"/teams/{r.team.pk}/tracker", None


def delete(path: str, make: Callable[[World, Rows], int], model: Any) -> Callable[..., Call]:
    """Delete a row made for this call, with the version it has."""

    def call(w: World, r: Rows) -> Call:
        pk = make(w, r)
        return f"{path}/{pk}?version={version(model, pk)}", None

    return call


def order(model: Any, r: Rows) -> list[int]:
    ids = list(model.objects.filter(postmortem_id=r.postmortem).values_list("pk", flat=True))
    return list(reversed(ids))


def decided_pair(w: World, r: Rows) -> Call:
    """A decision on the incident's earlier look-alike, to withdraw."""
    RepeatDecision.objects.update_or_create(
        incident_id=r.incident, candidate_id=r.earlier, defaults={"decision": "rejected"}
    )
    return f"/incidents/{r.incident}/similar/{r.earlier}", None


@dataclass(frozen=True)
class Route:
    """Who may call an operation, and how to make one valid request of it."""

    access: str
    request: Callable[[World, Rows], Call]
    success: int = 200
    # The team is named in the body, not the path: a team you cannot see is a 422 on it.
    team_in_body: bool = False


def get(path: str) -> Callable[[World, Rows], Call]:
    return lambda w, r: (path.format(r=r, t=r.team.pk), None)


ROUTES: dict[str, Route] = {
    # teams and people
    "GET /teams": Route(LIST, get("/teams")),
    "POST /teams": Route(
        ADMIN,
        lambda w, r: ("/teams", {"name": f"Team {Team.objects.count()}", "timezone": "UTC"}),
        201,
    ),
    "GET /teams/{team_id}": Route(READ, get("/teams/{t}")),
    "PATCH /teams/{team_id}": Route(
        LEAD,
        lambda w, r: (
            f"/teams/{r.team.pk}",
            {"holiday_country": r.team.holiday_country, "version": version(Team, r.team.pk)},
        ),
    ),
    "DELETE /teams/{team_id}": Route(ADMIN, delete("/teams", fresh_team, Team), 204),
    "GET /people": Route(LIST, get("/people")),
    "POST /people": Route(
        ADMIN, lambda w, r: ("/people", {"name": "Grace Hopper", "handle": "grace"}), 201
    ),
    "GET /people/{person_id}": Route(READ, get("/people/{r.spare}")),
    "PATCH /people/{person_id}": Route(
        ADMIN,
        lambda w, r: (
            f"/people/{r.spare}",
            {"handle": "spare", "version": version(Person, r.spare)},
        ),
    ),
    "DELETE /people/{person_id}": Route(ADMIN, delete("/people", fresh_person, Person), 204),
    "GET /memberships": Route(LIST, get("/memberships")),
    "POST /memberships": Route(
        LEAD,
        lambda w, r: (
            "/memberships",
            {
                "team_id": r.team.pk,
                "person_id": w.made("/people", {"name": "Joiner"})["id"],
                "role": "viewer",
            },
        ),
        201,
        team_in_body=True,
    ),
    "GET /memberships/{membership_id}": Route(READ, get("/memberships/{r.spare_membership}")),
    "PATCH /memberships/{membership_id}": Route(LEAD, toggle_role),
    "DELETE /memberships/{membership_id}": Route(
        LEAD, delete("/memberships", fresh_membership, Membership), 204
    ),
    "GET /invitations": Route(LIST, get("/invitations")),
    "POST /invitations": Route(
        LEAD,
        lambda w, r: (
            "/invitations",
            {
                "email": f"invitee{Person.objects.count()}@example.com",
                "team_id": r.team.pk,
                "role": "viewer",
            },
        ),
        201,
        team_in_body=True,
    ),
    "DELETE /invitations/{invitation_id}": Route(
        LEAD, lambda w, r: (f"/invitations/{fresh_invitation(w, r)}", None), 204
    ),
    # incidents
    "GET /incidents": Route(LIST, get("/incidents")),
    "POST /incidents": Route(
        WRITE,
        lambda w, r: (
            "/incidents",
            {"team_id": r.team.pk, "title": "DNS outage", "severity": "P2"},
        ),
        201,
        team_in_body=True,
    ),
    "GET /incidents/{incident_id}": Route(READ, get("/incidents/{r.incident}")),
    "PATCH /incidents/{incident_id}": Route(
        WRITE,
        lambda w, r: (
            f"/incidents/{r.incident}",
            {"summary": "Checkout failed.", "version": version(Incident, r.incident)},
        ),
    ),
    "DELETE /incidents/{incident_id}": Route(
        WRITE, delete("/incidents", fresh_incident, Incident), 204
    ),
    "POST /incidents/{incident_id}/postmortem": Route(
        WRITE, lambda w, r: (f"/incidents/{fresh_incident(w, r)}/postmortem", None), 201
    ),
    "GET /incidents/{incident_id}/postmortem": Route(
        READ, get("/incidents/{r.incident}/postmortem")
    ),
    # postmortems
    "GET /postmortems": Route(LIST, get("/postmortems")),
    "GET /postmortems/{postmortem_id}": Route(READ, get("/postmortems/{r.postmortem}")),
    "PATCH /postmortems/{postmortem_id}": Route(
        WRITE,
        lambda w, r: (
            f"/postmortems/{r.postmortem}",
            {"lessons": "Watch the pool.", "version": version(Postmortem, r.postmortem)},
        ),
    ),
    "POST /postmortems/{postmortem_id}/transition": Route(WRITE, transition),
    "GET /postmortems/{postmortem_id}/findings": Route(
        READ, get("/postmortems/{r.postmortem}/findings")
    ),
    "GET /postmortems/{postmortem_id}/markdown": Route(
        READ, get("/postmortems/{r.postmortem}/markdown")
    ),
    # whys
    "GET /postmortems/{postmortem_id}/whys": Route(READ, get("/postmortems/{r.postmortem}/whys")),
    "POST /postmortems/{postmortem_id}/whys": Route(
        WRITE,
        lambda w, r: (
            f"/postmortems/{r.postmortem}/whys",
            {"question": "Why was nobody paged?", "answer": "No alert"},
        ),
        201,
    ),
    "PATCH /whys/{why_id}": Route(
        WRITE,
        lambda w, r: (
            f"/whys/{r.why}",
            {"answer": "Pool exhausted", "version": version(Why, r.why)},
        ),
    ),
    "DELETE /whys/{why_id}": Route(WRITE, delete("/whys", fresh_why, Why), 204),
    "POST /postmortems/{postmortem_id}/whys/reorder": Route(
        WRITE,
        lambda w, r: (f"/postmortems/{r.postmortem}/whys/reorder", {"order": order(Why, r)}),
    ),
    # timeline
    "GET /postmortems/{postmortem_id}/timeline": Route(
        READ, get("/postmortems/{r.postmortem}/timeline")
    ),
    "POST /postmortems/{postmortem_id}/timeline": Route(
        WRITE, lambda w, r: (f"/postmortems/{r.postmortem}/timeline", EVENT), 201
    ),
    "PATCH /timeline/{event_id}": Route(
        WRITE,
        lambda w, r: (
            f"/timeline/{r.event}",
            {"description": "Pager fired", "version": version(TimelineEvent, r.event)},
        ),
    ),
    "DELETE /timeline/{event_id}": Route(
        WRITE, delete("/timeline", fresh_event, TimelineEvent), 204
    ),
    # contributing factors
    "GET /postmortems/{postmortem_id}/factors": Route(
        READ, get("/postmortems/{r.postmortem}/factors")
    ),
    "POST /postmortems/{postmortem_id}/factors": Route(
        WRITE,
        lambda w, r: (f"/postmortems/{r.postmortem}/factors", {"description": "Slow paging"}),
        201,
    ),
    "PATCH /factors/{factor_id}": Route(
        WRITE,
        lambda w, r: (
            f"/factors/{r.factor}",
            {"kind": "detection", "version": version(ContributingFactor, r.factor)},
        ),
    ),
    "DELETE /factors/{factor_id}": Route(
        WRITE, delete("/factors", fresh_factor, ContributingFactor), 204
    ),
    "POST /postmortems/{postmortem_id}/factors/reorder": Route(
        WRITE,
        lambda w, r: (
            f"/postmortems/{r.postmortem}/factors/reorder",
            {"order": order(ContributingFactor, r)},
        ),
    ),
    # action items
    "GET /action-items": Route(LIST, get("/action-items")),
    "GET /postmortems/{postmortem_id}/action-items": Route(
        READ, get("/postmortems/{r.postmortem}/action-items")
    ),
    "POST /postmortems/{postmortem_id}/action-items": Route(
        WRITE,
        lambda w, r: (
            f"/postmortems/{r.postmortem}/action-items",
            {"title": "Page on pool saturation", "due_date": "2026-04-01"},
        ),
        201,
    ),
    "GET /action-items/{item_id}": Route(READ, get("/action-items/{r.item}")),
    "PATCH /action-items/{item_id}": Route(
        WRITE,
        lambda w, r: (
            f"/action-items/{r.item}",
            {"status": "in_progress", "version": version(ActionItem, r.item)},
        ),
    ),
    "DELETE /action-items/{item_id}": Route(
        WRITE, delete("/action-items", fresh_item, ActionItem), 204
    ),
    # the meeting
    "GET /postmortems/{postmortem_id}/meeting": Route(
        READ, get("/postmortems/{r.postmortem}/meeting")
    ),
    "PATCH /postmortems/{postmortem_id}/meeting": Route(
        WRITE,
        lambda w, r: (
            f"/postmortems/{r.postmortem}/meeting",
            {
                "location": "Room 4",
                "version": version(Meeting, Meeting.objects.get(postmortem=r.postmortem).pk),
            },
        ),
    ),
    # follow-up
    "GET /teams/{team_id}/follow-up": Route(READ, get("/teams/{t}/follow-up")),
    "PATCH /teams/{team_id}/follow-up": Route(
        LEAD, lambda w, r: (f"/teams/{r.team.pk}/follow-up", {"review_hour": 10})
    ),
    "GET /me/notification-preferences": Route(SELF, get("/me/notification-preferences")),
    "GET /me/work": Route(SELF, get("/me/work")),
    "GET /me": Route(SELF, get("/me")),
    "PATCH /me": Route(SELF, lambda w, r: ("/me", {"timezone": "Asia/Tokyo"})),
    "PATCH /me/notification-preferences": Route(
        SELF, lambda w, r: ("/me/notification-preferences", {"digest_enabled": False})
    ),
    "GET /teams/{team_id}/review": Route(READ, get("/teams/{t}/review")),
    "GET /action-items/{item_id}/history": Route(READ, get("/action-items/{r.item}/history")),
    "GET /action-items/{item_id}/messages": Route(READ, get("/action-items/{r.item}/messages")),
    "GET /teams/{team_id}/messages": Route(READ, get("/teams/{t}/messages")),
    # trackers
    "GET /teams/{team_id}/tracker": Route(LEAD, get("/teams/{t}/tracker")),
    "PUT /teams/{team_id}/tracker": Route(
        LEAD, lambda w, r: (f"/teams/{r.team.pk}/tracker", TRACKER)
    ),
    "DELETE /teams/{team_id}/tracker": Route(LEAD, tracker_to_delete, 204),
    "GET /action-items/{item_id}/tracker": Route(READ, get("/action-items/{r.item}/tracker")),
    "POST /action-items/{item_id}/tracker/retry": Route(
        WRITE, lambda w, r: (f"/action-items/{r.item}/tracker/retry", None), 202
    ),
    # incident sources
    "GET /ingest/sources": Route(LIST, get("/ingest/sources")),
    "POST /ingest/sources": Route(
        LEAD,
        lambda w, r: (
            "/ingest/sources",
            {"name": "Pager", "kind": "pagerduty", "team_id": r.team.pk, "secret": "s3cret-key"},
        ),
        201,
        team_in_body=True,
    ),
    "GET /ingest/sources/{source_id}": Route(LEAD, get("/ingest/sources/{r.source}")),
    "PATCH /ingest/sources/{source_id}": Route(
        LEAD, lambda w, r: (f"/ingest/sources/{r.source}", {"enabled": False})
    ),
    "PUT /ingest/sources/{source_id}/slack-workspace": Route(ADMIN, slack_binding),
    "DELETE /ingest/sources/{source_id}/slack-workspace": Route(
        ADMIN,
        lambda w, r: (f"/ingest/sources/{fresh_slack_source(w, r)}/slack-workspace", None),
        204,
    ),
    "DELETE /ingest/sources/{source_id}": Route(
        LEAD, lambda w, r: (f"/ingest/sources/{fresh_source(w, r)}", None), 204
    ),
    # insights
    "GET /incidents/{incident_id}/similar": Route(READ, get("/incidents/{r.incident}/similar")),
    "PUT /incidents/{incident_id}/similar/{candidate_id}": Route(
        WRITE,
        lambda w, r: (
            f"/incidents/{r.incident}/similar/{r.earlier}",
            {"decision": "rejected", "note": "Different pool"},
        ),
    ),
    "GET /incidents/{incident_id}/similar/decisions": Route(
        READ, get("/incidents/{r.incident}/similar/decisions")
    ),
    "DELETE /incidents/{incident_id}/similar/{candidate_id}": Route(WRITE, decided_pair, 204),
    "GET /incidents/{incident_id}/repeats": Route(READ, get("/incidents/{r.incident}/repeats")),
    "GET /insights.csv": Route(LIST, get("/insights.csv")),
    "GET /postmortems/{postmortem_id}/copied-passages": Route(
        READ, get("/postmortems/{r.postmortem}/copied-passages")
    ),
    "GET /insights": Route(LIST, get("/insights")),
    # history
    "GET /history": Route(LIST, get("/history")),
    "GET /history/{type}/{object_id}": Route(READ, get("/history/incident/{r.incident}")),
}


def operations() -> set[str]:
    """``METHOD /path`` of every operation of the OpenAPI document, without the prefix."""
    document = api.get_openapi_schema()
    return {
        f"{method.upper()} {path.removeprefix(API)}"
        for path, methods in document["paths"].items()
        for method in methods
    }


def test_every_operation_of_the_document_is_classified() -> None:
    documented = operations()
    unclassified = sorted(documented - set(ROUTES))
    assert not unclassified, f"Say who may call these in ROUTES: {unclassified}"
    gone = sorted(set(ROUTES) - documented)
    assert not gone, f"These are in ROUTES but no longer in the API: {gone}"


def expected(route: Route, role: str, rows: str) -> int:
    """The status ``role`` must get from ``route`` on the rows ``rows`` of the world."""
    if role == "anonymous":
        return 401
    if rows == "security" and role != "admin":
        return 422 if route.team_in_body else 404
    if rows == "flagged" and role == "charlie":
        return 404
    if route.access in (READ, LIST, SELF):
        return route.success
    allowed = {WRITE: EDITORS, LEAD: LEADS, ADMIN: {"admin"}}[route.access]
    return route.success if role in allowed else 403


def send(client: Client, method: str, call: Call) -> Any:
    path, body = call
    if body is None:
        return client.generic(method, f"{API}{path}")
    return client.generic(method, f"{API}{path}", json.dumps(body), "application/json")


def problem(response: Any, status: int) -> str | None:
    """What is wrong with ``response`` when ``status`` was due, or None."""
    text = response.content.decode(errors="replace")
    if response.status_code != status:
        return f"{response.status_code} instead of {status}: {text[:300]}"
    if status in (401, 403, 404, 422):
        body = response.json()
        detail = body["detail"]
        if status == 403 and not (
            isinstance(detail, str) and detail.endswith(".") and " " in detail
        ):
            return f"403 without a sentence saying why: {text[:300]}"
        if status == 422 and [e["loc"] for e in body["errors"]] != [["body", "team_id"]]:
            return f"422 not about team_id: {text[:300]}"
    return None


def leaked(response: Any, role: str) -> bool:
    text = response.content.decode(errors="replace")
    if role == "charlie" and FLAGGED_TITLE in text:
        return True
    return role != "admin" and SECRET_TITLE in text


@pytest.fixture
def world(cast: Cast, settings: Any) -> World:
    settings.API_RATE_LIMIT = (100_000, 60)  # the walk is a few tokens making many requests
    return World(cast)


def clients(cast: Cast) -> dict[str, Client]:
    found: dict[str, Client] = {"anonymous": Client()}
    found.update({role: cast.api(role) for role in ROLES if role != "anonymous"})
    return found


def read_scoped(cast: Cast, role: str) -> Client:
    raw = ApiToken.issue(getattr(cast, role), name="read only", scope="read")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.parametrize("operation", sorted(ROUTES))
def test_each_role_gets_the_answer_its_access_allows(
    operation: str, cast: Cast, world: World
) -> None:
    route = ROUTES[operation]
    method = operation.split(" ", 1)[0]
    wrong = []
    by_role = clients(cast)
    if route.access in (LIST, SELF) or (route.access == ADMIN and "{" not in operation):
        walk = ["payments"]
    elif any(name in operation for name in INCIDENT_ROWS):
        walk = ["payments", "flagged", "security"]
    else:
        walk = ["payments", "security"]  # a team's settings: the security flag is no matter
    for rows in walk:
        for role in ROLES:
            call = route.request(world, world.rows[rows])
            response = send(by_role[role], method, call)
            status = expected(route, role, rows)
            if found := problem(response, status):
                wrong.append(f"{role} on {rows} {method} {call[0]}: {found}")
            elif leaked(response, role):
                wrong.append(f"{role} on {rows} {method} {call[0]}: shows a row hidden from them")
    # A read-scoped token reads as its owner would, and every write it tries is refused.
    for role in ("bob", "admin"):
        call = route.request(world, world.rows["payments"])
        response = send(read_scoped(cast, role), method, call)
        status = expected(route, role, "payments") if method == "GET" else 403
        if found := problem(response, status):
            wrong.append(f"{role}'s read-scoped token {method} {call[0]}: {found}")
    assert not wrong, "\n".join(wrong)
