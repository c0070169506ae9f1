"""The cast every web test shares (healthchecks style).

- Payments: a public team in Berlin. alice leads it, bob edits on it, vera only views it.
- Security: a private team in New York. dana is on it; nobody else but the admin sees it.
- charlie has a login but no team: an outsider.
- ivan (incident commander) and rita (responder) have no login; they were involved.
- frank is the Payments facilitator: on no incident, so eligible.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from followthrough.web.accounts.models import ApiToken, Membership, Person, Role, Team
from followthrough.web.incidents.models import Incident

PASSWORD = "correct horse battery staple"

# the suite keeps no compiled patterns in the user's cache folder (core/regex.py); the tests
# of that store name a folder of their own
os.environ.setdefault("FOLLOWTHROUGH_CACHE_DIR", "")


@dataclass
class Cast:
    payments: Team
    security: Team
    admin: User
    alice: User
    bob: User
    vera: User
    charlie: User
    dana: User
    ivan: Person
    rita: Person
    frank: Person
    tokens: dict[str, str]

    def person(self, user: User) -> Person:
        return user.person  # type: ignore[attr-defined,no-any-return]

    def api(self, name: str) -> ApiClient:
        return ApiClient(self.tokens[name])

    def browser(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def incident(self, team: Team | None = None, **fields: Any) -> Incident:
        resolved = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
        defaults: dict[str, Any] = {
            "team": team or self.payments,
            "title": "Checkout returned 502 for EU customers",
            "severity": "P1",
            "significant_impact": True,
            "started_at": resolved - timedelta(hours=2),
            "detected_at": resolved - timedelta(hours=1, minutes=50),
            "resolved_at": resolved,
            "commander": self.ivan,
        }
        defaults.update(fields)
        incident = Incident.objects.create(**defaults)
        incident.responders.add(self.rita)
        return incident


class ApiClient(Client):
    """The Django test client with a bearer token and JSON bodies."""

    def __init__(self, token: str) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post_json(self, path: str, data: Any) -> Any:
        return self.post(path, data, content_type="application/json")

    def put_json(self, path: str, data: Any) -> Any:
        return self.put(path, data, content_type="application/json")

    def patch_json(self, path: str, data: Any) -> Any:
        return self.patch(path, data, content_type="application/json")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Strong hashing costs a second per user; tests need correctness, not strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """Fake vendors listen on 127.0.0.1, which outbound requests refuse unless the operator
    allows it: allow it, as an operator would for an on-premises host."""
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


def _user(username: str, *, superuser: bool = False) -> User:
    maker = User.objects.create_superuser if superuser else User.objects.create_user
    user = maker(username=username, email=f"{username}@example.com", password=PASSWORD)
    Person.objects.create(name=username.capitalize(), email=user.email, handle=username, user=user)
    return user


@pytest.fixture
def cast(db: None) -> Cast:
    payments = Team.objects.create(
        name="Payments",
        slug="payments",
        timezone="Europe/Berlin",
        holiday_country="DE",
        holiday_subdivision="BE",
    )
    security = Team.objects.create(
        name="Security",
        slug="security",
        timezone="America/New_York",
        holiday_country="US",
        is_private=True,
    )
    users = {n: _user(n) for n in ("alice", "bob", "vera", "charlie", "dana")}
    users["admin"] = _user("admin", superuser=True)
    for name, team, role in (
        ("alice", payments, Role.LEAD),
        ("bob", payments, Role.EDITOR),
        ("vera", payments, Role.VIEWER),
        ("dana", security, Role.LEAD),
    ):
        Membership.objects.create(team=team, person=users[name].person, role=role)  # type: ignore[attr-defined]
    payments.lead = users["alice"].person  # type: ignore[attr-defined]
    payments.save()
    ivan = Person.objects.create(name="Ivan Petrov", email="ivan@example.com", handle="ivan")
    rita = Person.objects.create(name="Rita Gomez", email="rita@example.com", handle="rita")
    frank = Person.objects.create(name="Frank Osei", email="frank@example.com", handle="frank")
    for p in (ivan, rita, frank):
        Membership.objects.create(team=payments, person=p, role=Role.EDITOR)
    tokens = {name: ApiToken.issue(user)[1] for name, user in users.items()}
    return Cast(
        payments=payments,
        security=security,
        ivan=ivan,
        rita=rita,
        frank=frank,
        tokens=tokens,
        **users,
    )


@pytest.fixture
def no_weekly_review_today(request: pytest.FixtureRequest) -> None:
    """Every team's weekly review moved two days after today on its wall clock, for tests
    whose worker runs against the real clock: on a review day (Mondays, by default) it
    would also send the teams' digests beside the messages the test counts. Does nothing
    for a test without the cast."""
    if "cast" not in request.fixturenames:
        return
    from followthrough.web.followup.digest import zone_of
    from followthrough.web.followup.models import TeamSettings

    request.getfixturevalue("cast")
    for team in Team.objects.all():
        conf = TeamSettings.of(team)
        conf.review_weekday = (datetime.now(zone_of(team)).weekday() + 2) % 7
        conf.save()
