"""A realistic demo organisation, so a newcomer sees the product working within a minute.

Two teams, a dozen incidents across P0-P3, postmortems in every state, and action items
open, overdue, done and deprioritised. Times are relative to now so milestones show
every state.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from followthrough.web.accounts.models import Membership, Organisation, Person, Role, Team
from followthrough.web.actions.models import ActionItem
from followthrough.web.incidents.models import Incident
from followthrough.web.postmortems import derived
from followthrough.web.postmortems.models import ContributingFactor, Postmortem, Status, Why
from followthrough.web.postmortems.operations import add_timeline_event, start_postmortem


@dataclass
class Login:
    username: str
    password: str


def database_is_empty() -> bool:
    return not (User.objects.exists() or Team.objects.exists() or Incident.objects.exists())


PEOPLE = {
    # name: (team, role, handle)
    "Grace Ndiaye": (None, None, "grace"),
    "Alice Schmidt": ("Payments", Role.LEAD, "alice"),
    "Ben Okafor": ("Payments", Role.EDITOR, "ben"),
    "Chiara Rossi": ("Payments", Role.EDITOR, "chiara"),
    "Daniel Weber": ("Payments", Role.EDITOR, "daniel"),
    "Priya Natarajan": ("Platform", Role.LEAD, "priya"),
    "Marcus Lee": ("Platform", Role.EDITOR, "marcus"),
    "Sofia Alvarez": ("Platform", Role.EDITOR, "sofia"),
    "Tom Becker": ("Platform", Role.VIEWER, "tom"),
}


@transaction.atomic
def load_demo(now: datetime | None = None) -> Login:
    """Create the demo organisation and an admin login whose password is returned once."""
    now = now or timezone.now()
    Organisation.objects.get_or_create(name="Acme Shop")
    teams = {
        "Payments": Team.objects.create(
            name="Payments",
            slug="payments",
            timezone="Europe/Berlin",
            holiday_country="DE",
            holiday_subdivision="BE",
        ),
        "Platform": Team.objects.create(
            name="Platform",
            slug="platform",
            timezone="America/New_York",
            holiday_country="US",
            holiday_subdivision="NY",
        ),
    }
    password = secrets.token_urlsafe(12)
    admin = User.objects.create_superuser("admin", "admin@acme.example", password)
    people: dict[str, Person] = {}
    for name, (team, role, handle) in PEOPLE.items():
        people[handle] = Person.objects.create(
            name=name,
            handle=handle,
            email=f"{handle}@acme.example",
            user=admin if handle == "grace" else None,
        )
        if team:
            Membership.objects.create(team=teams[team], person=people[handle], role=role)
    for handle, person in people.items():
        if handle in ("alice", "priya"):
            person.manager = people["grace"]
        elif handle != "grace":
            lead = "alice" if PEOPLE[person.name][0] == "Payments" else "priya"
            person.manager = people[lead]
        person.save()
    teams["Payments"].lead = people["alice"]
    teams["Platform"].lead = people["priya"]
    for t in teams.values():
        t.save()
    Membership.objects.create(team=teams["Payments"], person=people["grace"], role=Role.LEAD)
    Membership.objects.create(team=teams["Platform"], person=people["grace"], role=Role.LEAD)

    for spec in _incidents(now):
        _make(spec, teams, people, now, admin)
    return Login("admin", password)


def _incidents(now: datetime) -> list[dict[str, Any]]:
    def ago(days: float, hours: float = 0) -> datetime:
        return now - timedelta(days=days, hours=hours)

    return [
        dict(
            team="Payments",
            title="Checkout returned 502 for all EU customers",
            severity="P0",
            customer_facing=True,
            significant_impact=True,
            resolved=ago(48),
            ic="ben",
            responders=["chiara"],
            state=Status.CLOSED,
            facilitator="marcus",
            failure_mode="Connection pool exhausted on checkout database",
            summary="For 47 minutes every EU checkout failed with 502 after the payment database ran out of connections.",
            impact="12,400 checkout attempts failed; about €310,000 of orders were delayed, 4% abandoned.",
            numbers=dict(users_affected=9800, impact_minutes=47, failed_requests=12400),
            root_cause="We have no systematic check for schema changes: migrations are reviewed like code, without a checklist for indexes on hot tables.",
            category="process",
            whys=[
                ("Why did checkout fail?", "The payment database ran out of connections."),
                (
                    "Why did it run out of connections?",
                    "A query held connections open for seconds.",
                ),
                ("Why did the query hold connections?", "It did a full table scan of payments."),
                ("Why was it a full table scan?", "The index on payments.merchant_id was missing."),
                (
                    "Why was the index missing?",
                    "The migration did not include it and review has no schema checklist.",
                ),
            ],
            factors=[
                ("detection", "The connection-pool alert fired 18 minutes after the first errors.")
            ],
            items=[
                (
                    "Add a schema-change checklist to the migration PR template",
                    "chiara",
                    -30,
                    "done",
                    "The template is merged and used by the next 3 migrations.",
                ),
                (
                    "Alert when the checkout pool is above 80% for 2 minutes",
                    "ben",
                    -35,
                    "done",
                    "The alert fires in the staging load test.",
                ),
            ],
        ),
        dict(
            team="Payments",
            title="Card tokenisation latency above 4 s",
            severity="P1",
            customer_facing=True,
            significant_impact=True,
            resolved=ago(22),
            ic="daniel",
            responders=["ben"],
            state=Status.FINAL,
            facilitator="sofia",
            failure_mode="Third-party tokenisation provider slow, no timeout",
            summary="Card tokenisation calls slowed to 4-9 s for two hours; checkout conversion fell.",
            impact="Conversion fell from 71% to 52% for 2 h 10 min; roughly 3,100 orders lost.",
            numbers=dict(users_affected=3100, impact_minutes=130),
            root_cause="Our HTTP client to the provider had no timeout or circuit breaker: a tooling gap in the shared payments SDK.",
            category="tooling",
            whys=[
                ("Why was checkout slow?", "Tokenisation calls took 4-9 s."),
                ("Why did slow calls block checkout?", "The client waited without a timeout."),
                (
                    "Why was there no timeout?",
                    "The shared SDK has no default timeout and nothing checks for one.",
                ),
            ],
            factors=[
                (
                    "communication",
                    "The provider's status page said 'degraded' 40 minutes before we noticed.",
                )
            ],
            items=[
                (
                    "Set a 1.5 s timeout and circuit breaker in the payments SDK",
                    "daniel",
                    5,
                    "in_progress",
                    "Chaos test with a 5 s provider delay keeps p99 checkout under 2 s.",
                ),
                (
                    "Subscribe the on-call channel to the provider's status feed",
                    "ben",
                    -3,
                    "open",
                    "A status change posts to #payments-oncall within a minute.",
                ),
                (
                    "Document the provider escalation contacts in the runbook",
                    "chiara",
                    -8,
                    "done",
                    "Runbook page lists contacts and is linked from the alert.",
                ),
            ],
        ),
        dict(
            team="Payments",
            title="Refund e-mails delayed by six hours",
            severity="P2",
            customer_facing=True,
            resolved=ago(6),
            ic="chiara",
            responders=[],
            state=Status.IN_REVIEW,
            facilitator="priya",
            summary="Refund confirmation e-mails queued for six hours after the mail worker stalled.",
            impact="2,300 customers received refund e-mails up to 6 h late; 140 contacted support.",
            numbers=dict(users_affected=2300, impact_minutes=360),
            root_cause="The mail worker stalls on one poison message.",
            category="",
            whys=[("Why were e-mails late?", "The mail worker stopped consuming.")],
            factors=[],
            items=[("Improve monitoring", None, None, "open", "")],
        ),
        dict(
            team="Payments",
            title="Typo in the invoice PDF footer",
            severity="P3",
            resolved=ago(12),
            ic="ben",
            responders=[],
            state=None,
        ),
        dict(
            team="Payments",
            title="TLS certificate for api.acme.example almost expired",
            severity="P1",
            near_miss=True,
            resolved=ago(2),
            ic="alice",
            responders=["daniel"],
            state=Status.DRAFT,
            summary="A manual check found the API certificate 2 hours from expiry; renewed in time.",
            impact="No customer impact; an expiry would have stopped all API traffic.",
            numbers={},
            root_cause="",
            category="",
            whys=[],
            factors=[],
            items=[],
        ),
        dict(
            team="Platform",
            title="Primary database failover lost 90 seconds of writes",
            severity="P0",
            customer_facing=True,
            data_loss=True,
            significant_impact=True,
            resolved=ago(30),
            ic="marcus",
            responders=["sofia"],
            state=Status.FINAL,
            facilitator="alice",
            failure_mode="Asynchronous replica promoted during failover",
            summary="An automated failover promoted a lagging replica; 90 s of writes were lost.",
            impact="1,870 orders had to be re-entered; 212 customers were double-charged and refunded.",
            numbers=dict(users_affected=2082, impact_minutes=95),
            root_cause="Failover automation promotes any replica without checking its lag: a tooling gap, and the capacity plan never covered replica lag under peak load.",
            category="tooling",
            whys=[
                ("Why were writes lost?", "A lagging replica was promoted."),
                (
                    "Why was a lagging replica promoted?",
                    "The failover script does not check replication lag.",
                ),
                (
                    "Why does it not check lag?",
                    "It was written for synchronous replicas and never revisited.",
                ),
                (
                    "Why was it never revisited?",
                    "No owner reviews failover automation after topology changes.",
                ),
            ],
            factors=[
                (
                    "detection",
                    "Nobody was paged for the failover itself; we learned from support tickets.",
                )
            ],
            items=[
                (
                    "Refuse to promote a replica more than 1 s behind",
                    "sofia",
                    -10,
                    "done",
                    "Failover drill with a lagging replica promotes the in-sync one.",
                ),
                (
                    "Page on-call on every automated failover",
                    "marcus",
                    -4,
                    "open",
                    "A drill failover pages the on-call within 1 minute.",
                ),
                (
                    "Migrate to synchronous replication",
                    "priya",
                    60,
                    "deprioritised",
                    "Rejected for now: the latency cost is 8 ms per write; lag-aware promotion covers the risk.",
                ),
            ],
        ),
        dict(
            team="Platform",
            title="Deploy pipeline blocked for a day by an expired token",
            severity="P2",
            process_failure=True,
            resolved=ago(4),
            ic="sofia",
            responders=["tom"],
            state=Status.DRAFT,
            summary="All deploys failed for 26 hours: the registry token expired and nobody owned its renewal.",
            impact="38 deploys blocked, one security fix delayed by a day.",
            numbers=dict(impact_minutes=1560),
            root_cause="",
            category="",
            whys=[],
            factors=[],
            items=[],
        ),
        dict(
            team="Platform",
            title="Connection pool exhaustion on the orders API",
            severity="P1",
            customer_facing=True,
            significant_impact=True,
            resolved=ago(70),
            ic="tom",
            responders=["marcus"],
            state=Status.CLOSED,
            facilitator="chiara",
            failure_mode="Connection pool exhausted by slow queries",
            summary="Orders API returned 503 for 25 minutes when its pool filled with slow queries.",
            impact="6,200 order requests failed over 25 minutes.",
            numbers=dict(failed_requests=6200, impact_minutes=25),
            root_cause="No capacity limit per tenant: one tenant's report saturated the shared pool (capacity gap).",
            category="capacity",
            whys=[
                ("Why did the API return 503?", "The connection pool was full."),
                ("Why was it full?", "A tenant's report ran 40 slow queries at once."),
                (
                    "Why could one tenant take the whole pool?",
                    "There is no per-tenant concurrency limit.",
                ),
            ],
            factors=[],
            items=[
                (
                    "Limit report queries to 4 connections per tenant",
                    "marcus",
                    -50,
                    "done",
                    "Load test with 40 report queries leaves 80% of the pool free.",
                )
            ],
        ),
        dict(
            team="Platform",
            title="Connection pool exhausted again on the orders API",
            severity="P1",
            customer_facing=True,
            resolved=ago(1),
            ic="marcus",
            responders=["tom"],
            state=Status.DRAFT,
            repeat_of="Connection pool exhaustion on the orders API",
            failure_mode="Connection pool exhausted by slow queries",
            summary="Same symptom as in the spring: the pool filled, this time from the export job.",
            impact="",
            numbers={},
            root_cause="",
            category="",
            whys=[],
            factors=[],
            items=[],
        ),
        dict(
            team="Platform",
            title="Staging credential printed in a CI log",
            severity="P3",
            security=True,
            resolved=ago(9),
            ic="tom",
            responders=[],
            state=Status.IN_REVIEW,
            facilitator="ben",
            summary="A staging database password appeared in a public CI log for 3 hours.",
            impact="No access from unknown addresses in the 3 hours; credential rotated.",
            numbers=dict(impact_minutes=180),
            root_cause="CI has no secret masking for variables defined in scripts (tooling gap).",
            category="tooling",
            whys=[
                ("Why was the password printed?", "A debug step echoed the environment."),
                ("Why was it not masked?", "Masking only covers variables set in CI settings."),
                (
                    "Why is the secret set in a script?",
                    "The template for new jobs does it that way.",
                ),
            ],
            factors=[],
            items=[
                (
                    "Mask every secret-shaped value in CI logs",
                    "sofia",
                    10,
                    "open",
                    "A test job echoing a fake secret shows *** in its log.",
                )
            ],
        ),
        dict(
            team="Platform",
            title="Search index lagging 20 minutes behind",
            severity="P2",
            resolved=ago(15),
            ic="sofia",
            responders=[],
            state=None,
        ),
        dict(
            team="Payments",
            title="Elevated error rate on outgoing webhooks",
            severity="P1",
            customer_facing=True,
            resolved=None,
            ic="daniel",
            responders=["chiara"],
            state=None,
            summary="Ongoing: 3% of merchant webhooks fail with timeouts.",
        ),
    ]


def _done_at(due: date | None, now: datetime) -> datetime:
    if due is None:
        return now - timedelta(days=2)
    before_due = datetime.combine(due, datetime.min.time(), tzinfo=now.tzinfo) - timedelta(days=3)
    return min(before_due, now - timedelta(days=1))


def _make(
    spec: dict[str, Any],
    teams: dict[str, Team],
    people: dict[str, Person],
    now: datetime,
    admin: User,
) -> None:
    resolved: datetime | None = spec["resolved"]
    started = (resolved or now) - timedelta(hours=2)
    repeat_of = (
        Incident.objects.filter(title=spec["repeat_of"]).first() if spec.get("repeat_of") else None
    )
    incident = Incident.objects.create(
        team=teams[spec["team"]],
        title=spec["title"],
        severity=spec["severity"],
        summary=spec.get("summary", ""),
        started_at=started,
        detected_at=started + timedelta(minutes=9),
        mitigated_at=resolved and resolved - timedelta(minutes=20),
        resolved_at=resolved,
        commander=people[spec["ic"]],
        repeat_of=repeat_of,
        failure_mode=spec.get("failure_mode", ""),
        created_by=admin,
        **{
            f: spec.get(f, False)
            for f in (
                "customer_facing",
                "data_loss",
                "near_miss",
                "security",
                "process_failure",
                "significant_impact",
            )
        },
    )
    incident.responders.set([people[h] for h in spec["responders"]])
    state = spec["state"]
    if state is None or resolved is None:
        return
    pm = start_postmortem(incident, admin)
    Postmortem.objects.filter(pk=pm.pk).update(
        summary=spec["summary"],
        impact=spec["impact"],
        root_cause=spec["root_cause"],
        root_cause_category=spec["category"],
        **spec["numbers"],
    )
    add_timeline_event(pm, started, "First 5xx errors in the load balancer logs.")
    add_timeline_event(pm, started + timedelta(minutes=9), "Alert fired; on-call acknowledged.")
    add_timeline_event(
        pm, resolved - timedelta(minutes=20), "Mitigation applied; error rate back to baseline."
    )
    # The timeline was written the morning after, as the seed asks.
    Postmortem.objects.filter(pk=pm.pk).update(
        timeline_documented_at=resolved + timedelta(hours=16)
    )
    for i, (q, a) in enumerate(spec["whys"]):
        Why.objects.create(postmortem=pm, position=i, question=q, answer=a)
    for i, (kind, text) in enumerate(spec["factors"]):
        ContributingFactor.objects.create(postmortem=pm, position=i, kind=kind, description=text)
    meeting = pm.meeting
    if spec.get("facilitator"):
        meeting.facilitator = people[spec["facilitator"]]
        meeting.scheduled_for = resolved + timedelta(days=3)
        meeting.scheduled_at = resolved + timedelta(hours=30)
        meeting.duration_minutes = 60
        if state in (Status.FINAL, Status.CLOSED):
            meeting.held_at = meeting.scheduled_for
        meeting.save()
    for title, owner, due_in_days, status, done_when in spec["items"]:
        due: date | None = (
            (now + timedelta(days=due_in_days)).date() if due_in_days is not None else None
        )
        item = ActionItem.objects.create(
            postmortem=pm,
            title=title,
            owner=people[owner] if owner else None,
            due_date=due,
            done_condition=done_when,
            status=status,
            deprioritised_reason=done_when if status == "deprioritised" else "",
            # Most items were done a few days before they were due: an honest, good team.
            done_at=_done_at(due, now) if status == "done" else None,
            likelihood=4 if "Alert" in title or "timeout" in title else 3,
            severity=4,
            effort=2,
        )
        if status == "deprioritised":
            item.done_condition = "Replication mode is synchronous in production."
            item.save()
        # Items were written at the meeting, not today.
        ActionItem.objects.filter(pk=item.pk).update(
            created_at=resolved + timedelta(days=3),
            last_activity_at=item.done_at or resolved + timedelta(days=3),
        )
    updates: dict[str, Any] = {"status": state}
    if pm.action_items.exists() and all(i.is_tracked() for i in pm.action_items.all()):
        updates["actions_tracked_at"] = resolved + timedelta(days=4)
    if state in (Status.FINAL, Status.CLOSED):
        updates["finalized_at"] = resolved + timedelta(days=6)
    if state == Status.CLOSED:
        last_done = max((i.done_at for i in pm.action_items.all() if i.done_at), default=None)
        updates["closed_at"] = last_done or resolved + timedelta(days=21)
    Postmortem.objects.filter(pk=pm.pk).update(**updates)
    derived.refresh([incident.pk])  # milestones done by the updates above
