"""Fill a dedicated PostgreSQL database with an organisation's worth of incidents.

    python bench/insights/generate.py --incidents 100000
        # drops and recreates followthrough_bench, migrates it, then loads with COPY:
        # 100,000 incidents, 50,000 postmortems (with meetings), 1,000,000 action items,
        # escalations, 12 teams and 240 people, spread over the last three years

Seeded and deterministic. Incidents come in failure-mode families (a service and a way to
fail), each incident worded its own way; about 10% are marked repeats of an earlier
incident of the same family, so the similarity index has real neighbours to find.
Columns are filled from the Django models' own field lists (defaults for anything not
generated here), so a field added to a model does not break the generator.

``--url`` names the server (default postgres://postgres@127.0.0.1:5432); the database
name is ``--db`` (default followthrough_bench). ``--drop`` only drops it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

SERVER = "postgres://postgres@127.0.0.1:5432"
DB = "followthrough_bench"

TEAMS = (
    ("Payments", "Europe/Berlin", "DE", "BE"),
    ("Search", "America/New_York", "US", ""),
    ("Platform", "UTC", "", ""),
    ("Identity", "Europe/London", "GB", "ENG"),
    ("Data Infrastructure", "America/Los_Angeles", "US", "CA"),
    ("Mobile", "Asia/Tokyo", "JP", ""),
    ("Fulfilment", "Europe/Paris", "FR", ""),
    ("Growth", "America/Chicago", "US", ""),
    ("Internal Tools", "UTC", "", ""),
    ("Storage", "Europe/Amsterdam", "NL", ""),
    ("Security", "America/New_York", "US", ""),
    ("Billing", "Europe/Madrid", "ES", ""),
)
SERVICES = (
    "checkout-api", "search-web", "ledger-api", "session-cache", "image-worker", "ws-gateway",
    "billing-export", "identity-api", "pricing-service", "notification-worker",
    "feature-store", "orders-db", "inventory-sync", "payments-router", "recommendations-api",
    "mail-relay", "kafka-cluster", "cdn-edge", "auth-proxy", "report-builder",
)  # fmt: skip
#: ways to fail, each with several wordings of the same failure mode
MODES = (
    ("connection pool exhaustion on {s}", "{s} ran out of database connections",
     "all {s} pool connections held by slow queries", "{s} connection pool exhausted"),
    ("certificate expiry on {s}", "expired TLS certificate served by {s}",
     "{s} certificate not renewed in time", "TLS cert for {s} lapsed"),
    ("disk full on {s} hosts", "{s} volumes ran out of space",
     "no free disk left on {s}", "{s} disk usage hit 100%"),
    ("memory leak in {s}", "{s} processes grew until the OOM killer stopped them",
     "{s} leaked memory and was OOM killed", "out of memory crash loop in {s}"),
    ("bad config deploy to {s}", "{s} configuration change broke requests",
     "invalid config pushed to {s}", "{s} misconfiguration rolled out everywhere"),
    ("retry storm against {s}", "clients retried {s} without backoff",
     "{s} overwhelmed by retries", "thundering herd of retries on {s}"),
    ("dns resolution failures for {s}", "{s} could not resolve its upstream names",
     "resolver timeouts broke {s}", "{s} dns lookups failing"),
    ("queue backlog in {s}", "{s} consumers fell hours behind",
     "{s} message backlog grew unbounded", "lagging consumers on {s}"),
    ("schema migration locked {s} tables", "{s} migration held a table lock",
     "locking migration on {s}", "{s} ddl blocked writes"),
    ("rate limit misconfigured on {s}", "{s} throttled legitimate traffic",
     "wrong rate limits on {s}", "{s} rejected requests under a too low limit"),
    ("cache stampede on {s}", "{s} cache expired all at once",
     "cold cache overload on {s}", "{s} cache misses flooded the database"),
    ("clock skew on {s} nodes", "{s} hosts drifted out of time sync",
     "ntp failure on {s}", "{s} timestamps wrong after clock drift"),
    ("dependency upgrade broke {s}", "{s} library bump changed behaviour",
     "new {s} dependency version incompatible", "{s} broke after a package upgrade"),
    ("load balancer health check flapping for {s}", "{s} instances marked unhealthy wrongly",
     "{s} health checks too strict", "flapping health checks took {s} out"),
    ("expired credentials for {s}", "{s} service account password expired",
     "{s} api key rotated without updating clients", "stale secrets in {s}"),
)  # fmt: skip
SYMPTOMS = (
    "returned 500s", "timed out", "was unavailable", "served stale data", "dropped requests",
    "was slow for EU customers", "failed for mobile clients", "lost events",
)  # fmt: skip
SUMMARY = (
    "Customers saw errors for {m} minutes. {mode}. Detected by an alert after {d} minutes.",
    "{mode} caused {m} minutes of degraded service; support received {n} tickets.",
    "For {m} minutes {n} requests failed: {mode}.",
)
ROOT = (
    "No alert on {x} and no runbook for it.",
    "The change was not reviewed against production load; {x} had no limit.",
    "Capacity planning did not include {x}.",
    "The team did not know {x} could fail this way.",
)
ACTIONS = (
    "Alert when {s} error rate is above 2% for 5 minutes",
    "Add a runbook for {s} failover",
    "Load test {s} at twice the peak traffic",
    "Add a canary stage for {s} deploys",
    "Cap connections per client on {s}",
    "Automate certificate renewal for {s}",
    "Improve monitoring",
    "Review alert thresholds for {s}",
)
SEVERITIES = (("P0", 3), ("P1", 17), ("P2", 45), ("P3", 35))


def _url(db: str, server: str) -> str:
    return f"{server.rstrip('/')}/{db}"


def recreate(db: str, server: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres", server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def drop(db: str, server: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres", server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def setup(db: str, server: str) -> None:
    """Point Django at the bench database and set it up (call before importing models)."""
    os.environ["DATABASE_URL"] = _url(db, server)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followthrough.web.settings")
    os.environ.setdefault("FOLLOWTHROUGH_DATA_DIR", "/tmp/followthrough-bench")
    import django

    django.setup()


def _default(field: Any) -> Any:
    from django.db.models import NOT_PROVIDED

    if field.default is not NOT_PROVIDED:
        value = field.default() if callable(field.default) else field.default
    elif field.null:
        value = None
    else:
        value = ""
    if field.get_internal_type() == "JSONField":
        return json.dumps(value)
    return value


def copy(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY ``rows`` (dicts by attribute name, ids included) into ``model``'s table."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: _default(f) for f in fields}
    names = [f.attname for f in fields]
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as out:
            for row in rows:
                out.write_row([row[n] if n in row else defaults[n] for n in names])
                count += 1
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{model._meta.db_table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{model._meta.db_table}"), 1))'
            if model._meta.pk.column == "id"
            else "SELECT 1"
        )
    return count


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def generate(incidents: int, seed: int = 7, log: Any = print) -> dict[str, int]:
    """Load the data set into the configured (empty, migrated) database. Returns counts."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from followthrough.web.accounts.models import Membership, Organisation, Person, Team
    from followthrough.web.actions.models import ActionItem
    from followthrough.web.followup.models import Escalation
    from followthrough.web.incidents.models import Incident
    from followthrough.web.postmortems.models import Meeting, Postmortem

    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=3 * 365)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            # a bulk load: foreign keys are right by construction, so skip their triggers
            cursor.execute("SET LOCAL session_replication_role = replica")
        Organisation.objects.get_or_create(name="Bench Org")
        admin = User.objects.create_superuser("bench-admin", "bench@example.com", "bench")
        Person.objects.create(name="Bench Admin", user=admin)
        teams = [
            Team.objects.create(
                name=name, slug=name.lower().replace(" ", "-"), timezone=tz,
                holiday_country=country, holiday_subdivision=sub, is_private=name == "Security",
            )
            for name, tz, country, sub in TEAMS
        ]  # fmt: skip
        people = []
        for t, team in enumerate(teams):
            for i in range(20):
                person = Person.objects.create(
                    name=f"Person {t}-{i}", email=f"p{t}-{i}@example.com", handle=f"p{t}{i}"
                )
                Membership.objects.create(team=team, person=person, role="editor")
                people.append((team.pk, person.pk))
        by_team: dict[int, list[int]] = {}
        for team_id, person_id in people:
            by_team.setdefault(team_id, []).append(person_id)

        # incidents, oldest first, so a repeat always points at a smaller id
        times = sorted(now - span * rng.random() for _ in range(incidents))
        families: dict[tuple[int, int], list[int]] = {}
        team_ids = [t.pk for t in teams]
        plan: list[dict[str, Any]] = []
        for n, started_at in enumerate(times, start=1):
            team_id = rng.choice(team_ids)
            service = rng.randrange(len(SERVICES))
            mode = rng.randrange(len(MODES))
            s = SERVICES[service]
            wording = rng.choice(MODES[mode]).format(s=s)
            family = (service, mode)
            earlier = families.setdefault(family, [])
            repeat_of = earlier[-1] if earlier and rng.random() < 0.10 else None
            earlier.append(n)
            severity = _weighted(rng, SEVERITIES)
            resolved = started_at + timedelta(minutes=rng.randint(15, 600))
            if resolved > now:
                resolved = None
            minutes = rng.randint(5, 400)
            plan.append(
                {
                    "id": n,
                    "team_id": team_id,
                    "title": f"{s} {rng.choice(SYMPTOMS)}",
                    "severity": severity,
                    "summary": rng.choice(SUMMARY).format(
                        m=minutes,
                        mode=wording.capitalize(),
                        d=rng.randint(1, 60),
                        n=rng.randint(10, 90000),
                    ),
                    "started_at": started_at,
                    "detected_at": started_at + timedelta(minutes=rng.randint(0, 30)),
                    "resolved_at": resolved,
                    "commander_id": rng.choice(by_team[team_id]),
                    "significant_impact": rng.random() < 0.5,
                    "customer_facing": rng.random() < 0.4,
                    "near_miss": rng.random() < 0.03,
                    "security": rng.random() < 0.05,
                    "process_failure": rng.random() < 0.05,
                    "data_loss": rng.random() < 0.01,
                    "repeat_of_id": repeat_of,
                    "failure_mode": wording,
                    "failure_tags": json.dumps([s, MODES[mode][0].split()[0]]),
                    "source": "api",
                    "created_at": started_at + timedelta(minutes=5),
                    "updated_at": (resolved or started_at) + timedelta(hours=1),
                    "version": 1,
                    "_words": wording,
                    "_service": s,
                }
            )
        counts["incidents"] = copy(
            Incident, ({k: v for k, v in p.items() if not k.startswith("_")} for p in plan)
        )
        log(f"  incidents: {counts['incidents']:,} ({time.perf_counter() - started:.1f} s)")

        # postmortems for half of the incidents: all resolved P0/P1 first, then others
        resolved_plan = [p for p in plan if p["resolved_at"] is not None]
        wanted = incidents // 2
        serious = [p for p in resolved_plan if p["severity"] in ("P0", "P1") or p["repeat_of_id"]]
        serious_ids = {p["id"] for p in serious}
        rest = (
            [p for p in resolved_plan if p["id"] not in serious_ids]
            if len(serious) < wanted
            else []
        )
        rng.shuffle(rest)
        chosen = sorted((serious + rest)[:wanted], key=lambda p: p["id"])
        pm_rows: list[dict[str, Any]] = []
        meetings: list[dict[str, Any]] = []
        for pm_id, p in enumerate(chosen, start=1):
            resolved = p["resolved_at"]
            age = now - resolved
            status = _weighted(
                rng, (("closed", 45), ("final", 25), ("in_review", 10), ("draft", 20))
            )
            if age < timedelta(days=3):
                status = "draft"
            timeline = resolved + timedelta(hours=rng.uniform(1, 60))
            finalized = (
                resolved + timedelta(days=rng.uniform(2, 20))
                if status in ("final", "closed")
                else None
            )
            closed = (
                finalized + timedelta(days=rng.uniform(5, 90))
                if status == "closed" and finalized
                else None
            )
            if closed and closed > now:
                closed, status = None, "final"
            tracked = resolved + timedelta(days=rng.uniform(3, 15)) if finalized else None
            pm_rows.append(
                {
                    "id": pm_id,
                    "incident_id": p["id"],
                    "status": status,
                    "summary": p["summary"],
                    "root_cause": rng.choice(ROOT).format(x=p["_words"]),
                    "root_cause_category": rng.choice(
                        ("process", "tooling", "knowledge", "capacity", "communication")
                    ),
                    "created_at": resolved + timedelta(hours=1),
                    "updated_at": resolved + timedelta(hours=2),
                    "timeline_documented_at": timeline if timeline < now else None,
                    "finalized_at": finalized if finalized and finalized < now else None,
                    "closed_at": closed,
                    "actions_tracked_at": tracked if tracked and tracked < now else None,
                    "version": 1,
                    "_resolved": resolved,
                    "_service": p["_service"],
                    "_team": p["team_id"],
                }
            )
            scheduled = resolved + timedelta(hours=rng.uniform(2, 90))
            held = scheduled + timedelta(days=rng.uniform(0.5, 8)) if status != "draft" else None
            meetings.append(
                {
                    "id": pm_id,
                    "postmortem_id": pm_id,
                    "duration_minutes": 60,
                    "scheduled_at": scheduled if scheduled < now else None,
                    "scheduled_for": held,
                    "held_at": held if held and held < now else None,
                    "updated_at": resolved,
                    "version": 1,
                }
            )
        counts["postmortems"] = copy(
            Postmortem, ({k: v for k, v in p.items() if not k.startswith("_")} for p in pm_rows)
        )
        counts["meetings"] = copy(Meeting, meetings)
        log(f"  postmortems: {counts['postmortems']:,} ({time.perf_counter() - started:.1f} s)")

        per_postmortem = 20
        escalations: list[dict[str, Any]] = []

        def items() -> Iterator[dict[str, Any]]:
            item_id = 0
            for pm in pm_rows:
                resolved = pm["_resolved"]
                owners = by_team[pm["_team"]]
                for _ in range(per_postmortem):
                    item_id += 1
                    created = resolved + timedelta(days=rng.uniform(0.1, 6))
                    due = (created + timedelta(days=rng.randint(7, 45))).date()
                    status = _weighted(
                        rng,
                        (("done", 55), ("open", 20), ("in_progress", 10), ("deprioritised", 15)),
                    )
                    done_at = None
                    if status == "done":
                        done_at = datetime.combine(due, datetime.min.time(), UTC) + timedelta(
                            days=rng.randint(-20, 12), hours=rng.randint(0, 23)
                        )
                        done_at = min(max(done_at, created), now)
                    if created > now:
                        created, status, done_at = now, "open", None
                    if status in ("open", "in_progress") and rng.random() < 0.02:
                        escalations.append(
                            {
                                "item_id": item_id,
                                "episode": created,
                                "level": 1,
                                "to_person_id": rng.choice(owners),
                                "reason": "No activity for 14 days",
                                "at": min(created + timedelta(days=14), now),
                            }
                        )
                    yield {
                        "id": item_id,
                        "postmortem_id": pm["id"],
                        "title": rng.choice(ACTIONS).format(s=pm["_service"]),
                        "owner_id": rng.choice(owners),
                        "due_date": due,
                        "done_condition": "The alert fires in staging when tested.",
                        "status": status,
                        "deprioritised_reason": "Superseded by the platform migration."
                        if status == "deprioritised"
                        else "",
                        "done_at": done_at,
                        "last_activity_at": done_at or created,
                        "created_at": created,
                        "updated_at": done_at or created,
                        "version": 1,
                    }

        counts["action_items"] = copy(ActionItem, items())
        log(f"  action items: {counts['action_items']:,} ({time.perf_counter() - started:.1f} s)")
        for n, e in enumerate(escalations, start=1):
            e["id"] = n
        counts["escalations"] = copy(Escalation, escalations)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--url", default=SERVER, help="PostgreSQL server, without a database")
    parser.add_argument("--drop", action="store_true", help="only drop the bench database")
    args = parser.parse_args(argv)
    if args.incidents < 1:
        parser.error("--incidents must be at least 1")
    if args.drop:
        drop(args.db, args.url)
        print(f"Dropped {args.db}.")
        return 0
    recreate(args.db, args.url)
    setup(args.db, args.url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Generating {args.incidents:,} incidents into {args.db}")
    counts = generate(args.incidents, args.seed)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
