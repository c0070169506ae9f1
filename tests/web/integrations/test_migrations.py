"""The migrations that move today's tracker settings into each vendor's JSON settings, key
accounts by vendor and workspace, and keep every link's idempotency key, on real data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from followthrough.web.integrations.trackers import TRACKERS

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("integrations", "0001_initial")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    # The accounts tables stay as they are today (only the integrations app went back): the
    # historical models must be read at accounts' latest state too.
    accounts = [key for key in executor.loader.graph.leaf_nodes() if key[0] == "accounts"]
    return executor.loader.project_state(targets + accounts).apps


def latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "integrations"]


def test_todays_columns_move_into_each_vendors_settings_and_stay_valid() -> None:
    old = migrate(BEFORE)
    Team = old.get_model("accounts", "Team")
    Person = old.get_model("accounts", "Person")
    Config = old.get_model("integrations", "TrackerConfig")
    Account = old.get_model("integrations", "TrackerAccount")
    teams = [Team.objects.create(name=f"T{n}", slug=f"t{n}") for n in range(3)]
    ada = Person.objects.create(name="Ada", handle="ada", email="ada@example.com")
    jira = Config.objects.create(
        team=teams[0],
        kind="jira",
        base_url="https://acme.atlassian.net",
        project_key="PAY",
        issue_type="Bug",
        user_email="bot@example.com",
        api_token="t",
    )
    Config.objects.create(
        team=teams[1],
        kind="github",
        repository="acme/payments",
        labels="postmortem, reliability",
        milestone=3,
        api_token="t",
    )
    Config.objects.create(
        team=teams[2],
        kind="linear",
        linear_team_id="9cfb482a-81e3-4154-b5b9-2c805e70a02d",
        api_token="t",
    )
    Account.objects.create(config=jira, person=ada, account_id="5b10ac8d82e05b22cc7d4ef5")
    try:
        new = migrate(latest())
        Config = new.get_model("integrations", "TrackerConfig")
        moved = {c.kind: c.settings for c in Config.objects.all()}
        assert moved == {
            "jira": {"project_key": "PAY", "issue_type": "Bug", "user_email": "bot@example.com"},
            "github": {
                "repository": "acme/payments",
                "labels": ["postmortem", "reliability"],
                "milestone": 3,
            },
            "linear": {"team_id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d"},
        }
        for kind, settings in moved.items():
            TRACKERS[kind].model.model_validate(settings)
        account = new.get_model("integrations", "TrackerAccount").objects.get()
        assert (account.kind, account.workspace) == ("jira", "acme.atlassian.net")
    finally:
        migrate(latest())


def test_every_link_keeps_its_idempotency_key_and_is_taken_to_be_in_step() -> None:
    """The key is in every issue already created (a label, a hidden marker, Linear's id)."""
    old = migrate(BEFORE)
    Team = old.get_model("accounts", "Team")
    Incident = old.get_model("incidents", "Incident")
    Postmortem = old.get_model("postmortems", "Postmortem")
    Item = old.get_model("actions", "ActionItem")
    Link = old.get_model("integrations", "TrackerLink")
    team = Team.objects.create(name="Payments", slug="payments")
    incident = Incident.objects.create(team=team, title="Checkout 502s", severity="P1")
    postmortem = Postmortem.objects.create(incident=incident)
    done = Item.objects.create(postmortem=postmortem, title="Alert on the pool", status="done")
    key = uuid.uuid4()
    seen = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    Link.objects.create(
        action_item=done,
        kind="jira",
        idempotency_key=key,
        external_key="PAY-1",
        last_error="x" * 900,
        status_changed_at=seen,
    )
    try:
        new = migrate(latest())
        link = new.get_model("integrations", "TrackerLink").objects.get()
        assert link.delivery_key == key
        assert link.synced_standing == "done"  # nothing is sent out for it until it changes
        assert len(link.last_error) == 500
        assert link.tracker_updated_at == seen  # older deliveries change nothing
    finally:
        migrate(latest())
