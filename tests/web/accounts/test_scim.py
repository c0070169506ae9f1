"""SCIM 2.0 provisioning (RFC 7643/7644), driven by the requests Okta and Microsoft Entra ID
document (fixtures/scim/README.md names each source): the provider creates, updates,
deactivates and deletes accounts, and a deactivation ends the account's access at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.test import Client

from conftest import ApiClient, Cast
from followthrough.cli import main
from followthrough.web.accounts.models import ApiToken
from followthrough.web.history.models import Change

from .conftest import Configure
from .identity_provider import Provider
from .sso import sign_in, signed_in_as

FIXTURES = Path(__file__).parent / "fixtures" / "scim"
SCIM = "/scim/v2"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def payload(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())  # type: ignore[no-any-return]


class ScimClient(Client):
    """The provider's side: a bearer token and application/scim+json bodies."""

    def __init__(self, token: str) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {token}")

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.generic(method, path, data, content_type="application/scim+json")


@pytest.fixture
def scim(cast: Cast, configure: Configure) -> ScimClient:
    result = CliRunner().invoke(main, ["scim-token", "admin", "--name", "okta"])
    assert result.exit_code == 0, result.output
    return ScimClient(result.output.strip().rsplit(" ", 1)[1])


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    return body


def test_okta_provisions_updates_and_deactivates_an_account(
    cast: Cast, scim: ScimClient, provider: Provider, configure: Configure
) -> None:
    # Okta first looks the user up by userName, exactly as its reference shows.
    found = scim.get(
        f"{SCIM}/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100"
    )
    assert found.status_code == 200
    assert found.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    created = scim.send("POST", f"{SCIM}/Users", payload("okta/create_user.json"))
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    assert created["Location"] == f"http://testserver{SCIM}/Users/{user_id}"
    body = created.json()
    assert body["userName"] == "test.user@okta.local" and body["active"] is True
    assert body["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert body["emails"] == [{"value": "test.user@okta.local", "type": "work", "primary": True}]
    account = User.objects.get(pk=user_id)
    assert not account.has_usable_password()  # Okta's "password" is never used
    assert account.person.name == "Test User"  # type: ignore[attr-defined]

    again = scim.send("POST", f"{SCIM}/Users", payload("okta/create_user.json"))
    assert _error(again, 409)["scimType"] == "uniqueness"

    update = payload("okta/update_user_put.json") | {"id": user_id}
    put = scim.send("PUT", f"{SCIM}/Users/{user_id}", update)
    assert put.status_code == 200 and put.json()["name"]["givenName"] == "Another"

    # The person signs in at Okta, whose `sub` is the externalId it provisioned with.
    configure(FOLLOWTHROUGH_OIDC_INVITE_ONLY="true")
    provider.login_as("test.user@okta.local", sub="00ujl29u0le5T6Aj10h7")
    browser = Client()
    sign_in(browser, provider)
    assert signed_in_as(browser) == account
    _, raw = ApiToken.issue(account)
    api = ApiClient(raw)
    assert api.get("/api/v1/incidents").status_code == 200

    deactivated = scim.send(
        "PATCH", f"{SCIM}/Users/{user_id}", payload("okta/deactivate_user_patch.json")
    )
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert api.get("/api/v1/incidents").status_code == 401
    assert browser.get("/")["Location"].startswith("/login/")
    assert scim.get(f"{SCIM}/Users/{user_id}").json()["active"] is False


def test_entra_provisions_updates_disables_and_deletes_an_account(
    cast: Cast, scim: ScimClient
) -> None:
    created = scim.send("POST", f"{SCIM}/Users", payload("entra/create_user.json"))
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]

    query = scim.get(
        f"{SCIM}/Users", {"filter": 'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"'}
    ).json()
    assert query["totalResults"] == 1 and query["Resources"][0]["id"] == user_id
    nobody = scim.get(f"{SCIM}/Users", {"filter": 'userName eq "non-existent user"'}).json()
    assert nobody["totalResults"] == 0 and nobody["Resources"] == []

    multi = scim.send(
        "PATCH", f"{SCIM}/Users/{user_id}", payload("entra/update_user_multi_valued.json")
    )
    assert multi.status_code == 200, multi.content
    assert multi.json()["emails"][0]["value"] == "updatedEmail@microsoft.com"
    assert multi.json()["name"]["familyName"] == "updatedFamilyName"
    account = User.objects.get(pk=user_id)
    assert account.email == "updatedEmail@microsoft.com"
    assert account.sso_identity.email == "updatedEmail@microsoft.com"  # type: ignore[attr-defined]
    assert account.person.email == "updatedEmail@microsoft.com"  # type: ignore[attr-defined]

    single = scim.send(
        "PATCH", f"{SCIM}/Users/{user_id}", payload("entra/update_user_single_valued.json")
    )
    assert single.json()["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    disabled = scim.send("PATCH", f"{SCIM}/Users/{user_id}", payload("entra/disable_user.json"))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    listed = scim.get(
        f"{SCIM}/Users",
        {"filter": 'userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"'},
    )
    assert listed.json()["Resources"][0]["active"] is False  # still found, and says so

    deleted = scim.send("DELETE", f"{SCIM}/Users/{user_id}")
    assert deleted.status_code == 204
    _error(scim.get(f"{SCIM}/Users/{user_id}"), 404)
    account.refresh_from_db()
    assert not account.is_active  # the account stays, disabled, with its history


def test_entra_sends_active_as_a_string_in_older_tenants(cast: Cast, scim: ScimClient) -> None:
    user_id = scim.send("POST", f"{SCIM}/Users", payload("entra/create_user.json")).json()["id"]
    body = payload("entra/disable_user.json")
    body["Operations"][0]["value"] = "False"
    assert scim.send("PATCH", f"{SCIM}/Users/{user_id}", body).json()["active"] is False


def test_deprovisioning_by_scim_is_in_the_history_as_the_tokens_admin_through_scim(
    cast: Cast, scim: ScimClient
) -> None:
    user_id = scim.send("POST", f"{SCIM}/Users", payload("okta/create_user.json")).json()["id"]
    scim.send("PATCH", f"{SCIM}/Users/{user_id}", payload("okta/deactivate_user_patch.json"))
    change = Change.objects.get(content_type__model="user", object_id=user_id, action="update")
    assert change.after["is_active"] is False
    assert (change.actor, change.actor_label) == (cast.admin, "scim")
    created = Change.objects.get(content_type__model="ssoidentity", action="create")
    assert created.after["scim_external_id"] == "00ujl29u0le5T6Aj10h7"


def test_only_a_scim_token_of_an_active_admin_gets_in(cast: Cast, scim: ScimClient) -> None:
    _error(Client().get(f"{SCIM}/Users"), 401)
    assert Client().get(f"{SCIM}/Users")["WWW-Authenticate"].startswith("Bearer")
    _error(ScimClient(cast.tokens["admin"]).get(f"{SCIM}/Users"), 401)  # an API token
    _, of_bob = ApiToken.issue(cast.bob, scope="scim")
    _error(ScimClient(of_bob).get(f"{SCIM}/Users"), 401)  # not an admin's
    # …and a SCIM token is not an API token.
    token = scim.defaults["HTTP_AUTHORIZATION"].split(" ", 1)[1]
    assert ApiClient(token).get("/api/v1/incidents").status_code == 401
    User.objects.filter(pk=cast.admin.pk).update(is_active=False)
    _error(scim.get(f"{SCIM}/Users"), 401)


def test_local_accounts_are_invisible_to_the_provider(cast: Cast, scim: ScimClient) -> None:
    assert scim.get(f"{SCIM}/Users").json()["totalResults"] == 0
    _error(scim.get(f"{SCIM}/Users/{cast.alice.pk}"), 404)
    _error(
        scim.send(
            "PATCH", f"{SCIM}/Users/{cast.admin.pk}", payload("okta/deactivate_user_patch.json")
        ),
        404,
    )
    assert User.objects.get(pk=cast.admin.pk).is_active


@pytest.mark.parametrize(
    ("query", "scim_type"),
    [
        ('name.familyName co "x"', "invalidFilter"),
        ('title eq "boss"', "invalidFilter"),
        ("userName eq unquoted", "invalidFilter"),
    ],
)
def test_an_unsupported_filter_is_a_400_in_the_error_schema(
    cast: Cast, scim: ScimClient, query: str, scim_type: str
) -> None:
    assert _error(scim.get(f"{SCIM}/Users", {"filter": query}), 400)["scimType"] == scim_type


def test_a_bad_request_changes_nothing(cast: Cast, scim: ScimClient) -> None:
    user_id = scim.send("POST", f"{SCIM}/Users", payload("okta/create_user.json")).json()["id"]
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "name.givenName", "value": "Changed"},
            {"op": "replace", "path": "active", "value": "perhaps"},
        ],
    }
    assert (
        _error(scim.send("PATCH", f"{SCIM}/Users/{user_id}", body), 400)["scimType"]
        == "invalidValue"
    )
    assert User.objects.get(pk=user_id).first_name == "Test"
    bad = scim.generic("POST", f"{SCIM}/Users", "{not json", content_type="application/scim+json")
    assert _error(bad, 400)["scimType"] == "invalidSyntax"
    taken = payload("okta/create_user.json") | {"userName": "alice"}
    assert _error(scim.send("POST", f"{SCIM}/Users", taken), 409)["scimType"] == "uniqueness"
    nameless = payload("okta/create_user.json") | {"userName": "bad name with spaces"}
    _error(scim.send("POST", f"{SCIM}/Users", nameless), 400)
    assert not User.objects.filter(username__in=["bad name with spaces"]).exists()


def test_pages_of_users_follow_start_index_and_count(cast: Cast, scim: ScimClient) -> None:
    for n in range(3):
        body = payload("okta/create_user.json") | {
            "userName": f"user{n}@okta.local",
            "externalId": f"00u{n}",
            "emails": [{"primary": True, "value": f"user{n}@okta.local", "type": "work"}],
        }
        assert scim.send("POST", f"{SCIM}/Users", body).status_code == 201
    second = scim.get(f"{SCIM}/Users", {"startIndex": "2", "count": "1"}).json()
    assert (second["totalResults"], second["startIndex"], second["itemsPerPage"]) == (3, 2, 1)
    assert second["Resources"][0]["userName"] == "user1@okta.local"
    by_external_id = scim.get(f"{SCIM}/Users", {"filter": 'externalId eq "00u2"'}).json()
    assert [u["userName"] for u in by_external_id["Resources"]] == ["user2@okta.local"]


def test_scim_is_off_while_single_sign_on_is(db: None, cast: Cast) -> None:
    _, raw = ApiToken.issue(cast.admin, scope="scim")
    _error(ScimClient(raw).get(f"{SCIM}/Users"), 404)


def test_the_discovery_documents_say_what_is_supported(cast: Cast, scim: ScimClient) -> None:
    config = scim.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = scim.get(f"{SCIM}/ResourceTypes").json()
    assert [t["id"] for t in types["Resources"]] == ["User"]
    _error(scim.get(f"{SCIM}/Groups"), 404)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"userName": 42},
        {"userName": "x" * 151},
        {"userName": "nul\x00name"},
        {"userName": "ok1", "name": ["not", "an", "object"]},
        {"userName": "ok2", "emails": "someone@example.com"},
        {"userName": "ok3", "emails": [{"value": "not an address"}]},
        {"userName": "ok4", "active": "perhaps"},
        {"userName": "ok5", "externalId": {"nested": True}},
        {"userName": "ok6", "schemas": ["urn:example:not-a-user"]},
    ],
)
def test_a_malformed_user_is_a_400_and_creates_nothing(
    cast: Cast, scim: ScimClient, body: Any
) -> None:
    users = User.objects.count()
    _error(scim.send("POST", f"{SCIM}/Users", body), 400)
    assert User.objects.count() == users


@pytest.mark.parametrize(
    "operations",
    [
        None,
        [],
        ["replace"],
        [{"op": "move", "path": "active", "value": False}],
        [{"op": "remove"}],
        [{"op": "replace", "value": "not an object"}],
        [{"op": "remove", "path": "userName"}],
        [{"op": "replace", "path": "userName", "value": ""}],
        [{"op": "replace", "path": "emails", "value": [{"value": "nope"}]}],
    ],
)
def test_a_malformed_patch_is_a_400_and_changes_nothing(
    cast: Cast, scim: ScimClient, operations: Any
) -> None:
    user_id = scim.send("POST", f"{SCIM}/Users", payload("okta/create_user.json")).json()["id"]
    before = scim.get(f"{SCIM}/Users/{user_id}").json()
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}
    _error(scim.send("PATCH", f"{SCIM}/Users/{user_id}", body), 400)
    assert scim.get(f"{SCIM}/Users/{user_id}").json() == before
