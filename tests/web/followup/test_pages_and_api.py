"""The weekly review page with one-click updates, follow-up settings, preferences, and the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.urls import reverse
from django.utils import timezone

from followthrough.web.actions.models import ActionItem
from followthrough.web.followup.models import Preferences, TeamSettings
from followthrough.web.postmortems.models import Postmortem, Status

from .conftest import BOT_TOKEN, add_item, final_postmortem

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db
API = "/api/v1"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def items(cast: Cast) -> dict[str, ActionItem]:
    postmortem = final_postmortem(cast)
    today = timezone.localdate()
    return {
        "overdue": add_item(postmortem, cast.frank, "Alert on pool", today - timedelta(days=2)),
        "soon": add_item(postmortem, cast.rita, "Schema checklist", today + timedelta(days=3)),
        "later": add_item(
            postmortem, cast.frank, "Load-test the pooler", today + timedelta(days=40), effort=1
        ),
        "low": add_item(
            postmortem, cast.rita, "Rewrite docs", today + timedelta(days=50), likelihood=1
        ),
    }


def review(client: Any, **params: str) -> str:
    response = client.get(reverse("weekly-review", args=["payments"]), params)
    assert response.status_code == 200
    return str(response.content.decode())


def test_the_review_page_groups_items_and_sorts_each_group_by_priority(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    html = review(cast.browser(cast.vera))
    assert html.index("Alert on pool") < html.index("Schema checklist")
    open_part = html[html.index('id="group-open"') :]
    assert open_part.index("Load-test the pooler") < open_part.index("Rewrite docs")
    assert "do it now" in open_part and "do not bother" in open_part
    assert "Mark in progress" not in html  # vera only views


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_the_review_page_reads_the_team_once_whatever_the_number_of_items(
    cast: Cast, items: dict[str, ActionItem], who: str, django_assert_max_num_queries: Any
) -> None:
    """Each open item's stalled check reads the team's timezone from the item's row (one
    join), not a query per item; an admin's edit and lead rights cost no query."""
    client = cast.browser(getattr(cast, who))
    review(client)  # warm up
    with django_assert_max_num_queries(15 if who == "alice" else 12) as page:
        review(client)
    lazy = 'FROM "accounts_team" WHERE "accounts_team"."id" = '  # following item -> team
    assert [q for q in page.captured_queries if lazy in q["sql"]] == []


def test_the_review_page_sorts_by_due_date_on_request(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    ActionItem.objects.filter(pk=items["later"].pk).update(due_date=date.today() + timedelta(60))
    html = review(cast.browser(cast.alice), sort="due_date")
    open_part = html[html.index('id="group-open"') :]
    assert open_part.index("Rewrite docs") < open_part.index("Load-test the pooler")


def test_one_click_marks_an_item_done_with_evidence_and_swaps_its_row(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    item = items["soon"]
    url = reverse("action-item-update", args=[item.pk, "done"])
    response = cast.browser(cast.bob).post(
        url,
        {
            f"done-{item.pk}-version": item.version,
            f"done-{item.pk}-evidence_url": "https://ci.example.com/run/7",
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<li id="item-{item.pk}"') and "is now done" in html
    item.refresh_from_db()
    assert item.status == "done" and item.evidence_url == "https://ci.example.com/run/7"
    assert item.done_by == cast.bob


def test_one_click_deprioritise_without_a_reason_answers_422_and_changes_nothing(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    item = items["low"]
    url = reverse("action-item-update", args=[item.pk, "deprioritise"])
    client = cast.browser(cast.bob)
    response = client.post(url, {f"dep-{item.pk}-version": item.version}, **HTMX)
    assert response.status_code == 422
    assert "Deprioritising needs a written reason" in response.content.decode()
    assert ActionItem.objects.get(pk=item.pk).status == "open"
    response = client.post(
        url,
        {f"dep-{item.pk}-version": item.version, f"dep-{item.pk}-reason": "Docs move to the wiki."},
        **HTMX,
    )
    assert response.status_code == 200
    assert ActionItem.objects.get(pk=item.pk).deprioritised_reason == "Docs move to the wiki."


def test_pushing_the_due_date_a_week_and_a_stale_click_is_refused_with_409(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    item = items["overdue"]
    url = reverse("action-item-update", args=[item.pk, "push"])
    client = cast.browser(cast.alice)
    assert client.post(url, {f"v-{item.pk}-version": item.version}, **HTMX).status_code == 200
    # A week later, on a business day of the team's calendar (a Saturday moves to Monday).
    expected = cast.payments.calendar().on_or_after(item.due_date + timedelta(days=7))
    assert ActionItem.objects.get(pk=item.pk).due_date == expected
    stale = client.post(url, {f"v-{item.pk}-version": item.version}, **HTMX)
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()


def test_without_htmx_a_click_redirects_back_to_the_review_page(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    item = items["later"]
    url = reverse("action-item-update", args=[item.pk, "progress"])
    response = cast.browser(cast.bob).post(url, {f"v-{item.pk}-version": item.version})
    assert response.status_code == 302 and response["Location"] == "/review/payments/"
    assert ActionItem.objects.get(pk=item.pk).status == "in_progress"


def test_a_viewer_cannot_change_items_and_an_outsider_cannot_see_a_private_review(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    item = items["later"]
    url = reverse("action-item-update", args=[item.pk, "progress"])
    assert cast.browser(cast.vera).post(url, {f"v-{item.pk}-version": 1}).status_code == 403
    assert cast.browser(cast.charlie).get("/review/security/").status_code == 404
    assert cast.browser(cast.dana).get("/review/security/").status_code == 200


def test_the_last_done_item_on_the_review_page_closes_the_postmortem(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    client = cast.browser(cast.bob)
    for item in items.values():
        client.post(
            reverse("action-item-update", args=[item.pk, "done"]),
            {f"done-{item.pk}-version": item.version},
            **HTMX,
        )
    assert Postmortem.objects.get().status == Status.CLOSED


def test_the_team_lead_sets_the_review_time_and_slack_secrets_are_never_shown_back(
    cast: Cast,
) -> None:
    url = reverse("team-followup-settings", args=["payments"])
    assert cast.browser(cast.bob).get(url).status_code == 403
    client = cast.browser(cast.alice)
    form = {
        "review_weekday": 2,
        "review_hour": 10,
        "stalled_after_days": 10,
        "escalate_after_days": 5,
        "remind_before_hours": 12,
        "remind_owner_business_days": 3,
        "slack_channel": "#payments-ops",
        "slack_bot_token": BOT_TOKEN,
        "action": "save",
    }
    assert client.post(url, form).status_code == 302
    conf = TeamSettings.objects.get(team=cast.payments)
    assert (conf.review_weekday, conf.review_hour, conf.slack_bot_token) == (2, 10, BOT_TOKEN)
    page = client.get(url).content.decode()
    assert BOT_TOKEN not in page and "Bot token: set" in page
    # Saving again without the secret keeps it.
    client.post(url, {**form, "slack_bot_token": ""})
    assert TeamSettings.objects.get(team=cast.payments).slack_bot_token == BOT_TOKEN
    bad = client.post(url, {**form, "slack_bot_token": "not-a-token", "review_hour": 24})
    assert bad.status_code == 422 and "starts with xoxb-" in bad.content.decode()


def test_a_person_turns_email_off_and_gives_a_slack_member_id(cast: Cast) -> None:
    client = cast.browser(cast.bob)
    url = reverse("followup-preferences")
    assert client.get(url).status_code == 200
    response = client.post(url, {"slack_enabled": "on", "slack_user": "U0BOB0001"})
    assert response.status_code == 302
    prefs = Preferences.objects.get(person=cast.bob.person)  # type: ignore[attr-defined]
    assert not prefs.email_enabled and prefs.slack_mention() == "<@U0BOB0001>"
    assert client.post(url, {"slack_user": "<script>"}).status_code == 422


def test_the_api_keeps_slack_secrets_write_only_and_only_leads_change_settings(
    cast: Cast,
) -> None:
    url = f"{API}/teams/{cast.payments.pk}/follow-up"
    body = {"review_hour": 8, "slack_webhook_url": "https://hooks.slack.com/services/T/B/secret"}
    assert cast.api("bob").patch_json(url, body).status_code == 403
    response = cast.api("alice").patch_json(url, body)
    assert response.status_code == 200
    data = response.json()
    assert data["review_hour"] == 8 and data["has_slack_webhook"] is True
    assert "secret" not in response.content.decode()
    assert cast.api("vera").get(url).json()["has_slack_webhook"] is True
    assert cast.api("alice").patch_json(url, {"review_hour": 25}).status_code == 422
    assert cast.api("alice").patch_json(url, {"slack_bot_token": "nope"}).status_code == 422
    assert cast.api("charlie").get(f"{API}/teams/{cast.security.pk}/follow-up").status_code == 404


def test_the_api_gives_the_weekly_review_and_an_items_history(
    cast: Cast, items: dict[str, ActionItem]
) -> None:
    api = cast.api("alice")
    data = api.get(f"{API}/teams/{cast.payments.pk}/review").json()
    assert [i["title"] for i in data["overdue"]] == ["Alert on pool"]
    assert [i["title"] for i in data["open"]] == ["Load-test the pooler", "Rewrite docs"]
    assert data["waiting_to_close"][0]["open_items"] == 4
    item = items["overdue"]
    api.patch_json(f"{API}/action-items/{item.pk}", {"status": "in_progress", "version": 1})
    history = api.get(f"{API}/action-items/{item.pk}/history").json()
    assert history["changes"][0]["who"] == "alice"
    assert history["changes"][0]["changed"]["status"] == ["open", "in_progress"]
    prefs = api.patch_json(f"{API}/me/notification-preferences", {"digest_enabled": False})
    assert prefs.status_code == 200 and prefs.json()["digest_enabled"] is False


def test_a_forgotten_postmortem_is_flagged_on_the_incident_list(cast: Cast) -> None:
    postmortem = final_postmortem(cast)
    item = add_item(postmortem, cast.frank, "Alert on pool", date(2026, 3, 30))
    client = cast.browser(cast.vera)
    assert "badge forgotten" not in client.get(reverse("incident-list")).content.decode()
    long_ago = timezone.now() - timedelta(days=31)
    Postmortem.objects.filter(pk=postmortem.pk).update(updated_at=long_ago)
    ActionItem.objects.filter(pk=item.pk).update(last_activity_at=long_ago)
    html = client.get(reverse("incident-list")).content.decode()
    assert 'class="badge forgotten"' in html
    assert "Forgotten postmortems" in review(client) and "badge forgotten" in review(client)
