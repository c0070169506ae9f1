"""Rule tests as data (sqlfluff's test/fixtures/rules, proselint's examples table).

Per rule code: named ``passing`` Markdown snippets (the rule finds nothing) and named
``failing`` ones with the 1-based lines where it must report, exactly. Folder-level rules
take ``{path: markdown}`` and expect ``{path: [lines]}``. Each snippet is parsed by the real
parser and linted with only that rule selected. A meta-test fails when a rule in the
registry has no passing or no failing case here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Markdown = str
Folder = dict[str, str]


@dataclass
class Cases:
    passing: dict[str, Markdown | Folder] = field(default_factory=dict)
    failing: dict[str, tuple[Markdown | Folder, list[int] | dict[str, list[int]]]] = field(
        default_factory=dict
    )


# A well-formed postmortem body to append rule-specific sections to.
ACTIONS = """\
## Action items
| Action | Owner | Due | Done when |
| --- | --- | --- | --- |
"""

CASES: dict[str, Cases] = {
    "PM101": Cases(
        passing={
            "who-did-what-in-the-timeline-is-a-fact": """\
# Checkout errors
## Timeline
- 14:05 Alice rolled back the deploy
- 14:09 Bob paged the DB team
""",
            "a-system-can-fail-without-blame": """\
# Checkout errors
## Summary
The deploy failed to roll back and the canary missed the error spike.
""",
            "quoted-and-code-text-is-not-checked": """\
# Checkout errors
## Summary
Slack said "Bob broke prod" at 14:10; the bot printed `alice forgot to renew`.
""",
        },
        failing={
            "a-named-person-broke-prod": (
                """\
# Checkout errors
## Summary
Bob broke prod by pushing an untested config.
""",
                [3],
            ),
            "a-handle-forgot": (
                """\
# Checkout errors
## Root cause
@alice forgot to renew the certificate.
""",
                [3],
            ),
            "a-role-failed-to": (
                """\
# Checkout errors
## What went wrong
The on-call engineer failed to escalate for 40 minutes.
""",
                [3],
            ),
            "a-possessive-mistake-and-without-checking": (
                """\
# Checkout errors
## Summary
It was Dave's mistake.

Dave pushed the config without checking the diff.
""",
                [3, 5],
            ),
        },
    ),
    "PM102": Cases(
        passing={
            "systemic-wording": """\
# Checkout errors
## Root cause
Nothing validates config changes before they reach every region.
""",
            "a-system-should-have-caught-it": """\
# Checkout errors
## Contributing factors
- The integration tests should have caught this, but they skip the payments module.
""",
            "blameless-is-not-blame": """\
# Checkout errors
## Summary
We ran a blameless review.
""",
        },
        failing={
            "human-error": (
                """\
# Checkout errors
## Root cause
Human error.
""",
                [3],
            ),
            "hindsight": (
                """\
# Checkout errors
## What went wrong
It should have been obvious that a full purge at peak would hurt.
In hindsight anyone could have seen this coming.
The change was sloppy.
""",
                [3, 4, 5],
            ),
        },
    ),
    "PM201": Cases(
        passing={
            "one-person-owns-each-item": ACTIONS
            + """\
| Add a pool-exhaustion alert | @alice | 2026-03-04 | alert fires in staging |
| Add a schema checklist | Bob Smith | 2026-03-10 | checklist in PR template |
""",
            "done-items-need-no-owner": """\
## Action items
- [x] Raise the pool size to 200
""",
        },
        failing={
            "no-owner": (
                """\
## Action items
- Add a pool-exhaustion alert (due 2026-03-04)
""",
                [2],
            ),
            "a-team-or-tbd-is-not-an-owner": (
                ACTIONS
                + """\
| Add a pool-exhaustion alert | SRE team | 2026-03-04 | alert fires |
| Add a schema checklist | TBD | 2026-03-10 | checklist exists |
| Document the runbook | everyone | 2026-03-10 | runbook merged |
""",
                [4, 5, 6],
            ),
            "two-owners-are-a-committee": (
                ACTIONS
                + """\
| Add a pool-exhaustion alert | @alice, @bob | 2026-03-04 | alert fires |
""",
                [4],
            ),
        },
    ),
    "PM202": Cases(
        passing={
            "a-calendar-date": ACTIONS
            + """\
| Add a pool-exhaustion alert | @alice | 2026-03-04 | alert fires in staging |
""",
        },
        failing={
            "no-date": (
                """\
## Action items
- Add a pool-exhaustion alert (owner: @alice)
""",
                [2],
            ),
            "not-a-date": (
                ACTIONS
                + """\
| Add a pool-exhaustion alert | @alice | ASAP | alert fires |
| Add a schema checklist | @bob | next sprint | checklist exists |
| Document the runbook | @carol | when we have time | runbook merged |
""",
                [4, 5, 6],
            ),
        },
    ),
    "PM203": Cases(
        passing={
            "an-intention-is-one-finding-the-unverifiable-one": """\
## Action items
- Consider improving monitoring (@ana, 2026-03-04)
- Look into smoketesting (@ana, 2026-03-04)
""",
            "specific-actions": ACTIONS
            + """\
| Add alerting for connection pool exhaustion | @alice | 2026-03-04 | alert fires in staging |
| Improve monitoring: page when pool usage is over 80% for 5 minutes | @bob | 2026-03-04 | page fires in the load test |
""",
        },
        failing={
            "generic-verb-and-object": (
                ACTIONS
                + """\
| Improve monitoring | @alice | 2026-03-04 | |
| Communicate better with the backend teams | @bob | 2026-03-04 | |
| Better governance of excluded namespaces | @carol | 2026-03-04 | |
""",
                [4, 5, 6],
            ),
            "monitoring-that-names-a-component-not-a-condition": (
                """\
## Action items
- Implement monitoring on Kyverno (@dave, 2026-03-04)
- Flux metrics and alerts (@erin, 2026-03-04)
- Add alerts for when bandwidth across the cluster reaches 80% (@erin, 2026-03-04)
""",
                [2, 3],
            ),
        },
    ),
    "PM204": Cases(
        passing={
            "a-spike-with-a-factual-question-is-done-when-answered": """\
## Action items
- Investigate if we can set memory limits on the grafana-agent chart (@ana, 2026-03-04)
- Check why the kafka-exporter alert did not fire (@ana, 2026-03-04)
- Investigate the exact issue with the certificate in the application (@ana, 2026-03-04)
""",
            "a-done-condition-makes-it-verifiable": ACTIONS
            + """\
| Evaluate a canary stage for deploys | @alice | 2026-03-04 | a decision record is merged in docs/adr |
""",
            "a-concrete-change": """\
## Action items
- Add a 10% canary stage to the payments pipeline (@carol, 2026-04-01)
""",
        },
        failing={
            "behaviours-intentions-and-hopes-are-unverifiable-not-vague": (
                """\
## Action items
- Dave to double-check configs before pushing (@dave, 2026-03-04)
- Consider adding a canary stage (@erin, 2026-03-04)
- Be more careful with deploys (@bob, 2026-03-04)
- Look into the order history query (@carol, 2026-03-04)
- Ensure invoices are correct before they are sent (@carol, 2026-03-04)
- Investigate whether we want a self-healing sync (@carol, 2026-03-04)
""",
                [2, 3, 4, 5, 6, 7],
            ),
            "intentions-without-a-done-condition": (
                """\
## Action items
- Consider adding a canary stage (@carol, 2026-04-01)
- Discuss on-call load in the next retro (@dan, 2026-04-01)
- Raise awareness of the runbook (@erin, 2026-04-01)
""",
                [2, 3, 4],
            ),
        },
    ),
    "PM301": Cases(
        passing={
            "five-whys": """\
# Checkout errors
## Five whys
1. Why did checkout fail? The database ran out of connections.
2. Why? A query held connections open for 30 seconds.
3. Why? It did a full table scan because an index was missing.
4. Why? The migration did not include it.
5. Why? There is no review checklist for schema changes.
""",
            "no-analysis-section-at-all": """\
# Checkout errors
## Summary
Checkout failed for 47 minutes.
""",
        },
        failing={
            "two-whys": (
                """\
# Checkout errors
## Five whys
1. Why did checkout fail? The database ran out of connections.
2. Why? A slow query held connections.
""",
                [3],
            ),
        },
    ),
    "PM302": Cases(
        passing={
            "a-systemic-root-cause": """\
# Checkout errors
## Root cause
A bad config change was deployed; there is no gate that validates config before it reaches every region.
""",
        },
        failing={
            "the-deploy-broke-prod": (
                """\
# Checkout errors
## Root cause
The deploy broke prod.
""",
                [3],
            ),
            "a-slow-query": (
                """\
# Checkout errors
## Root cause
A slow query on the order history endpoint held connections during the spike.
""",
                [3],
            ),
        },
    ),
    "PM303": Cases(
        passing={
            "categorised": """\
# Checkout errors
## Root cause
There is no review checklist for schema changes.

Category: process gap
""",
        },
        failing={
            "no-category": (
                """\
# Checkout errors
## Root cause
There is no review checklist for schema changes.
""",
                [3],
            ),
        },
    ),
    "PM304": Cases(
        passing={
            "an-empty-section-is-reported-once-as-empty": """\
# Checkout errors
## Root cause
<!-- What in the system allowed this to happen? -->

## Action items
- Add a schema checklist (@bob, 2026-03-10)
""",
            "stated": """\
# Checkout errors
## Root cause
There is no review checklist for schema changes.
""",
        },
        failing={
            "only-a-placeholder": (
                """\
# Checkout errors
## Root cause
[fill in: what in the system allowed this to happen]

## Action items
- Add a schema checklist (@bob, 2026-03-10)
""",
                [2],
            ),
        },
    ),
    "PM401": Cases(
        passing={
            "numbers": """\
# Checkout errors
## Impact
1,240 checkouts failed (18% of attempts) over 47 minutes.
""",
            "words-that-count": """\
# Checkout errors
## Impact
Two hundred customers could not log in for ninety minutes.
""",
            "zero-is-a-number": """\
# Checkout errors
## Impact
No payments were lost and no customer was charged twice.
""",
            "impact-told-in-the-summary-with-a-duration": """\
# DNS timeouts
## Summary
Pods on the new nodes failed DNS lookups for about 40 minutes because CoreDNS did not scale.
""",
            "nothing-told-is-a-missing-section-not-this": """\
# Nodes NotReady
## Summary
One node entered NotReady state and was replaced.
""",
        },
        failing={
            "adjectives-only": (
                """\
# Checkout errors
## Impact
Customers could not check out.
""",
                [3],
            ),
            "all-is-not-a-number": (
                """\
# Checkout errors
## Impact
All EU customers could not log in.
""",
                [3],
            ),
            "dates-times-and-http-statuses-are-not-quantities": (
                """\
# Checkout errors
## Impact
Checkout returned 503 on 2026-03-04 from 14:02 to 14:49 UTC.
""",
                [3],
            ),
            "impact-told-in-the-summary-without-a-number": (
                """\
# All services returning 503
## Summary
Changes to the CNI detached the target groups, so all inbound traffic failed to reach the cluster.
""",
                [1],
            ),
        },
    ),
    "PM402": Cases(
        passing={
            "without-numbers-it-is-one-finding-pm401s": """\
# Checkout errors
## Impact
Some users saw errors.

Minimal impact overall.
""",
            "a-vague-word-with-a-number": """\
# Checkout errors
## Impact
Some users (about 2% of sessions) saw errors.
""",
        },
        failing={
            "a-vague-word-beside-the-numbers": (
                """\
# Checkout errors
## Impact
1,240 checkouts failed over 47 minutes.

Some users also saw slow pages.
""",
                [5],
            ),
        },
    ),
    "PM403": Cases(
        passing={
            "facts-that-mention-a-cause": """\
# Ingress outage
## Timeline
- 08:05 Root cause investigation started
- 08:38 Pipeline re-triggered due to AWS API timeout
- 09:10 Root cause discovered by deleting the malformed IngressRoute
- 14:40 Vulnerable EC2 instances terminated, because they were development servers
""",
            "facts-only": """\
# Checkout errors
## Timeline
- 14:05 Deploy 4812 went out
- 14:09 Error rate on /checkout reached 12%
- 14:20 Root cause identified: missing index
""",
        },
        failing={
            "analysis-and-judgement": (
                """\
# Checkout errors
## Timeline
- 14:05 Deploy 4812 went out, which was a mistake
- 14:09 Error rate on /checkout reached 12%
- 14:20 Rollback started because errors kept climbing
- 14:31 Unfortunately the rollback stalled
""",
                [3, 6],
            ),
            "explanation-with-what-was-found-later": (
                """\
# Node failure
## Timeline
- 10:39 Node rollover attempt fails due to timeout
- 10:46 Healthy nodes get killed. This is due to the ASG desired size being set back to 15
- 11:02 Traefik change applied, which failed because of the NotReady node, meaning it did not take effect
""",
                [4, 5],
            ),
        },
    ),
    "PM404": Cases(
        passing={
            "in-order": """\
# Checkout errors
## Timeline
- 13:58 Alerts fired
- 14:05 Deploy rolled back
""",
            "past-midnight": """\
# Checkout errors
## Timeline
- 23:50 Alerts fired
- 00:10 Deploy rolled back
""",
        },
        failing={
            "backwards": (
                """\
# Checkout errors
## Timeline
- 14:05 Deploy started
- 13:58 Alerts fired
- 14:20 Resolved
""",
                [4],
            ),
        },
    ),
    "PM501": Cases(
        passing={
            # held-out layouts nobody tuned the reader on: each is complete and owes nothing
            "a-google-docs-export-with-bold-labels": """\
**Incident:** Card payments declined
**Date:** 12 May 2026

**Summary:** Card payments were declined for 31 minutes after a processor certificate expired; 4,120 checkouts failed.

**Timeline:**

- 09:02 UTC decline rate alert fires
- 09:33 UTC new certificate installed, declines stop

**Root cause:** Certificate renewal is manual and nothing alerts before expiry. Category: process gap.

**Action items:**

- Alert 21 days before any processor certificate expires (@mira, 2026-05-26)
""",
            "a-blog-style-report-with-plain-dated-lines": """\
# Package index outage

On 2026-05-12 between 09:02 and 09:33 UTC the package index returned errors for all
downloads, about 1.2M failed requests, after a deploy removed a path separator.

## What happened

09:02 UTC deploy promoted to production
09:20 UTC community member reports failing downloads
09:33 UTC deploy rolled back, downloads recover

## Root cause

The download URL builder had no test with production values, and the staging test plan
does not include a download.

## Corrective actions

- Add a staging smoke test that downloads a crate before promotion (@tb, 2026-05-20)
""",
            "an-sre-book-layout-with-an-action-table": """\
# Shakespeare search down (incident #465)

## Summary

Shakespeare Search was down for 66 minutes; about 1.21B queries were lost.

## Impact

1.21B queries lost, no revenue impact.

## Root Causes

Cascading failure from a file descriptor leak when no result was found, under load
ten times the capacity we planned for (capacity gap).

## Action Items

| Action Item | Type | Owner | Bug |
| --- | --- | --- | --- |
| Update the playbook with cascading failure steps | mitigate | jennifer | n/a **DONE** |
| Plug the file descriptor leak | prevent | agoogler | Bug 5554825 **DONE** |

## Timeline

2015-10-21 (all times UTC)

- 14:51 News reports a new sonnet
- 15:40 OUTAGE ENDS
""",
            "impact-and-cause-told-without-their-own-headings": """\
# All services returning 503
## Summary
A provider upgrade detached the load balancer's targets, so all inbound traffic failed for 25 minutes.
## Timeline
- 08:21 Pipeline replaces the CNI
- 08:46 Targets reattached
## Contributing factors
- No alert on the load balancer's healthy target count
## Action items
- Alert when the healthy target count drops below 2 (@rf, 2026-03-04)
""",
            "a-security-disclosure-owes-no-timeline-or-action-items": """\
# Security incident: session cookies stored in error reports
Today we found that session cookie values were being persisted to our error monitoring service
as part of error payloads, which could be used to impersonate a logged-in user. There is no
evidence that the values were ever accessed: no account was affected.
""",
            "a-template-owes-nothing-but-to-be-filled-in": """\
# Incident Title
## Summary
## Impact
## Timeline
## Root cause
## Action items
""",
            "all-sections": """\
# Checkout errors
## Summary
Checkout failed.
## Impact
1,240 checkouts failed.
## Timeline
- 14:05 Deploy
## Root cause
No config gate.
## Action items
- Add a config gate (@alice, 2026-03-04)
""",
        },
        failing={
            "no-impact-no-action-items": (
                """\
# Checkout deploy
## Summary
A config change was deployed to checkout.
## Timeline
- 14:05 Deploy
## Root cause
No config gate.
""",
                [1, 1],
            ),
            "a-cause-not-yet-identified": (
                """\
# Search latency spikes
## Summary
Search p99 latency rose to 4 s for 12 minutes; 8% of searches timed out.
## Timeline
- 09:14 latency alert fires
## Analysis
We have not yet identified the cause.
## Action items
- Enable slow-query logging on the search cluster (@lena, 2026-03-05)
""",
                [1],
            ),
        },
    ),
    "PM502": Cases(
        passing={
            "guidance-comments-and-code-are-fine": """\
# Checkout errors
<!-- [fill in: guidance lives in comments] -->
## Summary
The job printed `TODO` in its log.
""",
        },
        failing={
            "placeholders": (
                """\
# Checkout errors
## Summary
[fill in: what happened]
## Impact
XX:XX to YYYY-MM-DD, $X lost.
TODO add graphs
""",
                [3, 5, 6],
            ),
        },
    ),
    "PM503": Cases(
        passing={
            "content-in-subsections": """\
# Checkout errors
## Lessons learned
### What went well
- The rollback took 2 minutes.
""",
        },
        failing={
            "empty-headings": (
                """\
# Checkout errors
## Contributing factors

## Summary
Checkout failed.
## Detection
<!-- How did we find out? -->
""",
                [2, 6],
            ),
        },
    ),
    "PM601": Cases(
        passing={
            "different-text": {
                "a.md": "# A\n## Summary\nThe orders database ran out of connections during the sale.\n",
                "b.md": "# B\n## Summary\nSearch results were empty after the index rebalance finished.\n",
            },
            "short-lines-are-ignored": {
                "a.md": "# A\n## Summary\nDatabase was slow.\n",
                "b.md": "# B\n## Summary\nDatabase was slow.\n",
            },
        },
        failing={
            "the-same-paragraph": (
                {
                    "a.md": "# A\n## Contributing factors\n- Our monitoring did not detect the issue quickly enough for the team to respond.\n",
                    "b.md": "# B\n## Summary\nSearch broke.\n## Contributing factors\n- Our monitoring did not detect the issue quickly enough for the team to respond!\n",
                },
                {"a.md": [3], "b.md": [5]},
            ),
        },
    ),
    "PM602": Cases(
        passing={
            "different-failure-modes": {
                "a.md": "# A\n**Date:** 2025-01-10\n**Failure mode:** database connection pool exhaustion\n## Summary\nx\n",
                "b.md": "# B\n**Date:** 2025-03-10\n**Failure mode:** expired TLS certificate on the partner gateway\n## Summary\ny\n",
            },
            "the-same-component-another-failure": {
                "2025-05-20-kafka.md": "# Kafka broker disk full\n**Failure mode:** Kafka broker disk filled by a topic without retention\n## Root cause\nThe clickstream topic was created without a retention setting and the cluster default retention is unlimited.\n",
                "2025-11-12-lag.md": "# Kafka consumer lag\n## Summary\nKafka consumers of the clickstream topic lagged for an hour after a deploy: the consumer group rebalanced on every restart.\n",
            },
            "the-same-failure-kind-on-another-service": {
                "2025-03-02-mail.md": "# Mail relay certificate\n**Failure mode:** TLS certificate expired on the mail relay\n## Summary\nThe mail relay's TLS certificate expired and outbound mail queued for two hours.\n",
                "2025-10-29-partner.md": "# Partner API outage\n## Summary\nThe partner API gateway served an expired TLS certificate for three hours.\n",
            },
            "the-same-service-another-failure-kind": {
                "2025-03-18-pool.md": "# Checkout errors\n**Failure mode:** database connection pool exhaustion in checkout-api\n## Summary\ncheckout-api returned 500s after its connection pool was exhausted.\n",
                "2025-09-23-cert.md": "# Checkout errors again\n## Summary\ncheckout-api returned 500s to the mobile app after its TLS certificate expired.\n",
            },
            "failure-words-that-do-not-make-one-statement": {
                "2025-02-01-dns.md": "# ledger-api lookups\n## Summary\nledger-api DNS lookups failed for an hour after a resolver change.\n",
                "2025-06-01-slow.md": "# ledger-api slow\n## Root cause\nThe escalation policy for ledger-api covers DNS changes but not the case where the service answers slowly rather than failing.\n",
            },
        },
        failing={
            "the-same-failure-mode-later": (
                {
                    "later.md": "# Later\n**Date:** 2025-09-23\n**Failure mode:** database connection pool exhaustion in checkout-api\n## Summary\nx\n",
                    "earlier.md": "# Earlier\n**Date:** 2025-03-18\n**Failure mode:** checkout-api database connection pool exhaustion\n## Summary\ny\n",
                },
                {"later.md": [3], "earlier.md": []},
            ),
            "the-earlier-cause-told-again-without-a-failure-mode": (
                {
                    "2025-11-12-events.md": "# Events pipeline halted\n## Summary\nTwo Kafka brokers filled their disks overnight: a new topic had no retention setting and the cluster default retention is unlimited.\n",
                    "2025-05-20-kafka.md": "# Kafka broker disk full\n**Failure mode:** Kafka broker disk filled by a topic without retention\n## Root cause\nThe clickstream topic was created without a retention setting and the cluster default retention is unlimited.\n",
                },
                {"2025-11-12-events.md": [1], "2025-05-20-kafka.md": []},
            ),
            "a-certificate-expired-again-told-another-way": (
                {
                    "2025-04-02-cert.md": "# api.partners cert expired\n## What happened\nThe TLS cert on the partner API gateway expired at midnight; partners' calls failed.\n## Root cause\nThe certificate expired.\n",
                    "2025-10-29-partner.md": "# Partner API outage\n**Failure mode:** TLS certificate expired on the partner API gateway\n## Summary\nThe partner API gateway served an expired certificate for three hours.\n",
                },
                {"2025-04-02-cert.md": [], "2025-10-29-partner.md": [2]},
            ),
            "a-pool-exhausted-again-without-a-failure-mode-line": (
                {
                    "2025-09-23-checkout.md": "# Checkout 500s\n**Failure mode:** database connection pool exhaustion in checkout-api\n## Summary\ncheckout-api returned 500s: the DB connection pool was full.\n",
                    "2026-01-27-again.md": "# checkout outage 27/01\n**TL;DR** checkout-api connection pool exhausted during the sale: the DB pool fills up and requests time out.\n## Root cause\nconnection pool too small\n",
                },
                {"2025-09-23-checkout.md": [], "2026-01-27-again.md": [4]},
            ),
        },
    ),
    "PM701": Cases(
        passing={
            "an-item-addresses-the-cause": """\
# Checkout errors
## Root cause
There is no review checklist for schema changes.
## Action items
- Add a schema change checklist to the PR template (@bob, 2026-03-10)
""",
        },
        failing={
            "nothing-addresses-the-cause": (
                """\
# Checkout errors
## Root cause
There is no review checklist for schema changes.
## Action items
- Add an index on orders.customer_id (@bob, 2026-03-10)
""",
                [3],
            ),
        },
    ),
    "PM702": Cases(
        passing={
            "a-done-condition": ACTIONS
            + "| Add a pool alert | @alice | 2026-03-04 | the alert fires in the load test |\n",
        },
        failing={
            "no-done-condition": (
                """\
## Action items
- Add a pool alert (@alice, 2026-03-04)
""",
                [2],
            ),
        },
    ),
    "PM790": Cases(
        passing={
            "a-used-suppression": """\
## Action items
<!-- followthrough: disable=PM201 -->
- Add a pool alert (due 2026-03-04)
""",
        },
        failing={
            "a-stale-suppression": (
                """\
## Action items
<!-- followthrough: disable=PM201 -->
- Add a pool alert (@alice, 2026-03-04)
""",
                [3],
            ),
            "an-unknown-rule": (
                """\
## Summary
<!-- followthrough: disable=PM999 -->
Checkout failed.
""",
                [3],
            ),
        },
    ),
}
