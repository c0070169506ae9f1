"""The parser reads any common postmortem layout into the document model, without configuration."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followthrough.core.document import RootCauseCategory, SectionKind
from followthrough.core.markdown import DocumentReadError, parse, read_file
from followthrough.core.parsing import blocks
from followthrough.core.parsing.vocabulary import section_kind
from followthrough.core.writing import template, to_markdown

LAYOUTS = Path(__file__).resolve().parent.parent / "fixtures" / "layouts"
K = SectionKind


def layout(name: str):  # type: ignore[no-untyped-def]
    return read_file(LAYOUTS / name)


def kinds(doc) -> list[tuple[SectionKind, int]]:  # type: ignore[no-untyped-def]
    return [(s.kind, s.line) for s in doc.sections]


# --------------------------------------------------------------------------- headings


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Root Cause(s)", K.ROOT_CAUSE),
        ("3. Root cause:", K.ROOT_CAUSE),
        ("🔥 What went wrong?", K.LESSONS),
        ("Why did it happen?", K.ROOT_CAUSE),
        ("Next steps", K.ACTION_ITEMS),
        ("Remediation", K.ACTION_ITEMS),
        ("Customer impact", K.IMPACT),
        ("Chronology", K.TIMELINE),
        ("Corrective and Preventative Measures", K.ACTION_ITEMS),
        ("Action Items & Followups", K.ACTION_ITEMS),
        ("5 Whys", K.WHYS),
        ("Chain of Events", K.TIMELINE),
        ("Incident Timeline (UTC)", K.TIMELINE),
        ("Process Breakdown(s)", K.CONTRIBUTING_FACTORS),
        ("Where did we get lucky", K.LESSONS),
        ("Names of people involved", K.PEOPLE),
        ("Supporting information", K.APPENDIX),
        ("Trigger(s)", K.TRIGGER),
        ("Mitigation & Resolution", K.RESOLUTION),
        ("III. Executive Summary", K.SUMMARY),
        ("Messaging", K.OTHER),
    ],
)
def test_headings_teams_rename_freely_still_map_to_our_sections(
    heading: str, kind: SectionKind
) -> None:
    assert section_kind(heading) is kind


def test_any_heading_level_setext_headings_and_bold_labels_are_sections() -> None:
    text = (
        "Billing outage\n"
        "==============\n"
        "\n"
        "Summary\n"
        "-------\n"
        "Invoices failed.\n"
        "\n"
        "#### Impact\n"
        "1,200 customers.\n"
        "\n"
        "**Root cause:** the batch is not idempotent.\n"
        "\n"
        "**Lessons learned**\n"
        "Keys matter.\n"
    )
    doc = parse(text)
    assert doc.title == "Billing outage"
    assert kinds(doc) == [
        (K.TITLE, 1),
        (K.SUMMARY, 4),
        (K.IMPACT, 8),
        (K.ROOT_CAUSE, 11),
        (K.LESSONS, 13),
    ]
    summary = doc.section(K.SUMMARY)
    assert summary is not None
    assert (summary.body, summary.body_line, summary.end_line) == ("Invoices failed.", 6, 6)
    root = doc.section(K.ROOT_CAUSE)
    assert root is not None and root.level == 6 and root.body.startswith("the batch")
    assert [c.text for c in doc.root_causes] == ["the batch is not idempotent."]


def test_an_unrecognised_subheading_belongs_to_the_recognised_section_above_it() -> None:
    doc = parse(
        "# Outage\n\n## Root cause\n\n### Process gap\n\nNo checklist for schema changes.\n\n## Detection\n\nAn alert.\n"
    )
    root = doc.section(K.ROOT_CAUSE)
    assert root is not None and (root.line, root.end_line) == (3, 7)
    # the sub-heading is a part of the root cause, of the same kind
    assert [s.heading for s in doc.sections_of(K.ROOT_CAUSE)] == ["Root cause", "Process gap"]
    assert [(c.text, c.category) for c in doc.root_causes] == [
        ("No checklist for schema changes.", RootCauseCategory.PROCESS)
    ]


def test_headings_inside_code_fences_and_comments_are_not_sections() -> None:
    doc = parse(
        "# T\n\n```\n## Timeline\n- 14:02 nothing\n```\n<!--\n## Impact\n-->\n## Summary\nok\n"
    )
    assert kinds(doc) == [(K.TITLE, 1), (K.SUMMARY, 10)]
    assert doc.timeline == []


# --------------------------------------------------------------------------- the layouts


def test_the_sre_book_layout_is_understood() -> None:
    doc = layout("sre_book.md")
    assert doc.title == "Shakespeare Sonnet++ Postmortem (incident #465)"
    assert doc.incident_date == date(2015, 10, 21)
    assert [k for k, _ in kinds(doc)][:8] == [
        K.TITLE,
        K.METADATA,  # "Date:", "Authors:" ... under the title
        K.SUMMARY,
        K.IMPACT,
        K.ROOT_CAUSE,
        K.TRIGGER,
        K.RESOLUTION,
        K.DETECTION,
    ]
    assert doc.section(K.ACTION_ITEMS).line == 21  # type: ignore[union-attr]
    assert doc.section(K.TIMELINE).line == 44  # type: ignore[union-attr]
    assert doc.root_causes[0].category is RootCauseCategory.CAPACITY
    assert len(doc.timeline) == 8
    assert doc.timeline[0].at == datetime(2015, 10, 21, 14, 51, tzinfo=UTC)
    assert doc.timeline[-1].text == "OUTAGE ENDS, all traffic served"
    items = doc.action_items
    assert [(a.owner, a.kind, a.tracker, a.done) for a in items] == [
        ("jennifer", "mitigate", None, True),
        ("martym", "prevent", "Bug 5554823", False),
        ("docbrown", "process", None, False),
        ("jennifer", "prevent", "Bug 5554824", False),
    ]
    assert all(a.due is None and a.due_text is None for a in items)


def test_the_atlassian_layout_is_understood() -> None:
    doc = layout("atlassian.md")
    assert (doc.title, doc.incident_date, doc.severity) == (
        "Checkout API returned errors for EU customers",
        date(2026, 3, 4),
        "SEV2",
    )
    assert kinds(doc)[:2] == [(K.METADATA, 1), (K.TITLE, 7)]  # front matter, then the title
    assert kinds(doc)[2:] == [
        (K.SUMMARY, 11),
        (K.SUMMARY, 16),
        (K.IMPACT, 20),
        (K.TIMELINE, 25),
        (K.CONTRIBUTING_FACTORS, 35),
        (K.WHYS, 41),
        (K.ROOT_CAUSE, 49),
        (K.ACTION_ITEMS, 55),
    ]
    assert [e.at for e in doc.timeline][:2] == [
        datetime(2026, 3, 4, 9, 10, tzinfo=UTC),
        datetime(2026, 3, 4, 9, 14, tzinfo=UTC),
    ]
    assert len(doc.whys) == 5
    assert doc.whys[0].question == "Why did checkout fail?"
    assert doc.whys[0].answer == "the payments database ran out of connections."
    assert len(doc.factors) == 3
    assert [(c.text, c.category) for c in doc.root_causes] == [
        (
            "We have no systematic check for schema changes that affect query plans.",
            RootCauseCategory.PROCESS,
        )
    ]
    a = doc.action_items
    assert [(x.text, x.owner, x.due, x.done) for x in a] == [
        ("Add an index on orders.created_at", "@dana", date(2026, 3, 18), False),
        ("Add a schema-change checklist to the review template", "@erik", date(2026, 3, 25), False),
        ("Point the report job at the replica", "Farah Khan", date(2026, 3, 6), True),
        ("Improve monitoring", None, None, False),
        ("Page on pool exhaustion within 1 minute", "@gil", date(2026, 4, 4), False),
    ]
    assert a[1].done_when == "the checklist is required by the PR template for migrations"
    assert (a[2].due_text, a[2].tracker) == ("Mar 6", "PAY-412")
    assert doc.suppressions == {11: {"PM401"}}


def test_the_pagerduty_layout_is_understood() -> None:
    doc = layout("pagerduty.md")
    assert (doc.title, doc.incident_date, doc.severity) == (
        "Elevated latency on the search API",
        date(2026, 3, 3),
        "SEV-1",
    )
    assert (K.DETECTION, 21) in kinds(doc) and (K.IMPACT, 17) in kinds(doc)
    pst = timezone(timedelta(hours=-8))
    assert [e.at for e in doc.timeline] == [
        datetime(2026, 3, 3, h, m, tzinfo=pst)
        for h, m in ((10, 2), (10, 11), (10, 25), (10, 58), (11, 7))
    ]
    assert doc.timeline[0].time_text == "10:02 AM"
    assert [c.category for c in doc.root_causes] == [
        RootCauseCategory.TOOLING,
        RootCauseCategory.CAPACITY,
    ]
    assert doc.root_causes[0].text.endswith("rejected writes once full.")
    a = doc.action_items
    assert [(x.owner, x.due, x.due_text, x.tracker, x.done) for x in a] == [
        ("@tom", date(2026, 3, 20), "2026-03-20", "SRCH-88", False),
        ("search-team", None, "next sprint", "SRCH-89", False),
        (None, None, "TBD", "SRCH-90", False),
        ("@priya", date(2026, 3, 10), "2026-03-10", "SRCH-91", True),
    ]


def test_a_free_narrative_with_bold_labels_is_understood() -> None:
    doc = layout("narrative.md")
    assert (doc.title, doc.incident_date, doc.severity, doc.failure_mode) == (
        "Billing emails sent twice",
        date(2026, 1, 12),
        "P2",
        "duplicate job execution after failover",
    )
    assert [k for k, _ in kinds(doc)] == [
        K.METADATA,  # the field lines the document opens with
        K.SUMMARY,
        K.IMPACT,
        K.LESSONS,
        K.ROOT_CAUSE,
        K.ROOT_CAUSE,
        K.ACTION_ITEMS,
    ]
    assert [(w.question, w.answer) for w in doc.whys] == [
        ("Why were invoices sent twice?", "The batch ran on both scheduler nodes."),
        ("Why did it run on both nodes?", "The leader lock lapsed during the failover."),
        ("Why did the lapse allow a second run?", "The batch has no idempotency key."),
    ]
    assert [(c.text, c.category) for c in doc.root_causes] == [
        (
            "The billing batch is not idempotent and relies on a single leader.",
            RootCauseCategory.PROCESS,
        )
    ]
    a = doc.action_items
    assert [(x.owner, x.due, x.due_text) for x in a] == [
        ("@nora", date(2026, 1, 30), "Jan 30"),
        ("@omar", date(2026, 2, 6), "2026-02-06"),
        ("Platform team", None, "Q1"),
        (None, None, None),
    ]
    assert a[0].text == "Give the billing batch an idempotency key per invoice."
    assert a[3].text == "Fix it ASAP"


def test_the_dfds_layout_with_a_chain_of_events_table_and_12h_times_is_understood() -> None:
    doc = layout("dfds.md")
    cet = timezone(timedelta(hours=1))
    assert doc.incident_date == date(2026, 2, 17)
    assert (K.TIMELINE, 20) in kinds(doc) and (K.METADATA, 3) in kinds(doc)
    assert doc.timeline[0].time_text == "7:59 AM CET"
    assert doc.timeline[0].at == datetime(2026, 2, 17, 7, 59, tzinfo=cet)
    # A zone, once written, holds for later times; past midnight the day rolls over.
    assert doc.timeline[3].at == datetime(2026, 2, 17, 8, 40, tzinfo=cet)
    assert doc.timeline[-1].at == datetime(2026, 2, 18, 0, 20, tzinfo=cet)
    assert doc.root_causes[0].category is RootCauseCategory.KNOWLEDGE
    assert len(doc.factors) == 2
    a = doc.action_items
    assert [(x.owner, x.due, x.done_when) for x in a] == [
        ("ingrid@example.com", date(2026, 3, 1), "certificate renewed automatically in staging"),
        ("@jonas", date(2026, 2, 28), "a test alert pages on-call"),
        ("Jonas", date(2026, 3, 15), None),
    ]


def test_our_own_template_filled_in_is_understood() -> None:
    doc = layout("ours_filled.md")
    assert (doc.title, doc.incident_date, doc.severity, doc.failure_mode) == (
        "Payments API timeouts during EU peak",
        date(2026, 3, 4),
        "P1",
        "database connection pool exhaustion",
    )
    assert len(doc.timeline) == 5 and all(
        e.at is not None and e.at.tzinfo is not None for e in doc.timeline
    )
    assert len(doc.whys) == 5
    assert doc.root_causes[0].category is RootCauseCategory.PROCESS
    assert [a.due for a in doc.action_items] == [
        date(2026, 3, 18),
        date(2026, 3, 25),
        date(2026, 3, 11),
    ]
    assert doc.action_items[0].done_when == "a test exhaustion in staging pages on-call"
    assert len(doc.sections_of(K.LESSONS)) == 4


# --------------------------------------------------------------------------- timelines


def test_timeline_times_are_read_in_every_common_shape() -> None:
    doc = parse(
        "Date: 2026-03-04\n\n## Timeline\n\n"
        "- 14:02 UTC — Alerts fire\n"
        "* 2:02 PM: Paged\n"
        "- **14:05** Acknowledged\n"
        "- 2026-03-05 09:00:30 +01:00 Follow-up\n"
        "- Mar 6, 10:00 EDT - Vendor call\n"
        "- Something without a time\n"
    )
    assert [(e.time_text, e.text) for e in doc.timeline] == [
        ("14:02 UTC", "Alerts fire"),
        ("2:02 PM", "Paged"),
        ("14:05", "Acknowledged"),
        ("2026-03-05 09:00:30 +01:00", "Follow-up"),
        ("Mar 6, 10:00 EDT", "Vendor call"),
        ("", "Something without a time"),
    ]
    assert [e.at for e in doc.timeline] == [
        datetime(2026, 3, 4, 14, 2, tzinfo=UTC),
        datetime(2026, 3, 4, 14, 2, tzinfo=UTC),
        datetime(2026, 3, 4, 14, 5, tzinfo=UTC),
        datetime(2026, 3, 5, 9, 0, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 6, 10, 0, tzinfo=timezone(timedelta(hours=-4))),
        None,
    ]


def test_a_timeline_without_any_zone_gives_naive_times_and_date_lines_carry_forward() -> None:
    doc = parse(
        "## Timeline\n\n**March 4, 2026**\n\n- 23:50 Deploy\n- 00:10 Errors\n\n### 2026-03-07\n\n- 08:00 Fix\n"
    )
    assert [e.at for e in doc.timeline] == [
        datetime(2026, 3, 4, 23, 50),
        datetime(2026, 3, 5, 0, 10),
        datetime(2026, 3, 7, 8, 0),
    ]


def test_ambiguous_numeric_dates_are_not_guessed() -> None:
    doc = parse("## Timeline\n\n- 04/03 14:02 Alerts fire\n")
    assert doc.timeline[0].at is None


def test_a_timeline_table_with_separate_date_and_time_columns_is_combined() -> None:
    doc = parse(
        "## Timeline\n\n| Date | Time (UTC) | Description |\n|---|---|---|\n| 2026-03-04 | 14:02 | Alerts |\n"
    )
    assert doc.timeline[0].at == datetime(2026, 3, 4, 14, 2, tzinfo=UTC)
    assert doc.timeline[0].text == "Alerts"


def test_a_timeline_mixing_times_with_and_without_a_zone_parses_and_shares_one_zone() -> None:
    # Reported by the rule engineer: parse() raised "can't compare offset-naive and
    # offset-aware datetimes" on this shape (an undated time, then zoned ones past midnight).
    doc = parse(
        "# Batch scheduler double run\n\n"
        "**Date:** 13 January 2026 · **Facilitator:** Tariq Aziz\n\n"
        "## Timeline\n\n"
        "- 23:58 scheduler-1 loses its lease\n"
        "- 00:05 UTC — invoices are generated twice\n"
        "- 07:30 UTC — refunds started\n"
    )
    assert [e.at for e in doc.timeline] == [
        datetime(2026, 1, 13, 23, 58, tzinfo=UTC),
        datetime(2026, 1, 14, 0, 5, tzinfo=UTC),
        datetime(2026, 1, 14, 7, 30, tzinfo=UTC),
    ]


def test_a_day_rolling_over_past_the_last_representable_date_leaves_the_time_unresolved() -> None:
    doc = parse("Date: 9999-12-31\n\n## Timeline\n\n- 23:00 Deploy\n- 01:00 Errors\n")
    assert [e.at for e in doc.timeline] == [datetime(9999, 12, 31, 23, 0), None]
    assert [e.clock for e in doc.timeline] == [time(23, 0), time(1, 0)]


def test_times_without_any_known_date_still_carry_their_clock_time() -> None:
    doc = parse("## Timeline\n\n- 2:02 PM Paged\n- 14:05 UTC Acknowledged\n- Later: fixed\n")
    assert [e.at for e in doc.timeline] == [None, None, None]
    assert [e.clock for e in doc.timeline] == [time(14, 2), time(14, 5), None]


_CLOCKS = ("23:58", "00:05", "7:30", "2:02 PM", "12:00 am", "14:02:31", "9pm", "23:59:59")
_ZONES = ("", " UTC", " PST", " +01:00", " CEST", " Z", " UTC+5:30", " GMT-3")
_DAYS = ("", "2026-03-04 ", "Mar 4 ", "4 March 2026 ", "9999-12-31 ", "0001-01-01 ", "Feb 29 ")
_DAY_LINES = ("**March 4, 2026**", "### 2026-03-07", "2015-10-21 (all times UTC)", "Mar 4")
_HEADINGS = (
    "## Timeline",
    "## Timeline (UTC)",
    "## Chronology (all times PDT)",
    "## Timeline 2026-03-04",
)
_DATES = ("", "Date: 2026-03-04\n\n", "Date: 9999-12-31\n\n", "Date: 0001-01-01\n\n")


def _timeline_entry(rng: random.Random) -> str:
    stamp = rng.choice(_DAYS) + rng.choice(_CLOCKS) + rng.choice(_ZONES)
    shape = rng.randrange(6)
    if shape == 0:
        return f"- {stamp} — something happened"
    if shape == 1:
        return f"| {stamp} | something happened |"
    if shape == 2:
        return f"**{stamp}** something happened"
    if shape == 3:
        return rng.choice(_DAY_LINES)
    if shape == 4:
        return f"* [{stamp}] (note) {rng.choice(_CLOCKS)}"
    return f"{stamp}: something happened"


def test_timelines_of_every_mixed_shape_parse_and_their_resolved_times_compare() -> None:
    rng = random.Random(20260304)
    for _ in range(400):
        lines = [_timeline_entry(rng) for _ in range(rng.randrange(1, 12))]
        if rng.random() < 0.3:
            lines.insert(0, "| Time | Event |\n|---|---|")
        text = rng.choice(_DATES) + rng.choice(_HEADINGS) + "\n\n" + "\n".join(lines) + "\n"
        doc = parse(text)
        resolved = [e.at for e in doc.timeline if e.at is not None]
        sorted(resolved)  # one timeline never mixes naive and zoned times
        assert all(e.clock is not None for e in doc.timeline if e.at is not None), text


# --------------------------------------------------------------------------- whys, causes


def test_whys_are_read_as_q_and_a_and_as_answers_only() -> None:
    doc = parse(
        "## 5 Whys\n\n"
        "- Q: Why did the outage happen? A: The database ran out of connections.\n"
        "- Why did it run out?\n"
        "  A query held connections open.\n"
        "\n## Whys\n\n* Bad thing happened\n* ...because the index was missing\n"
    )
    assert [(w.question, w.answer) for w in doc.whys] == [
        ("Why did the outage happen?", "The database ran out of connections."),
        ("Why did it run out?", "A query held connections open."),
        ("", "Bad thing happened"),
        ("", "...because the index was missing"),
    ]


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("No review gate for schema changes. (tooling gap)", RootCauseCategory.TOOLING),
        (
            "**Communication gap:** the status page was not updated.",
            RootCauseCategory.COMMUNICATION,
        ),
        ("The pool was sized for 2019 traffic. [capacity]", RootCauseCategory.CAPACITY),
        ("Nobody knew the job existed — knowledge gap", RootCauseCategory.KNOWLEDGE),
        ("No checklist for migrations (category: process)", RootCauseCategory.PROCESS),
    ],
)
def test_root_cause_categories_are_read_where_they_are_stated(
    line: str, category: RootCauseCategory
) -> None:
    doc = parse(f"## Root cause\n\n{line}\n")
    assert [c.category for c in doc.root_causes] == [category]


def test_an_unfilled_category_list_is_no_category() -> None:
    filled = template("X").replace(
        "[fill in: the systemic root cause, in one or two sentences]",
        "There is no review checklist for schema changes.",
    )
    doc = parse(filled)
    assert doc.root_causes[0].category is None


def test_a_template_placeholder_is_no_root_cause() -> None:
    assert parse(template("X")).root_causes == []


# --------------------------------------------------------------------------- action items


def test_action_item_annotations_are_separated_from_the_action() -> None:
    doc = parse(
        "Date: 2026-03-04\n\n## Action items\n\n"
        "- [ ] Add an alert on pool exhaustion (@alice, due 2026-03-18)\n"
        "- Add a checklist — owner: Alice Smith, due: Mar 20, done when: the PR template requires it\n"
        "- Owner: @bob. Rotate the keys [SEC-42] by 4 April 2026\n"
        "- @carol: document the failover due next sprint\n"
        "- [x] Move the job to the replica\n"
        "  - Owner: dana@example.com\n"
        "  - Due: ASAP\n"
        "- Improve monitoring\n"
    )
    got = [
        (a.text, a.owner, a.due, a.due_text, a.done_when, a.tracker, a.done)
        for a in doc.action_items
    ]
    assert got == [
        (
            "Add an alert on pool exhaustion",
            "@alice",
            date(2026, 3, 18),
            "2026-03-18",
            None,
            None,
            False,
        ),
        (
            "Add a checklist",
            "Alice Smith",
            date(2026, 3, 20),
            "Mar 20",
            "the PR template requires it",
            None,
            False,
        ),
        ("Rotate the keys", "@bob", date(2026, 4, 4), "4 April 2026", None, "SEC-42", False),
        ("document the failover", "@carol", None, "next sprint", None, None, False),
        ("Move the job to the replica", "dana@example.com", None, "ASAP", None, None, True),
        ("Improve monitoring", None, None, None, None, None, False),
    ]


def test_a_due_date_without_a_year_needs_the_incident_date() -> None:
    doc = parse("## Action items\n\n- Add an alert (@alice, due Mar 4)\n")
    assert (doc.action_items[0].due, doc.action_items[0].due_text) == (None, "Mar 4")


def test_placeholder_owners_mean_nobody() -> None:
    doc = parse(
        "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n| Add alert | TBD | TBD |\n| Fix | - | |\n"
    )
    assert [(a.owner, a.due_text) for a in doc.action_items] == [(None, "TBD"), (None, None)]


# --------------------------------------------------------------------------- suppressions


def test_suppressions_apply_to_the_next_line_or_the_whole_file() -> None:
    doc = parse(
        "<!-- followthrough: disable=pm101 -->\n"
        "# Title\n\n"
        "## Action items\n\n"
        "<!-- followthrough: disable=PM201, action-items.Unowned -->\n\n"
        "- Improve monitoring\n"
        "- Fix it <!-- followthrough: disable=PM202 -->\n"
        "<!-- followthrough: disable-file=PM301 -->\n"
    )
    assert doc.suppressions == {
        0: {"PM101", "PM301"},
        8: {"PM201", "action-items.unowned"},
        9: {"PM202"},
    }


# --------------------------------------------------------------------------- tolerance


def test_crlf_tabs_and_front_matter_are_tolerated() -> None:
    text = "---\r\ntitle: CRLF outage\r\ndate: 2026-03-04\r\nseverity: P1\r\n---\r\n\r\n## Action items\r\n\r\n-\t[ ] Add alert (@alice, due 2026-03-18)\r\n"
    doc = parse(text)
    assert (doc.title, doc.incident_date, doc.severity) == ("CRLF outage", date(2026, 3, 4), "P1")
    assert doc.action_items[0].owner == "@alice" and doc.action_items[0].line == 9


def test_a_broken_table_with_ragged_rows_is_read_as_far_as_it_goes() -> None:
    doc = parse(
        "## Action items\n\n| Action | Owner | Due\n| Add alert | @alice\n| Fix index | @bob | 2026-03-04 | extra |\n|\n"
    )
    assert [(a.text, a.owner) for a in doc.action_items][:2] == [
        ("Add alert", "@alice"),
        ("Fix index", "@bob"),
    ]
    assert doc.action_items[1].due == date(2026, 3, 4)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8")
        | st.sampled_from(list("#*-|[]()<>!:`~_\n\r\t0123456789"))
    )
)
def test_parse_never_raises_on_any_text(text: str) -> None:
    doc = parse(text)
    last = max(len(doc.lines), 1)
    assert all(
        s.line >= 1 and s.line <= s.end_line + 1 and s.end_line <= last for s in doc.sections
    )
    assert all(e.line <= last for e in doc.timeline) and all(
        a.line <= last for a in doc.action_items
    )


def test_a_huge_document_parses(tmp_path: Path) -> None:
    body = (LAYOUTS / "ours_filled.md").read_text()
    big = tmp_path / "big.md"
    big.write_text(body * (2_000_000 // len(body)))
    doc = read_file(big)
    assert len(doc.action_items) == 3 * (2_000_000 // len(body))


def test_a_pathological_line_does_not_hang() -> None:
    doc = parse(
        "#" + " " * 200_000 + "x\n" + "**" + "a" * 100_000 + "\n" + "- " + "(" * 50_000 + "\n"
    )
    assert doc is not None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n", "empty file"),
        (b"# Title\x00\x01", "binary file (NUL byte at offset 7)"),
        (b"# Caf\xe9\n", "not UTF-8 (invalid byte 0xe9 at offset 5)"),
    ],
)
def test_unreadable_input_gets_a_one_line_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "pm.md"
    path.write_bytes(content)
    with pytest.raises(DocumentReadError) as error:
        read_file(path)
    assert str(error.value) == reason


def test_missing_files_directories_and_oversized_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentReadError, match="no such file"):
        read_file(tmp_path / "nope.md")
    with pytest.raises(DocumentReadError, match="is a directory"):
        read_file(tmp_path)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(DocumentReadError, match="file too large"):
        read_file(big, max_bytes=1024)


def test_a_utf8_byte_order_mark_is_not_content(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes("\ufeff# Postmortem: BOM\n".encode())
    assert read_file(path).title == "BOM"


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", sorted(p.name for p in LAYOUTS.glob("*.md")))
def test_to_markdown_round_trips_what_was_understood(name: str) -> None:
    doc = layout(name)
    again = parse(to_markdown(doc))
    assert again.title == doc.title
    assert again.incident_date == doc.incident_date
    assert [(e.text, e.at) for e in again.timeline] == [(e.text, e.at) for e in doc.timeline]
    assert [(w.question, w.answer) for w in again.whys] == [
        (w.question, w.answer) for w in doc.whys
    ]
    assert [(c.text, c.category) for c in again.root_causes] == [
        (c.text, c.category) for c in doc.root_causes
    ]
    assert [f.text for f in again.factors] == [f.text for f in doc.factors]
    fields = [(a.text, a.owner, a.due, a.done_when, a.done) for a in doc.action_items]
    assert [(a.text, a.owner, a.due, a.done_when, a.done) for a in again.action_items] == fields
    kept = {s.kind for s in doc.sections} - {K.TITLE, K.METADATA}
    assert kept <= {s.kind for s in again.sections}


def test_the_template_has_every_section_of_the_seed_and_only_fill_in_placeholders() -> None:
    text = template("Checkout down")
    doc = parse(text)
    assert doc.title == "Checkout down"
    present = {s.kind for s in doc.sections}
    assert {
        K.SUMMARY,
        K.IMPACT,
        K.TIMELINE,
        K.WHYS,
        K.ROOT_CAUSE,
        K.CONTRIBUTING_FACTORS,
        K.DETECTION,
        K.RESOLUTION,
        K.ACTION_ITEMS,
        K.LESSONS,
        K.PEOPLE,
    } <= present
    assert "[fill in:" in template()
    assert "{title}" not in text and "TODO" not in text


# --------------------------------------------------------------------------- prose and terse notes


def test_a_tldr_in_bold_or_as_a_plain_line_is_the_summary() -> None:
    bold = parse(
        "# Checkout outage\n\n**TL;DR** Checkout failed for 20 minutes.\n\n## Impact\n\n3,100 orders.\n"
    )
    assert [(s.kind, s.body) for s in bold.sections][1] == (
        K.SUMMARY,
        "Checkout failed for 20 minutes.",
    )
    plain = parse("# Checkout outage\n\nTL;DR: Checkout failed for 20 minutes.\n")
    assert plain.section(K.SUMMARY) is not None
    assert plain.section(K.SUMMARY).body == "Checkout failed for 20 minutes."  # type: ignore[union-attr]


@pytest.mark.parametrize("heading", ["Why?", "Why", "Analysis", "Root cause analysis"])
def test_numbered_whys_under_an_analysis_heading_are_whys(heading: str) -> None:
    doc = parse(
        f"# Outage\n\n## {heading}\n\n"
        "1. Why did checkout fail? The pool was exhausted.\n"
        "2. Why was it exhausted? A query held connections for 30 s.\n"
        "3. Why was the query slow? Review does not look at query plans.\n"
    )
    assert [w.question for w in doc.whys] == [
        "Why did checkout fail?",
        "Why was it exhausted?",
        "Why was the query slow?",
    ]
    assert doc.whys[2].answer == "Review does not look at query plans."


def test_plain_label_lines_start_sections_in_terse_notes() -> None:
    doc = parse(
        "## search-api errors 2025-09-02\n\n"
        "sev2, ~25 min, @owen.t\n\n"
        "what happened: search-api 9.1 went out at 16:40.\n\n"
        "impact: 30% of search API calls failed for 25 min.\n\n"
        "timeline (UTC):\n- 16:40 deploy 9.1\n- 17:05 rollback to 9.0\n\n"
        "root cause: bad deploy\n\n"
        "actions:\n- add more tests — @owen.t\n"
    )
    assert [(s.kind, s.line) for s in doc.sections] == [
        (K.TITLE, 1),
        (K.SUMMARY, 5),
        (K.IMPACT, 7),
        (K.TIMELINE, 9),
        (K.ROOT_CAUSE, 13),
        (K.ACTION_ITEMS, 15),
    ]
    assert doc.section(K.IMPACT).body == "30% of search API calls failed for 25 min."  # type: ignore[union-attr]
    assert [e.clock for e in doc.timeline] == [time(16, 40), time(17, 5)]
    assert doc.root_causes[0].text == "bad deploy"
    assert [(a.text, a.owner) for a in doc.action_items] == [("add more tests", "@owen.t")]


def test_plain_labels_with_a_qualifier_and_follow_ups_are_sections() -> None:
    doc = parse(
        "# Label printers\n\nSo on Thursday the printers stopped.\n\n"
        "Timeline, roughly (all UK time):\n\n- 13:10 certificate rotated\n\n"
        "Root cause: certificate pinning nobody knew about. Knowledge gap.\n\n"
        "Follow-ups:\n\n- Document the pinning — Sam Whitfield, 29 August 2025\n"
    )
    assert [s.kind for s in doc.sections] == [
        K.TITLE,
        K.SUMMARY,  # the untitled lead paragraph
        K.TIMELINE,
        K.ROOT_CAUSE,
        K.ACTION_ITEMS,
    ]
    assert doc.root_causes[0].category is RootCauseCategory.KNOWLEDGE
    assert doc.action_items[0].owner == "Sam Whitfield"
    assert doc.action_items[0].due == date(2025, 8, 29)


def test_plain_labels_do_not_split_a_document_that_has_section_headings() -> None:
    doc = parse(
        "# Outage\n\n## Summary\n\nImpact: 3 customers, all refunded.\n\n## Timeline\n\n- 10:00 x\n"
    )
    assert [s.kind for s in doc.sections] == [K.TITLE, K.SUMMARY, K.TIMELINE]


def test_bold_labels_ending_with_a_full_stop_start_sections() -> None:
    doc = parse(
        "# Export outage\n\n"
        "**What happened.** The export shipped truncated files.\n\n"
        "**Impact.** 12 partners received 41% of the rows.\n\n"
        "**How we found it.** A partner e-mailed.\n\n"
        "**Why it happened.**\n\n1. Why were the files truncated? A 2 GiB buffer limit.\n\n"
        "**What we are changing.**\n\n"
        "1. Compare row counts — Hannah Weiss, by 17 October 2025. Done when a forced "
        "truncation in staging fails the job.\n\n"
        "**Important.** This paragraph is not a section.\n"
    )
    assert [(s.kind, s.heading) for s in doc.sections] == [
        (K.TITLE, "Export outage"),
        (K.SUMMARY, "What happened"),
        (K.IMPACT, "Impact"),
        (K.DETECTION, "How we found it"),
        (K.ROOT_CAUSE, "Why it happened"),
        (K.ACTION_ITEMS, "What we are changing"),
    ]
    assert doc.section(K.IMPACT).body == "12 partners received 41% of the rows."  # type: ignore[union-attr]
    assert [w.question for w in doc.whys] == ["Why were the files truncated?"]
    action = doc.action_items[0]
    assert (action.text, action.owner, action.due, action.done_when) == (
        "Compare row counts",
        "Hannah Weiss",
        date(2025, 10, 17),
        "a forced truncation in staging fails the job",
    )


def test_whys_asked_one_after_another_in_a_paragraph_are_each_a_why() -> None:
    doc = parse(
        "# Printers\n\nWhy did it happen? The printers pin the certificate. Why do they pin "
        "it? That was the vendor default. Why did nobody know? It is not documented.\n"
    )
    assert [(w.question, w.answer) for w in doc.whys] == [
        ("Why did it happen?", "The printers pin the certificate."),
        ("Why do they pin it?", "That was the vendor default."),
        ("Why did nobody know?", "It is not documented."),
    ]


@pytest.mark.parametrize(
    ("line", "text", "owner", "due_text"),
    [
        ("- Add a pool alert — SRE team", "Add a pool alert", "SRE team", None),
        ("- Add a pool alert — Mateo, next sprint", "Add a pool alert", "Mateo", "next sprint"),
        (
            "- Add a synthetic probe (Mobile Platform)",
            "Add a synthetic probe",
            "Mobile Platform",
            None,
        ),
        ("- improve monitoring -> @search-team", "improve monitoring", "@search-team", None),
        ("- Add connection pooling (PgBouncer)", "Add connection pooling (PgBouncer)", None, None),
        ("- Rotate the keys — Payments, Q3", "Rotate the keys", "Payments", "Q3"),
    ],
)
def test_owners_written_after_the_action_are_parsed_out_of_it(
    line: str, text: str, owner: str | None, due_text: str | None
) -> None:
    action = parse(f"## Action items\n\n{line}\n").action_items[0]
    assert (action.text, action.owner, action.due_text) == (text, owner, due_text)


def test_a_placeholder_owner_in_angle_brackets_means_nobody() -> None:
    doc = parse(
        "## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n"
        "| Add a backup check | <owner> | 2026-03-04 |\n"
        "| Add a restore drill | <ops@example.com> | 2026-03-04 |\n"
    )
    assert [a.owner for a in doc.action_items] == [None, "ops@example.com"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The lease check is longer than the lease. Category: process gap.", "process"),
        ("Our tooling verifies that a job ran, not its output. Category: tooling gap.", "tooling"),
        ("Certificate pinning nobody knew about. Knowledge gap.", "knowledge"),
    ],
)
def test_a_category_stated_in_the_last_sentence_of_a_root_cause_is_read(
    text: str, category: str
) -> None:
    cause = parse(f"## Root cause\n\n{text}\n").root_causes[0]
    assert cause.text == text
    assert cause.category == RootCauseCategory(category)


@settings(max_examples=300)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("#=-*>|`~_ \t\r\x0b\xa0ax1:+")), max_size=12),
        max_size=12,
    )
)
def test_a_document_without_comments_or_fences_scans_as_the_line_by_line_scan_does(
    lines: list[str],
) -> None:
    text = "\n".join(lines)
    found = blocks.scan(text)
    one_by_one = blocks._scan_lines(text, found.lines, *blocks._front_matter(found.lines))
    one_by_one.headings = blocks._headings(one_by_one)
    assert found == one_by_one
