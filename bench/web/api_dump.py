"""Every API list and detail read on one database, written out for a byte-for-byte comparison.

    # once, before a change: a data folder with the demo organisation (kept for the after run)
    .venv/bin/python bench/web/api_dump.py --prepare /tmp/ft-dump/data
    .venv/bin/python bench/web/api_dump.py /tmp/ft-dump/data /tmp/ft-dump/before
    # after the change: migrate the same data folder, dump again, compare
    FOLLOWTHROUGH_DATA_DIR=/tmp/ft-dump/data .venv/bin/followthrough manage migrate
    .venv/bin/python bench/web/api_dump.py /tmp/ft-dump/data /tmp/ft-dump/after
    diff -r /tmp/ft-dump/before /tmp/ft-dump/after

``--database-url postgres://...`` reads and writes that PostgreSQL database instead of the
folder's SQLite file (the folder then holds only the tokens): prepare once, dump with each
tree's venv, ``diff -r``.

``--readers`` (with ``--prepare``, or on a data folder made before) also gives every demo
person a login and a token, adds an outsider on no team and makes Platform private; each dump
then also reads, as each of them, the incident list under ``READER_QUERIES`` and every
incident's detail (ids 0 to the last + 3, so 404s too), into ``readers/<name>/``: what a
change to the visibility or the list's query would show first.

The clock is frozen at ``--at`` (default: two days after the data was made, so some
deadlines have passed), so both runs judge "overdue" against the same instant. Reads, as
an admin with a token, every GET route without path parameters (``?limit=200``), the
incident, postmortem and action-item lists under each of their filters, and the detail of
every incident and postmortem. Asserts nothing: ``diff -r`` says what changed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
#: the database the data lives in (``--database-url``); None: the data folder's SQLite file
DATABASE_URL: list[str | None] = [None]


def use_database(env: Any) -> None:
    if DATABASE_URL[0]:
        env["DATABASE_URL"] = DATABASE_URL[0]
    else:
        env.pop("DATABASE_URL", None)


FILTERS = {
    "incidents": [
        "decision=required",
        "decision=recommended",
        "decision=not_required",
        "overdue=true",
        "overdue=false",
        "status=none",
        "status=draft",
        "status=final",
        "severity=P1",
        "q=database",
        "decision=required&overdue=true",
    ],
    "postmortems": ["overdue=true", "overdue=false", "status=draft", "status=in_review"],
    "action-items": ["overdue=true", "overdue=false", "status=open", "sort=priority"],
}


READER_QUERIES = [
    "",
    "decision=required",
    "overdue=true",
    "overdue=false",
    "status=none",
    "status=draft",
    "severity=P3",
    "q=database",
    "q=INC-3",
    "q=7",
    "q=%25",
    "q=_",
    "q=99999999999999999999",
    "team=1",
    "team=2",
    "decision=required&overdue=true",
    "limit=3",
    "limit=3&offset=3",
    "limit=2&offset=100",
    "team=2&q=credential",
]


def prepare_readers(data: Path) -> None:
    """A login and token for every demo person, an outsider, and Platform made private."""
    os.environ["FOLLOWTHROUGH_DATA_DIR"] = str(data)
    use_database(os.environ)
    from followthrough.commands.service import setup_django

    setup_django()
    from django.contrib.auth.models import User

    from followthrough.web.accounts.models import ApiToken, Person, Team

    tokens = {}
    for person in Person.objects.filter(user__isnull=True).order_by("pk"):
        person.user = User.objects.create_user(person.handle, person.email)
        person.save()
        tokens[person.handle] = ApiToken.issue(person.user)[1]
    outsider = User.objects.create_user("outsider", "outsider@example.com")
    Person.objects.create(name="Outsider", handle="outsider", email=outsider.email, user=outsider)
    tokens["outsider"] = ApiToken.issue(outsider)[1]
    Team.objects.filter(slug="platform").update(is_private=True)
    (data / "reader-tokens.json").write_text(json.dumps(tokens))


def prepare(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FOLLOWTHROUGH_DATA_DIR": str(data)}
    use_database(env)
    ft = str(BIN / "followthrough")
    subprocess.run([ft, "manage", "migrate", "--noinput"], env=env, check=True)
    subprocess.run([ft, "manage", "createcachetable"], env=env, check=True)
    code = (
        "from followthrough.commands.service import setup_django; setup_django(); "
        "from followthrough.web.demo import load_demo; load_demo()"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    made = subprocess.run(
        [ft, "createuser", "apidump", "--admin", "--token"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = re.search(r"(ft_\S+)", made)
    assert token, made
    (data / "apidump-token").write_text(token.group(1))


def dump(data: Path, out: Path, at: datetime | None) -> int:
    os.environ["FOLLOWTHROUGH_DATA_DIR"] = str(data)
    use_database(os.environ)
    os.environ["API_REQUESTS_PER_MINUTE"] = "100000000"
    from followthrough.commands.service import setup_django

    setup_django()
    import time_machine
    from django.test import Client

    from followthrough.web.incidents.models import Incident

    token = (data / "apidump-token").read_text().strip()
    if at is None:
        first = Incident.objects.order_by("created_at").values_list("created_at", flat=True)[0]
        at = first.replace(microsecond=0) + (datetime(2000, 1, 3) - datetime(2000, 1, 1))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="localhost")
    out.mkdir(parents=True, exist_ok=True)
    written = 0

    def get(url: str, reader: Client = client, folder: Path = out) -> Any:
        nonlocal written
        response = reader.get(url)
        name = re.sub(r"[^A-Za-z0-9=&._-]+", "_", url.removeprefix("/api/v1/")) or "root"
        (folder / f"{name}.txt").write_bytes(
            f"{response.status_code} {response.get('Content-Type')}\n".encode() + response.content
        )
        written += 1
        return (
            response.json()
            if response.get("Content-Type", "").startswith("application/json")
            else None
        )

    with time_machine.travel(at, tick=False):
        schema = client.get("/api/v1/openapi.json").json()
        for path, item in sorted(schema["paths"].items()):
            if "get" in item and "{" not in path and not path.endswith("openapi.json"):
                get(f"{path}?limit=200" if "limit" in str(item["get"]) else path)
        for listing, filters in FILTERS.items():
            for query in filters:
                get(f"/api/v1/{listing}?limit=200&{query}")
        incidents = get("/api/v1/incidents?limit=200")
        for row in incidents["items"]:
            get(f"/api/v1/incidents/{row['id']}")
        postmortems = get("/api/v1/postmortems?limit=200")
        for row in postmortems["items"]:
            get(f"/api/v1/postmortems/{row['id']}")
        readers = data / "reader-tokens.json"
        tokens = json.loads(readers.read_text()) if readers.exists() else {}
        last = max((row["id"] for row in incidents["items"]), default=0)
        for name, secret in sorted(tokens.items()):
            reader = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="localhost")
            folder = out / "readers" / name
            folder.mkdir(parents=True, exist_ok=True)
            for query in READER_QUERIES:
                get(f"/api/v1/incidents?{query}", reader, folder)
            for pk in range(last + 4):
                get(f"/api/v1/incidents/{pk}", reader, folder)
    print(f"{written} answers at {at.isoformat()} in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", action="store_true", help="make the data folder first")
    parser.add_argument("--readers", action="store_true", help="add the readers (see above)")
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--at", type=datetime.fromisoformat, default=None)
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)
    DATABASE_URL[0] = args.database_url
    if args.prepare:
        prepare(args.data)
    if args.readers:
        prepare_readers(args.data)
    if args.out is None:
        return 0
    at = args.at.astimezone(UTC) if args.at else None
    return dump(args.data, args.out, at)


if __name__ == "__main__":
    raise SystemExit(main())
