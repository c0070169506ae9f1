"""Helpers for single sign-on tests: click the button, let the provider answer, come back."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from django.contrib.auth.models import User
from django.test import Client

from .identity_provider import Provider

DOMAIN = {"FOLLOWTHROUGH_OIDC_ALLOWED_DOMAINS": "example.com"}


def sign_in(
    client: Client,
    provider: Provider,
    *,
    tamper_state: bool = False,
    start: str = "/oidc/authenticate/",
) -> Any:
    """Click the button, let the provider sign us in, come back: the callback's answer."""
    clicked = client.get(start)
    assert clicked.status_code == 302, clicked
    assert clicked["Location"].startswith(provider.issuer + "/authorize?")
    at_provider = httpx.get(clicked["Location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/oidc/callback/"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    if tamper_state:
        query["state"] = "a-state-this-browser-never-sent"
    return client.get(back.path + "?" + urlencode(query))


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refusal_on_login_page(client: Client, response: Any) -> str:
    """The login page a refused sign-in lands on, with its sentence."""
    assert response.status_code == 302 and response["Location"] == "/login/", response
    page = client.get("/login/")
    assert page.status_code == 200
    return page.content.decode()
