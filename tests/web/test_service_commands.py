"""The service's commands: createuser prints a token once and stores only its hash."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.utils import timezone

from followthrough.cli import main
from followthrough.web.accounts.models import ApiToken, Person

pytestmark = pytest.mark.django_db(transaction=True)


def test_createuser_with_a_token_prints_it_once_and_stores_only_its_hash() -> None:
    result = CliRunner().invoke(main, ["createuser", "mo", "--email", "mo@example.com", "--token"])
    assert result.exit_code == 0, result.output
    raw = next(line.split(": ", 1)[1] for line in result.output.splitlines() if "API token" in line)
    token = ApiToken.objects.get(user__username="mo")
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (token.prefix, token.digest)
    assert ApiToken.objects.authenticate(raw) == token
    assert Person.objects.get(user__username="mo").email == "mo@example.com"


def test_createuser_admin_makes_a_superuser_whose_printed_password_works() -> None:
    result = CliRunner().invoke(main, ["createuser", "root2", "--admin"])
    assert result.exit_code == 0, result.output
    password = next(
        line.split(": ", 1)[1] for line in result.output.splitlines() if "Password" in line
    )
    user = User.objects.get(username="root2")
    assert user.is_superuser and user.check_password(password)


def test_createuser_refuses_a_name_taken_or_a_bad_email_and_creates_nothing() -> None:
    User.objects.create_user("taken")
    result = CliRunner().invoke(main, ["createuser", "taken"])
    assert result.exit_code == 2 and "already exists" in result.output
    result = CliRunner().invoke(main, ["createuser", "newbie", "--email", "not-an-email"])
    assert result.exit_code == 2 and "not an e-mail address" in result.output
    assert not User.objects.filter(username="newbie").exists()


def test_a_revoked_or_expired_token_no_longer_authenticates() -> None:
    user = User.objects.create_user("tok")
    token, raw = ApiToken.issue(user)
    token.revoked_at = timezone.now()
    token.save()
    assert ApiToken.objects.authenticate(raw) is None
    token2, raw2 = ApiToken.issue(user, expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiToken.objects.authenticate(raw2) is None
