"""Every response carries the security headers; HSTS only where the request came over TLS."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

if TYPE_CHECKING:
    from conftest import Cast

pytestmark = pytest.mark.django_db

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def assert_security_headers(response: Any) -> None:
    assert response["Content-Security-Policy"] == STRICT_CSP
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_pages_api_answers_and_errors_all_carry_the_security_headers(cast: Cast) -> None:
    responses = [
        Client().get("/login/"),
        cast.browser(cast.alice).get("/"),
        cast.browser(cast.admin).get("/admin/"),
        cast.api("alice").get("/api/v1/incidents"),
        Client().get("/api/v1/incidents"),  # 401
        cast.api("alice").get("/api/v1/incidents/999999"),  # 404
        Client().get("/api/v1/openapi.json"),
        cast.browser(cast.alice).get("/no-such-page/"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 401, 404, 200, 404]
    for response in responses:
        assert_security_headers(response)


def test_hsts_is_sent_over_tls_only(cast: Cast, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    assert "Strict-Transport-Security" not in Client().get("/login/")
    secure = Client().get("/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def deploy_check(**environ: str) -> subprocess.CompletedProcess[str]:
    unset = {
        "DEBUG",
        "HTTPS",
        "SECRET_KEY",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }  # the browser tests set it
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(environ)
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("followthrough")),
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_is_clean_with_production_settings(tmp_path: Path) -> None:
    production = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "1",
        "ALLOWED_HOSTS": "postmortems.example.com",
        "FOLLOWTHROUGH_DATA_DIR": str(tmp_path),
    }
    result = deploy_check(**production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_warns_about_the_development_settings_the_tests_run_with() -> None:
    # The same check, in process: without TLS it is not clean, so the test above means something.
    with pytest.raises(SystemCheckError, match=r"security\.W004"):
        call_command("check", deploy=True, fail_level="WARNING", stdout=StringIO())
