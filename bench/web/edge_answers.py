"""The answers made around the handlers, written out for a byte-for-byte comparison: what a
change to the middleware, the token check or the rate limit must not change.

    .venv/bin/python bench/web/api_dump.py --prepare /tmp/ft-edge/data    # once
    PYTHONPATH=/tmp/before/src .venv/bin/python bench/web/edge_answers.py /tmp/ft-edge/data /tmp/ft-edge/before
    .venv/bin/python bench/web/edge_answers.py /tmp/ft-edge/data /tmp/ft-edge/after
    diff -r /tmp/ft-edge/before /tmp/ft-edge/after

With ``--database-url postgres://.../NAME`` it reads a copy of that database (``CREATE
DATABASE ... TEMPLATE NAME``, dropped at the end); on SQLite, a copy of the folder's file.
The data is never written, so every run starts from the same rows.

One file per request: status, every header (sorted) and the body, with the values that
are random by design (CSRF tokens, session keys) replaced by a placeholder. The clock is
frozen and the hash seed fixed, so ``Retry-After``, ``Allow`` and the rows a POST writes are the same on every run. Covers the
API as a token sees it (200 list/detail/teams, HEAD, OPTIONS, 401 without or with a bad
token, 404, 405, 422, a POST with and without ``Idempotency-Key`` and its replay, 429
once the limit trips), the API as a signed-in browser sees it, and pages (a signed-in page,
the login page, a form posted without its CSRF token).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

AT = datetime(2026, 12, 1, 12, 0, 30, tzinfo=UTC)
HOST = "127.0.0.1:8000"
RANDOM = [
    (re.compile(rb"[A-Za-z0-9]{64}"), b"<csrf>"),
    (re.compile(rb"sessionid=[a-z0-9]{32}"), b"sessionid=<session>"),
    (re.compile(rb"csrftoken=[A-Za-z0-9]{32}"), b"csrftoken=<csrf>"),
]


def written(response: Any) -> bytes:
    head = [f"{response.status_code} {response.reason_phrase}".encode()]
    head += sorted(f"{k}: {v}".encode() for k, v in response.items())
    head += sorted(c.output().encode() for c in response.cookies.values())
    body = b"".join(response) if response.streaming else response.content
    text = b"\n".join(head) + b"\n\n" + body
    for pattern, placeholder in RANDOM:
        text = pattern.sub(placeholder, text)
    return text


def requests(token: str, first: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, method, path, extra): the API as a token sees it, then as nobody."""
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    new = {
        "content_type": "application/json",
        "data": '{"team_id": 1, "title": "Edge answers", "severity": "P3"}',
    }
    return [
        ("api-teams", "get", "/api/v1/teams", bearer),
        ("api-list", "get", "/api/v1/incidents", bearer),
        ("api-list-filtered", "get", "/api/v1/incidents?decision=required&limit=2", bearer),
        ("api-detail", "get", f"/api/v1/incidents/{first}", bearer),
        ("api-head", "head", f"/api/v1/incidents/{first}", bearer),
        ("api-options", "options", f"/api/v1/incidents/{first}", bearer),
        ("api-404-id", "get", "/api/v1/incidents/999999", bearer),
        ("api-404-route", "get", "/api/v1/no-such-thing", bearer),
        ("api-405", "delete", "/api/v1/teams", bearer),
        ("api-422", "get", "/api/v1/incidents?limit=many", bearer),
        ("api-401-none", "get", "/api/v1/incidents", {}),
        ("api-401-bad", "get", "/api/v1/incidents", {"HTTP_AUTHORIZATION": "Bearer ft_nope"}),
        ("api-401-scheme", "get", "/api/v1/incidents", {"HTTP_AUTHORIZATION": "Basic eDp5"}),
        ("api-401-empty", "get", "/api/v1/incidents", {"HTTP_AUTHORIZATION": ""}),
        ("api-401-bare", "get", "/api/v1/incidents", {"HTTP_AUTHORIZATION": "Bearer"}),
        ("api-post", "post", "/api/v1/incidents", {**bearer, **new}),
        (
            "api-post-key",
            "post",
            "/api/v1/incidents",
            {**bearer, **new, "HTTP_IDEMPOTENCY_KEY": "k1"},
        ),
        (
            "api-post-replay",
            "post",
            "/api/v1/incidents",
            {**bearer, **new, "HTTP_IDEMPOTENCY_KEY": "k1"},
        ),
        (
            "api-post-bad-key",
            "post",
            "/api/v1/incidents",
            {**bearer, **new, "HTTP_IDEMPOTENCY_KEY": "é"},
        ),
        (
            "api-post-too-large",
            "post",
            "/api/v1/incidents",
            {**bearer, **new, "CONTENT_LENGTH": "99999999"},
        ),
    ]


def run(data: Path, out: Path) -> None:
    import time_machine

    os.environ["FOLLOWTHROUGH_DATA_DIR"] = str(data)
    from followthrough.commands.service import setup_django

    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from followthrough.web import security

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    token = (data / "apidump-token").read_text().strip()
    out.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(AT, tick=False):
        client = Client(HTTP_HOST=HOST)
        listed = client.get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {token}")
        first = listed.json()["items"][0]["id"]
        for name, method, path, extra in requests(token, first):
            extra = dict(extra)
            data_ = extra.pop("data", None)
            kwargs = {"data": data_} if data_ is not None else {}
            response = getattr(client, method)(path, **kwargs, **extra)
            (out / name).write_bytes(written(response))

        # A signed-in browser: pages, the API through its session, and CSRF.
        browser = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
        browser.force_login(User.objects.get(username="apidump"))
        for name, path in [
            ("page-incidents", "/"),
            ("page-incident", f"/incidents/{first}/"),
            ("page-teams", "/teams/"),
            ("page-404", "/no-such-page/"),
            ("api-session-list", "/api/v1/incidents"),
            ("api-session-detail", f"/api/v1/incidents/{first}"),
        ]:
            (out / name).write_bytes(written(browser.get(path)))
        posted = browser.post("/teams/new/", {"name": "No token"})
        (out / "page-csrf-failure").write_bytes(written(posted))
        posted = browser.post("/api/v1/incidents", content_type="application/json", data="{}")
        (out / "api-session-post-without-csrf").write_bytes(written(posted))
        anonymous = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
        (out / "page-login").write_bytes(written(anonymous.get("/login/")))
        (out / "page-anonymous").write_bytes(written(anonymous.get("/")))
        posted = anonymous.post("/login/", {"username": "apidump", "password": "wrong"})
        (out / "page-login-csrf-failure").write_bytes(written(posted))

        # The rate limit trips: 3 requests a minute, counted one by one.
        settings.API_RATE_LIMIT = (3, 60)
        settings.API_RATE_LIMIT_BATCH = 1
        security.API_COUNTS.counts.clear()
        for n in range(5):
            response = client.get("/api/v1/teams", HTTP_AUTHORIZATION=f"Bearer {token}")
            (out / f"api-rate-{n}").write_bytes(written(response))
        for n in range(5):
            response = client.get("/api/v1/teams")
            (out / f"api-rate-anonymous-{n}").write_bytes(written(response))


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # ninja lists a route's methods (Allow) in set order: one order for every run.
        os.execve(
            sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"}
        )
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for name in ("apidump-token", "secret_key"):
            shutil.copy(args.data / name, copy / name)
        if not args.database_url:
            os.environ.pop("DATABASE_URL", None)
            shutil.copy(args.data / "db.sqlite3", copy / "db.sqlite3")
            run(copy, args.out)
            return
        import psycopg

        source = urlsplit(args.database_url)
        name = f"{source.path.lstrip('/')}_edge_{os.getpid()}"
        admin = source._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source.path.lstrip("/")}"')
        os.environ["DATABASE_URL"] = source._replace(path=f"/{name}").geturl()
        os.environ["DATABASE_POOL_MAX_SIZE"] = "0"
        try:
            run(copy, args.out)
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
