"""No recorded field name or value can break a history page.

A change records whatever its writer chose to say: the fields of a model as it was then
(a field renamed or removed since), or facts no field holds (an escalation's
``escalated_to``). Every history view renders every such change, for an admin and for a
reader, on the pages and in the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import models

from conftest import Cast
from followthrough.web.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    Role,
    SsoIdentity,
    SsoRefusal,
)
from followthrough.web.actions.operations import create_action_item
from followthrough.web.assistant.models import AssistantSettings
from followthrough.web.drafting.models import DraftEvent, DraftSources, TimelineDraft
from followthrough.web.followup.escalation import escalate_stuck_items
from followthrough.web.followup.models import Escalation, Preferences, TeamSettings
from followthrough.web.history import views as history_views
from followthrough.web.history.models import Change
from followthrough.web.history.queries import kinds
from followthrough.web.history.recording import record
from followthrough.web.history.tracking import TRACKED
from followthrough.web.ingest.models import IngestSource
from followthrough.web.integrations.models import TrackerConfig
from followthrough.web.postmortems.models import ContributingFactor, Why
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem

pytestmark = pytest.mark.django_db

# Values a change may hold for a name that is no field (any more), or for a field whose
# type changed since: none of them may break a page.
ODD_VALUES: list[Any] = [
    "Rita Gomez",
    17,
    None,
    [1, 2],
    [[1, 2], {"a": 1}],
    {"nested": {"deeper": [1, 2, 3]}},
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "x" * 500,
]


def _one_of_each(cast: Cast) -> dict[str, models.Model]:
    """A row of every tracked model, all under the Payments team."""
    rita = cast.rita
    rita.manager = cast.ivan
    rita.save()
    postmortem = start_postmortem(cast.incident(), cast.alice)
    item = create_action_item(
        postmortem, cast.alice, title="Alert on pool", owner=rita, due_date=date.today()
    )
    assert escalate_stuck_items(datetime.now(UTC) + timedelta(days=15)) == "escalated 1"
    rows: dict[str, models.Model] = {
        "incidents.Incident": postmortem.incident,
        "postmortems.Postmortem": postmortem,
        "postmortems.Why": Why.objects.create(
            postmortem=postmortem, question="Why did it fail?", answer="The pool ran out."
        ),
        "postmortems.TimelineEvent": add_timeline_event(
            postmortem, datetime(2026, 3, 2, 13, tzinfo=UTC), "Pager fired"
        ),
        "postmortems.ContributingFactor": ContributingFactor.objects.create(
            postmortem=postmortem, description="No alert on the pool"
        ),
        "postmortems.Meeting": postmortem.meeting,
        "actions.ActionItem": item,
        "followup.Escalation": Escalation.objects.get(item=item),
        "accounts.Team": cast.payments,
        "accounts.Membership": Membership.objects.get(person=cast.frank),
        "accounts.Organisation": Organisation.current(),
        "assistant.AssistantSettings": AssistantSettings.objects.create(
            enabled=True, base_url="https://llm.example.com", model="m", api_key="sk-secret"
        ),
        "followup.TeamSettings": TeamSettings.objects.get_or_create(team=cast.payments)[0],
        "followup.Preferences": Preferences.objects.get_or_create(person=cast.person(cast.vera))[0],
        "integrations.TrackerConfig": TrackerConfig.objects.create(
            team=cast.payments,
            kind="jira",
            base_url="https://acme.atlassian.net",
            settings={"project_key": "PAY", "user_email": "bot@example.com"},
            api_token="secret-token",
        ),
        "ingest.IngestSource": IngestSource.objects.create(
            name="PagerDuty", kind="pagerduty", team=cast.payments, secret="whsec"
        ),
        "accounts.Person": cast.frank,
        "accounts.Invitation": Invitation.issue(cast.frank, cast.payments, "editor", cast.admin)[0],
        "auth.User": cast.vera,
        "accounts.SsoIdentity": SsoIdentity.objects.create(
            user=cast.bob, issuer="https://login.example.com", subject="00u-bob"
        ),
        "accounts.SsoRefusal": SsoRefusal.objects.create(
            issuer="https://login.example.com", subject="00u-x", reason="not_invited", message="No."
        ),
    }
    draft = TimelineDraft.objects.create(postmortem=postmortem)
    rows["drafting.TimelineDraft"] = draft
    rows["drafting.DraftEvent"] = DraftEvent.objects.create(
        draft=draft,
        occurred_at=datetime(2026, 3, 2, 13, tzinfo=UTC),
        description="PagerDuty incident #1042 acknowledged.",
        source="PagerDuty",
        origin="delivery:1",
    )
    rows["drafting.DraftSources"] = DraftSources.objects.create(
        team=cast.payments, settings={"github_repositories": ["acme/checkout"]}, github_token="t"
    )
    assert set(rows) == set(TRACKED), "add a row of the new tracked model here"
    return rows


def _record_odd_changes(rows: dict[str, models.Model]) -> None:
    """For each row: a change of a name that is no field, and of each field to odd values."""
    for row in rows.values():
        names = ["escalated_to", "a_field_removed_since"]
        names += [f.name for f in row._meta.concrete_fields]
        for i, value in enumerate(ODD_VALUES):
            before = {name: ODD_VALUES[(i + 1) % len(ODD_VALUES)] for name in names}
            after = {name: value for name in names}
            record(row, Change.Action.UPDATE, before=before, after=after, actor_label="test")


def _history_urls(rows: dict[str, models.Model], cast: Cast) -> list[str]:
    incident = rows["incidents.Incident"]
    item = rows["actions.ActionItem"]
    urls = [
        "/history/",
        f"/history/incidents/{incident.pk}/",
        f"/history/incidents/{incident.pk}/postmortem/",
        f"/history/action-items/{item.pk}/",
        f"/history/teams/{cast.payments.slug}/",
        "/api/v1/history",
        "/api/v1/history?limit=200",
    ]
    urls += [f"/history/?type={kind}" for kind in kinds()]
    urls += [f"/api/v1/history?type={kind}" for kind in kinds()]
    for label, row in rows.items():
        kind = TRACKED[label].kind.replace(" ", "-")
        urls.append(f"/api/v1/history/{kind}/{row.pk}")
    return urls


@pytest.fixture(autouse=True)
def _one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change on the first page, so each is rendered."""
    monkeypatch.setattr(history_views, "PAGE_SIZE", 10_000)


def test_every_history_view_renders_after_the_worker_escalates_an_item(cast: Cast) -> None:
    rows = _one_of_each(cast)
    item = rows["actions.ActionItem"]
    escalated = Change.objects.filter(object_id=str(item.pk), actor_label="worker")
    assert escalated.filter(after__has_key="escalated_to").exists()
    for who in ("admin", "alice", "vera"):
        browser, api = cast.browser(getattr(cast, who)), cast.api(who)
        for url in _history_urls(rows, cast):
            client = api if url.startswith("/api/") else browser
            response = client.get(url)
            assert response.status_code in (200, 404), (who, url, response.content[:300])
            if who == "admin" or url.startswith("/history/"):
                assert response.status_code == 200, (who, url, response.content[:300])


def test_every_history_view_renders_any_recorded_field_name_and_value(cast: Cast) -> None:
    rows = _one_of_each(cast)
    _record_odd_changes(rows)
    Membership.objects.create(
        team=cast.security, person=cast.person(cast.vera), role=Role.VIEWER
    )  # a change under another team, seen by some readers only
    for who in ("admin", "alice", "vera", "charlie"):
        browser, api = cast.browser(getattr(cast, who)), cast.api(who)
        for url in _history_urls(rows, cast):
            client = api if url.startswith("/api/") else browser
            response = client.get(url)
            assert response.status_code in (200, 404), (who, url, response.content[:300])
            if who == "admin":
                assert response.status_code == 200, (who, url, response.content[:300])
