"""The messages followthrough sent, visible per action item and per team through the API:
an integrator (or a lead) can see that the owner was reminded, and whether it arrived."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from followthrough.web.followup.notifications import Message, notify

from .conftest import add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db
API = "/api/v1"


def test_a_reminder_about_an_item_is_listed_on_the_item_and_on_its_team(cast: Cast) -> None:
    item = add_item(final_postmortem(cast), cast.frank, "Alert on pool", date(2026, 4, 1))
    queued = notify(
        cast.frank,
        cast.payments,
        "owner_reminder",
        f"{item.pk}:due",
        Message("Alert on pool is due on 1 April", "Your action item is due.", "/"),
        action_item=item,
    )
    assert queued >= 1
    on_item = cast.api("vera").get(f"{API}/action-items/{item.pk}/messages").json()
    assert on_item["count"] == queued and on_item["next"] is None
    message = on_item["items"][0]
    assert message["subject"] == "Alert on pool is due on 1 April"
    assert message["kind"] == "owner_reminder"
    assert message["recipient"] == {"id": cast.frank.pk, "name": cast.frank.name}
    assert message["action_item_id"] == item.pk
    assert message["status"] == "pending" and message["sent_at"] is None
    on_team = cast.api("vera").get(f"{API}/teams/{cast.payments.pk}/messages").json()
    assert [m["id"] for m in on_team["items"]] == [m["id"] for m in on_item["items"]]
    sent = cast.api("vera").get(f"{API}/teams/{cast.payments.pk}/messages?status=sent").json()
    assert sent["count"] == 0


def test_a_message_about_a_security_incident_is_not_listed_for_an_outsider(cast: Cast) -> None:
    postmortem = final_postmortem(cast, security=True, title="Leaked key")
    item = add_item(postmortem, cast.frank, "Rotate the key", date(2026, 4, 1))
    notify(
        cast.frank,
        cast.payments,
        "owner_reminder",
        f"{item.pk}:due",
        Message("Rotate the key is due", "Your action item is due.", "/"),
        action_item=item,
    )
    team = f"{API}/teams/{cast.payments.pk}/messages"
    assert cast.api("bob").get(team).json()["count"] >= 1
    assert cast.api("charlie").get(team).json()["count"] == 0
    hidden = cast.api("charlie").get(f"{API}/action-items/{item.pk}/messages")
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "urn:followthrough:problem:not-found"
    assert "Rotate" not in hidden.content.decode()


def test_the_insights_csv_downloads_with_a_token(cast: Cast) -> None:
    final_postmortem(cast)
    answer = cast.api("alice").get(
        f"{API}/insights.csv", {"from": "2026-03-01", "to": "2026-03-31"}
    )
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].startswith('attachment; filename="followthrough-insights')
    header, *rows = answer.content.decode().splitlines()
    assert header.startswith("scope,team_id,period,period_start,repeat_rate,")
    assert "postmortem_completion_rate" in header and "action_completion_rate" in header
    assert rows and rows[0].startswith("organisation,")
    bad = cast.api("alice").get(f"{API}/insights.csv", {"from": "2026-04-01", "to": "2026-03-01"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][0] == "query"
