"""A postmortem is read as a person reads it: sections by heading and by what they hold,
action items wherever they are written, done or open as the document says, owners and dates
as people write them. Each layout here is one nobody on this project wrote the parser for."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followthrough.core.document import Document, Genre, SectionKind
from followthrough.core.markdown import parse
from followthrough.core.parsing import blocks as bl
from followthrough.core.reading import outline, whys
from followthrough.core.reading.context import Reading

K = SectionKind


def kinds(text: str) -> list[tuple[SectionKind, int]]:
    return [(s.kind, s.line) for s in parse(text).sections]


# --------------------------------------------------------------------------- sections


def test_an_untitled_lead_paragraph_is_the_summary_and_a_note_before_it_is_a_note() -> None:
    text = (
        '+++\ntitle = "Registry outage"\n+++\n\n'
        "(based on the Atlassian postmortem template)\n\n"
        "On 2026-03-04 the package registry returned errors for 40 minutes after a deploy.\n\n"
        "## Timeline\n\n- 10:00 UTC deploy\n- 10:40 UTC rollback\n"
    )
    doc = parse(text)
    assert doc.title == "Registry outage"
    assert kinds(text)[:3] == [(K.METADATA, 1), (K.OTHER, 5), (K.SUMMARY, 7)]


def test_a_chain_of_why_questions_is_five_whys_wherever_it_stands() -> None:
    doc = parse(
        "# Invoices sent twice\n\n## What went wrong\n\n"
        "1. Why were invoices sent twice? The batch ran on both nodes.\n"
        "2. Why on both nodes? The leader lock lapsed during failover.\n"
        "3. Why did it lapse? Its TTL was shorter than the failover.\n"
    )
    assert len(doc.whys) == 3
    assert doc.whys[2].answer == "Its TTL was shorter than the failover."


def test_a_run_of_timestamped_lines_is_a_timeline_under_any_heading_or_none() -> None:
    doc = parse(
        "# DNS outage\n\n## Log\n\n"
        "09:14 UTC latency alert fires\n09:26 UTC latency back to normal\n"
        "13:40 UTC second spike\n"
    )
    assert doc.section(K.TIMELINE) is not None
    assert [e.time_text for e in doc.timeline] == ["09:14 UTC", "09:26 UTC", "13:40 UTC"]


def test_date_headings_in_a_timeline_are_its_days() -> None:
    doc = parse(
        "# Broken downloads\n\n## Timeline\n\n### 2023-07-19\n\n- 17:41 UTC – PR merged\n\n"
        "### 2023-07-20\n\n- 12:17 UTC – deployment promoted\n"
    )
    assert kinds("# T\n\n## Timeline\n\n### 2023-07-19\n\n- 17:41 UTC x\n")[-1] == (K.TIMELINE, 5)
    assert [e.at.date() for e in doc.timeline if e.at] == [date(2023, 7, 19), date(2023, 7, 20)]


def test_numeric_dates_in_a_timeline_are_read_in_the_order_the_writer_used() -> None:
    month_first = parse(
        "# Chain halted\n\n## Timeline\n\n10/14/2022 14:05 - node reports a fork\n"
        "10/15/2022 - patch released\n11/02/2022 09:00 - all nodes upgraded\n"
    )
    assert [e.text for e in month_first.timeline][0] == "node reports a fork"
    assert [e.at.date() for e in month_first.timeline if e.at] == [
        date(2022, 10, 14),
        date(2022, 11, 2),
    ]
    # one entry whose day is over 12 shows the order for the ambiguous ones
    day_first = parse(
        "# All down\n\n## Timeline\n\n- 27-05-2025 13:44 – alarms fire\n"
        "- 01-06-2025 09:00 – script fixed\n- 02-06-2025 10:00 – review held\n"
    )
    assert [e.at.date() for e in day_first.timeline if e.at] == [
        date(2025, 5, 27),
        date(2025, 6, 1),
        date(2025, 6, 2),
    ]


def test_ambiguous_numeric_dates_take_the_order_that_keeps_the_entries_in_sequence() -> None:
    doc = parse(
        "# T\n\n## Timeline\n\n- 03/04/2024 10:00 - deploy\n- 05/04/2024 11:00 - errors\n"
        "- 02/05/2024 09:00 - fixed\n"
    )  # month first would run March, May, February: the writer put the day first
    assert [e.at.date() for e in doc.timeline if e.at] == [
        date(2024, 4, 3),
        date(2024, 4, 5),
        date(2024, 5, 2),
    ]


def test_numeric_dates_no_order_explains_stay_unknown_rather_than_guessed() -> None:
    doc = parse(
        "# T\n\nDate: 2024-01-09\n\n## Timeline\n\n- 03/04/2024 10:00 - deploy\n"
        "- 04/05/2024 11:00 - errors\n- 05/06/2024 - fixed\n- 12:00 - review\n"
    )  # both orders keep these in sequence
    assert [e.text for e in doc.timeline] == ["deploy", "errors", "fixed", "review"]
    assert doc.incident_date == date(2024, 1, 9)
    assert [e.at for e in doc.timeline] == [None, None, None, None]
    assert doc.timeline[0].time_text == "03/04/2024 10:00"


def test_numeric_dates_both_orders_keep_in_sequence_take_the_one_within_a_month() -> None:
    doc = parse(
        "# 12-01-2026 - Instances down\n\n## Timeline\n\n- **08-01-2026** – certificate expires\n"
        "- **11-01-2026 10:00 UTC** – webhook fails\n- **12-01-2026 09:52 UTC** – customers report\n"
    )  # month first also keeps them in order, over four months (the title is no entry)
    assert [e.at.date() for e in doc.timeline if e.at] == [date(2026, 1, 11), date(2026, 1, 12)]


def test_a_list_of_instructions_with_owners_and_dates_is_action_items_under_any_heading() -> None:
    doc = parse(
        "# Checkout errors\n\n## Follow through\n\n"
        "- Add a canary stage to the payments deploy (@ana, 2026-04-01)\n"
        "- Alice to rotate the partner keys by 2026-03-20\n"
    )
    assert [(a.owner, a.due) for a in doc.action_items] == [
        ("@ana", date(2026, 4, 1)),
        ("Alice", date(2026, 3, 20)),
    ]


def test_a_bold_line_alone_is_a_heading_but_a_bold_list_lead_is_not() -> None:
    doc = parse(
        "# IP starvation\n\n## Summary\n\nWe scaled the cluster.\n\n**The underlying issue**:  \n"
        "Each pod takes an IP address from the subnet.\n\n## Action Items\n\n"
        "- **Implement priority-classes**: critical workloads get scheduled first.\n"
    )
    assert (K.ROOT_CAUSE, 7) in [(s.kind, s.line) for s in doc.sections]
    assert doc.action_items[0].text.startswith("Implement priority-classes")


def test_a_plain_line_that_is_only_a_section_name_over_a_list_is_its_heading() -> None:
    doc = parse(
        "# Certificate expired\n\n## Detection\n\nPeople told us it was down.\n\n"
        "Action Items\n- Set up alerting on expiring certificates\n\n"
        "- Move the instance to the team's own project\n\n## Lessons Learned\n\n- Know them\n"
    )
    assert (K.ACTION_ITEMS, 7) in [(s.kind, s.line) for s in doc.sections]
    assert [a.line for a in doc.action_items] == [8, 10]
    # over a paragraph, or with more words than the name, it stays a line of the text
    other = parse(
        "# T\n\n## Detection\n\nAlerts fired.\n\nAction items\nwere discussed later.\n\n"
        "Action items we discussed\n- more alerts\n"
    )
    assert K.ACTION_ITEMS not in [s.kind for s in other.sections]


def test_headings_real_teams_write_are_understood() -> None:
    text = (
        "# Crate downloads broken\n\n## Leadup\n\nA refactor was merged.\n\n## Fault\n\n"
        "The URL lacked a slash.\n\n## What was impacted\n\nAll downloads for 13 minutes.\n\n"
        "## Future measures\n\nWe will add a staging smoke test for downloads.\n\n"
        "## Atendees\n\n- TB, JT\n"
    )
    assert [k for k, _ in kinds(text)] == [
        K.TITLE,
        K.TRIGGER,
        K.ROOT_CAUSE,
        K.IMPACT,
        K.ACTION_ITEMS,
        K.PEOPLE,
    ]


def test_an_issue_description_is_the_summary() -> None:
    text = (
        "# Media server down for two weeks\n### Issues Found:\n* Remote access kept dropping\n"
        "### Issue Description:\n* The server was unreachable for most users\n"
        "* The provider started blocking the default port\n"
    )
    assert (K.SUMMARY, 4) in kinds(text)


_LEAD = "# Billing export leak\n\nOn 2026-02-03 a customer reported that invoices of another tenant were visible.\n\n"


@pytest.mark.parametrize(
    ("heading", "body", "kind"),
    [
        (
            "Details",
            "The tenant filter was introduced with the export feature in 2024. "
            "It is not checked on the archive endpoint, which means any user could list them.",
            K.ROOT_CAUSE,
        ),
        (
            "Analysis",
            "We have no evidence that the archive was downloaded by anyone else: "
            "the logs show 3 downloads, all by the reporting customer's 2 users.",
            K.IMPACT,
        ),
        (
            "Background",
            "Exports have been a paid feature since 2019. Customers asked for archives "
            "of past years, and the archive page was added last spring.",
            K.APPENDIX,
        ),
    ],
)
def test_a_heading_that_names_no_part_is_read_by_what_it_holds_after_the_summary(
    heading: str, body: str, kind: SectionKind
) -> None:
    text = f"{_LEAD}## Timeline\n\n- 10:00 UTC report\n- 11:00 UTC fix\n\n## {heading}\n\n{body}\n"
    assert kinds(text)[-1] == (kind, 10)


def test_a_heading_that_names_no_part_opening_the_document_keeps_its_meaning() -> None:
    text = (
        "# Billing export leak\n\n## Overview\n\nInvoices of one tenant were visible to another.\n"
    )
    assert kinds(text) == [(K.TITLE, 1), (K.SUMMARY, 3)]


def test_details_that_are_fields_stay_metadata_after_the_summary() -> None:
    text = f"{_LEAD}## Details\n\n- **Severity:** SEV-2\n- **Status:** Final\n"
    assert kinds(text)[-1] == (K.METADATA, 5)


def test_a_section_that_counts_what_was_exposed_is_the_impact_whatever_its_heading() -> None:
    text = (
        f"{_LEAD}## What are we doing about leaks?\n\n"
        "The leaked archive was downloaded 41 times by 12 users of 3 organizations. "
        "From upload to removal (total exposure time): 2h 10m.\n\n"
        "## But what about a plan?\n\nWe hope to talk about it.\n"
    )
    assert kinds(text)[-2:] == [(K.IMPACT, 5), (K.OTHER, 9)]


def test_a_promise_in_the_background_is_an_action_item_but_a_quoted_policy_is_not() -> None:
    doc = parse(
        f"{_LEAD}## Action items\n\n- Check the tenant on every archive request\n\n"
        "## Background\n\nThe archive policy, published in 2019, says:\n\n"
        "> We will keep every archive for seven years.\n\n"
        "We will be discussing whether the policy should say who may read an archive, and\n"
        "who may hand it to someone outside the customer's organisation. Nothing is decided yet.\n"
    )
    assert [(a.line, a.state) for a in doc.action_items] == [(7, "open"), (15, "open")]


def test_field_lines_under_the_title_are_not_the_summary_a_generic_heading_follows() -> None:
    text = (
        "# Slow logins\n\n**Incident:** PD-1 · **Severity:** SEV-2 · **Date:** 2026-01-02\n\n"
        "## Overview\n\nLogins were slow for 38 minutes because the cache evicted sessions.\n"
    )
    assert kinds(text)[-1] == (K.SUMMARY, 5)


def test_changes_a_response_announces_against_a_recurrence_are_action_items() -> None:
    doc = parse(
        "# Leaked token\n\nOn 2026-02-01 a researcher reported a token left in a published image.\n\n"
        "## Response\n\nI revoked the token within the hour and reviewed the audit log for any use"
        " of it. A few changes have been made to mitigate future risk of this kind of leak.\n\n"
        "The image builder is now entirely separate from developer machines, which means local"
        " edits can no longer reach a published image. Builds start from a clean checkout.\n\n"
        "I have removed the remaining long-lived tokens of my account,\n"
        "and will avoid creating new ones unless a build cannot work without them.\n"
    )
    assert [(a.line, a.state, a.owner) for a in doc.action_items] == [
        (9, "done", None),
        (12, "open", "I (the author)"),
    ]


def test_an_introduction_announcing_what_the_post_discusses_is_not_an_action_item() -> None:
    doc = parse(
        "# Outages from 11 to 23 April\n\nOver two weeks the service failed several times and"
        " users were locked out for hours.\n\nWe are sorry and have written this post to say what"
        " happened. We will also discuss the steps taken to prevent this from happening again."
        "\n\nTo make up for it, we will be crediting all paid plans with twelve extra days."
        " Watch our feed for the details."
        "\n\n## What is being done\n\nThe storage servers ran old firmware. In the coming"
        " weeks we will be setting aside maintenance windows to update it.\n"
    )
    assert [a.line for a in doc.action_items] == [11]


def test_a_decision_still_to_discuss_stays_a_promise() -> None:
    doc = parse(
        "# T\n\n## Next steps\n\nThe token had broad rights. We will be discussing whether"
        " the release policy should require two reviewers.\n"
    )
    assert [a.line for a in doc.action_items] == [5]


def test_a_response_without_such_a_lead_in_is_the_story_of_the_fix() -> None:
    doc = parse(
        "# Leaked token\n\nOn 2026-02-01 a researcher reported a token left in a published image.\n\n"
        "## Response\n\nI revoked the token within the hour and reviewed the audit log for any use"
        " of it, then told the researcher.\n\n"
        "The image registry is now clean again, which means no published image holds the token"
        " any more.\n"
    )
    assert doc.action_items == []


def test_a_template_is_read_as_one() -> None:
    doc = parse("# Incident Title\n\n## Summary\n\n## Impact\n\n## Timeline\n\n## Root cause\n")
    assert doc.genre is Genre.TEMPLATE


def test_a_security_disclosure_is_read_as_one() -> None:
    doc = parse(
        "# Security incident disclosure\n\nA security researcher reported that a leaked token"
        " gave push access; the vulnerability is fixed and no packages were compromised.\n"
    )
    assert doc.genre is Genre.SECURITY_DISCLOSURE


# --------------------------------------------------------------------------- done or open


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("- [x] Rotate the keys", "ticked box"),
        ("- Rotate the keys ✅", "check mark ✅"),
        ("- ~~Rotate the keys~~", "struck through"),
        ("- Rotate the keys (done)", "marked done ('(done)')"),
        ("- The vulnerable action has been disabled and removed", "written as done"),
        ("- We tweaked the registry pull limit", "written as done"),
    ],
)
def test_work_the_document_says_is_done_is_done_and_why(item: str, reason: str) -> None:
    doc = parse(f"# T\n\n## Action items\n\n{item}\n")
    assert doc.action_items[0].done
    assert (doc.action_items[0].done_reason or "").startswith(reason)


@pytest.mark.parametrize(
    "item",
    [
        "- Implement priority-classes: has been scheduled for next quarter",
        "- We have added a backlog task to curate the alerts",
        "- Check why the alert did not fire (issue created)",
        "- We are working on moving the cluster",
        "- Finally we are hoping to unify the release processes, which have been released apart",
    ],
)
def test_planned_work_and_a_filed_ticket_are_still_open(item: str) -> None:
    assert not parse(f"# T\n\n## Action items\n\n{item}\n").action_items[0].done


_TIMELINE_THEN_ITEMS = (
    "# Bad base image\n\n## Timeline\n\n"
    "| Time | Event |\n| --- | --- |\n"
    "| 2026-01-05 09:00 | Nodes restart with the new base image |\n"
    "| 2026-01-05 11:00 | Ticket raised to let the cluster module pin a chosen base image |\n"
    "{closing}"
    "\n## Action items\n\n"
    "- Let the cluster module pin a chosen base image\n"
    "- Alert when nodes restart with a new base image\n"
)


def test_an_item_the_timeline_reports_finished_is_done_and_says_where() -> None:
    closing = "| 2026-01-05 15:00 | Ticket work complete, merged and rolled out |\n"
    doc = parse(_TIMELINE_THEN_ITEMS.format(closing=closing))
    pin, alert = doc.action_items
    assert (pin.state, pin.done_reason) == ("done", "the timeline says it was done (line 9)")
    assert alert.state == "open"  # the timeline tells the restarts, not an alert built


def test_an_item_the_timeline_only_raises_is_still_open() -> None:
    doc = parse(_TIMELINE_THEN_ITEMS.format(closing=""))
    assert [a.state for a in doc.action_items] == ["open", "open"]


def test_a_rule_listed_among_measures_taken_is_in_force() -> None:
    doc = parse(
        "# Auto-merge abuse\n\n## Remediation\n\n"
        "- The auto-approve bot has been disabled and removed.\n"
        "- We have removed the merge bot's write access.\n"
        "- All release pull requests will require a review by a maintainer.\n"
        "- Write a guide for new maintainers by 2026-05-01\n"
    )
    rule = doc.action_items[2]
    assert (rule.state, rule.done_reason) == ("done", "a rule in force among measures taken")
    assert doc.action_items[3].state == "open"


def test_a_rule_listed_among_plans_is_still_a_plan() -> None:
    doc = parse(
        "# Auto-merge abuse\n\n## Remediation\n\n"
        "- Disable the auto-approve bot\n"
        "- Remove the merge bot's write access\n"
        "- All release pull requests will require a review by a maintainer.\n"
    )
    assert [a.state for a in doc.action_items] == ["open", "open", "open"]


def test_a_heading_that_says_the_work_was_done_makes_its_items_done() -> None:
    doc = parse("# T\n\n## Action items\n\n### Completed\n\n- Rotate the keys\n")
    assert doc.action_items[0].done_reason == "under the heading 'Completed'"


# --------------------------------------------------------------------------- owners and dates


@pytest.mark.parametrize(
    ("item", "owner", "due_text"),
    [
        ("- Add the alert. Owner: Alice Smith", "Alice Smith", None),
        ("- Add the alert (alice@example.com, 2026-03-04)", "alice@example.com", "2026-03-04"),
        ("- Add the alert, Alice Smith by 2026-03-20", "Alice Smith", "2026-03-20"),
        ("- Add the alert (Rasmus, end of Q3)", "Rasmus", "end of Q3"),
        ("- Ship the fix by the 2.4 release", None, "the 2.4 release"),
        ("- Fix the flaky check due to a bug in the runner", None, None),
    ],
)
def test_owners_and_dates_as_people_write_them(
    item: str, owner: str | None, due_text: str | None
) -> None:
    action = parse(f"# T\n\n## Action items\n\n{item}\n").action_items[0]
    assert (action.owner, action.due_text) == (owner, due_text)


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("Script updated to handle pagination and retrieve the right checksum.", "done"),
        ("Checksum alerts moved to the on-call channel", "done"),
        ("Add automated tests for the rollout script", "open"),
        ("Ensure jobs moved to the new runner are monitored", "open"),
    ],
)
def test_a_headline_with_a_past_participle_reports_the_work_done(line: str, state: str) -> None:
    doc = parse(
        f"# T\n\n## Corrective measures\n\n1. Add an alert on failed rollouts.\n2. {line}\n"
    )
    assert doc.action_items[1].state == state


def test_a_tables_dri_column_is_the_owner() -> None:
    doc = parse(
        "# T\n\n## Action items\n\n| Action | DRI | Due |\n| --- | --- | --- |\n"
        "| Add the alert | Priya | 2026-03-04 |\n"
    )
    assert doc.action_items[0].owner == "Priya"


def test_a_linked_ticket_by_reference_is_the_items_tracker() -> None:
    doc = parse(
        "# T\n\n## Action items\n\n- [#2226]: Add logging when publishing starts.\n\n"
        "[#2226]: https://github.com/rust-lang/crates.io/issues/2226\n"
    )
    item = doc.action_items[0]
    assert item.tracker == "https://github.com/rust-lang/crates.io/issues/2226"
    assert item.text == "Add logging when publishing starts."


def test_commitments_told_in_prose_are_one_item_per_measure() -> None:
    doc = parse(
        "# T\n\n## Future measures\n\n"
        "It should not have been possible to upload that many packages. We will be introducing"
        " rate limiting on this endpoint.\n\nWe will be updating our policies to forbid"
        " impersonation. We will be deciding the exact wording of this policy in the coming weeks.\n"
    )
    assert [a.line for a in doc.action_items] == [5, 7]
    assert doc.action_items[0].text.startswith("We will be introducing rate limiting")


_ROOT_CAUSE_LINES = [
    "",
    "Why did the batch run twice? The leader lock lapsed.",
    "Why did it lapse?",
    "Its TTL was shorter than the failover.",
    "The batch is not idempotent.",
    "- The lock TTL was never reviewed.",
    "  Category: process",
    "Category: tooling gap",
    "Why:",
]


@given(st.lists(st.sampled_from(_ROOT_CAUSE_LINES), max_size=8))
def test_a_root_cause_is_read_from_its_lines_with_only_the_whys_blanked(lines: list[str]) -> None:
    """The blocks every reader shares stand for the region's when no why was read."""
    text = "# Outage\n\n## Root cause\n\n" + "\n".join(lines) + "\n"
    reading = Reading(Document(path="<text>", text=text), bl.scan(text))
    outline.build(reading)
    region = next(r for r in reading.regions if r.kind is K.ROOT_CAUSE)
    found = whys.read(reading, region, only_questions=True)
    region_lines = reading.lines(region)
    if found is reading.blocks(region):
        assert found == bl.blocks(region_lines)
    # every line left is one of the region's, and no why question is left
    left = {n for block in found for n in _numbers(block)}
    assert left <= {n for n, t in region_lines if t.strip()}
    assert not {w.line for w in reading.doc.whys if w.question} & left


def _numbers(block: bl.Block) -> list[int]:
    if isinstance(block, bl.Para):
        return [n for n, _ in block.lines]
    if isinstance(block, bl.Item):
        return [n for item in bl.walk([block]) for n in (item.line, *(m for m, _ in item.cont))]
    return [n for n, _ in block.rows]
