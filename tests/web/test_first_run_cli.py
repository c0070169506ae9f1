"""A fresh install from the command line: the first command prepares the database, whichever
it is, and ``serve`` stops when a supervisor tells it to.

These run the real ``followthrough`` executable in subprocesses on a fresh SQLite data
folder (the environment's DATABASE_URL removed), as someone following the README would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from followthrough.commands.service import served_url

FOLLOWTHROUGH = str(Path(sys.executable).with_name("followthrough"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BASE_URL")}
    env["FOLLOWTHROUGH_DATA_DIR"] = str(data_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FOLLOWTHROUGH, *args],
        env=env_for(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )


def shell(data_dir: Path, code: str) -> str:
    done = run(data_dir, "manage", "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_createuser_on_a_fresh_data_folder_prepares_the_database_and_the_token_works(
    data_dir: Path,
) -> None:
    done = run(data_dir, "createuser", "newcomer", "--token")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Preparing the database" in done.stderr
    token = next(
        line.rsplit(": ", 1)[1] for line in done.stdout.splitlines() if "API token" in line
    )
    # The database it left behind works: the token authenticates, the login exists.
    check = (
        "from followthrough.web.accounts.models import ApiToken;"
        f"print(ApiToken.objects.authenticate({token!r}).user.username)"
    )
    assert shell(data_dir, check) == "newcomer"
    # A second command finds nothing left to prepare.
    again = run(data_dir, "createuser", "second")
    assert again.returncode == 0, again.stderr
    assert "Preparing the database" not in again.stderr


def test_two_commands_started_together_on_a_fresh_folder_both_succeed(data_dir: Path) -> None:
    procs = [
        subprocess.Popen(
            [FOLLOWTHROUGH, "createuser", name],
            env=env_for(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    names = shell(
        data_dir,
        "from django.contrib.auth.models import User;"
        "print(','.join(sorted(User.objects.values_list('username', flat=True))))",
    )
    assert names == "first,second"


def test_a_wildcard_bind_names_a_reachable_address() -> None:
    assert served_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert served_url("::", 9000) == "http://[::1]:9000"
    assert served_url("::1", 9001) == "http://[::1]:9001"
    assert served_url("ops.example.com", 80) == "http://ops.example.com:80"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited before answering"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def served(data_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, str]]:
    made = run(data_dir, "createuser", "root", "--admin", "--token")
    assert made.returncode == 0, made.stderr
    token = next(
        line.rsplit(": ", 1)[1] for line in made.stdout.splitlines() if "API token" in line
    )
    port = free_port()
    proc = subprocess.Popen(
        [FOLLOWTHROUGH, "serve", "--port", str(port), "--workers", "1"],
        env=env_for(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/login/", proc)
        yield proc, port, token
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def api(port: int, token: str, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_an_incident_source_endpoint_names_the_port_actually_served(
    served: tuple[subprocess.Popen[bytes], int, str],
) -> None:
    _, port, token = served
    team = api(port, token, "/teams", {"name": "Payments", "timezone": "Europe/Berlin"})
    source = api(
        port,
        token,
        "/ingest/sources",
        {"name": "Pager", "kind": "webhook", "team_id": team["id"], "secret": "s3cret-signing"},
    )
    assert str(source["endpoint_url"]).startswith(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_on_sigterm_or_sigint_and_frees_its_port(
    served: tuple[subprocess.Popen[bytes], int, str], stop: signal.Signals
) -> None:
    proc, port, _ = served
    proc.send_signal(stop)
    deadline = time.monotonic() + 8
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is not None, f"serve still running 8 s after {stop.name}"
    while not port_is_free(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert port_is_free(port), f"port {port} still held after {stop.name}"


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """An empty PostgreSQL database of its own (when the suite runs on PostgreSQL)."""
    url = _postgres_url()
    if url is None:
        pytest.skip("runs on PostgreSQL only (DATABASE_URL=postgres://...)")
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"ft_fresh_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_commands_on_a_fresh_postgresql_database_migrate_once_under_the_lock(
    fresh_postgres: str, data_dir: Path
) -> None:
    env = env_for(data_dir) | {"DATABASE_URL": fresh_postgres}
    env.pop("TEST_DATABASE_NAME", None)
    procs = [
        subprocess.Popen(
            [FOLLOWTHROUGH, "createuser", name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    preparing = 0
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        preparing += "Preparing the database" in err
    assert preparing == 1  # the one that waited found the work done
