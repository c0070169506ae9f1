"""The /postmortem slash command: start a postmortem, list my open action items, mark one done.

Commands come from a workspace an admin bound to a source, signed with that source's secret,
and act only as the person linked to the signed user_id in that workspace.

``fixtures/slack/*.json`` are the fields of Slack's published slash-command request
("Implementing slash commands", api.slack.com/interactivity/slash-commands: token
``gIkuvaNzQIHg97ATvDxqgjtO``, team ``T0001``, "Globular Construct Inc", user
``U2147483697``), with our command and text; the signature check reproduces Slack's own
worked example in test_signatures.py.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from followthrough.web.accounts.models import Person
from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import create_action_item
from followthrough.web.history.recording import history_of
from followthrough.web.incidents.models import Incident
from followthrough.web.ingest.models import IngestSource, SlackIdentity, SlackWorkspace
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from .conftest import SLACK_WORKSPACE, Sender, fixture

if TYPE_CHECKING:
    from conftest import Cast

BOB_SLACK = "U0BOB00001"


def command(
    name: str, user_id: str = BOB_SLACK, user_name: str = "bobby", **fmt: Any
) -> dict[str, str]:
    fields = fixture("slack", name)
    fields["text"] = fields["text"].format(**fmt)
    fields["user_id"] = user_id
    fields["user_name"] = user_name
    fields["team_id"] = SLACK_WORKSPACE
    return fields


def linked(person: Person, slack_user_id: str, workspace: str = SLACK_WORKSPACE) -> Person:
    SlackIdentity.objects.create(
        workspace=SlackWorkspace.objects.get(team_id=workspace),
        slack_user_id=slack_user_id,
        person=person,
    )
    return person


def text_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


@pytest.fixture
def bob(cast: Cast, slack: IngestSource) -> Person:
    """bob edits on Payments; he linked his Slack member U0BOB00001 in the workspace."""
    return linked(cast.person(cast.bob), BOB_SLACK)


@pytest.fixture
def items(cast: Cast, bob: Person) -> dict[str, ActionItem]:
    postmortem = start_postmortem(cast.incident(), cast.alice)
    return {
        "alert": create_action_item(
            postmortem,
            cast.alice,
            title="Alert on checkout 5xx rate above 1% <for 5 min>",
            owner=bob,
            due_date=date(2026, 3, 20),
        ),
        "runbook": create_action_item(
            postmortem, cast.alice, title="Write the rollback runbook", owner=bob
        ),
        "done": create_action_item(
            postmortem, cast.alice, title="Already fixed", owner=bob, status=ActionStatus.DONE
        ),
        "ivans": create_action_item(
            postmortem, cast.alice, title="Add a canary stage", owner=cast.ivan
        ),
    }


def test_start_opens_the_postmortem_and_replies_with_a_link(
    cast: Cast, slack: IngestSource, bob: Person, send: Sender
) -> None:
    incident = cast.incident()
    reply = text_of(send.slack(command("start", incident=incident.pk)))
    postmortem = Postmortem.objects.get(incident=incident)
    assert f"Started the postmortem of {incident.key}" in reply
    assert f"/incidents/{incident.pk}/postmortem/" in reply
    assert postmortem.created_by == cast.bob
    assert [c.who for c in history_of(postmortem)] == ["bob"]
    assert history_of(postmortem).get().actor_label == "slack /postmortem"


def test_start_of_a_started_postmortem_links_to_it(
    cast: Cast, slack: IngestSource, bob: Person, send: Sender
) -> None:
    incident = cast.incident()
    start_postmortem(incident, cast.alice)
    reply = text_of(send.slack(command("start", incident=incident.pk)))
    assert "already has a postmortem" in reply
    assert Postmortem.objects.count() == 1


def test_start_is_refused_to_a_viewer_and_hides_invisible_incidents(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    linked(cast.person(cast.vera), "U0VERA0001")
    payments = cast.incident()
    secret = cast.incident(team=cast.security)
    assert "not change them" in text_of(
        send.slack(command("start", user_id="U0VERA0001", incident=payments.pk))
    )
    assert f"There is no incident {secret.key}" in text_of(
        send.slack(command("start", user_id="U0VERA0001", incident=secret.pk))
    )
    assert Postmortem.objects.count() == 0


def test_mine_lists_my_open_action_items_only(
    items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    reply = text_of(send.slack(command("mine")))
    assert f"#{items['alert'].pk} Alert on checkout 5xx rate above 1% &lt;for 5 min&gt;" in reply
    assert "due 2026-03-20" in reply
    assert f"#{items['runbook'].pk} Write the rollback runbook: no due date" in reply
    assert "Already fixed" not in reply
    assert "canary" not in reply


def test_done_marks_my_item_done_with_its_current_version(
    cast: Cast, items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    item = items["alert"]
    version = item.version
    reply = text_of(send.slack(command("done", item=item.pk)))
    assert f"Marked #{item.pk}" in reply
    item.refresh_from_db()
    assert item.status == ActionStatus.DONE
    assert item.done_by == cast.bob
    assert item.version == version + 1
    change = history_of(item).first()
    assert change is not None and change.actor_label == "slack /postmortem"
    assert change.changed_fields()["status"] == ("open", "done")
    assert "already done" in text_of(send.slack(command("done", item=item.pk)))


def test_done_by_someone_who_neither_owns_nor_edits_is_refused(
    cast: Cast, items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    for name in ("vera", "charlie"):
        linked(cast.person(getattr(cast, name)), f"U0{name.upper()}")
        reply = text_of(
            send.slack(command("done", user_id=f"U0{name.upper()}", item=items["alert"].pk))
        )
        assert "no action item" in reply
    assert ActionItem.objects.get(pk=items["alert"].pk).status == ActionStatus.OPEN


def test_an_owner_without_a_login_linked_by_an_admin_can_mark_their_item_done(
    cast: Cast, items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    linked(cast.ivan, "U0IVAN0001")
    reply = text_of(send.slack(command("done", user_id="U0IVAN0001", item=items["ivans"].pk)))
    assert "Marked" in reply
    assert ActionItem.objects.get(pk=items["ivans"].pk).status == ActionStatus.DONE


def test_a_slack_user_name_names_nobody(
    cast: Cast, items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    """Slack deprecated user_name in 2017 and anyone can put anything in it."""
    reply = text_of(
        send.slack(command("done", user_id="U0IVAN0001", user_name="ivan", item=items["ivans"].pk))
    )
    assert "I don't know who you are" in reply
    assert ActionItem.objects.get(pk=items["ivans"].pk).status == ActionStatus.OPEN


def test_an_unknown_slack_user_is_told_how_to_link_and_acts_as_nobody(
    cast: Cast, items: dict[str, ActionItem], slack: IngestSource, send: Sender
) -> None:
    reply = text_of(send.slack(command("mine", user_id="U0NOBODY", user_name="bob")))
    assert "/postmortem link" in reply
    assert "Alert on checkout" not in reply
    reply = text_of(send.slack(command("done", user_id="U0NOBODY", item=items["alert"].pk)))
    assert "/postmortem link" in reply
    assert ActionItem.objects.get(pk=items["alert"].pk).status == ActionStatus.OPEN


def test_help_lists_the_subcommands(slack: IngestSource, send: Sender) -> None:
    reply = text_of(send.slack(command("help")))
    for sub in ("start INC-12", "mine", "done 34", "link", "help"):
        assert f"/postmortem {sub}" in reply
    assert "I don't know `frobnicate`" in text_of(
        send.slack({**command("help"), "text": "frobnicate"})
    )


def test_a_request_signed_with_another_secret_gets_401(
    cast: Cast, slack: IngestSource, bob: Person, send: Sender
) -> None:
    incident = cast.incident()
    response = send.slack(command("start", incident=incident.pk), secret="not-the-signing-secret")
    assert response.status_code == 401
    assert Postmortem.objects.count() == 0


def test_a_request_older_than_five_minutes_is_refused(
    cast: Cast, slack: IngestSource, bob: Person, send: Sender
) -> None:
    incident = cast.incident()
    response = send.slack(command("start", incident=incident.pk), t=int(time.time()) - 301)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]
    assert Postmortem.objects.count() == 0
    assert Incident.objects.count() == 1


def test_without_a_bound_workspace_the_command_url_is_404(send: Sender, db: None) -> None:
    assert send.slack(command("help")).status_code == 404


def test_a_disabled_slack_source_gets_403(slack: IngestSource, send: Sender) -> None:
    slack.enabled = False
    slack.save()
    assert send.slack(command("help")).status_code == 403


def test_a_form_without_a_user_id_gets_400(slack: IngestSource, send: Sender) -> None:
    response = send.slack({**command("help"), "user_id": ""})
    assert response.status_code == 400
    assert "user_id" in response.json()["detail"]
