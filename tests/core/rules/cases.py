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
            "a-group-dated-by-its-heading": """\
## Action items
### Next quarter (Q3 2026)
- Add a consumer-lag alert at 10 minutes (@ana)
### Long-term improvements (Target: Q4 2026 - Q1 2027)
- Give each tenant its own queue (@bo)
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
            "a-heading-that-names-no-period": (
                """\
## Action items
### Short-term (in progress, see the tracking issue)
- Add a consumer-lag alert at 10 minutes (@ana)
- Give each tenant its own queue (@bo)
""",
                [3, 4],
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
            "a-commitment-with-options-offered-after-a-dash": """\
## Action items
- Add alerting on failed CDN uploads - consider tracking the error rate per region too (@ana, 2026-04-01)
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
            "an-intention-before-the-dash-is-still-one": (
                """\
## Action items
- We should consider a canary stage - it would have caught this (@carol, 2026-04-01)
""",
                [2],
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
            "a-list-of-causes-that-goes-on-to-the-gaps": """\
# Partner sync failing
## Root causes
- The signing key expired
- No expiry notifications were sent to anyone
- Nobody on the team knew how to rotate the key
""",
            "an-automatic-renewal-that-was-not-set-up": """\
# Partner sync failing
## Root cause
The signing key expired: its automatic renewal wasn't set up when the key was issued.
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
            "no-customer-data-loss-is-a-zero": """\
# Staging databases lost
## Severity and impact
Not critical: only internal teams were impacted, no customer data loss.
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
            "looking-for-the-real-problem-is-a-fact": """\
# Site unreachable
## Timeline
- 15:26 first reports that the site gives an error
- 16:12 on-call starts looking for the real problem behind the error pages
""",
            "a-story-told-under-a-timeline-heading-is-not-a-list-of-entries": """\
# Downloads failing
## Timeline
On 3 May 2026 we moved link generation to a new CDN for users far from our storage
regions. Unfortunately this required every cached link to be regenerated, and many users
saw broken links until they restarted their devices.
""",
        },
        failing={
            "entries-whose-day-the-reader-cannot-resolve": (
                """\
# Testnet stalled
## Timeline
- 03-14-2026 - rule change deployed, which was a mistake
- 03-14-2026 - change reverted
""",
                [3],
            ),
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
            "the-real-problem-named-in-an-entry": (
                """\
# Site unreachable
## Timeline
- 15:26 first reports that the site gives an error
- 16:12 the real problem was the certificate nobody renewed
""",
                [4],
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
            "the-day-written-after-the-clock-time": """\
# Reports missing
## Timeline
* 16:40 3rd May 2026 - new scheduler deployed
* 09:15 4th May 2026 - support reports that no reports were sent overnight
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
            "a-timeline-of-numeric-day-month-year-stamps": """\
# Search unavailable in two regions
## Summary
Search returned errors in two regions for 3 hours after an index node failed.
## Impact
About 9,000 searches failed; 2 customers raised tickets.
## Timeline
- 14-03-2026 09:10 - alerts on failed searches
- **14-03-2026 12:05** – index node replaced, searches recover
## Root cause
Index nodes had no health check, so the failed node kept receiving queries.
## Action items
- Add a health check that drains a failing index node (@ines, 2026-03-30)
""",
            "a-timeline-of-month-day-year-lines": """\
# Testnet stalled
## Summary
The test network produced no blocks for 40 minutes after a rule change went live early.
## Impact
No blocks for 40 minutes; 3 partner teams could not run their tests.
## Timeline (all times PST)
03-14-2026 - rule change deployed with an activation height already passed
03-14-2026 - change reverted, block production resumes
## Root cause
Nothing checks an activation height against the current height before a deploy.
## Action items
- Refuse a deploy whose activation height is in the past (@ana, 2026-04-01)
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
            "a-timeline-kept-in-a-code-block": """\
# Queue lag
## Timeline (UTC)

```
09:02 alert fires on queue lag
09:30 consumer restarted, lag drains
```
""",
        },
        failing={
            "an-empty-code-block-is-still-empty": (
                """\
# Queue lag
## Timeline (UTC)
```
```
""",
                [2],
            ),
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
            "a-one-sentence-disclaimer-is-not-copying": {
                "2025-01-10-a.md": "# A\n## Summary\nThis review is blameless and describes systems, not people.\nThe orders database ran out of connections during the sale.\n",
                "2025-03-10-b.md": "# B\n## Summary\nThis review is blameless and describes systems, not people.\nSearch results were empty after the index rebalance finished.\n",
            },
            "a-team-template-sentence-in-many-postmortems-is-boilerplate": {
                f"2025-0{n}-01-{name}.md": (
                    f"# {name}\n## Detection\nAll times are UTC and come from the incident channel, the pager and the status page history, merged by the incident commander after the call.\n## Summary\n{what}\n"
                )
                for n, (name, what) in enumerate(
                    [
                        ("orders", "The orders database ran out of connections."),
                        ("search", "Search results were empty after a rebalance."),
                        ("mail", "Outbound mail queued for two hours."),
                        ("login", "Logins failed for mobile clients."),
                    ],
                    start=1,
                )
            },
            "a-short-item-listed-again-is-not-copying": {
                "2021-02-15-flux.md": "# Flux\n## Action items\n- Flux metrics and alerts\n- Version lock Flux\n",
                "2021-02-19-flux.md": "# Flux again\n## Action items\n- Flux metrics and alerts\n- Version lock Flux\n",
            },
            "thanks-and-an-author-sign-off-are-not-about-the-incident": {
                "2025-01-10-a.md": "# A\n## Summary\nThe orders database ran out of connections.\n## Thanks\nWe are grateful to the researchers who reported this to us and to everyone who helped.\n\n---\n\n_Sam Doe leads the infrastructure team and has kept the service running since 2013._\n",
                "2025-03-10-b.md": "# B\n## Summary\nSearch results were empty after a rebalance.\n## Thanks\nWe are grateful to the researchers who reported this to us and to everyone who helped.\n\n---\n\n_Sam Doe leads the infrastructure team and has kept the service running since 2013._\n",
            },
        },
        failing={
            "the-same-paragraph-reported-on-the-later-document-only": (
                {
                    "a.md": "# A\n## Contributing factors\n- Our monitoring did not detect the issue quickly enough for the team to respond.\n",
                    "b.md": "# B\n## Summary\nSearch broke.\n## Contributing factors\n- Our monitoring did not detect the issue quickly enough for the team to respond!\n",
                },
                {"a.md": [], "b.md": [5]},
            ),
            "later-by-the-date-it-gives-not-by-its-name": (
                {
                    "a.md": "# A\n**Date:** 2025-09-23\n## Action items\n- Add Flux metrics and alerts so that a failed reconciliation pages the on-call engineer\n",
                    "b.md": "# B\n**Date:** 2025-02-15\n## Action items\n- Add Flux metrics and alerts so that a failed reconciliation pages the on-call engineer\n",
                },
                {"a.md": [4], "b.md": []},
            ),
            "without-dates-by-name-numbers-by-value": (
                {
                    "INC-12.md": "# B\n## Root cause\nNo version lock on the Flux component of the cluster, so a scheduled run upgraded it.\n",
                    "INC-9.md": "# A\n## Root cause\nNo version lock on the Flux component of the cluster, so a scheduled run upgraded it.\n",
                },
                {"INC-12.md": [3], "INC-9.md": []},
            ),
            "a-copied-summary-in-a-third-postmortem-names-both-earlier-ones": (
                {
                    f"2025-0{n}-01-copy.md": "# Copy\n## Summary\nA scheduled pipeline applied an unintended version update to the GitOps component, which tore it down and deleted the log shipper from the cluster. Nobody was in the office that early to see it.\n"
                    for n in (1, 2, 3)
                },
                {"2025-01-01-copy.md": [], "2025-02-01-copy.md": [3], "2025-03-01-copy.md": [3]},
            ),
            "an-action-item-carried-over-counts-however-many-carry-it": (
                {
                    f"2025-0{n}-01-x.md": "# X\n## Action items\n- Add more dashboards and review the alert thresholds of every API we run\n"
                    for n in (1, 2, 3, 4, 5)
                },
                {f"2025-0{n}-01-x.md": ([] if n == 1 else [3]) for n in (1, 2, 3, 4, 5)},
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
            "the-same-symptom-another-mechanism": {
                "PM-101.md": "# Billing metrics missing from Grafana\n## Summary\nBilling metrics were missing from Grafana for a day: the exporter's endpoint took longer than the scrape timeout.\n## Contributing factors\n- One tenant created thousands of consumer groups.\n",
                "PM-102.md": "# Billing metrics stopped being exported to Grafana\n## Summary\nThe billing exporter lost access when the personal API key it used was revoked.\n## Contributing factors\n- The exporter's API key belonged to a personal account.\n",
            },
            "the-same-headline-behind-two-failure-kinds": {
                "2025-03-18-pool.md": "# Checkout API errors for EU customers\n## Summary\ncheckout-api returned 500s after its database connection pool was exhausted.\n",
                "2025-09-23-cert.md": "# Checkout API errors for EU customers\n## Summary\ncheckout-api returned 500s after its TLS certificate expired.\n",
            },
            "an-earlier-postmortem-named-as-a-cause": {
                "PM2019-009.md": "# Cluster network IP starvation\n## Summary\nThe cluster subnets ran out of free IP addresses and new pods could not start.\n",
                "PM2019-010.md": "# Cluster node deletion\n## Summary\nA command run against the wrong context deleted every worker node from the cluster.\n## Contributing factors\n- IP address starvation in the cluster network (see post-mortem [PM2019-009](PM2019-009.md)) slowed the recovery.\n",
            },
            "occurrences-counted-in-the-timeline-are-this-incident": {
                "2025-02-27-nodes.md": "# Kubernetes nodes NotReady\n## Summary\nThree Kubernetes nodes went NotReady and evicted their pods.\n",
                "2025-03-03-capacity.md": "# Scheduling capacity on the cluster\n## Summary\nKubernetes nodes went NotReady and evicted pods until we reserved system resources on each node.\n## Timeline\n- 09:52 Second occurrence of a node in NotReady state\n- 11:04 Third occurrence of a node in NotReady state\n",
            },
            "dated-titles-name-no-failure": {
                "2025-06-01-a.md": "# The identity-api incident of 1 June 2025\n## Summary\nLogins failed for mobile clients after a token signing key rotated.\n",
                "2025-06-05-b.md": "# The identity-api incident of 5 June 2025\n## Summary\nProfile pages were slow while a reindex ran during the day.\n",
            },
            "the-same-hosts-down-from-another-mechanism": {
                "2024-02-01-batch.md": "# Batch hosts unresponsive\n## Summary\nThe batch hosts became unresponsive overnight.\n## Contributing factors\n- The report generator had no memory limit and used 30 GB of memory on each host.\n- Nobody watched the report generator's memory.\n",
                "2024-06-01-image.md": "# Batch hosts unresponsive after patching\n## Summary\nThe batch hosts became unresponsive after a kernel patch; the vendor recalled the machine image.\n## Contributing factors\n- New machine images are rolled out to every host at once.\n",
            },
            "the-same-resource-on-the-same-component-exhausted-by-something-else": {
                "2024-02-01-batch.md": "# Batch hosts unresponsive\n## Summary\nThe batch hosts became unresponsive overnight.\n## Contributing factors\n- The report generator had no memory limit and used 30 GB of memory on each host.\n- Nobody watched the report generator's memory.\n",
                "2024-09-01-reserve.md": "# Batch capacity\n## Summary\nBatch hosts went down one after another under memory pressure.\n## Contributing factors\n- Too little memory was reserved for the operating system on each host.\n",
            },
            "available-again-and-prevented-from-recurring-say-nothing-of-the-past": {
                "2025-01-10-a.md": "# Search index rebuild stalled\n## Summary\nThe search index rebuild stalled and results went stale.\n",
                "2025-04-10-b.md": "# Search results stale after a deploy\n## Summary\nSearch results went stale after the indexer deploy; they were fresh again at 11:00. We added a check to keep it from recurring.\n",
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
            "a-load-balancer-lost-its-targets-again-behind-another-headline": (
                {
                    "2020-06-09-alb.md": "# ALB instance attachments removed\n## Summary\nA maintenance change made the ALB remove every attached instance, and all services became unreachable from outside the cluster.\n",
                    "2021-06-22-cni.md": "# All services returning 503\n## Summary\nA network plugin change caused the target groups to become detached from the load balancer.\n",
                },
                {"2020-06-09-alb.md": [], "2021-06-22-cni.md": [1]},
            ),
            "the-same-title-in-another-tense": (
                {
                    "2022-01-31-logs.md": "# Logs not shipped to CloudWatch\n## Summary\nA log shipper misconfiguration lost ninety minutes of logs.\n",
                    "2023-04-11-logs.md": "# Logs not being shipped to CloudWatch\n## Summary\nAfter a log shipper upgrade some nodes stopped sending logs.\n",
                },
                {"2022-01-31-logs.md": [], "2023-04-11-logs.md": [1]},
            ),
            "a-shorter-title-that-says-nothing-new": (
                {
                    "2021-01-05-logs.md": "# Logs from Kubernetes workloads not shipped to CloudWatch Logs\n## Summary\nOverwritten annotations stopped the log shipper.\n",
                    "2022-01-31-logs.md": "# Logs not shipped to CloudWatch\n## Summary\nThe log shipper used the wrong role.\n",
                },
                {"2021-01-05-logs.md": [], "2022-01-31-logs.md": [1]},
            ),
            "a-workload-exhausting-the-same-hosts-again-told-in-other-words": (
                {
                    "2024-02-01-batch.md": "# Batch hosts unresponsive\n## Summary\nThe batch hosts became unresponsive overnight.\n## Contributing factors\n- The report generator had no memory limit and used 30 GB of memory on each host.\n- Nobody watched the report generator's memory.\n",
                    "2024-05-14-nightly.md": "# Nightly invoices late\n## Summary\nInvoices went out six hours late. Two hosts were down from 02:00.\n## Root cause\nThe report generator ran out of RAM and took the hosts with it.\n## Action items\n- Cap the report generator's memory (@dana, 2024-06-01)\n",
                },
                {"2024-02-01-batch.md": [], "2024-05-14-nightly.md": [5]},
            ),
            "the-measure-an-earlier-postmortem-asked-for-is-what-was-missing": (
                {
                    "2024-02-01-batch.md": "# Batch hosts unresponsive\n## Summary\nThe batch hosts became unresponsive overnight: the report generator used all their memory.\n## Action items\n- Give heavy memory consumers dedicated hosts\n",
                    "2024-08-20-agent.md": "# Batch hosts down\n## Summary\nTwo batch hosts were down for an hour: the log agent's memory usage grew until they stopped answering.\n## Contributing factors\n- The log agent does not run on dedicated hosts.\n",
                },
                {"2024-02-01-batch.md": [], "2024-08-20-agent.md": [1]},
            ),
            "second-occurrence-said-in-the-summary": (
                {
                    "2021-06-22-lb.md": "# Every service answered 503\n## Summary\nA pipeline change detached the target groups from the load balancer and every service answered 503.\n",
                    "2021-06-30-upgrade.md": "# Cluster upgrade outage\n## Summary\nThe fix from June was not yet released, so this was a second occurrence of the load balancer target groups being detached: every service answered 503.\n",
                },
                {"2021-06-22-lb.md": [], "2021-06-30-upgrade.md": [1]},
            ),
            "seen-this-issue-before-in-the-contributing-factors": (
                {
                    "2024-02-01-queue.md": "# Invoice emails delayed\n## Summary\nInvoice emails queued for six hours behind a stuck mail worker.\n",
                    "2024-05-01-mail.md": "# Customers got invoices late\n## Summary\nInvoice emails queued for hours behind a stuck mail worker.\n## Contributing factors\n- We had seen this issue before and knew the fix, but it was never deployed.\n",
                },
                {"2024-02-01-queue.md": [], "2024-05-01-mail.md": [1]},
            ),
            "the-same-as-an-earlier-identifier": (
                {
                    "INC-2291.md": "# Feature store p99 latency\n## Summary\nFeature store reads took seconds while compaction ran.\n",
                    "INC-2310.md": "# Slow model serving\n## Summary\nModel serving timed out. Same problem as INC-2291: compaction starved the feature store of IO.\n",
                },
                {"INC-2291.md": [], "INC-2310.md": [1]},
            ),
            "a-link-to-the-previous-postmortem-by-file-name": (
                {
                    "2025-01-10-checkout.md": "# Checkout slow during the sale\n## Summary\nCheckout slowed down during the sale.\n",
                    "2025-11-28-black-friday.md": "# Black Friday checkout\n## Summary\nSee [the previous postmortem](./2025-01-10-checkout.md): it happened again under the sale's load.\n",
                },
                {"2025-01-10-checkout.md": [], "2025-11-28-black-friday.md": [1]},
            ),
            "a-link-to-the-earlier-postmortem-by-its-title": (
                {
                    "a.md": "# Payment webhooks delivered twice\n## Summary\nPartners received each payment webhook twice.\n",
                    "b.md": "# Duplicate partner callbacks\n## Summary\nThis is a recurrence of [Payment webhooks delivered twice](https://wiki.example.com/pm/42).\n",
                },
                {"a.md": [], "b.md": [1]},
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
