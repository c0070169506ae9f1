"""A change is shown only to those who may read what it changed (accounts.visibility).

A team's tracker settings and incident sources are read by its leads and admins only (the
tracker API answers 403 to anyone else), and so are the secrets of its follow-up settings:
their history is no back door to the tracker's base URL, the account's e-mail, a source's
routing or the fact of a secret being replaced. The people pickers of the editor list
nobody from a private team the viewer cannot see.
"""

from __future__ import annotations

import pytest

from conftest import Cast
from followthrough.web.accounts.models import Membership, Role
from followthrough.web.followup.models import TeamSettings
from followthrough.web.history.context import acting_as
from followthrough.web.ingest.models import IngestSource
from followthrough.web.integrations.models import TrackerConfig
from followthrough.web.postmortems.operations import start_postmortem

pytestmark = pytest.mark.django_db

BASE_URL = "https://acme-payments.atlassian.net"
BOT_EMAIL = "jira-bot@acme.example"
ROUTED_SERVICE = "PF9KMXH"


def _lead_only_changes(cast: Cast) -> tuple[TrackerConfig, IngestSource]:
    with acting_as(user=cast.alice):
        tracker = TrackerConfig.objects.create(
            team=cast.payments,
            kind="jira",
            base_url=BASE_URL,
            settings={"project_key": "PAY", "user_email": BOT_EMAIL},
            api_token="secret-token",
        )
        source = IngestSource.objects.create(
            name="Pager", kind="pagerduty", team=cast.payments, secret="whsec"
        )
        source.settings = {
            **(source.settings or {}),
            "routing": [{"field": "service", "value": ROUTED_SERVICE, "team_id": cast.payments.pk}],
        }
        source.save()
        settings = TeamSettings.objects.create(team=cast.payments)
        settings.review_weekday = 3
        settings.slack_webhook_url = "https://hooks.slack.com/services/T0/B0/x"
        settings.save()
    return tracker, source


def _pages(cast: Cast, who: str) -> str:
    browser = cast.browser(getattr(cast, who))
    html = ""
    for url in ("/history/", "/history/teams/payments/", "/history/?type=tracker-settings"):
        answer = browser.get(url)
        assert answer.status_code == 200, (who, url)
        html += answer.content.decode()
    return html


def _api(cast: Cast, who: str) -> str:
    return str(cast.api(who).get("/api/v1/history?limit=200").json())


@pytest.mark.parametrize("who", ["vera", "bob"])
def test_a_reader_who_is_not_a_lead_sees_no_lead_only_setting(cast: Cast, who: str) -> None:
    tracker, source = _lead_only_changes(cast)
    for seen in (_pages(cast, who), _api(cast, who)):
        for secret in (
            BASE_URL,
            BOT_EMAIL,
            ROUTED_SERVICE,
            "slack webhook url",
            "slack_webhook_url",
        ):
            assert secret not in seen, (who, secret)
        assert "Pager (PagerDuty)" not in seen and str(tracker) not in seen
    api = cast.api(who)
    assert api.get(f"/api/v1/history/tracker-settings/{tracker.pk}").status_code == 404
    assert api.get(f"/api/v1/history/incident-source/{source.pk}").status_code == 404


@pytest.mark.parametrize("who", ["vera", "bob"])
def test_a_reader_still_sees_the_teams_other_settings(cast: Cast, who: str) -> None:
    _lead_only_changes(cast)
    html = " ".join(_pages(cast, who).split())
    assert "review weekday: <del>Monday</del> → <ins>Thursday</ins>" in html
    changes = cast.api(who).get("/api/v1/history?type=team-settings").json()["items"]
    assert any(c["changed"].get("review_weekday") == [0, 3] for c in changes)


@pytest.mark.parametrize("who", ["alice", "admin"])
def test_the_teams_lead_and_an_admin_see_everything(cast: Cast, who: str) -> None:
    tracker, _ = _lead_only_changes(cast)
    for seen in (_pages(cast, who), _api(cast, who)):
        for shown in (BASE_URL, BOT_EMAIL, ROUTED_SERVICE):
            assert shown in seen, (who, shown)
        assert "secret-token" not in seen and "whsec" not in seen  # secrets: never
    html = " ".join(_pages(cast, who).split())
    assert "slack webhook url: <del>—</del> → <ins>set</ins>" in html
    assert cast.api(who).get(f"/api/v1/history/tracker-settings/{tracker.pk}").status_code == 200


def test_the_lead_named_on_the_team_reads_its_settings_too(cast: Cast) -> None:
    Membership.objects.filter(person=cast.person(cast.alice)).update(role=Role.EDITOR)
    _lead_only_changes(cast)
    assert BASE_URL in _api(cast, "alice")  # alice is still payments.lead


def test_a_lead_of_another_team_does_not_see_these_settings(cast: Cast) -> None:
    _lead_only_changes(cast)
    Membership.objects.create(team=cast.payments, person=cast.person(cast.dana), role=Role.VIEWER)
    assert BASE_URL not in _api(cast, "dana")  # lead of Security, viewer of Payments


def test_the_editor_pickers_list_nobody_from_a_private_team_the_viewer_cannot_see(
    cast: Cast,
) -> None:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    editor = f"/incidents/{postmortem.incident_id}/postmortem/?section=meeting"
    html = cast.browser(cast.alice).get(editor).content.decode()
    assert "Dana" not in html  # dana is only on the private Security team
    assert "Frank Osei" in html
    assert "Dana" in cast.browser(cast.admin).get(editor).content.decode()
    new = cast.browser(cast.alice).get("/incidents/new/").content.decode()
    assert "Dana" not in new and "Frank Osei" in new


def test_the_people_list_of_the_api_hides_them_too(cast: Cast) -> None:
    names = {p["name"] for p in cast.api("alice").get("/api/v1/people?limit=200").json()["items"]}
    assert "Dana" not in names and "Frank Osei" in names
    names = {p["name"] for p in cast.api("dana").get("/api/v1/people?limit=200").json()["items"]}
    assert "Dana" in names and "Frank Osei" in names  # Payments is public


def test_someone_named_on_an_incident_the_viewer_sees_stays_in_the_pickers(cast: Cast) -> None:
    incident = cast.incident()
    incident.responders.add(cast.person(cast.dana))
    postmortem = start_postmortem(incident, cast.alice)
    html = cast.browser(cast.alice).get(
        f"/incidents/{postmortem.incident_id}/postmortem/?section=meeting"
    )
    assert "Dana" in html.content.decode()  # shown as a responder: never dropped on a save


def test_an_id_of_a_hidden_person_is_unknown_to_the_api(cast: Cast) -> None:
    """Naming an id and reading the owner's name back reveals nobody hidden."""
    postmortem = start_postmortem(cast.incident(), cast.alice)
    dana = cast.person(cast.dana)
    item = {"title": "Rotate the keys", "owner_id": dana.pk, "done_condition": "Rotated."}
    url = f"/api/v1/postmortems/{postmortem.pk}/action-items"
    answer = cast.api("alice").post_json(url, item)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["msg"] == f"There is no person with id {dana.pk}."
    assert "Dana" not in answer.content.decode()
    meeting = f"/api/v1/postmortems/{postmortem.pk}/meeting"
    refused = cast.api("alice").patch_json(meeting, {"version": 1, "attendee_ids": [dana.pk]})
    assert refused.status_code == 422
    assert cast.api("admin").post_json(url, item).status_code == 201
