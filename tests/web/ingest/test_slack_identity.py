"""Who a Slack command acts as: the workspace an admin bound, signed with its secret, and the
person linked to the signed user_id there. Nothing else: not user_name, not a lead's secret."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from followthrough.web.actions.models import ActionItem, ActionStatus
from followthrough.web.actions.operations import create_action_item
from followthrough.web.ingest.models import (
    Delivery,
    IngestSource,
    Kind,
    SlackIdentity,
    SlackLinkRequest,
    SlackWorkspace,
)
from followthrough.web.postmortems.models import Postmortem
from followthrough.web.postmortems.operations import start_postmortem

from ..api.conftest import ok
from .conftest import SLACK_SECRET, SLACK_WORKSPACE, Sender, fixture, slack_headers

if TYPE_CHECKING:
    from conftest import Cast

API = "/api/v1/ingest/sources"
GRACE_SLACK = "U0GRACE001"
ALICE_SLACK = "U0ALICE001"
ALICE_SECRET = "alices-own-signing-secret-0123"
ALICE_WORKSPACE = "T0ALICE"


def form(text: str, user_id: str, team_id: str = SLACK_WORKSPACE, **more: str) -> dict[str, str]:
    fields = fixture("slack", "help")
    return {**fields, "text": text, "user_id": user_id, "team_id": team_id, **more}


def reply_of(response: Any) -> str:
    assert response.status_code == 200, response.content
    return str(response.json()["text"])


@pytest.fixture
def grace(cast: Cast, slack: IngestSource) -> Any:
    """The admin's person is Grace (handle grace), linked in the workspace as U0GRACE001."""
    person = cast.person(cast.admin)
    person.name, person.handle = "Grace", "grace"
    person.save()
    SlackIdentity.objects.create(
        workspace=SlackWorkspace.objects.get(team_id=SLACK_WORKSPACE),
        slack_user_id=GRACE_SLACK,
        person=person,
    )
    return person


@pytest.fixture
def secret_items(cast: Cast) -> dict[str, ActionItem]:
    """An item of the private Security team and one of a security incident of Payments."""
    private = start_postmortem(cast.incident(team=cast.security, commander=None), cast.dana)
    leak = start_postmortem(cast.incident(security=True, title="Keys in logs"), cast.alice)
    return {
        "private team": create_action_item(
            private, cast.dana, title="Rotate the vault root", owner=cast.person(cast.dana)
        ),
        "security incident": create_action_item(
            leak, cast.alice, title="Purge the logs", owner=cast.person(cast.dana)
        ),
    }


def _unchanged(items: dict[str, ActionItem]) -> None:
    for item in items.values():
        fresh = ActionItem.objects.get(pk=item.pk)
        assert (fresh.status, fresh.version) == (ActionStatus.OPEN, item.version)


# --- the attack of issue 12 -------------------------------------------------------------------


@pytest.mark.parametrize("which", ["private team", "security incident"])
def test_the_attack_of_issue_12_a_leads_own_source_and_secret_as_user_name_grace_is_refused(
    cast: Cast, grace: Any, secret_items: dict[str, ActionItem], send: Sender, which: str
) -> None:
    """As reported: a source a lead made with a secret of her choosing (made here directly, as
    the API allowed then), `text=done N&user_name=grace`, signed with that secret."""
    IngestSource.objects.create(
        name="Mine", kind=Kind.SLACK, team=cast.payments, secret=ALICE_SECRET, created_by=cast.alice
    )
    item = secret_items[which]
    for team_id in (SLACK_WORKSPACE, ALICE_WORKSPACE):
        fields = form(f"done {item.pk}", ALICE_SLACK, team_id, user_name="grace")
        answer = send.slack(fields, secret=ALICE_SECRET)
        assert answer.status_code in (401, 404), answer.content
    _unchanged(secret_items)


@pytest.mark.parametrize("which", ["private team", "security incident"])
def test_a_lead_signing_with_her_own_secret_as_grace_is_refused_and_nothing_changes(
    cast: Cast,
    grace: Any,
    secret_items: dict[str, ActionItem],
    send: Sender,
    which: str,
) -> None:
    """Alice leads Payments. She makes a Slack source of her own and signs `done N` with a
    secret of her choosing, as user_name=grace, in every workspace she can name."""
    item = secret_items[which]
    api = cast.api("alice")
    # She may make a Slack source, but not give it a secret, nor bind a workspace to it.
    own = ok(
        api.post_json(API, {"name": "Mine", "kind": "slack", "team_id": cast.payments.pk}), 201
    )
    with_secret = {"name": "Mine", "kind": "slack", "team_id": cast.payments.pk}
    refused = api.post_json(API, {**with_secret, "secret": ALICE_SECRET})
    assert refused.status_code == 403
    assert api.patch_json(f"{API}/{own['id']}", {"secret": ALICE_SECRET}).status_code == 403
    bind = {"team_id": ALICE_WORKSPACE, "signing_secret": ALICE_SECRET}
    assert api.put_json(f"{API}/{own['id']}/slack-workspace", bind).status_code == 403
    assert IngestSource.objects.get(pk=own["id"]).secret == ""

    text = f"done {item.pk}"
    # The real workspace, her secret: not the secret that workspace's commands are checked with.
    real = send.slack(form(text, GRACE_SLACK, user_name="grace"), secret=ALICE_SECRET)
    assert real.status_code == 401
    # Her own workspace: bound to nothing.
    own_ws = send.slack(form(text, ALICE_SLACK, ALICE_WORKSPACE, user_name="grace"))
    assert own_ws.status_code == 404
    _unchanged(secret_items)


def test_even_a_workspace_bound_to_a_leads_source_speaks_only_for_its_own_linked_people(
    cast: Cast, grace: Any, secret_items: dict[str, ActionItem], send: Sender
) -> None:
    """Suppose an admin did bind Alice's workspace (with her secret): user_name=grace names
    nobody, and Grace's member id from the real workspace is nobody there either."""
    source = IngestSource.objects.create(name="Alice's", kind=Kind.SLACK, team=cast.payments)
    SlackWorkspace.objects.create(team_id=ALICE_WORKSPACE, source=source, bound_by=cast.admin)
    source.secret = ALICE_SECRET
    source.save()
    for item in secret_items.values():
        for user_id in (ALICE_SLACK, GRACE_SLACK):
            fields = form(f"done {item.pk}", user_id, ALICE_WORKSPACE, user_name="grace")
            reply = reply_of(send.slack(fields, secret=ALICE_SECRET))
            assert "I don't know who you are" in reply
    _unchanged(secret_items)


def test_grace_herself_linked_in_the_bound_workspace_may_act(
    cast: Cast, grace: Any, secret_items: dict[str, ActionItem], send: Sender
) -> None:
    """The control: the same command, signed by the workspace's app for Grace's member id."""
    item = secret_items["private team"]
    assert "Marked" in reply_of(send.slack(form(f"done {item.pk}", GRACE_SLACK)))
    assert ActionItem.objects.get(pk=item.pk).status == ActionStatus.DONE


# --- binding (admins only) ----------------------------------------------------------------------


def test_an_admin_binds_a_workspace_with_its_signing_secret_and_can_rebind_or_unbind(
    cast: Cast, send: Sender
) -> None:
    source = ok(
        cast.api("alice").post_json(
            API, {"name": "Slack", "kind": "slack", "team_id": cast.payments.pk}
        ),
        201,
    )
    path = f"{API}/{source['id']}/slack-workspace"
    admin = cast.api("admin")
    bound = ok(
        admin.put_json(
            path, {"team_id": "t0001", "name": "Example", "signing_secret": SLACK_SECRET}
        )
    )
    assert bound["slack_workspace"]["team_id"] == "T0001" and bound["secret_set"] is True
    assert SLACK_SECRET not in admin.get(f"{API}/{source['id']}").content.decode()
    assert "help" in reply_of(send.slack(form("help", "U0SOMEONE1")))
    # A workspace belongs to one source.
    other = IngestSource.objects.create(name="Other", kind=Kind.SLACK, team=cast.payments)
    taken = admin.put_json(
        f"{API}/{other.pk}/slack-workspace", {"team_id": "T0001", "signing_secret": "x" * 20}
    )
    assert taken.status_code == 409
    bad = admin.put_json(path, {"team_id": "not a team", "signing_secret": SLACK_SECRET})
    assert bad.status_code == 422
    assert admin.delete(path).status_code == 204
    assert send.slack(form("help", "U0SOMEONE1")).status_code == 404
    assert IngestSource.objects.get(pk=source["id"]).secret == ""


def test_the_binding_page_is_for_admins_only(cast: Cast, slack: IngestSource) -> None:
    page = f"/sources/{slack.pk}/slack/"
    assert cast.browser(cast.alice).get(page).status_code == 403
    admin = cast.browser(cast.admin)
    assert "T0001" in admin.get(page).content.decode()
    answer = admin.post(
        page,
        {"action": "bind", "team_id": "T0002", "name": "Other", "signing_secret": "s" * 32},
    )
    assert answer.status_code == 302
    assert SlackWorkspace.objects.get(source=slack).team_id == "T0002"
    assert IngestSource.objects.get(pk=slack.pk).secret == "s" * 32
    edit = cast.browser(cast.alice).get(f"/sources/{slack.pk}/").content.decode()
    assert 'name="new_secret"' not in edit and "Only an admin binds" in edit


# --- linking (the person themselves) ------------------------------------------------------------


def _link_path(reply: str) -> str:
    start = reply.index("/slack/link/")
    return reply[start : reply.index("|", start)]


def test_a_member_links_themselves_once_through_a_signed_in_page(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    item = create_action_item(
        start_postmortem(cast.incident(), cast.alice),
        cast.alice,
        title="Add a canary",
        owner=cast.person(cast.bob),
    )
    assert "/postmortem link" in reply_of(send.slack(form("mine", "U0BOB00001")))
    path = _link_path(reply_of(send.slack(form("link", "U0BOB00001"))))
    assert Client().get(path).status_code == 302  # signed in first
    bob = cast.browser(cast.bob)
    page = bob.get(path)
    assert page.status_code == 200 and "U0BOB00001" in page.content.decode()
    assert "typed <code>/postmortem link</code> in Slack yourself" in page.content.decode()
    assert bob.post(path).status_code == 302
    identity = SlackIdentity.objects.get(slack_user_id="U0BOB00001")
    assert identity.person == cast.person(cast.bob) and identity.linked_by == cast.bob
    # Once only.
    assert cast.browser(cast.vera).post(path).status_code == 410
    assert SlackIdentity.objects.get(slack_user_id="U0BOB00001").person == cast.person(cast.bob)
    assert "Add a canary" in reply_of(send.slack(form("mine", "U0BOB00001")))
    assert "Marked" in reply_of(send.slack(form(f"done {item.pk}", "U0BOB00001")))


def test_a_link_expires_after_fifteen_minutes_and_only_its_hash_is_kept(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    path = _link_path(reply_of(send.slack(form("link", "U0BOB00001"))))
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert not SlackLinkRequest.objects.filter(token_hash=token).exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert cast.browser(cast.bob).post(path).status_code == 410
    assert not SlackIdentity.objects.exists()


def test_linking_again_replaces_the_persons_earlier_member_in_that_workspace(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    bob = cast.browser(cast.bob)
    for member in ("U0BOBOLD01", "U0BOBNEW01"):
        bob.post(_link_path(reply_of(send.slack(form("link", member)))))
    assert list(SlackIdentity.objects.values_list("slack_user_id", flat=True)) == ["U0BOBNEW01"]


def test_an_admin_links_and_unlinks_a_member_on_the_workspace_page(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    page = f"/sources/{slack.pk}/slack/"
    admin = cast.browser(cast.admin)
    admin.post(page, {"action": "link", "slack_user_id": "U0IVAN0001", "person": cast.ivan.pk})
    identity = SlackIdentity.objects.get(slack_user_id="U0IVAN0001")
    assert identity.person == cast.ivan
    assert "Ivan Petrov" in admin.get(page).content.decode()
    admin.post(page, {"action": "unlink", "identity": identity.pk})
    assert not SlackIdentity.objects.exists()


# --- what Slack itself sends ---------------------------------------------------------------------


def test_slacks_ssl_check_is_answered_200_and_does_nothing(slack: IngestSource) -> None:
    client = Client()
    body = urlencode({"ssl_check": "1", "token": "gIkuvaNzQIHg97ATvDxqgjtO"}).encode()
    posted = client.post(
        "/ingest/slack/commands/", body, content_type="application/x-www-form-urlencoded"
    )
    assert posted.status_code == 200 and posted.content == b""
    assert client.get("/ingest/slack/commands/?ssl_check=1&token=x").status_code == 200
    assert not Delivery.objects.exists()


def test_a_replayed_signed_command_is_answered_but_not_carried_out_twice(
    cast: Cast, slack: IngestSource, send: Sender
) -> None:
    SlackIdentity.objects.create(
        workspace=SlackWorkspace.objects.get(team_id=SLACK_WORKSPACE),
        slack_user_id="U0BOB00001",
        person=cast.person(cast.bob),
    )
    incident = cast.incident()
    body = urlencode(form(f"start {incident.key}", "U0BOB00001")).encode()
    t = int(time.time())
    assert "Started the postmortem" in reply_of(send.slack({}, t=t, raw=body))
    Postmortem.objects.filter(incident=incident).delete()
    assert "received before" in reply_of(send.slack({}, t=t, raw=body))
    assert not Postmortem.objects.filter(incident=incident).exists()


def test_a_command_claiming_no_workspace_is_404_before_any_signature_work(
    slack: IngestSource, send: Sender
) -> None:
    fields = form("help", "U0BOB00001")
    del fields["team_id"]
    assert send.slack(fields).status_code == 404


def test_an_oversized_command_is_413_even_for_an_unbound_workspace(db: None) -> None:
    body = b"team_id=T9&text=" + b"x" * (1024 * 1024 + 1)
    answer = Client().post(
        "/ingest/slack/commands/",
        body,
        content_type="application/x-www-form-urlencoded",
        headers=slack_headers(body, secret=SLACK_SECRET),
    )
    assert answer.status_code == 413


def test_a_lead_creates_a_slack_source_on_the_page_without_a_secret_and_it_waits_for_an_admin(
    cast: Cast,
) -> None:
    page = cast.browser(cast.alice)
    answer = page.post(
        "/sources/new/",
        {
            "name": "Our Slack",
            "kind": "slack",
            "team": cast.payments.pk,
            "enabled": "on",
            "new_secret": "a-secret-she-chose-123",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    source = IngestSource.objects.get(name="Our Slack")
    assert source.secret == ""  # the field is not hers to fill
    edit = page.get(f"/sources/{source.pk}/").content.decode()
    assert "Not bound to a Slack workspace yet" in edit
