"""What one API read costs end to end: CPU ms and Python calls per request through the
service's WSGI entry (every middleware, the token, ninja, the handler), in one process.

    .venv/bin/python bench/web/api_dump.py --prepare /tmp/ft-floor   # demo data and a token
    FOLLOWTHROUGH_DATA_DIR=/tmp/ft-floor .venv/bin/python bench/web/api_floor.py
    # another checkout's code on the same data, interleaved with this one:
    PYTHONPATH=/tmp/before/src FOLLOWTHROUGH_DATA_DIR=/tmp/ft-floor .venv/bin/python bench/web/api_floor.py

For each target (default: the teams list, the floor every API read pays; the incident list;
one incident): CPU time per request (``time.process_time``, best of ``--rounds`` rounds of
``--n`` requests in all, after 20 to warm up), Python calls per request (cProfile over 100
more) and the load average; on PostgreSQL also the CPU time of the server's backends that
served them (``/proc/PID/schedstat`` of every backend on the database, read around each
round: the server's side of every statement and round trip) and their sum, best of the
rounds. ``--profile PREFIX`` keeps each profile; ``DROP=a,b`` leaves out
the middleware whose dotted path contains ``a`` or ``b`` (to see what they cost). With
``DATABASE_URL`` set it reads PostgreSQL (the data folder then holds only the token).
Asserts that every answer was 200, nothing else.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

os.environ.setdefault("API_REQUESTS_PER_MINUTE", "100000000")


def environ(path: str, token: str, method: str = "GET") -> dict[str, object]:
    p, _, q = path.partition("?")
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": p,
        "QUERY_STRING": q,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", default="")
    ap.add_argument("--targets", default="/api/v1/teams,/api/v1/incidents,/api/v1/incidents/FIRST")
    args = ap.parse_args()
    data = Path(os.environ["FOLLOWTHROUGH_DATA_DIR"])
    token = os.environ.get("TOKEN") or (data / "apidump-token").read_text().strip()
    drop = [d for d in os.environ.get("DROP", "").split(",") if d]
    if drop:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followthrough.web.settings")
        from django.conf import settings

        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not any(d in m for d in drop)]
        print(len(settings.MIDDLEWARE), "middleware")
    from followthrough.web.wsgi import application

    status: list[str] = []

    def start_response(s: str, headers: object, exc_info: object = None) -> None:
        status.append(s)

    def call(path: str) -> bytes:
        result = application(environ(path, token), start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return body

    def backends() -> list[int]:
        from django.db import connection

        if connection.vendor != "postgresql":
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            return [pid for (pid,) in cursor.fetchall()]

    def server_cpu(pids: list[int]) -> float:
        """The CPU seconds the backends ``pids`` have run (user and kernel)."""
        return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) for pid in pids) / 1e9

    first = json.loads(call("/api/v1/incidents"))["items"][0]["id"]
    targets = [t.replace("FIRST", str(first)) for t in args.targets.split(",")]
    for t in targets:
        for _ in range(20):
            call(t)
        status.clear()
        pids = backends()
        best = server = both = float("inf")
        per_round = args.n // args.rounds
        for _ in range(args.rounds):
            s0 = server_cpu(pids)
            t0 = time.process_time()
            for _ in range(per_round):
                call(t)
            mine = (time.process_time() - t0) / per_round
            theirs = (server_cpu(pids) - s0) / per_round
            best, server, both = min(best, mine), min(server, theirs), min(both, mine + theirs)
        assert set(status) == {"200 OK"}, set(status)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(100):
            call(t)
        prof.disable()
        st = pstats.Stats(prof)
        calls = st.total_calls / 100  # type: ignore[attr-defined]
        db = f"  server {server * 1000:6.3f} ms  sum {both * 1000:6.3f} ms" if pids else ""
        print(
            f"{t:<28} CPU {best * 1000:6.3f} ms{db}  calls {calls:8.0f}  "
            f"load {os.getloadavg()[0]:.2f}"
        )
        if args.profile:
            st.dump_stats(f"{args.profile}-{t.strip('/').replace('/', '_')}.prof")


if __name__ == "__main__":
    main()
