"""Local passwords: Argon2id for new ones, and older PBKDF2 hashes upgraded at sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.test import Client

from conftest import PASSWORD, Cast
from followthrough.web import settings as project_settings


def test_new_passwords_are_hashed_with_argon2(db: None, settings: Any) -> None:
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the tests' MD5 undone
    user = User.objects.create_user("newbie", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def test_a_pbkdf2_hash_still_signs_in_and_is_upgraded_to_argon2(cast: Cast, settings: Any) -> None:
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    User.objects.filter(pk=cast.bob.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    client = Client()
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert client.session["_auth_user_id"] == str(cast.bob.pk)
    cast.bob.refresh_from_db()
    assert cast.bob.password.startswith("argon2$")
    assert cast.bob.check_password(PASSWORD)
