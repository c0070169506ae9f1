"""Generate realistic postmortems for benchmarks: deterministic, several layouts, ~1,500 words.

    python bench/generate_postmortems.py                 # 1,000 documents into bench/out/
    python bench/generate_postmortems.py out/dir -n 200  # 200 documents into out/dir
    python bench/generate_postmortems.py --words 6000 -n 10

Every document is built from a seeded ``random.Random``, so the same seed and index always
give the same text. Layouts follow what teams really write (SRE-book, Atlassian-like,
PagerDuty-like, dfds-like "Chain of Events", free narrative with bold labels); about one
document in three carries the slips real postmortems have (a vague or unowned action, blame,
an unquantified impact). In a folder, about 5% of documents copy a passage from an earlier
one and about 10% repeat an earlier document's failure mode, so the folder-level checks
have real work to do. Standard library only.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
DEFAULT_WORDS = 1500

SERVICES = (
    "checkout-api",
    "search-web",
    "ledger-api",
    "session-cache",
    "image-worker",
    "ws-gateway",
    "billing-export",
    "identity-api",
    "pricing-service",
    "notification-worker",
    "feature-store",
    "orders-db",
    "inventory-sync",
    "payments-router",
    "recommendations-api",
    "mail-relay",
)
TEAMS = (
    "Payments",
    "Search",
    "Platform",
    "Identity",
    "Data Infrastructure",
    "Mobile Platform",
    "Fulfilment",
    "Growth",
    "Internal Tools",
    "Storage",
)
PEOPLE = (
    "Alice Martin",
    "Bob Okafor",
    "Chen Wei",
    "Dana Kowalski",
    "Emeka Obi",
    "Freja Holm",
    "Gabriel Souza",
    "Hana Sato",
    "Ivan Petrov",
    "Julia Roth",
    "Kwame Mensah",
    "Laila Haddad",
    "Mateo Rossi",
    "Nina Berg",
    "Omar Haddad",
    "Priya Natarajan",
    "Quentin Leroy",
    "Rosa Lindqvist",
    "Sven Larsen",
    "Tomasz Nowak",
    "Uma Iyer",
    "Victor Alves",
    "Wen Li",
    "Yusuf Demir",
)
ZONES = ("UTC", "CET", "CEST", "ET", "PT")


@dataclass(frozen=True)
class FailureMode:
    name: str
    symptom: str
    proximate: str
    whys: tuple[tuple[str, str], ...]
    root_cause: str
    category: str
    actions: tuple[str, ...]


FAILURE_MODES: tuple[FailureMode, ...] = (
    FailureMode(
        "database connection pool exhaustion in {service}",
        "requests failed with HTTP 500 while waiting for a database connection",
        "the connection pool was exhausted",
        (
            (
                "Why did requests fail?",
                "Every connection in the pool was in use and new requests timed out waiting.",
            ),
            (
                "Why were all connections in use?",
                "A new query on {table} held its connection for up to {n} seconds.",
            ),
            (
                "Why did the query take so long?",
                "It scanned the whole {table} table because an index on {column} was missing.",
            ),
            (
                "Why was the index missing?",
                "The schema migration did not include it and review did not look at query plans.",
            ),
            (
                "Why did review not look at query plans?",
                "Our review checklist has nothing for queries on large tables.",
            ),
        ),
        "we have no systematic check of query plans for new queries on large tables",
        "process",
        (
            "Add the missing index on {table}.{column} and confirm the {service} query runs under 50 ms",
            "Alert when pool utilisation exceeds 80% for 2 minutes for {service} (ticket {n}{n})",
            "Add a query-plan item to the code review checklist for tables over 1 million rows for {service} (ticket {n}{n})",
            "Set a 5-second statement timeout for the reporting role for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "message broker disk full for {service} topics",
        "producers were rejected because a broker ran out of disk",
        "a topic grew without limit",
        (
            (
                "Why were producers rejected?",
                "The broker's disk was full and it stopped accepting writes.",
            ),
            (
                "Why was the disk full?",
                "The {service}-{column} topic had grown to {n}00 GB on the broker.",
            ),
            (
                "Why did it grow that much?",
                "It was created without a retention setting and the cluster default is unlimited.",
            ),
            (
                "Why is the default unlimited?",
                "It was set for a compliance topic years ago and cluster defaults are never reviewed.",
            ),
        ),
        "topics can be created by hand with unsafe cluster-wide defaults",
        "tooling",
        (
            "Set the cluster default retention to 7 days with explicit overrides for compliance topics for {service} (ticket {n}{n})",
            "Create topics only through the Terraform module that requires a retention value for {service} (ticket {n}{n})",
            "Alert at 80% broker disk usage instead of 90% for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "TLS certificate expiry on {service}",
        "clients failed their TLS handshake because a certificate had expired",
        "the certificate expired",
        (
            (
                "Why did handshakes fail?",
                "{service} served a certificate that expired {n} minutes before the first error.",
            ),
            (
                "Why was it not renewed?",
                "It was issued by hand and is not managed by the ACME automation.",
            ),
            ("Why was it issued by hand?", "The DNS challenge was never set up for that zone."),
            (
                "Why was nothing tracking it?",
                "There is no inventory of certificates outside the automation.",
            ),
        ),
        "certificates outside the automation are not inventoried or monitored",
        "tooling",
        (
            "Move the certificate to ACME auto-renewal with the DNS challenge for {service} (ticket {n}{n})",
            "Alert 21 days before any certificate on the gateway expires for {service} (ticket {n}{n})",
            "Publish an inventory of every certificate not managed by ACME for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "cache eviction storm in {service} after a memory limit change",
        "latency rose sharply because the cache evicted live entries",
        "the cache memory limit was too low",
        (
            ("Why was latency high?", "Lookups missed the cache and fell through to the database."),
            (
                "Why did lookups miss?",
                "The {dep} cache was evicting live keys after its memory limit was lowered to {n} GB.",
            ),
            (
                "Why was the limit lowered below usage?",
                "It was sized from the 30-day average instead of the peak.",
            ),
            (
                "Why did nothing stop it?",
                "The release tooling does not compare a new limit with current usage.",
            ),
        ),
        "our tooling lets a memory limit be lowered below current usage without a check",
        "tooling",
        (
            "Fail the config release when a new memory limit is below current used memory for {service} (ticket {n}{n})",
            "Add peak utilisation to the cost-review worksheet for {service} (ticket {n}{n})",
            "Alert at 50 evictions per second sustained for 2 minutes for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "duplicate {column} job run after scheduler failover",
        "a batch job ran twice and customers received duplicates",
        "two scheduler instances ran the job",
        (
            ("Why did customers get duplicates?", "The job ran twice."),
            ("Why did it run twice?", "Both scheduler instances believed they held the lease."),
            ("Why did both hold it?", "The lease is checked every {n} minutes but expires sooner."),
            (
                "Why does a second run cause duplicates?",
                "The job has no idempotency key per customer and period.",
            ),
        ),
        "the lease check is longer than the lease and the job is not idempotent",
        "tooling",
        (
            "Make the job idempotent on (customer, period) for {service} (ticket {n}{n})",
            "Check the lease every 20 seconds and stop jobs when it is lost for {service} (ticket {n}{n})",
            "Alert when the job's output count exceeds 1.5x the previous run for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "{service} capacity limit reached during a traffic peak",
        "requests queued and timed out when traffic exceeded the autoscaler maximum",
        "the autoscaler maximum was too low",
        (
            (
                "Why did requests time out?",
                "The queue backed up faster than workers could drain it.",
            ),
            (
                "Why were there too few workers?",
                "The {service} autoscaler maximum of {n} was copied from last year's plan.",
            ),
            (
                "Why was the plan not updated?",
                "The expected audience reached engineering only as a chat message.",
            ),
            (
                "Why is there no better input?",
                "Capacity plans are not driven by a shared traffic forecast.",
            ),
        ),
        "capacity plans are not driven by a shared traffic forecast",
        "capacity",
        (
            "Publish a shared traffic forecast two weeks before each sale event for {service} (ticket {n}{n})",
            "Derive the autoscaler maximum from the forecast with 2x headroom for {service} (ticket {n}{n})",
            "Cut worker start time below 60 seconds for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "schema change to {table} broke {dep}",
        "a downstream job failed after an upstream schema change",
        "a new column was added",
        (
            (
                "Why did the job fail?",
                "{dep} ran out of memory grouping {table} events that now carried a {n} KB {column} column.",
            ),
            (
                "Why did nobody anticipate it?",
                "The consumers of the stream were not asked about the change.",
            ),
            (
                "Why were they not asked?",
                "The schema registry does not know who consumes each stream.",
            ),
        ),
        "schema changes reach consumers without notice because consumers are not registered",
        "communication",
        (
            "Register every consumer of the stream in the schema registry for {service} (ticket {n}{n})",
            "Notify registered consumers automatically on any schema change for {service} (ticket {n}{n})",
            "Project only the needed columns before grouping for {service} (ticket {n}{n})",
        ),
    ),
    FailureMode(
        "timezone error in the migrated {column} job of {service}",
        "a scheduled job ran twelve hours late after a migration",
        "the cron expression was copied without conversion",
        (
            (
                "Why did the job run late?",
                "The {column} schedule was interpreted in UTC instead of local time.",
            ),
            (
                "Why was it interpreted in UTC?",
                "The expression was copied from a host that ran on local time.",
            ),
            (
                "Why was it not converted?",
                "The migration checklist does not ask for the source host's timezone.",
            ),
        ),
        "the job migration checklist does not capture the source host's timezone",
        "process",
        (
            "Add the source host timezone to the job migration checklist for {service} (ticket {n}{n})",
            "Make the scheduler reject schedules without an explicit timezone for {service} (ticket {n}{n})",
            "Alert when send volume in an hour is more than 3x the same hour last week for {service} (ticket {n}{n})",
        ),
    ),
)

# Prose is composed from templates with many slots, so that two documents rarely share a
# sentence by accident: the folder-level checks should find the planted copies, not filler.
FILLER = (
    "{person} checked the {metric} graph for {service} and saw it {moved} between {t1} and {t2}.",
    "At the review, {person} pointed out that the {artifact} for {service} was last updated in {month}.",
    "{service} depends on {service2} for {purpose}, so its {metric} moved as soon as {service2} slowed down.",
    "The {artifact} mentions {service2} only in passing, and confirming it was not involved took {n} minutes.",
    "We counted {n} {unit} in the {window} before the alert fired, against a usual {m}.",
    "The {team} team confirmed at {t1} that {service2} was healthy by looking at its {metric} panel.",
    "A similar pattern appeared in {month}, but it stayed below the alert threshold of {m} {unit}.",
    "The change was reviewed by {person} and {person2} and passed all {n} checks in CI before it shipped.",
    "Customers on the {plan} plan made up {share}% of those affected, close to their share of traffic.",
    "During the incident {person} added a section on {topic} to the {artifact}, which the next responder will need.",
    "{person2} kept the status page current; {n} customers replied to the updates, mostly asking about {topic}.",
    "The first hypothesis, that {service2} was at fault, was dropped after {person} compared {metric} across zones.",
    "Traffic to {service} was {share}% above the same {weekday} last month, which is within the range we plan for.",
    "In the {window} after mitigation the {metric} of {service} settled at {m} {unit}, its usual level.",
    "We found {n} log lines from {service} mentioning {topic}, all of them after {t1}.",
    "{person} paired with {person2} on the rollback, reading each command aloud before running it.",
    "The {team} team's {artifact} covers {topic} but not the case where {service2} answers slowly rather than failing.",
    "Support tagged {n} conversations with the incident label, which gave us the customer view of the timeline.",
    "Had the {metric} alert on {service} been set at {m} {unit}, it would have fired about {n} minutes earlier.",
    "Nothing in the {artifact} was wrong; it simply did not say which of the {n} dashboards to open first.",
    "The load test for {service} ran for {n} minutes, which is shorter than the {window} in which this failure develops.",
    "{person2} noted that the {plan} customers were warned by their account managers within {n} minutes.",
    "Our error budget for {service} this quarter was {share}% spent before the incident and is now exhausted.",
    "{service2} retried failed calls {n} times with no backoff, which added load while {service} was recovering.",
)
WORDS: dict[str, tuple[str, ...]] = {
    "metric": (
        "p99 latency",
        "error rate",
        "queue depth",
        "CPU",
        "connection count",
        "GC pause",
        "saturation",
        "retry rate",
        "cache hit ratio",
        "disk I/O",
    ),
    "moved": (
        "double",
        "climb steadily",
        "spike twice",
        "flatten",
        "drop by half",
        "oscillate",
        "jump within a minute",
    ),
    "artifact": (
        "runbook",
        "alert description",
        "service README",
        "dashboard",
        "on-call handbook",
        "architecture note",
        "escalation policy",
        "deploy checklist",
    ),
    "purpose": (
        "session lookups",
        "price quotes",
        "feature flags",
        "authentication",
        "rate limits",
        "search suggestions",
        "stock levels",
        "currency rates",
    ),
    "unit": (
        "timeouts",
        "retries",
        "5xx responses",
        "slow queries",
        "evictions",
        "dropped messages",
        "reconnects",
    ),
    "window": ("ten minutes", "half hour", "hour", "fifteen minutes", "two hours"),
    "plan": ("Enterprise", "Business", "Starter", "Free", "Partner"),
    "topic": (
        "failover",
        "rollback order",
        "cache warm-up",
        "DNS changes",
        "feature flag cleanup",
        "connection limits",
        "retry budgets",
        "certificate rotation",
        "schema changes",
        "quota increases",
    ),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

BLAME_SLIPS = (
    "{person} pushed the change without checking the dashboard first.",
    "In hindsight the on-call engineer should have known this would happen.",
    "Obviously the alert threshold was wrong, and anyone could have seen it.",
    "The root cause was human error on the part of the on-call engineer.",
)
VAGUE_ACTIONS = (
    "Improve monitoring",
    "Be more careful with releases",
    "Look into the alerting thresholds",
    "Consider adding more tests",
    "Discuss in the next retro",
)
BAD_OWNERS = ("SRE team", "everyone", "", "Platform team", "@ops-team")
BAD_DUES = ("ASAP", "TBD", "next sprint", "", "soon")


@dataclass
class Spec:
    index: int
    layout: str
    mode: FailureMode
    service: str
    team: str
    when: datetime
    zone: str
    people: list[str]
    flawed: bool
    words: int
    family: int = 0
    copied_passage: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _pick_people(rng: random.Random, n: int) -> list[str]:
    return rng.sample(PEOPLE, n)


def _handle(name: str) -> str:
    first, last = name.split(" ", 1)
    return f"@{first.lower()}.{last[0].lower()}"


def _numbers(rng: random.Random) -> dict[str, str]:
    minutes = rng.randint(12, 190)
    requests = rng.randint(8, 900) * 1000
    share = rng.randint(2, 60)
    money = rng.randint(5, 900) * 1000
    tickets = rng.randint(20, 900)
    return {
        "minutes": str(minutes),
        "requests": f"{requests:,}",
        "share": str(share),
        "money": f"{money:,}",
        "tickets": str(tickets),
    }


def _timeline(rng: random.Random, spec: Spec, entries: int) -> list[tuple[datetime, str]]:
    oncall, ic = spec.people[0], spec.people[1]
    release = f"{spec.service} {rng.randint(1, 30)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}"
    events = [
        rng.choice(
            (
                f"{release} rolled out to production",
                f"Deploy of {release} starts",
                f"Config change {rng.randint(100, 9999)} applied to {spec.service}",
            )
        ),
        rng.choice(
            (
                f"{rng.choice(WORDS['metric']).capitalize()} on {spec.service} starts rising",
                f"First {rng.choice(WORDS['unit'])} from {spec.service}",
            )
        ),
        rng.choice(
            (
                f"Alert pages the on-call engineer, {oncall}",
                f"{oncall} paged by the {rng.choice(WORDS['metric'])} alert",
            )
        ),
        rng.choice(
            (
                f"{oncall} acknowledges and opens #inc-{rng.randint(1000, 9999)}",
                f"Incident declared by {oncall}",
            )
        ),
        f"{ic} takes the incident commander role",
        rng.choice(("Status page updated: investigating", "First customer notice posted")),
        f"{oncall} finds {rng.choice(WORDS['unit'])} in the {spec.service} logs",
        f"The {spec.team} team confirms {rng.choice(SERVICES)} is healthy",
        rng.choice(
            (
                "Mitigation agreed: roll back the last change",
                f"{ic} asks for a rollback of {release}",
            )
        ),
        rng.choice((f"{oncall} rolled back the deploy", f"Rollback of {release} complete")),
        f"{rng.choice(WORDS['metric']).capitalize()} starts falling",
        rng.choice(("Status page updated: monitoring", "Customer notice updated: recovering")),
        "Metrics back to baseline; incident mitigated",
        rng.choice(("Follow-up checks complete; incident resolved", f"{ic} closes the incident")),
    ]
    while len(events) < entries:
        k = len(events)
        events.insert(
            rng.randint(6, len(events) - 4),
            rng.choice(
                (
                    f"{rng.choice(PEOPLE)} compares {rng.choice(WORDS['metric'])} of {spec.service} with last {rng.choice(WORDS['weekday'])}",
                    f"Support reports {rng.randint(3, 80)} new tickets mentioning {spec.service}",
                    f"{rng.choice(PEOPLE)} joins to help with {rng.choice(WORDS['topic'])}",
                    f"{rng.choice(SERVICES)} ruled out after checking its {rng.choice(WORDS['metric'])} ({k})",
                )
            ),
        )
    out = []
    at = spec.when
    for text in events[:entries] if len(events) > entries else events:
        out.append((at, text))
        at += timedelta(minutes=rng.randint(1, 9))
    return out


def _actions(rng: random.Random, spec: Spec, count: int) -> list[tuple[str, str, str, str]]:
    """(action, owner, due, done_when)."""
    out = []
    base = list(spec.mode.actions)
    while len(base) < count:
        base.append(
            rng.choice(
                (
                    f"Add a dashboard for {spec.service} with error rate, latency and saturation on one page",
                    f"Document the {spec.service} failover procedure in the runbook and link it from the alert",
                    f"Run a game day that reproduces this failure in staging for {spec.service}",
                    f"Add a synthetic probe for {spec.service} that runs every minute",
                )
            )
            + f" ({len(base) + 1})",
        )
        base[-1] = _vary(rng, base[-1], spec.service)
    for i, text in enumerate(base[:count]):
        owner = rng.choice(spec.people)
        due = (spec.when + timedelta(days=rng.randint(7, 60))).date().isoformat()
        done = f"verified in staging and linked from ticket OPS-{rng.randint(1000, 9999)}"
        if spec.flawed and i == count - 1:
            text = rng.choice(VAGUE_ACTIONS)
            owner = rng.choice(BAD_OWNERS)
            due = rng.choice(BAD_DUES)
            done = ""
        out.append((text, owner, due, done))
    return out


def _sentence(rng: random.Random, spec: Spec, template: str) -> str:
    slots = {key: rng.choice(values) for key, values in WORDS.items()}
    t1 = spec.when + timedelta(minutes=rng.randint(0, 90))
    return template.format(
        service=spec.service,
        service2=rng.choice([s for s in SERVICES if s != spec.service]),
        team=spec.team,
        person=rng.choice(spec.people),
        person2=rng.choice(PEOPLE),
        n=rng.randint(2, 90),
        m=rng.randint(5, 400),
        share=rng.randint(2, 70),
        t1=f"{t1:%H:%M}",
        t2=f"{t1 + timedelta(minutes=rng.randint(3, 40)):%H:%M}",
        **slots,
    )


def _paragraphs(rng: random.Random, spec: Spec, words: int) -> list[str]:
    out: list[str] = []
    total = 0
    while total < words:
        sentences = [
            _sentence(rng, spec, template) for template in rng.sample(FILLER, rng.randint(3, 5))
        ]
        para = " ".join(sentences)
        out.append(para)
        total += len(para.split())
    return out


def _blocks(paragraphs: list[str]) -> list[str]:
    """Paragraphs as Markdown lines, a blank line between each."""
    out: list[str] = []
    for p in paragraphs:
        out += [p, ""]
    return out[:-1]


def _fmt_time(at: datetime, twelve_hour: bool, zone: str, with_date: bool) -> str:
    clock = at.strftime("%I:%M %p").lstrip("0") if twelve_hour else at.strftime("%H:%M")
    stamp = f"{at.date().isoformat()} {clock}" if with_date else clock
    return f"{stamp} {zone}" if twelve_hour else stamp


# --- layouts ------------------------------------------------------------------------------


def _common(rng: random.Random, spec: Spec) -> dict[str, object]:
    n = _numbers(rng)
    svc = spec.service
    impact = [
        rng.choice(
            (
                f"{n['requests']} requests to {svc} failed over {n['minutes']} minutes ({n['share']}% of traffic).",
                f"For {n['minutes']} minutes about {n['share']}% of calls to {svc} returned errors, {n['requests']} in all.",
                f"{svc} rejected or dropped roughly {n['requests']} requests, {n['share']}% of its traffic in that window.",
                f"Error responses from {svc} peaked at {n['share']}% of traffic; {n['requests']} requests were lost.",
            )
        ),
        rng.choice(
            (
                f"An estimated USD {n['money']} in orders was lost or delayed.",
                f"Finance puts the revenue at risk at USD {n['money']}, most of it recovered by retries.",
                f"Delayed or abandoned orders are worth about USD {n['money']}.",
                f"We lost no data, but about USD {n['money']} of {rng.choice(WORDS['plan'])} orders were delayed.",
            )
        ),
        rng.choice(
            (
                f"Support received {n['tickets']} tickets related to the incident.",
                f"{n['tickets']} customers contacted support, {rng.choice(WORDS['plan'])} accounts first.",
                f"The support queue grew by {n['tickets']} tickets, tagged by {rng.choice(PEOPLE)}.",
                f"Account managers fielded {n['tickets']} questions from customers in {rng.choice(REGIONS)}.",
            )
        ),
    ]
    rng.shuffle(impact)
    del impact[rng.randint(2, 3) :]
    impact = [_vary(rng, line, svc, 0.5) for line in impact]
    if spec.flawed and rng.random() < 0.4:
        impact = [
            rng.choice(
                (
                    "Some users were affected for a while.",
                    f"A number of {svc} users saw problems for some time.",
                    "Performance was degraded.",
                    f"Things were slow on {svc} for part of the {rng.choice(WORDS['weekday'])}.",
                    "Customers may have noticed issues.",
                )
            )
        ]
    day = f"{spec.when.date():%d %B %Y}"
    how = rng.choice(
        (
            "was mitigated by rolling back the most recent change",
            f"ended when {spec.people[0]} reverted the {svc} release",
            f"was contained once {spec.people[1]} disabled the new code path with a flag",
            f"stopped after the {spec.team} team rolled {svc} back to the previous build",
        )
    )
    opening = rng.choice(
        (
            f"On {day}, {spec.mode.symptom} on {svc}.",
            f"On {spec.when:%A} {day} {spec.mode.symptom} in {svc}.",
            f"{spec.mode.symptom[0].upper()}{spec.mode.symptom[1:]} ({svc}, {day}).",
        )
    )
    middle = rng.choice(
        (
            f"The incident lasted {n['minutes']} minutes and {how}.",
            f"It took {n['minutes']} minutes until it {how.replace('was ', '', 1)}.",
            f"After {n['minutes']} minutes the incident {how}.",
        )
    )
    closing = rng.choice(
        (
            "This document describes what happened, the impact, why it happened and what we are changing.",
            f"Below: timeline, impact, the analysis by {spec.people[2]}, and our follow-ups.",
            f"{spec.people[3]} led the review on {(spec.when + timedelta(days=rng.randint(2, 9))):%d %B}.",
            "",
        )
    )
    summary = " ".join(x for x in (opening, middle, closing) if x)
    return {"n": n, "impact": impact, "summary": summary}


def _whys_numbered(spec: Spec) -> list[str]:
    return [f"{i}. {q} {a}" for i, (q, a) in enumerate(spec.mode.whys, 1)]


def _blame(rng: random.Random, spec: Spec) -> list[str]:
    if not spec.flawed or rng.random() < 0.5:
        return []
    return ["", _vary(rng, rng.choice(BLAME_SLIPS).format(person=spec.people[0]), spec.service)]


def layout_sre(rng: random.Random, spec: Spec, body_words: int) -> str:
    c = _common(rng, spec)
    lines = [
        f"# {spec.mode.name.capitalize()} on {spec.service}",
        "",
        f"**Date:** {spec.when.date().isoformat()}",
        "",
        f"**Authors:** {', '.join(spec.people[:2])}",
        "",
        "**Status:** Complete, action items in progress",
        "",
        f"**Failure mode:** {spec.mode.name}",
        "",
        f"**Summary:** {c['summary']}",
        "",
        f"**Impact:** {' '.join(c['impact'])}",  # type: ignore[arg-type]
        "",
        f"**Root Causes:** {spec.mode.root_cause.capitalize()}.",
        "",
        f"**Trigger:** A change to {spec.service}.",
        "",
        f"**Resolution:** {_sentence(rng, spec, rng.choice(FILLER))}",
        "",
        f"**Detection:** {_sentence(rng, spec, rng.choice(FILLER))}",
        "",
        "## Five whys",
        "",
        *_whys_numbered(spec),
        "",
        f"**Root cause category:** {spec.mode.category} gap.",
        *_blame(rng, spec),
        "",
        "## Action Items",
        "",
        "| Action | Type | Owner | Due | Bug |",
        "| --- | --- | --- | --- | --- |",
    ]
    for text, owner, due, _ in _actions(rng, spec, rng.randint(4, 7)):
        kind = rng.choice(("prevent", "mitigate", "detect", "process"))
        lines.append(f"| {text} | {kind} | {owner} | {due} | OPS-{rng.randint(1000, 9999)} |")
    lines += ["", "## Lessons Learned", "", "### What went well", ""]
    lines += [f"- {p}" for p in _paragraphs(rng, spec, body_words // 6)]
    lines += ["", "### What went wrong", ""]
    lines += [f"- {p}" for p in _paragraphs(rng, spec, body_words // 6)]
    lines += ["", "### Where we got lucky", "", f"- {_paragraphs(rng, spec, 30)[0]}", ""]
    lines += ["## Timeline", "", f"{spec.when.date().isoformat()} (all times {spec.zone})", ""]
    for at, text in _timeline(rng, spec, max(10, body_words // 40)):
        lines.append(f"- {_fmt_time(at, False, spec.zone, False)} {text}")
    lines += ["", "## Supporting information", ""]
    lines += [p + "\n" for p in _paragraphs(rng, spec, body_words // 3)]
    return "\n".join(lines)


def layout_atlassian(rng: random.Random, spec: Spec, body_words: int) -> str:
    c = _common(rng, spec)
    lines = [
        f"# Incident review: {spec.mode.name} ({spec.team})",
        "",
        "| Field | Value |",
        "| --- | --- |",
        f"| Incident | INC-{1000 + spec.index} |",
        f"| Severity | P{rng.randint(0, 2)} |",
        f"| Date | {spec.when.date():%d %B %Y} |",
        f"| Review owner | {_handle(spec.people[0])} |",
        f"| Failure mode | {spec.mode.name} |",
        "",
        "## Summary",
        "",
        str(c["summary"]),
        "",
        "## Leadup",
        "",
        *_blocks(_paragraphs(rng, spec, body_words // 8)),
        "",
        "## Fault",
        "",
        f"{spec.mode.proximate.capitalize()}, and {spec.mode.symptom}.",
        "",
        "## Impact",
        "",
        " ".join(c["impact"]),  # type: ignore[arg-type]
        "",
        "## Detection",
        "",
        *_blocks(_paragraphs(rng, spec, body_words // 10)),
        "",
        "## Timeline",
        "",
    ]
    for at, text in _timeline(rng, spec, max(10, body_words // 40)):
        lines.append(f"- {_fmt_time(at, False, spec.zone, False)} {text}")
    lines += ["", "## Five whys", ""]
    lines += [
        f"{i}. {q} Because {a[0].lower()}{a[1:]}" for i, (q, a) in enumerate(spec.mode.whys, 1)
    ]
    lines += [
        "",
        f"**Root cause:** {spec.mode.root_cause.capitalize()}. **Category:** {spec.mode.category} gap.",
        *_blame(rng, spec),
        "",
        "## Follow-up tasks",
        "",
    ]
    for text, owner, due, done in _actions(rng, spec, rng.randint(4, 7)):
        ann = ", ".join(
            x for x in (_handle(owner) if " " in owner else owner, f"due {due}" if due else "") if x
        )
        suffix = f"; done when {done}" if done else ""
        lines.append(f"- [ ] {text}{suffix}" + (f" ({ann})" if ann else ""))
    lines += ["", "## Lessons learned", ""]
    lines += [p + "\n" for p in _paragraphs(rng, spec, body_words // 3)]
    return "\n".join(lines)


def layout_pagerduty(rng: random.Random, spec: Spec, body_words: int) -> str:
    c = _common(rng, spec)
    lines = [
        f"# Postmortem: {spec.mode.name} on {spec.service}",
        "",
        f"**Incident:** PD-{20000 + spec.index} · **Severity:** SEV-{rng.randint(1, 3)} · "
        f"**Date:** {spec.when:%b} {spec.when.day}, {spec.when.year} · **Incident commander:** {spec.people[1]}",
        "",
        "## Overview",
        "",
        str(c["summary"]),
        "",
        "## What Happened",
        "",
        *_blocks(_paragraphs(rng, spec, body_words // 6)),
        "",
        "## Customer impact",
        "",
        *[f"- {x}" for x in c["impact"]],  # type: ignore[attr-defined]
        "",
        "## Contributing factors",
        "",
        *[f"- {p}" for p in _paragraphs(rng, spec, body_words // 8)],
        "",
        f"## Timeline ({spec.zone})",
        "",
        "| Time | Event |",
        "| --- | --- |",
    ]
    for at, text in _timeline(rng, spec, max(10, body_words // 40)):
        lines.append(f"| {_fmt_time(at, False, spec.zone, False)} | {text} |")
    lines += ["", "## Why did it happen?", ""]
    lines += [f"- **{q}** {a}" for q, a in spec.mode.whys]
    lines += [
        "",
        f"Root cause: {spec.mode.root_cause}. Category: {spec.mode.category} gap.",
        *_blame(rng, spec),
        "",
        "## Action Items",
        "",
        "| Ticket | Action | Owner | Due | Done when |",
        "| --- | --- | --- | --- | --- |",
    ]
    for text, owner, due, done in _actions(rng, spec, rng.randint(4, 7)):
        lines.append(f"| OPS-{rng.randint(1000, 9999)} | {text} | {owner} | {due} | {done} |")
    lines += ["", "## How'd we do?", ""]
    lines += [p + "\n" for p in _paragraphs(rng, spec, body_words // 3)]
    return "\n".join(lines)


def layout_dfds(rng: random.Random, spec: Spec, body_words: int) -> str:
    c = _common(rng, spec)
    lines = [
        f"# PM{spec.when.year}-{spec.index:03d} - {spec.mode.name.capitalize()}",
        "",
        "## Summary",
        "",
        str(c["summary"]),
        "",
        *_blocks(_paragraphs(rng, spec, body_words // 8)),
        "",
        "## Impact",
        "",
        *[f"- {x}" for x in c["impact"]],  # type: ignore[attr-defined]
        "",
        "## Chain of Events",
        "",
        f"All times in {spec.zone}.",
        "",
        "| Time | Event |",
        "| :--- | --- |",
    ]
    for at, text in _timeline(rng, spec, max(10, body_words // 40)):
        lines.append(f"| {_fmt_time(at, True, spec.zone, True)} | {text} |")
    lines += ["", "## Five Whys", "", *_whys_numbered(spec), ""]
    lines += [
        f"Root cause: {spec.mode.root_cause}. Category: {spec.mode.category}.",
        *_blame(rng, spec),
        "",
        "## Contributing Factors",
        "",
    ]
    lines += [f"- {p}" for p in _paragraphs(rng, spec, body_words // 6)]
    lines += ["", "## Action Items", ""]
    for text, owner, due, done in _actions(rng, spec, rng.randint(4, 7)):
        parts = [f"- {text}."]
        if owner:
            parts.append(f"Owner: {owner}.")
        if due:
            parts.append(f"Due: {due}.")
        if done:
            parts.append(f"Done when {done}.")
        lines.append(" ".join(parts))
    lines += ["", "## Lessons Learned", ""]
    lines += [p + "\n" for p in _paragraphs(rng, spec, body_words // 4)]
    lines += ["## Staff present", "", *[f"- {p}" for p in spec.people], ""]
    return "\n".join(lines)


def layout_narrative(rng: random.Random, spec: Spec, body_words: int) -> str:
    c = _common(rng, spec)
    lines = [
        f"# The {spec.service} incident of {spec.when.date():%d %B %Y}",
        "",
        f"*Written by {spec.people[0]} for the {spec.team} team.*",
        "",
        f"**What happened.** {c['summary']}",
        "",
        *_blocks(_paragraphs(rng, spec, body_words // 5)),
        "",
        f"**Impact.** {' '.join(c['impact'])}",  # type: ignore[arg-type]
        "",
        f"**Timeline.** All times {spec.zone}.",
        "",
    ]
    for at, text in _timeline(rng, spec, max(10, body_words // 40)):
        lines.append(f"- {at:%d %b} {_fmt_time(at, False, spec.zone, False)} — {text}")
    lines += ["", "**Why it happened.**", "", *_whys_numbered(spec), ""]
    lines += [
        f"**Root cause.** {spec.mode.root_cause.capitalize()}. Category: {spec.mode.category} gap.",
        *_blame(rng, spec),
        "",
        "**What we are changing.**",
        "",
    ]
    for i, (text, owner, due, done) in enumerate(_actions(rng, spec, rng.randint(4, 7)), 1):
        who = f" — {owner}" if owner else ""
        by = f", by {due}" if due else ""
        done_s = f" Done when {done}." if done else ""
        lines.append(f"{i}. {text}{who}{by}.{done_s}")
    lines += ["", "**Notes from the review.**", ""]
    lines += [p + "\n" for p in _paragraphs(rng, spec, body_words // 3)]
    return "\n".join(lines)


LAYOUTS: dict[str, Callable[[random.Random, Spec, int], str]] = {
    "sre": layout_sre,
    "atlassian": layout_atlassian,
    "pagerduty": layout_pagerduty,
    "dfds": layout_dfds,
    "narrative": layout_narrative,
}


TABLES = ("orders", "sessions", "invoices", "listings", "payments", "events", "carts", "users")
COLUMNS = (
    "customer_id",
    "created_at",
    "region",
    "status",
    "merchant_id",
    "sku",
    "reminder",
    "export",
)


EVIDENCE = (
    "{person} confirmed this from the {metric} graph of {service}.",
    "The {artifact} has said so since {month}, {n} revisions ago.",
    "We checked this against {n} similar requests in the {service} logs.",
    "{person} reproduced it in staging in about {n} minutes.",
    "This matches what the {metric} panel showed from the first minute.",
    "It has been that way since {month}, according to {person}.",
    "The {service} change history shows {n} related changes since {month}.",
    "Nobody at the review, {person} included, had seen it documented in the {artifact}.",
)


#: words a different author would put differently; each occurrence is swapped at random
SYNONYMS: dict[str, tuple[str, ...]] = {
    "requests": ("requests", "calls", "API calls", "client requests"),
    "failed": ("failed", "errored", "were rejected", "broke"),
    "fail": ("fail", "error out", "break"),
    "new": ("new", "recently added", "freshly shipped"),
    "query": ("query", "SQL statement", "report query"),
    "missing": ("missing", "absent", "never created"),
    "review": ("review", "code review", "the reviewers"),
    "alert": ("alert", "page", "warn"),
    "Alert": ("Alert", "Page", "Warn", "Notify on-call"),
    "Add": ("Add", "Introduce", "Create", "Put in place"),
    "Make": ("Make", "Change", "Rework"),
    "Publish": ("Publish", "Share", "Maintain"),
    "Set": ("Set", "Configure", "Put"),
    "Move": ("Move", "Migrate", "Switch"),
    "Check": ("Check", "Verify", "Poll"),
    "checklist": ("checklist", "template", "list of checks"),
    "every": ("every", "each", "all"),
    "because": ("because", "since", "as"),
    "was": ("was", "had been"),
    "did not": ("did not", "didn't", "failed to"),
    "does not": ("does not", "doesn't", "fails to"),
    "never": ("never", "not once", "not ever"),
    "nothing": ("nothing", "no check", "no step"),
    "large": ("large", "big", "high-volume"),
    "tables": ("tables", "relations", "datasets"),
    "disk": ("disk", "storage", "volume"),
    "full": ("full", "out of space", "exhausted"),
    "certificate": ("certificate", "cert", "TLS certificate"),
    "expired": ("expired", "lapsed", "ran out"),
    "limit": ("limit", "cap", "ceiling"),
    "cache": ("cache", "cache tier", "caching layer"),
    "job": ("job", "batch job", "task"),
    "scheduler": ("scheduler", "cron service", "job runner"),
    "traffic": ("traffic", "load", "demand"),
    "workers": ("workers", "worker processes", "consumers"),
    "consumers": ("consumers", "downstream teams", "readers"),
    "schema": ("schema", "data model", "table layout"),
    "automation": ("automation", "tooling", "pipeline"),
    "release": ("release", "rollout", "deploy"),
    "default": ("default", "baseline setting", "fallback value"),
    "timed out": ("timed out", "hit their timeout", "gave up"),
    "customers": ("customers", "users", "clients"),
    "incident": ("incident", "outage", "event"),
    "mitigated": ("mitigated", "contained", "stopped"),
    "rolling back": ("rolling back", "reverting", "undoing"),
    "most recent": ("most recent", "latest", "last"),
    "change": ("change", "deploy", "update"),
    "lasted": ("lasted", "ran for", "went on for"),
    "estimated": ("estimated", "approximate", "rough"),
    "received": ("received", "handled", "logged"),
}
_SYNONYM_RE = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, SYNONYMS), key=len, reverse=True)) + r")\b"
)
#: per-incident details an author adds to a sentence
DETAILS = (
    " in {region}",
    " on the {region} cluster",
    " for the {plan} tier",
    " (see {ticket})",
    " before the {weekday} release",
    " as {person} suggested",
    " after the {month} review",
    " for {service}",
    "",
    "",
)
#: asides an author drops into the middle of a sentence
ASIDES = (
    "(in {region})",
    "(per {person})",
    "({ticket})",
    "- on the {region} cluster -",
    "(as of {month})",
    "(the {plan} tier first)",
    "(so {person} says)",
)
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1", "eu-central-1", "us-west-2", "sa-east-1")


def _vary(
    rng: random.Random, text: str, service: str, swap: float = 0.6, *, detail: bool = True
) -> str:
    """The same statement as another author would write it: synonyms swapped at random and
    a per-incident detail (region, ticket, person, month) added."""
    varied = _SYNONYM_RE.sub(
        lambda m: rng.choice(SYNONYMS[m[1]]) if rng.random() < swap else m[1], text
    )
    if not detail:
        return varied
    slots = {
        "region": rng.choice(REGIONS),
        "plan": rng.choice(WORDS["plan"]),
        "ticket": f"{rng.choice(('OPS', 'INC', 'REL', 'SRE'))}-{rng.randint(100, 99999)}",
        "weekday": rng.choice(WORDS["weekday"]),
        "person": rng.choice(PEOPLE),
        "month": rng.choice(WORDS["month"]),
        "service": service,
    }
    words = varied.split(" ")
    if len(words) > 5:  # an aside somewhere in the middle
        at = rng.randint(2, len(words) - 3)
        words.insert(at, rng.choice(ASIDES).format(**slots))
        varied = " ".join(words)
    added = rng.choice(DETAILS).format(**slots)
    end = len(varied) - 1 if varied.endswith(".") else len(varied)
    if varied.endswith(")"):
        end = varied.rfind(" (")
        end = len(varied) if end < 0 else end
    return varied[:end] + added + varied[end:]


def _specific(rng: random.Random, mode: FailureMode, service: str) -> FailureMode:
    """The family's wording with this incident's service, tables and numbers filled in."""
    slots = {
        "service": service,
        "dep": rng.choice([s for s in SERVICES if s != service]),
        "table": rng.choice(TABLES),
        "column": rng.choice(COLUMNS),
        "n": str(rng.randint(2, 60)),
    }

    def evidence(text: str) -> str:
        # Different authors back the same reasoning with different evidence and words.
        clause = rng.choice(EVIDENCE).format(
            service=service,
            metric=rng.choice(WORDS["metric"]),
            month=rng.choice(WORDS["month"]),
            n=rng.randint(2, 90),
            person=rng.choice(PEOPLE),
            artifact=rng.choice(WORDS["artifact"]),
        )
        said = _vary(rng, text.format(**slots), service)
        # some authors give the evidence first, some after, some not at all
        order = rng.random()
        if order < 0.4:
            return f"{said} {clause}"
        if order < 0.7:
            return f"{clause} {said}"
        return said

    return FailureMode(
        name=mode.name.format(**slots),
        symptom=_vary(rng, mode.symptom.format(**slots), service, 0.5, detail=False).rstrip("."),
        proximate=_vary(rng, mode.proximate.format(**slots), service, 0.5),
        whys=tuple(
            (_vary(rng, q.format(**slots), service, 0.4, detail=False), evidence(a))
            for q, a in mode.whys
        ),
        root_cause=evidence(mode.root_cause).rstrip("."),
        category=mode.category,
        actions=tuple(
            rng.sample(
                [_vary(rng, a.format(**slots), service) for a in mode.actions], len(mode.actions)
            )
        ),
    )


def _spec(seed: int, index: int, words: int, layout: str | None) -> tuple[random.Random, Spec]:
    rng = random.Random(seed * 1_000_003 + index)
    start = datetime(2025, 1, 6, 0, 0) + timedelta(
        days=rng.randint(0, 420), hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
    )
    service = rng.choice(SERVICES)
    family = rng.randrange(len(FAILURE_MODES))
    spec = Spec(
        index=index,
        layout=layout or rng.choice(tuple(LAYOUTS)),
        mode=_specific(rng, FAILURE_MODES[family], service),
        family=family,
        service=service,
        team=rng.choice(TEAMS),
        when=start,
        zone=rng.choice(ZONES),
        people=_pick_people(rng, 4),
        flawed=rng.random() < 0.35,
        words=words,
    )
    return rng, spec


def _render(rng: random.Random, spec: Spec) -> str:
    render = LAYOUTS[spec.layout]
    # Fixed sections take ~700 words at the default size; the rest scales with the target.
    body = max(200, spec.words - 650)
    text = render(rng, spec, body)
    if spec.copied_passage:
        text += "\n## Notes\n\n" + spec.copied_passage + "\n"
    deficit = spec.words - len(text.split())
    if deficit > 40:  # top up with an appendix, as long reports have
        text += "\n## Appendix\n\n" + "\n\n".join(_paragraphs(rng, spec, deficit)) + "\n"
    return text


def postmortem(
    index: int, *, seed: int = 1, words: int = DEFAULT_WORDS, layout: str | None = None
) -> str:
    """One postmortem of about ``words`` words; the same arguments always give the same text."""
    rng, spec = _spec(seed, index, words, layout)
    return _render(rng, spec)


def folder(n: int, *, seed: int = 1, words: int = DEFAULT_WORDS) -> Iterator[tuple[str, str]]:
    """(file name, text) for ``n`` postmortems with near-duplicates and repeated failure modes.

    Documents of one failure family are separate write-ups: the family's reasoning is
    reworded per document (synonyms, sentence order, evidence, per-incident details), so no
    analysis line is shared word for word by chance. Exactly 5% of the documents (rounded)
    copy a passage from an earlier one, half an action item and half a ~70-word paragraph;
    exactly 10% are repeats of an earlier document's failure mode (same service and
    failure-mode line, the analysis written afresh), as a repeat incident would be.
    """
    plan = random.Random(seed * 7_919 + n)
    later = range(1, n)
    copies = set(plan.sample(later, min(len(later), round(n * 0.05))))
    repeats = set(plan.sample(later, min(len(later), round(n * 0.10))))
    paragraphs: list[str] = []
    actions: list[str] = []
    earlier: list[Spec] = []
    for index in range(n):
        rng, spec = _spec(seed, index, words, None)
        if index in repeats:
            first = rng.choice(earlier[-200:])
            again = _specific(rng, FAILURE_MODES[first.family], first.service)
            spec.mode = replace(again, name=first.mode.name)
            spec.family, spec.service = first.family, first.service
            spec.when = first.when + timedelta(days=rng.randint(30, 200))
        if index in copies:
            if paragraphs and (rng.random() < 0.5 or not actions):
                spec.copied_passage = rng.choice(paragraphs[-200:])
            else:
                pasted = rng.choice(actions[-200:])
                spec.mode = replace(spec.mode, actions=(pasted, *spec.mode.actions[1:]))
        text = _render(rng, spec)
        paras = [p for p in text.split("\n\n") if 50 <= len(p.split()) <= 120 and "|" not in p]
        if paras:
            paragraphs.append(rng.choice(paras))
        actions.append(spec.mode.actions[-1])
        earlier.append(spec)
        yield f"{spec.when.date().isoformat()}-{index:05d}-{spec.layout}.md", text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("-n", "--count", type=int, default=1000, help="number of documents")
    parser.add_argument(
        "--words", type=int, default=DEFAULT_WORDS, help="target words per document"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.count < 1 or args.words < 300:
        parser.error("--count must be at least 1 and --words at least 300")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        total = 0
        for name, text in folder(args.count, seed=args.seed, words=args.words):
            (args.out / name).write_text(text, encoding="utf-8")
            total += len(text.split())
    except OSError as error:
        print(f"error: cannot write to {args.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.count} postmortems ({total / args.count:,.0f} words on average) to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
